import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildPartition, reopenPartition, scanBatches, simpleBatches } from '../helpers/build-log.js'
import { flipByte } from '../helpers/files.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * readRaw into a caller's buffer: the same whole batches as a read that allocates, as a view of
 * that buffer when the first batch fits, never more than fits, and the same checks on the bytes.
 */

afterEach(removeTmpDirs)

const isViewOf = (bytes: Buffer, buffer: Buffer): boolean => bytes.buffer === buffer.buffer && bytes.byteOffset === buffer.byteOffset

describe('readRaw with a buffer', () => {
  it('returns the bytes a read without it returns, as a view of the buffer', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(30, 3, 200) })
    const buffer = Buffer.alloc(64 * 1024)
    for (const [offset, maxBytes] of [
      [0, 1],
      [7, 2000],
      [40, 1 << 20],
      [89, 1],
    ] as const) {
      const plain = await log.readRaw(offset, { maxBytes })
      const into = await log.readRaw(offset, { maxBytes, buffer })
      expect(into.bytes.equals(plain.bytes)).toBe(true)
      expect([into.firstOffset, into.nextOffset]).toEqual([plain.firstOffset, plain.nextOffset])
      expect(isViewOf(into.bytes, buffer)).toBe(true)
    }
    await log.close()
  })

  it('returns only the whole batches that fit a smaller buffer, and reading on from nextOffset covers the log', async () => {
    const { log, model } = await buildPartition({ batches: simpleBatches(40, 2, 300) })
    const whole = await log.readRaw(0, { maxBytes: 1 << 20 })
    const firstSize = scanBatches(whole.bytes)[0]!.bytes.length
    const buffer = Buffer.alloc(firstSize * 3 + firstSize / 2)
    const parts: Buffer[] = []
    let offset = 0
    while (offset < model.logEndOffset) {
      const read = await log.readRaw(offset, { buffer })
      expect(read.bytes.length).toBeLessThanOrEqual(buffer.length)
      expect(read.bytes.length).toBeGreaterThan(0)
      expect(isViewOf(read.bytes, buffer)).toBe(true)
      parts.push(Buffer.from(read.bytes))
      offset = read.nextOffset
    }
    expect(Buffer.concat(parts).equals(whole.bytes)).toBe(true)
    expect(parts.length).toBeGreaterThan(1)
    await log.close()
  })

  it('allocates when the first batch does not fit the buffer, with the same bytes', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(5, 4, 500) })
    const buffer = Buffer.alloc(100)
    const plain = await log.readRaw(4, { maxBytes: 1 })
    const read = await log.readRaw(4, { maxBytes: 1, buffer })
    expect(read.bytes.equals(plain.bytes)).toBe(true)
    expect(read.bytes.buffer === buffer.buffer).toBe(false)
    await log.close()
  })

  it('CRC-checks bytes read into the buffer after open, with the file and position of the damage', async () => {
    const { dir, log, config } = await buildPartition({ batches: simpleBatches(10, 1, 100) })
    const batches = scanBatches((await log.readRaw(0, { maxBytes: 1 << 20 })).bytes)
    await log.close()
    let position = 0
    for (const batch of batches.slice(0, 6)) position += batch.bytes.length
    const file = path.join(dir, '00000000000000000000.log')
    flipByte(file, position + 70)
    const reopened = await reopenPartition(dir, config, true)
    await expect(reopened.readRaw(6, { maxBytes: 1, buffer: Buffer.alloc(4096) })).rejects.toMatchObject({
      code: 'CORRUPT_RECORD',
      reason: 'bad-crc',
      file,
      position,
    })
    await reopened.close()
  })

  it('refuses a buffer that is not a Buffer', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(1) })
    await expect(log.readRaw(0, { buffer: new Uint8Array(10) as unknown as Buffer })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await log.close()
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { EncodeSpace } from '../../src/log/encode-space.js'
import { buildPartition, readRecords } from '../helpers/build-log.js'
import { errnoError, spyFileSystem } from '../helpers/file-system-spy.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * appendRecords encodes large batches into reused space (encode-space.ts). Space may be reused
 * only once the write of the batch in it has returned: appends in flight at the same time each
 * have their own, a held or failed write keeps or gives back its own, and what is read back is
 * exactly what each call appended.
 */

afterEach(removeTmpDirs)

/** A batch's worth of records whose bytes name the call and the record, so a mix-up shows. */
function recordsOf(call: number, count = 400): { key: Buffer; value: Buffer; timestamp: number }[] {
  return Array.from({ length: count }, (_, slot) => ({
    key: Buffer.from(`k${call}.${slot}`),
    value: Buffer.alloc(100, `${call}/${slot};`),
    timestamp: 1_000 + call,
  }))
}

describe('encode space', () => {
  it('gives reused space only to batches worth it, one claim at a time, and the same space again after release', () => {
    const first = new EncodeSpace()
    expect(first.allocate(100).buffer.byteLength).toBeLessThan(64 * 1024)
    const large = first.allocate(200 * 1024)
    expect(large.length).toBe(200 * 1024)
    const second = new EncodeSpace()
    const other = second.allocate(200 * 1024)
    expect(other.buffer).not.toBe(large.buffer)
    first.release()
    const third = new EncodeSpace()
    expect(third.allocate(50 * 1024).buffer).toBe(large.buffer)
    second.release()
    third.release()
  })

  it('appends fired together while the first write is held read back exactly as appended', async () => {
    const spy = spyFileSystem()
    const { log } = await buildPartition({ logOptions: { fileSystem: spy.fileSystem } })
    let releaseWrite: () => void = () => undefined
    let held = 0
    const unhook = spy.hook((info) => {
      if (info.call !== 'writev' || held > 0) return
      held++
      return new Promise<void>((resolve) => (releaseWrite = resolve))
    })
    // Each batch is about 50 KB: large enough for reused space, small enough that some go
    // through the asynchronous writev the hook holds.
    const appends = Array.from({ length: 12 }, (_, call) => log.appendRecords(recordsOf(call)))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(held).toBe(1)
    releaseWrite()
    const infos = await Promise.all(appends)
    unhook()
    expect(infos.map((info) => info.baseOffset)).toEqual(infos.map((_, call) => call * 400))
    const read = await readRecords(log, 0)
    expect(read.length).toBe(12 * 400)
    for (const [at, record] of read.entries()) {
      const call = Math.floor(at / 400)
      const slot = at % 400
      expect(record.key!.toString()).toBe(`k${call}.${slot}`)
      expect(record.value!.equals(Buffer.alloc(100, `${call}/${slot};`))).toBe(true)
    }
    await log.close()
  })

  it('a failed write gives its space back and later appends still write what they were given', async () => {
    const spy = spyFileSystem()
    const { log } = await buildPartition({ logOptions: { fileSystem: spy.fileSystem } })
    const unhook = spy.hook((info) => {
      if (info.call === 'writev' || info.call === 'writeSync') throw errnoError('ENOSPC')
    })
    await expect(log.appendRecords(recordsOf(0, 1000))).rejects.toThrow(/ENOSPC/)
    unhook()
    for (let call = 1; call <= 3; call++) await log.appendRecords(recordsOf(call, 1000))
    const read = await readRecords(log, 0)
    expect(read.length).toBe(3000)
    expect(read.map((record) => record.key!.toString().split('.')[0])).toEqual(
      Array.from({ length: 3000 }, (_, at) => `k${1 + Math.floor(at / 1000)}`),
    )
    expect(read[2999]!.value!.equals(Buffer.alloc(100, '3/999;'))).toBe(true)
    await log.close()
  })
})

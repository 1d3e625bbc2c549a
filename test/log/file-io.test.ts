import { describe, expect, it } from 'vitest'
import { readAt, writevAt } from '../../src/log/file-io.js'
import type { SegmentFile } from '../../src/log/file-system.js'

/**
 * Whole writes and reads over the one-call-at-a-time file interface, against an in-memory file
 * whose calls move as few bytes as the test says (short writes and reads are legal for the kernel).
 */
function memoryFile(options: { maxWrite?: number; maxRead?: number; failWith?: string }): {
  file: SegmentFile
  bytes: () => Buffer
  calls: () => number
} {
  let content = Buffer.alloc(0)
  let calls = 0
  const fail = (): void => {
    if (options.failWith !== undefined) throw Object.assign(new Error(options.failWith), { code: options.failWith })
  }
  const file = {
    async writev(buffers: Buffer[], position: number): Promise<number> {
      calls++
      fail()
      const data = Buffer.concat(buffers).subarray(0, options.maxWrite ?? Infinity)
      const end = Math.max(content.length, position + data.length)
      const grown = Buffer.alloc(end)
      content.copy(grown)
      data.copy(grown, position)
      content = grown
      return data.length
    },
    readSync(buffer: Buffer, offset: number, length: number, position: number): number {
      calls++
      fail()
      return content.copy(buffer, offset, position, Math.min(content.length, position + Math.min(length, options.maxRead ?? Infinity)))
    },
    async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
      return file.readSync(buffer, offset, length, position)
    },
  }
  return { file: file as unknown as SegmentFile, bytes: () => content, calls: () => calls }
}

describe('writevAt', () => {
  const parts = [Buffer.from('hello '), Buffer.from('segment '), Buffer.from('world')]

  it('writes everything with one writev when the kernel takes it all', async () => {
    const memory = memoryFile({})
    await writevAt(memory.file, 'f.log', parts, 0)
    expect(memory.bytes().toString()).toBe('hello segment world')
    expect(memory.calls()).toBe(1)
  })

  it('continues short writes until every byte is in the file, at the right positions', async () => {
    const memory = memoryFile({ maxWrite: 4 })
    await writevAt(memory.file, 'f.log', parts, 3)
    expect(memory.bytes().subarray(3).toString()).toBe('hello segment world')
    expect(memory.calls()).toBe(5)
  })

  it('fails with IO_FAILED when a write makes no progress or the call fails', async () => {
    await expect(writevAt(memoryFile({ maxWrite: 0 }).file, 'f.log', parts, 0)).rejects.toMatchObject({ code: 'IO_FAILED', file: 'f.log' })
    await expect(writevAt(memoryFile({ failWith: 'ENOSPC' }).file, 'f.log', parts, 0)).rejects.toMatchObject({
      code: 'IO_FAILED',
      errno: 'ENOSPC',
      file: 'f.log',
    })
  })
})

describe('readAt', () => {
  it('continues short reads, small and large, and stops at the end of the file', async () => {
    const memory = memoryFile({ maxRead: 1000 })
    const data = Buffer.alloc(300_000, 'abc')
    await writevAt(memory.file, 'f.log', [data], 0)
    for (const length of [10, 5_000, 200_000]) {
      const buf = Buffer.alloc(length)
      expect(await readAt(memory.file, 'f.log', buf, 0, length, 100)).toBe(length)
      expect(buf.equals(data.subarray(100, 100 + length))).toBe(true)
    }
    const tail = Buffer.alloc(50)
    expect(await readAt(memory.file, 'f.log', tail, 0, 50, data.length - 20)).toBe(20)
    await expect(readAt(memoryFile({ failWith: 'EIO' }).file, 'f.log', tail, 0, 50, 0)).rejects.toMatchObject({
      code: 'IO_FAILED',
      errno: 'EIO',
    })
  })
})

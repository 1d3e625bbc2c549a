import { describe, expect, it } from 'vitest'
import { readAt, SYNC_WRITE_BYTES_PER_TURN, SYNC_WRITE_MAX_BYTES, SYNC_WRITES_PER_TURN, writevAt } from '../../src/log/file-io.js'
import type { SegmentFile } from '../../src/log/file-system.js'

/**
 * Whole writes and reads over the one-call-at-a-time file interface, against an in-memory file
 * whose calls move as few bytes as the test says (short writes and reads are legal for the kernel).
 */
function memoryFile(options: { maxWrite?: number; maxRead?: number; failWith?: string; withWritevSync?: boolean }): {
  file: SegmentFile
  bytes: () => Buffer
  calls: () => number
  syncWrites: () => number
} {
  let content = Buffer.alloc(0)
  let calls = 0
  let syncWrites = 0
  const fail = (): void => {
    if (options.failWith !== undefined) throw Object.assign(new Error(options.failWith), { code: options.failWith })
  }
  const file = {
    async writev(buffers: Buffer[], position: number): Promise<number> {
      return file.writevAny(buffers, position)
    },
    writevAny(buffers: Buffer[], position: number): number {
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
  const writevSync = (buffers: Buffer[], position: number): number => {
    syncWrites++
    return file.writevAny(buffers, position)
  }
  const withSync = options.withWritevSync === true ? { ...file, writevSync } : file
  return { file: withSync as unknown as SegmentFile, bytes: () => content, calls: () => calls, syncWrites: () => syncWrites }
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

describe('writevAt on a file with writevSync', () => {
  const parts = [Buffer.from('hello '), Buffer.from('segment '), Buffer.from('world')]

  it('writes small appends on the calling thread, continuing short writes', async () => {
    const memory = memoryFile({ maxWrite: 4, withWritevSync: true })
    const written = writevAt(memory.file, 'f.log', parts, 3)
    // Done before the promise is awaited: the bytes are in the file when writevAt returns.
    expect(memory.bytes().subarray(3).toString()).toBe('hello segment world')
    await written
    expect([memory.calls(), memory.syncWrites()]).toEqual([5, 5])
  })

  it('fails with IO_FAILED as a rejected promise, never a throw', async () => {
    const stuck = memoryFile({ maxWrite: 0, withWritevSync: true })
    await expect(writevAt(stuck.file, 'f.log', parts, 0)).rejects.toMatchObject({ code: 'IO_FAILED', file: 'f.log' })
    const full = memoryFile({ failWith: 'ENOSPC', withWritevSync: true })
    await expect(writevAt(full.file, 'f.log', parts, 0)).rejects.toMatchObject({ code: 'IO_FAILED', errno: 'ENOSPC', file: 'f.log' })
  })

  it('sends writes above SYNC_WRITE_MAX_BYTES through the thread pool', async () => {
    const memory = memoryFile({ withWritevSync: true })
    await writevAt(memory.file, 'f.log', [Buffer.alloc(SYNC_WRITE_MAX_BYTES + 1, 'x')], 0)
    expect([memory.calls(), memory.syncWrites()]).toEqual([1, 0])
    await writevAt(memory.file, 'f.log', [Buffer.alloc(SYNC_WRITE_MAX_BYTES, 'y')], 0)
    expect([memory.calls(), memory.syncWrites()]).toEqual([2, 1])
  })
})

describe('synchronous writes per turn of the event loop', () => {
  const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve))
  /** Lets every queued microtask run, but not the event loop turn. */
  const microtasks = async (): Promise<void> => {
    for (let step = 0; step < 20; step++) await Promise.resolve()
  }

  it('after SYNC_WRITES_PER_TURN synchronous writes without a turn, the next waits for the loop to turn, then is written synchronously', async () => {
    // Start at a fresh turn: earlier tests' writes were counted in theirs.
    await nextTurn()
    const memory = memoryFile({ withWritevSync: true })
    const writes: Promise<void>[] = []
    for (let slot = 0; slot <= SYNC_WRITES_PER_TURN; slot++) writes.push(writevAt(memory.file, 'f.log', [Buffer.from('x')], slot))
    await microtasks()
    expect(memory.calls()).toBe(SYNC_WRITES_PER_TURN)
    await Promise.all(writes)
    expect([memory.calls(), memory.syncWrites()]).toEqual([SYNC_WRITES_PER_TURN + 1, SYNC_WRITES_PER_TURN + 1])
    expect(
      memory
        .bytes()
        .subarray(0, SYNC_WRITES_PER_TURN + 1)
        .toString(),
    ).toBe('x'.repeat(SYNC_WRITES_PER_TURN + 1))
  })

  it('after SYNC_WRITE_BYTES_PER_TURN bytes written synchronously without a turn, the next write waits for the loop to turn', async () => {
    await nextTurn()
    const memory = memoryFile({ withWritevSync: true })
    const large = Buffer.alloc(SYNC_WRITE_MAX_BYTES, 'z')
    const fitting = Math.floor(SYNC_WRITE_BYTES_PER_TURN / large.length)
    expect(fitting).toBeLessThan(SYNC_WRITES_PER_TURN)
    const writes: Promise<void>[] = []
    for (let slot = 0; slot <= fitting; slot++) writes.push(writevAt(memory.file, 'f.log', [large], 0))
    await microtasks()
    expect(memory.calls()).toBe(fitting)
    await Promise.all(writes)
    expect([memory.calls(), memory.syncWrites()]).toEqual([fitting + 1, fitting + 1])
  })

  it('a write that waits for the turn fails as a rejected promise, and the next turn writes again', async () => {
    await nextTurn()
    const memory = memoryFile({ withWritevSync: true })
    for (let slot = 0; slot < SYNC_WRITES_PER_TURN; slot++) void writevAt(memory.file, 'f.log', [Buffer.from('a')], slot)
    const full = memoryFile({ failWith: 'ENOSPC', withWritevSync: true })
    await expect(writevAt(full.file, 'f.log', [Buffer.from('b')], 0)).rejects.toMatchObject({ code: 'IO_FAILED', errno: 'ENOSPC' })
    await writevAt(memory.file, 'f.log', [Buffer.from('c')], SYNC_WRITES_PER_TURN)
    expect(
      memory
        .bytes()
        .subarray(SYNC_WRITES_PER_TURN, SYNC_WRITES_PER_TURN + 1)
        .toString(),
    ).toBe('c')
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

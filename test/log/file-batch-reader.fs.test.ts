import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import { FileBatchReader } from '../../src/log/file-batch-reader.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { spyFileSystem } from '../helpers/file-system-spy.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { seededRandom } from '../../src/seeded-random.js'

afterEach(removeTmpDirs)

/** `count` batches whose values are 0..maxValueBytes bytes long; offsets are consecutive. */
function makeBatches(count: number, maxValueBytes: number, seed = 1): Buffer[] {
  const random = seededRandom(seed)
  const batches: Buffer[] = []
  let offset = 0
  for (let slot = 0; slot < count; slot++) {
    const records = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, index) => ({
      key: Buffer.from(`k${slot}-${index}`),
      value: Buffer.alloc(Math.floor(random() * maxValueBytes), slot & 0xff),
      timestamp: 1_700_000_000_000 + slot,
    }))
    batches.push(encodeBatch(records, { baseOffset: offset }))
    offset += records.length
  }
  return batches
}

async function writeSegment(parts: readonly Buffer[]): Promise<string> {
  const dir = await makeTmpDir()
  const file = path.join(dir, '00000000000000000000.log')
  fs.writeFileSync(file, Buffer.concat(parts))
  return file
}

/** Every batch the reader yields, copied (the views are only valid until the next call). */
function readAll(reader: FileBatchReader): { position: number; bytes: Buffer }[] {
  const seen: { position: number; bytes: Buffer }[] = []
  for (let batch = reader.next(); batch !== null; batch = reader.next()) {
    seen.push({ position: reader.batchPosition, bytes: Buffer.from(batch.buffer) })
  }
  return seen
}

function positionsOf(batches: readonly Buffer[], start = 0): number[] {
  const positions: number[] = []
  let position = start
  for (const batch of batches) {
    positions.push(position)
    position += batch.length
  }
  return positions
}

function catchError(call: () => unknown): unknown {
  try {
    call()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('FileBatchReader', () => {
  it('reads many batches across chunk boundaries with one readSync per chunk', async () => {
    const batches = makeBatches(300, 900)
    const file = await writeSegment(batches)
    const size = fs.statSync(file).size
    const spy = spyFileSystem()
    const reader = FileBatchReader.openSync(file, { chunkBytes: 4096, fileSystem: spy.fileSystem })
    try {
      const seen = readAll(reader)
      expect(seen.map((entry) => entry.position)).toEqual(positionsOf(batches))
      for (let slot = 0; slot < batches.length; slot++) expect(seen[slot]!.bytes.equals(batches[slot]!)).toBe(true)
      expect(reader.position).toBe(size)
      expect(reader.trailingBytes).toBe(0)
      expect(reader.next()).toBeNull()
    } finally {
      reader.close()
    }
    // Each read brings at least chunkBytes minus one partial batch (< 1 KiB here) of new data.
    const largestBatch = Math.max(...batches.map((batch) => batch.length))
    expect(spy.count('readSync')).toBeGreaterThan(0)
    expect(spy.count('readSync')).toBeLessThanOrEqual(Math.ceil(size / (4096 - largestBatch)) + 1)
  })

  it('returns valid batch views whose CRCs check', async () => {
    const file = await writeSegment(makeBatches(50, 300))
    const reader = FileBatchReader.openSync(file, { chunkBytes: 1024 })
    let count = 0
    for (let batch = reader.next(); batch !== null; batch = reader.next()) {
      expect(batch.isValid()).toBe(true)
      expect(batch.baseOffset).toBeGreaterThanOrEqual(0)
      count++
    }
    reader.close()
    expect(count).toBe(50)
  })

  it('nextStart gives each batch by its position in the reader buffer, as next() gives views, across chunks and growth', async () => {
    const batches = [...makeBatches(40, 300), ...makeBatches(1, 5000, 2), ...makeBatches(30, 300, 3)]
    const file = await writeSegment(batches)
    const reader = FileBatchReader.openSync(file, { chunkBytes: 1024 })
    const seen: { position: number; bytes: Buffer }[] = []
    for (let start = reader.nextStart(); start >= 0; start = reader.nextStart()) {
      const size = reader.position - reader.batchPosition
      seen.push({ position: reader.batchPosition, bytes: Buffer.from(reader.chunk.subarray(start, start + size)) })
    }
    expect(reader.trailingBytes).toBe(0)
    reader.close()
    expect(seen.map((batch) => batch.position)).toEqual(positionsOf(batches))
    expect(seen.every((batch, slot) => batch.bytes.equals(batches[slot]!))).toBe(true)
  })

  it('grows the buffer for a batch larger than the chunk and keeps going', async () => {
    const small = makeBatches(5, 100)
    const large = encodeBatch([{ value: Buffer.alloc(50_000, 7), timestamp: 1 }], { baseOffset: 100 })
    const parts = [...small.slice(0, 3), large, ...small.slice(3)]
    const file = await writeSegment(parts)
    const reader = FileBatchReader.openSync(file, { chunkBytes: 1024 })
    const seen = readAll(reader)
    reader.close()
    expect(seen.map((entry) => entry.position)).toEqual(positionsOf(parts))
    expect(seen[3]!.bytes.equals(large)).toBe(true)
    expect(seen[4]!.bytes.equals(small[3]!)).toBe(true)
  })

  it('reports a batch above maxBatchBytes as bad-length at its length field', async () => {
    const parts = makeBatches(3, 100)
    const large = encodeBatch([{ value: Buffer.alloc(10_000), timestamp: 1 }], { baseOffset: 10 })
    const file = await writeSegment([...parts, large])
    const reader = FileBatchReader.openSync(file, { chunkBytes: 512, maxBatchBytes: 4096 })
    for (let slot = 0; slot < 3; slot++) expect(reader.next()).not.toBeNull()
    const error = catchError(() => reader.next())
    reader.close()
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect(error).toMatchObject({ reason: 'bad-length', file, position: positionsOf(parts)[2]! + parts[2]!.length + 8 })
  })

  it('stops at a truncated tail and reports its bytes', async () => {
    const batches = makeBatches(20, 500)
    const cut = batches[19]!.subarray(0, 40)
    const file = await writeSegment([...batches.slice(0, 19), cut])
    const reader = FileBatchReader.openSync(file, { chunkBytes: 2048 })
    const seen = readAll(reader)
    reader.close()
    expect(seen).toHaveLength(19)
    expect(reader.trailingBytes).toBe(40)
    expect(reader.position).toBe(fs.statSync(file).size - 40)
    expect(reader.batchPosition).toBe(positionsOf(batches)[18])
  })

  it('treats fewer than 17 trailing bytes (even zeros) as a tail, not corruption', async () => {
    const batches = makeBatches(4, 100)
    const file = await writeSegment([...batches, Buffer.alloc(16)])
    const reader = FileBatchReader.openSync(file)
    expect(readAll(reader)).toHaveLength(4)
    reader.close()
    expect(reader.trailingBytes).toBe(16)
  })

  it('throws bad-length with the file and absolute position at garbage after valid data', async () => {
    const batches = makeBatches(10, 400)
    const garbage = Buffer.alloc(3000, 0xab) // length field 0xabababab: negative
    const file = await writeSegment([...batches, garbage])
    const garbageStart = fs.statSync(file).size - garbage.length
    const reader = FileBatchReader.openSync(file, { chunkBytes: 1024 })
    for (let slot = 0; slot < 10; slot++) expect(reader.next()).not.toBeNull()
    const error = catchError(() => reader.next())
    reader.close()
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', reason: 'bad-length', file, position: garbageStart + 8 })
  })

  it('throws bad-magic at the magic byte of a batch with a plausible length', async () => {
    const batches = makeBatches(6, 200)
    const bad = Buffer.from(batches[5]!)
    bad[16] = 7
    const file = await writeSegment([...batches.slice(0, 5), bad])
    const reader = FileBatchReader.openSync(file, { chunkBytes: 700 })
    for (let slot = 0; slot < 5; slot++) expect(reader.next()).not.toBeNull()
    expect(catchError(() => reader.next())).toMatchObject({ reason: 'bad-magic', file, position: positionsOf(batches)[5]! + 16 })
    reader.close()
  })

  it('throws bad-length at a zero-filled tail (preallocated or torn write)', async () => {
    const batches = makeBatches(8, 300)
    const file = await writeSegment([...batches, Buffer.alloc(8192)])
    const zerosStart = fs.statSync(file).size - 8192
    const reader = FileBatchReader.openSync(file, { chunkBytes: 1024 })
    for (let slot = 0; slot < 8; slot++) expect(reader.next()).not.toBeNull()
    expect(catchError(() => reader.next())).toMatchObject({ reason: 'bad-length', file, position: zerosStart + 8 })
    reader.close()
  })

  it('throws unsafe-int64 for a baseOffset outside the safe integer range', async () => {
    const batches = makeBatches(3, 100)
    const bad = Buffer.from(batches[2]!)
    bad.writeUInt32BE(0x7fffffff, 0)
    const file = await writeSegment([...batches.slice(0, 2), bad])
    const reader = FileBatchReader.openSync(file)
    reader.next()
    reader.next()
    expect(catchError(() => reader.next())).toMatchObject({ reason: 'unsafe-int64', file, position: positionsOf(batches)[2] })
    reader.close()
  })

  it('starts at `position`, never reads at or past `end`, and reports the cut as trailing bytes', async () => {
    const batches = makeBatches(40, 600)
    const file = await writeSegment(batches)
    const positions = positionsOf(batches)
    const start = positions[3]!
    const end = positions[30]! + 100 // inside batch 30
    const reads: (readonly unknown[])[] = []
    const spy = spyFileSystem()
    spy.hook((info) => {
      if (info.call === 'readSync') reads.push(info.args)
    })
    const handle = spy.fileSystem.openSync(file, 'read')
    try {
      const reader = new FileBatchReader(handle, file, { position: start, end, chunkBytes: 1500 })
      const seen = readAll(reader)
      expect(seen.map((entry) => entry.position)).toEqual(positions.slice(3, 30))
      expect(reader.trailingBytes).toBe(100)
      reader.close() // not the reader's file: stays open
      expect(handle.statSync().size).toBeGreaterThan(0)
    } finally {
      handle.closeSync()
    }
    expect(reads.length).toBeGreaterThan(0)
    for (const [, offsetInBuffer, length, readPosition] of reads as [Buffer, number, number, number][]) {
      expect(offsetInBuffer).toBeGreaterThanOrEqual(0)
      expect(readPosition).toBeGreaterThanOrEqual(start)
      expect(readPosition + length).toBeLessThanOrEqual(end)
    }
  })

  it('reports what is really there when the file shrinks after the reader was made', async () => {
    const batches = makeBatches(10, 200)
    const file = await writeSegment(batches)
    const reader = FileBatchReader.openSync(file, { chunkBytes: 256 })
    const positions = positionsOf(batches)
    fs.truncateSync(file, positions[6]! + 20)
    expect(readAll(reader)).toHaveLength(6)
    expect(reader.trailingBytes).toBe(20)
    reader.close()
  })

  it('reads an empty file as no batches and no trailing bytes', async () => {
    const file = await writeSegment([])
    const reader = FileBatchReader.openSync(file)
    expect(reader.next()).toBeNull()
    expect(reader.trailingBytes).toBe(0)
    reader.close()
  })

  it('fails to open a missing file or a directory with IO_FAILED', async () => {
    const dir = await makeTmpDir()
    const missing = catchError(() => FileBatchReader.openSync(path.join(dir, 'nope.log')))
    expect(missing).toBeInstanceOf(SeglogError)
    expect(missing).toMatchObject({ code: 'IO_FAILED', errno: 'ENOENT' })
    expect(catchError(() => FileBatchReader.openSync(dir))).toMatchObject({ code: 'IO_FAILED', errno: 'EISDIR' })
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { OffsetOutOfRangeError } from '../../src/log/errors.js'
import { LATEST_TIMESTAMP, MAX_TIMESTAMP, type PartitionLog } from '../../src/log/partition-log.js'
import { offsetFileName } from '../../src/log/segment-files.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { CRC_OFFSET, RECORDS_COUNT_OFFSET } from '../../src/record/record-batch.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import {
  addToModel,
  appendSpecs,
  buildPartition,
  emptyModel,
  encodeSpec,
  filesWithSuffix,
  modelMaxTimestamp,
  modelOffsetForTimestamp,
  modelSlice,
  readRecords,
  recordView,
  reopenPartition,
  scanBatches,
  simpleBatches,
  type BatchSpec,
  type BatchModel,
} from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { truncateFile, zeroFill } from '../helpers/files.js'
import { rejection } from '../helpers/errors.js'

afterEach(removeTmpDirs)

const INT32_MAX = 0x7fffffff

/** Batches of one record each, all the same size (same key and value length, one record). */
function sameSizeBatches(timestamps: readonly number[]): BatchSpec[] {
  return timestamps.map((timestamp, slot) => ({ records: [{ key: Buffer.from('k'), value: Buffer.alloc(100, slot), timestamp }] }))
}

const SAME_SIZE = encodeSpec(sameSizeBatches([1_000])[0]!, 0).length

function segmentBases(log: PartitionLog): number[] {
  return log.segmentList.map((segment) => segment.baseOffset)
}

/** Reads, ranges and timestamp lookups all agree with the model. */
async function expectMatchesModel(log: PartitionLog, model: BatchModel): Promise<void> {
  expect(log.logEndOffset).toBe(model.logEndOffset)
  expect((await readRecords(log, 0)).map(recordView)).toEqual(model.records.map(recordView))
  for (const batch of model.batches) {
    const { bytes } = await log.readRaw(batch.baseOffset, { maxBytes: 1 })
    expect(bytes.equals(batch.bytes)).toBe(true)
  }
  // -1 is the LATEST query, not a timestamp; records without one are never found by time.
  for (const record of model.records) {
    if (record.timestamp < 0) continue
    expect(await log.offsetForTimestamp(record.timestamp)).toEqual(modelOffsetForTimestamp(model, record.timestamp))
  }
  expect(await log.offsetForTimestamp(MAX_TIMESTAMP)).toEqual(modelMaxTimestamp(model))
}

/** Clean and unclean reopen both give the same answers. */
async function expectSurvivesReopen(
  built: { dir: string; log: PartitionLog; config: Parameters<typeof reopenPartition>[1] },
  model: BatchModel,
): Promise<PartitionLog> {
  const bases = segmentBases(built.log)
  await built.log.close()
  let log = await reopenPartition(built.dir, built.config, true)
  expect(segmentBases(log)).toEqual(bases)
  await expectMatchesModel(log, model)
  await log.close()
  log = await reopenPartition(built.dir, built.config, false)
  expect(segmentBases(log)).toEqual(bases)
  await expectMatchesModel(log, model)
  return log
}

describe('PartitionLog roll', () => {
  it('does not roll when a batch lands exactly on segmentBytes, and rolls for the next one', async () => {
    const built = await buildPartition({
      segmentBytes: 3 * SAME_SIZE,
      batches: sameSizeBatches([1, 2, 3, 4, 5, 6, 7].map((n) => 1_000 + n)),
    })
    expect(segmentBases(built.log)).toEqual([0, 3, 6])
    expect(built.log.segmentList.map((segment) => segment.size)).toEqual([3 * SAME_SIZE, 3 * SAME_SIZE, SAME_SIZE])
    expect(filesWithSuffix(built.dir, '.log')).toEqual(['00000000000000000000.log', '00000000000000000003.log', '00000000000000000006.log'])
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('rolls one batch earlier when segmentBytes is one byte smaller', async () => {
    const built = await buildPartition({ segmentBytes: 3 * SAME_SIZE - 1, batches: sameSizeBatches([1, 2, 3, 4, 5].map((n) => 1_000 + n)) })
    expect(segmentBases(built.log)).toEqual([0, 2, 4])
    await built.log.close()
  })

  it('gives a batch larger than segmentBytes a segment of its own', async () => {
    const built = await buildPartition({ segmentBytes: SAME_SIZE - 1, batches: sameSizeBatches([1_000, 1_001, 1_002]) })
    expect(segmentBases(built.log)).toEqual([0, 1, 2])
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('rolls by segmentMs on the record clock: incoming max timestamp minus the first batch timestamp', async () => {
    // First batch at 1000: 1500 waited exactly segmentMs (no roll), 1400 is out of order, 1501 rolls.
    // Next segment starts at 1501: 900 is earlier, 2001 waited 500, 2002 rolls.
    const built = await buildPartition({ segmentMs: 500, batches: sameSizeBatches([1_000, 1_500, 1_400, 1_501, 900, 2_001, 2_002]) })
    expect(segmentBases(built.log)).toEqual([0, 3, 6])
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('rolls by segmentMs on the wall clock when the first batch has no timestamp', async () => {
    const built = await buildPartition({ segmentMs: 1, batches: sameSizeBatches([-1]) })
    await new Promise((resolve) => setTimeout(resolve, 5))
    await appendSpecs(built.log, built.model, sameSizeBatches([-1]))
    expect(segmentBases(built.log)).toEqual([0, 1])
    await built.log.close()
  })

  it('rolls when the offset index is full (tiny segmentIndexBytes)', async () => {
    // 24 bytes: three offset entries. No timestamps, so the time index stays empty and never fills.
    const built = await buildPartition({ segmentIndexBytes: 24, indexIntervalBytes: 0, batches: sameSizeBatches([-1, -1, -1, -1, -1, -1]) })
    const [first] = built.log.segmentList
    // The first batch of a segment never gets an entry; the next three fill the index.
    expect(segmentBases(built.log)).toEqual([0, 4])
    expect(first!.offsetIndex.entries).toBe(3)
    expect(first!.offsetIndex.isFull()).toBe(true)
    expect([...first!.offsetIndex.entriesInOrder()].map((entry) => entry.offset)).toEqual([1, 2, 3])
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('rolls when the time index is full, one entry early, and the closing entry uses the reserved slot', async () => {
    // 36 bytes: four offset entries, three time entries of which the last is reserved for seal.
    const built = await buildPartition({ segmentIndexBytes: 36, indexIntervalBytes: 0 })
    // One append of five batches: the time index fills after two entries and the rest of the
    // append goes unindexed in it, though the last batch raises the max timestamp.
    const specs = sameSizeBatches([1_000, 1_001, 1_002, 1_003, 1_004]).map((spec, slot) => ({ ...spec, withNext: slot < 4 }))
    await appendSpecs(built.log, built.model, specs)
    expect(segmentBases(built.log)).toEqual([0])
    const first = built.log.segmentList[0]!
    expect([...first.timeIndex.entriesInOrder()]).toEqual([
      { timestamp: 1_001, offset: 1 },
      { timestamp: 1_002, offset: 2 },
    ])
    expect(first.timeIndex.isFull()).toBe(true)
    expect(await built.log.offsetForTimestamp(1_004)).toEqual({ offset: 4, timestamp: 1_004 })
    await appendSpecs(built.log, built.model, sameSizeBatches([1_005]))
    expect(segmentBases(built.log)).toEqual([0, 5])
    expect([...first.timeIndex.entriesInOrder()]).toEqual([
      { timestamp: 1_001, offset: 1 },
      { timestamp: 1_002, offset: 2 },
      { timestamp: 1_004, offset: 4 },
    ])
    await expectMatchesModel(built.log, built.model)
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('rolls before a relative offset would overflow int32, and not at exactly Int32.MAX', async () => {
    const built = await buildPartition({ batches: simpleBatches(3) })
    const follow = async (baseOffset: number, timestamp: number): Promise<void> => {
      const spec: BatchSpec = { records: [{ key: null, value: Buffer.from(`at ${baseOffset}`), timestamp }] }
      await built.log.appendBatch(encodeSpec(spec, baseOffset), { assignOffsets: false })
      addToModel(built.model, spec, baseOffset)
    }
    await follow(INT32_MAX, 5_000)
    expect(segmentBases(built.log)).toEqual([0])
    await follow(INT32_MAX + 1, 4_000)
    expect(segmentBases(built.log)).toEqual([0, INT32_MAX + 1])
    expect(filesWithSuffix(built.dir, '.log')).toEqual(['00000000000000000000.log', '00000000002147483648.log'])
    expect(built.log.logEndOffset).toBe(INT32_MAX + 2)
    // An offset in the gap reads from the next batch that exists.
    const gap = await built.log.readRaw(10)
    expect(gap.firstOffset).toBe(INT32_MAX)
    expect(await built.log.offsetForTimestamp(4_500)).toEqual({ offset: INT32_MAX, timestamp: 5_000 })
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('starts a new segment when even the first batch of an empty segment would overflow its relative offsets', async () => {
    const built = await buildPartition()
    const far = 2 ** 31 + 5
    const spec: BatchSpec = { records: [{ key: null, value: Buffer.from('far'), timestamp: 1_234 }] }
    await built.log.appendBatch(encodeSpec(spec, far), { assignOffsets: false })
    addToModel(built.model, spec, far)
    expect(built.log.logEndOffset).toBe(far + 1)
    expect(segmentBases(built.log)).toEqual([0, far])
    expect(filesWithSuffix(built.dir, '.log')).toContain(offsetFileName(far, '.log'))
    await expectMatchesModel(built.log, built.model)
    await expectSurvivesReopen(built, built.model).then((log) => log.close())
  })

  it('gives every segment a .log, .index and .timeindex named by its 20-digit base offset', async () => {
    const built = await buildPartition({ segmentBytes: 2 * SAME_SIZE, batches: simpleBatches(9, 1, 93) })
    await built.log.close()
    // Other per-partition files (producer snapshots, …) may sit beside the segments.
    const names = fs
      .readdirSync(built.dir)
      .filter((name) => /\.(log|index|timeindex)$/.test(name))
      .sort()
    const bases = [...new Set(names.map((name) => name.split('.')[0]!))]
    expect(bases.length).toBeGreaterThan(3)
    for (const name of names) expect(name).toMatch(/^\d{20}\.(log|index|timeindex)$/)
    for (const base of bases) {
      expect(names).toEqual(expect.arrayContaining([`${base}.log`, `${base}.index`, `${base}.timeindex`]))
      expect(Number(base).toString().padStart(20, '0')).toBe(base)
    }
  })
})

describe('PartitionLog.readRaw', () => {
  it('rejects offsets outside [logStartOffset, logEndOffset] with OFFSET_OUT_OF_RANGE', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(4, 3) })
    for (const offset of [13, 100]) {
      const error = await rejection(log.readRaw(offset))
      expect(error).toBeInstanceOf(OffsetOutOfRangeError)
      expect(error.code).toBe('OFFSET_OUT_OF_RANGE')
      expect((error as OffsetOutOfRangeError).logStartOffset).toBe(0)
      expect((error as OffsetOutOfRangeError).logEndOffset).toBe(12)
    }
    // What is not an offset at all is a bad argument (partition-log-arguments.fs.test.ts).
    for (const offset of [-1, 1.5, Number.NaN]) expect((await rejection(log.readRaw(offset))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(readRecords(log, 13))).code).toBe('OFFSET_OUT_OF_RANGE')
    await log.close()
  })

  it('returns nothing at the log end, and nothing on an empty log', async () => {
    const empty = await buildPartition()
    expect(await empty.log.readRaw(0)).toEqual({ bytes: Buffer.alloc(0), firstOffset: 0, nextOffset: 0 })
    expect(await readRecords(empty.log, 0)).toEqual([])
    expect(await empty.log.offsetForTimestamp(0)).toBeNull()
    expect(await empty.log.offsetForTimestamp(MAX_TIMESTAMP)).toBeNull()
    const { log } = await buildPartition({ batches: simpleBatches(4, 3) })
    const atEnd = await log.readRaw(12)
    expect(atEnd.bytes.length).toBe(0)
    expect(atEnd.nextOffset).toBe(12)
    await Promise.all([empty.log.close(), log.close()])
  })

  it('returns at least one whole batch even when maxBytes is smaller, and only whole batches within maxBytes', async () => {
    const { log, model } = await buildPartition({ batches: simpleBatches(4, 3, 200) })
    const [b0, b1, b2] = model.batches
    const sizes = model.batches.map((batch) => batch.bytes.length)
    for (const maxBytes of [0, 1, sizes[0]! - 1, sizes[0]!, sizes[0]! + sizes[1]! - 1]) {
      const result = await log.readRaw(0, { maxBytes })
      expect(result.bytes.equals(b0!.bytes)).toBe(true)
      expect(result).toMatchObject({ firstOffset: 0, nextOffset: 3 })
    }
    const two = await log.readRaw(0, { maxBytes: sizes[0]! + sizes[1]! })
    expect(two.bytes.equals(Buffer.concat([b0!.bytes, b1!.bytes]))).toBe(true)
    // Mid-batch: the batch holding the offset comes back from its start.
    const mid = await log.readRaw(7, { maxBytes: 1 })
    expect(mid.bytes.equals(b2!.bytes)).toBe(true)
    expect(mid).toMatchObject({ firstOffset: 6, nextOffset: 9 })
    await log.close()
  })

  it('stays within one segment and stops below maxOffset', async () => {
    const { log, model } = await buildPartition({
      segmentBytes: 2 * SAME_SIZE,
      batches: sameSizeBatches([1, 2, 3, 4, 5].map((n) => 1_000 + n)),
    })
    expect(segmentBases(log)).toEqual([0, 2, 4])
    const fromOne = await log.readRaw(1)
    expect(scanBatches(fromOne.bytes).map((batch) => batch.baseOffset)).toEqual([1])
    const fromTwo = await log.readRaw(2)
    expect(scanBatches(fromTwo.bytes).map((batch) => batch.baseOffset)).toEqual([2, 3])
    const bounded = await log.readRaw(2, { maxOffset: 3 })
    expect(bounded.bytes.equals(model.batches[2]!.bytes)).toBe(true)
    expect((await log.readRaw(2, { maxOffset: 2 })).bytes.length).toBe(0)
    await log.close()
  })
})

describe('PartitionLog.appendBatch', () => {
  it('assigns offsets from the log end, whatever base offset the bytes carry', async () => {
    const { log, dir } = await buildPartition({ batches: simpleBatches(2, 2) })
    const bytes = Buffer.concat([
      encodeBatch(
        [
          { value: Buffer.from('a'), timestamp: 5 },
          { value: Buffer.from('b'), timestamp: 6 },
        ],
        { baseOffset: 999 },
      ),
      encodeBatch([{ value: Buffer.from('c'), timestamp: 7 }], { baseOffset: 12345 }),
    ])
    const info = await log.appendBatch(bytes)
    expect(info).toMatchObject({ baseOffset: 4, lastOffset: 6, maxTimestamp: 7, size: bytes.length })
    const onDisk = fs.readFileSync(path.join(dir, '00000000000000000000.log'))
    expect(scanBatches(onDisk).map((batch) => [batch.baseOffset, batch.lastOffset])).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 6],
    ])
    expect((await readRecords(log, 4)).map((record) => [record.offset, record.value!.toString()])).toEqual([
      [4, 'a'],
      [5, 'b'],
      [6, 'c'],
    ])
    await log.close()
  })

  it('checks the CRC: a flipped byte is rejected with CORRUPT_RECORD and nothing is written', async () => {
    const { log, dir } = await buildPartition({ batches: simpleBatches(2) })
    const logFile = path.join(dir, '00000000000000000000.log')
    const sizeBefore = fs.statSync(logFile).size
    const good = encodeBatch([{ value: Buffer.from('hello'), timestamp: 9 }])
    for (const position of [CRC_OFFSET, RECORDS_COUNT_OFFSET + 3, good.length - 1]) {
      const bad = Buffer.from(good)
      bad[position] = bad[position]! ^ 0x01
      const error = await rejection(log.appendBatch(Buffer.concat([encodeBatch([{ value: Buffer.from('ok'), timestamp: 8 }]), bad])))
      expect(error).toBeInstanceOf(CorruptRecordError)
      expect(error.code).toBe('CORRUPT_RECORD')
      expect((error as CorruptRecordError).reason).toBe('bad-crc')
    }
    expect(log.logEndOffset).toBe(2)
    expect(fs.statSync(logFile).size).toBe(sizeBefore)
    // The base offset is outside the CRC: damage there is simply overwritten by the assignment.
    const unprotected = Buffer.from(good)
    unprotected[3] = 0x7f
    expect((await log.appendBatch(unprotected)).baseOffset).toBe(2)
    await log.close()
  })

  it('rejects a partial batch at the end of the bytes, and no bytes at all', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(1) })
    const whole = encodeBatch([{ value: Buffer.from('x'), timestamp: 1 }])
    const torn = await rejection(log.appendBatch(Buffer.concat([whole, whole.subarray(0, 30)])))
    expect(torn.code).toBe('CORRUPT_RECORD')
    expect((torn as CorruptRecordError).reason).toBe('truncated-record')
    expect((await rejection(log.appendBatch(Buffer.alloc(0)))).code).toBe('INVALID_ARGUMENT')
    expect(log.logEndOffset).toBe(1)
    await log.close()
  })

  it('keeps the offsets of a follower append and rejects ones below the log end', async () => {
    const { log, model } = await buildPartition({ batches: simpleBatches(5) })
    const follow = (baseOffset: number, count = 1): Promise<unknown> =>
      log.appendBatch(
        encodeBatch(
          Array.from({ length: count }, (_, slot) => ({ value: Buffer.from(`f${baseOffset + slot}`), timestamp: 2_000 })),
          { baseOffset },
        ),
        { assignOffsets: false },
      )
    await follow(5, 2)
    expect(log.logEndOffset).toBe(7)
    await follow(20)
    expect(log.logEndOffset).toBe(21)
    for (const below of [0, 6, 20]) {
      const error = await rejection(follow(below))
      expect(error.code).toBe('INVALID_ARGUMENT')
    }
    // A multi-batch follower append whose second batch goes backwards writes nothing.
    const overlapping = Buffer.concat([
      encodeBatch([{ value: Buffer.from('a'), timestamp: 1 }], { baseOffset: 21 }),
      encodeBatch([{ value: Buffer.from('b'), timestamp: 1 }], { baseOffset: 21 }),
    ])
    expect((await rejection(log.appendBatch(overlapping, { assignOffsets: false }))).code).toBe('INVALID_ARGUMENT')
    expect(log.logEndOffset).toBe(21)
    const offsets = (await readRecords(log, 0)).map((record) => record.offset)
    expect(offsets).toEqual([...model.records.map((record) => record.offset), 5, 6, 20])
    await log.close()
  })
})

describe('PartitionLog high watermark', () => {
  it('hides batches that reach the high watermark from readRaw, records and timestamp lookups', async () => {
    const { log, model } = await buildPartition({ batches: simpleBatches(4, 3) })
    log.setHighWatermark(5)
    expect(log.highWatermark).toBe(5)
    const raw = await log.readRaw(0)
    expect(raw.bytes.equals(model.batches[0]!.bytes)).toBe(true)
    expect((await log.readRaw(3)).bytes.length).toBe(0)
    expect((await log.readRaw(5)).bytes.length).toBe(0)
    expect((await readRecords(log, 0)).map((record) => record.offset)).toEqual([0, 1, 2])
    expect(await log.offsetForTimestamp(LATEST_TIMESTAMP)).toEqual({ offset: 5, timestamp: -1 })
    expect(await log.offsetForTimestamp(model.records[9]!.timestamp)).toBeNull()
    expect(await log.offsetForTimestamp(MAX_TIMESTAMP)).toBeNull()
    // Above the log end it is clamped; null follows the log end again.
    log.setHighWatermark(1_000)
    expect(log.highWatermark).toBe(12)
    log.setHighWatermark(null)
    expect((await readRecords(log, 0)).map(recordView)).toEqual(model.records.map(recordView))
    expect((await rejection(Promise.resolve().then(() => log.setHighWatermark(-1)))).code).toBe('INVALID_ARGUMENT')
    await log.close()
  })
})

describe('PartitionLog.truncateTo', () => {
  /** Cuts the model the way the log cuts: the batch holding `offset` and everything after go. */
  function truncateModel(model: BatchModel, offset: number): BatchModel {
    const kept = emptyModel()
    for (const batch of model.batches) {
      if (batch.lastOffset >= offset) break
      kept.batches.push(batch)
      kept.records.push(...batch.records)
      kept.logEndOffset = batch.lastOffset + 1
    }
    return kept
  }

  for (const [name, offset, expectedEnd] of [
    ['inside a batch of the active segment', 16, 15],
    ['at a batch boundary of the active segment', 15, 15],
    ['inside a batch of an earlier segment', 4, 3],
    ['at the base offset of a later segment', 6, 6],
    ['at zero', 0, 0],
  ] as const) {
    it(`cuts ${name}, then appends continue at the new end`, async () => {
      const built = await buildPartition({ segmentBytes: 2 * 500, batches: simpleBatches(6, 3, 130) })
      const { log } = built
      expect(segmentBases(log).length).toBeGreaterThan(2)
      await log.truncateTo(offset)
      const model = truncateModel(built.model, offset)
      expect(model.logEndOffset).toBe(expectedEnd)
      expect(log.logEndOffset).toBe(expectedEnd)
      for (const base of segmentBases(log).slice(1)) expect(base).toBeLessThan(Math.max(expectedEnd, 1))
      expect(filesWithSuffix(built.dir, '.log')).toEqual(segmentBases(log).map((base) => offsetFileName(base, '.log')))
      for (const segment of log.segmentList) {
        for (const entry of segment.offsetIndex.entriesInOrder()) expect(entry.offset).toBeLessThan(expectedEnd)
        for (const entry of segment.timeIndex.entriesInOrder()) expect(entry.offset).toBeLessThan(expectedEnd)
      }
      await expectMatchesModel(log, model)
      expect(await log.offsetForTimestamp(built.model.records[built.model.records.length - 1]!.timestamp)).toBeNull()

      await appendSpecs(log, model, simpleBatches(3, 2, 50, 9_000))
      expect(model.records[model.records.length - 1]!.offset).toBe(expectedEnd + 5)
      await expectMatchesModel(log, model)
      await expectSurvivesReopen(built, model).then((reopened) => reopened.close())
    })
  }

  it('does nothing at or past the log end', async () => {
    const { log, model } = await buildPartition({ batches: simpleBatches(3) })
    await log.truncateTo(3)
    await log.truncateTo(50)
    await expectMatchesModel(log, model)
    await log.close()
  })
})

describe('PartitionLog concurrency', () => {
  it('lands concurrent appends in call order with contiguous offsets', async () => {
    const { log } = await buildPartition({ segmentBytes: 4 * 1024, indexIntervalBytes: 256 })
    const calls = Array.from({ length: 120 }, (_, call) => {
      const count = 1 + (call % 4)
      const records = Array.from({ length: count }, (_, slot) => ({
        key: Buffer.from(`c${call}`),
        value: Buffer.alloc(20 + call, slot),
        timestamp: 5_000 - call,
      }))
      return call % 3 === 0 ? log.appendBatch(encodeBatch(records, { baseOffset: 42 })) : log.appendRecords(records)
    })
    const infos = await Promise.all(calls)
    let expected = 0
    for (const [call, info] of infos.entries()) {
      expect(info.baseOffset).toBe(expected)
      expected = info.lastOffset + 1
      expect(info.lastOffset - info.baseOffset).toBe(call % 4)
    }
    expect(log.logEndOffset).toBe(expected)
    expect(log.segmentCount).toBeGreaterThan(2)
    const keys = (await readRecords(log, 0)).map((record) => record.key!.toString())
    expect(keys).toEqual(infos.flatMap((info, call) => Array.from({ length: info.lastOffset - info.baseOffset + 1 }, () => `c${call}`)))
    await log.close()
  })

  it('never lets a concurrent reader see a partial batch while appends and rolls run', async () => {
    const specs = simpleBatches(150, 3, 90)
    const { log, config, dir } = await buildPartition({ segmentBytes: 3 * 1024, indexIntervalBytes: 300 })
    const model = emptyModel()
    let offset = 0
    for (const spec of specs) offset = addToModel(model, spec, offset).lastOffset + 1
    const expectedByBase = new Map(model.batches.map((batch) => [batch.baseOffset, batch.bytes]))

    let writing = true
    const writer = (async () => {
      for (const spec of specs) {
        await log.appendRecords(spec.records.map((record) => ({ ...record })))
        // Small appends are written synchronously and resolve without a turn of the event loop:
        // yield one, as an application between requests does, so the readers run in between.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      writing = false
    })()
    let reads = 0
    const reader = async (seed: number): Promise<void> => {
      let state = seed
      while (writing) {
        const end = log.logEndOffset
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31
        const from = end === 0 ? 0 : state % (end + 1)
        const result = await log.readRaw(from, { maxBytes: 1 + (state % 4_000) })
        for (const batch of scanBatches(result.bytes)) {
          expect(batch.bytes.equals(expectedByBase.get(batch.baseOffset)!)).toBe(true)
        }
        if (result.bytes.length > 0) expect(result.firstOffset).toBeLessThanOrEqual(from)
        reads++
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
    await Promise.all([writer, reader(1), reader(2), reader(3)])
    expect(reads).toBeGreaterThan(50)
    expect(log.segmentCount).toBeGreaterThan(5)
    await expectMatchesModel(log, model)
    await log.close()
    const reopened = await reopenPartition(dir, config, true)
    await expectMatchesModel(reopened, model)
    expect(modelSlice(model, 0).length).toBe(450)
    await reopened.close()
  })
})

describe('PartitionLog indexes that pass Kafka’s sanity checks but disagree with the log', () => {
  /** One batch per segment; the first carries the largest timestamp and, as the first batch of its segment, has no offset-index entry. */
  async function singleBatchSegments(): Promise<Awaited<ReturnType<typeof buildPartition>>> {
    const built = await buildPartition({ segmentBytes: SAME_SIZE, indexIntervalBytes: 0, batches: sameSizeBatches([5_000, 100, 900, 50]) })
    expect(segmentBases(built.log)).toEqual([0, 1, 2, 3])
    await built.log.close()
    return built
  }

  it('recovery writes the closing time entry, so a clean open after an unclean one knows each segment’s largest timestamp', async () => {
    const built = await singleBatchSegments()
    let log = await reopenPartition(built.dir, built.config, false)
    await log.close()
    expect(fs.readFileSync(path.join(built.dir, '00000000000000000000.timeindex')).toString('hex')).toBe('0000000000001388' + '00000000')
    log = await reopenPartition(built.dir, built.config, true)
    expect(await log.offsetForTimestamp(1_000)).toEqual({ offset: 0, timestamp: 5_000 })
    await expectMatchesModel(log, built.model)
    await log.close()
  })

  it('a zero-filled one-entry time index of a closed segment is rebuilt, not read as timestamp 0', async () => {
    const built = await singleBatchSegments()
    const file = path.join(built.dir, '00000000000000000000.timeindex')
    expect(fs.statSync(file).size).toBe(12)
    zeroFill(file)
    const log = await reopenPartition(built.dir, built.config, true)
    expect(await log.offsetForTimestamp(1_000)).toEqual({ offset: 0, timestamp: 5_000 })
    expect(await log.offsetForTimestamp(MAX_TIMESTAMP)).toEqual({ offset: 0, timestamp: 5_000 })
    await expectMatchesModel(log, built.model)
    await log.close()
    expect(fs.readFileSync(file).toString('hex')).toBe('0000000000001388' + '00000000')
  })

  it('an emptied time index of the active segment is rebuilt on a clean open', async () => {
    const built = await buildPartition({ indexIntervalBytes: 100_000, batches: sameSizeBatches([100, 900, 50]) })
    await built.log.close()
    truncateFile(path.join(built.dir, '00000000000000000000.timeindex'), 0)
    const log = await reopenPartition(built.dir, built.config, true)
    expect(await log.offsetForTimestamp(MAX_TIMESTAMP)).toEqual({ offset: 1, timestamp: 900 })
    expect(await log.offsetForTimestamp(500)).toEqual({ offset: 1, timestamp: 900 })
    await log.close()
  })

  it('an offset index entry pointing into the middle of a batch is rebuilt, not followed', async () => {
    const built = await buildPartition({ segmentBytes: 4 * SAME_SIZE, indexIntervalBytes: 0, batches: sameSizeBatches([1, 2, 3, 4, 5, 6]) })
    await built.log.close()
    // (offset 2, position inside batch 2): ascending, inside the log, below the next offset.
    const entry = Buffer.alloc(8)
    entry.writeInt32BE(2, 0)
    entry.writeInt32BE(2 * SAME_SIZE + 3, 4)
    fs.writeFileSync(path.join(built.dir, '00000000000000000000.index'), entry)
    const log = await reopenPartition(built.dir, built.config, true)
    await expectMatchesModel(log, built.model)
    await log.close()
  })
})

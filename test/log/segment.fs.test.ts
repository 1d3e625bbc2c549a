import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Segment, type SegmentConfig } from '../../src/log/segment.js'
import { segmentPaths } from '../../src/log/segment-files.js'
import { ATTRIBUTES_OFFSET, CRC_OFFSET, MAX_TIMESTAMP_OFFSET, RecordBatch } from '../../src/record/record-batch.js'
import { crc32c } from '../../src/record/crc32c.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { modelIndexEntries, parseOffsetIndex, parseTimeIndex } from '../helpers/build-log.js'
import { FSYNC_CALLS, spyFileSystem } from '../helpers/file-system-spy.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { flipByte } from '../helpers/files.js'

/**
 * One segment on its own (after Kafka's LogSegmentTest): appends and the index rule, reads of
 * whole batches with their bounds, Kafka's roll rules, recovery with a corrupt message and the
 * quarantine of what it cuts, the clean-open checks of its indexes, sealing and deletion.
 */

afterEach(removeTmpDirs)

const CONFIG: SegmentConfig = { segmentBytes: 64 * 1024, segmentMs: 60_000, segmentIndexBytes: 10 * 1024, indexIntervalBytes: 400 }
const T0 = 1_700_000_000_000
/** Batches of `build` whose log is larger than one read (64 KiB): the clean open walks from the index. */
const LARGE_LOG_BATCHES = 250

interface Appended {
  baseOffset: number
  lastOffset: number
  position: number
  size: number
  maxTimestamp: number
  bytes: Buffer
}

/** A segment at `baseOffset` with `count` batches of 1-3 records of ~150 bytes, timestamps rising. */
async function build(
  count: number,
  options: { baseOffset?: number; config?: SegmentConfig; timestamp?: (batch: number) => number } = {},
): Promise<{ dir: string; segment: Segment; batches: Appended[] }> {
  const dir = await makeTmpDir()
  const baseOffset = options.baseOffset ?? 0
  const segment = Segment.create(dir, baseOffset, options.config ?? CONFIG, T0)
  const batches: Appended[] = []
  for (let batch = 0; batch < count; batch++)
    await appendOne(segment, batches, 1 + (batch % 3), options.timestamp?.(batch) ?? T0 + batch * 10)
  return { dir, segment, batches }
}

async function appendOne(segment: Segment, batches: Appended[], records: number, timestamp: number): Promise<Appended> {
  const baseOffset = segment.nextOffset
  const bytes = encodeBatch(
    Array.from({ length: records }, (_, slot) => ({ value: Buffer.alloc(150, `${baseOffset + slot}`), timestamp: timestamp + slot })),
    { baseOffset },
  )
  const view = new RecordBatch(bytes)
  const appended = {
    baseOffset,
    lastOffset: view.lastOffset,
    position: segment.size,
    size: bytes.length,
    maxTimestamp: view.maxTimestamp,
    bytes,
  }
  await segment.append([bytes], [{ baseOffset, lastOffset: view.lastOffset, maxTimestamp: view.maxTimestamp, size: bytes.length }])
  batches.push(appended)
  return appended
}

/** The batch holding `offset`. */
function holding(batches: readonly Appended[], offset: number): Appended {
  return batches.find((batch) => batch.baseOffset <= offset && offset <= batch.lastOffset)!
}

describe('append and read', () => {
  it('a header walk restarted earlier or later reads the right batches, also after another walk used the shared buffer', async () => {
    const { segment, batches } = await build(LARGE_LOG_BATCHES)
    const walk = segment.walkHeaders(batches[200]!.position)
    expect(walk.next() && walk.baseOffset).toBe(batches[200]!.baseOffset)
    walk.restart(batches[3]!.position)
    expect(walk.next() && walk.baseOffset).toBe(batches[3]!.baseOffset)
    expect(walk.next() && walk.baseOffset).toBe(batches[4]!.baseOffset)
    const other = segment.walkHeaders(batches[100]!.position)
    expect(other.next() && other.baseOffset).toBe(batches[100]!.baseOffset)
    walk.restart(batches[5]!.position)
    expect(walk.next() && [walk.baseOffset, walk.maxTimestamp()]).toEqual([batches[5]!.baseOffset, batches[5]!.maxTimestamp])
    expect(() => other.next()).toThrow(/must not interleave/)
  })

  it('reads whole batches from the one holding the offset, at least one, within maxBytes and below maxOffset', async () => {
    const { segment, batches } = await build(30)
    for (const offset of [0, 1, 17, batches.at(-1)!.lastOffset]) {
      const first = holding(batches, offset)
      const one = (await segment.read(offset, 1, Infinity))!
      expect(one.bytes.equals(first.bytes)).toBe(true)
      expect([one.firstOffset, one.nextOffset]).toEqual([first.baseOffset, first.lastOffset + 1])
      const many = (await segment.read(offset, 2_000, Infinity))!
      const expected = batches.filter(
        (batch) => batch.baseOffset >= first.baseOffset && batch.position + batch.size - first.position <= 2_000,
      )
      expect(many.bytes.equals(Buffer.concat(expected.map((batch) => batch.bytes)))).toBe(true)
      expect(many.nextOffset).toBe(expected.at(-1)!.lastOffset + 1)
    }
    // The bound: no batch reaching maxOffset, and an empty read when the first one does.
    const bounded = (await segment.read(0, 1 << 20, batches[5]!.lastOffset))!
    expect(bounded.nextOffset).toBe(batches[5]!.baseOffset)
    expect(await segment.read(batches[5]!.baseOffset, 1 << 20, batches[5]!.lastOffset)).toEqual({
      bytes: Buffer.alloc(0),
      firstOffset: batches[5]!.baseOffset,
      nextOffset: batches[5]!.baseOffset,
    })
    // Past the last batch: nothing in this segment.
    expect(await segment.read(segment.nextOffset, 1 << 20, Infinity)).toBeNull()
    segment.close()
  })

  it("applies Kafka's index rule per batch and writes the entries (with the closing time entry) on seal and flush", async () => {
    const { segment, batches } = await build(40, { timestamp: (batch) => T0 + ((batch * 7) % 13) * 100 })
    segment.seal()
    await segment.flush()
    const expected = modelIndexEntries(batches, CONFIG.indexIntervalBytes)
    expect(expected.offsetEntries.length).toBeGreaterThan(5)
    expect(parseOffsetIndex(fs.readFileSync(segment.paths.index), 0)).toEqual(expected.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(segment.paths.timeIndex), 0)).toEqual(expected.timeEntries)
    expect(segment.largestTimestamp).toBe(Math.max(...batches.map((batch) => batch.maxTimestamp)))
    segment.close()
  })

  it('CRC-checks a batch the first time it is read after open, with the file and position of the damage', async () => {
    const { dir, segment, batches } = await build(10)
    segment.seal()
    await segment.flush()
    segment.close()
    flipByte(segment.paths.log, batches[6]!.position + 70)
    const reopened = Segment.open(dir, 0, CONFIG)
    reopened.loadTail()
    expect((await reopened.read(0, 1, Infinity))!.firstOffset).toBe(0)
    await expect(reopened.read(batches[6]!.baseOffset, 1, Infinity)).rejects.toMatchObject({
      code: 'CORRUPT_RECORD',
      reason: 'bad-crc',
      file: segment.paths.log,
      position: batches[6]!.position,
    })
    reopened.close()
  })

  it('finds non-ascending offsets on the way to an offset as damage, not a reason to skip', async () => {
    const dir = await makeTmpDir()
    const a = encodeBatch([{ value: Buffer.from('a'), timestamp: T0 }], { baseOffset: 0 })
    const b = encodeBatch([{ value: Buffer.from('b'), timestamp: T0 }], { baseOffset: 5 })
    const c = encodeBatch([{ value: Buffer.from('c'), timestamp: T0 }], { baseOffset: 3 })
    fs.writeFileSync(segmentPaths(dir, 0).log, Buffer.concat([a, b, c]))
    // Indexes that pass their checks (no offset entry; the time entry names batch b), so the
    // lookup itself walks from the start into the damage.
    const timeEntry = Buffer.alloc(12)
    timeEntry.writeBigInt64BE(BigInt(T0), 0)
    timeEntry.writeInt32BE(5, 8)
    fs.writeFileSync(segmentPaths(dir, 0).index, Buffer.alloc(0))
    fs.writeFileSync(segmentPaths(dir, 0).timeIndex, timeEntry)
    const segment = Segment.open(dir, 0, CONFIG)
    segment.setClosedEnd(10)
    expect(segment.findBatch(5)).toEqual({ position: a.length, size: b.length, baseOffset: 5, lastOffset: 5 })
    expect(() => segment.findBatch(6)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_RECORD', reason: 'bad-offset', position: a.length + b.length }),
    )
    segment.close()
  })
})

describe("Kafka's roll rules", () => {
  it('rolls on size, on the first batch timestamp (or the segment age without one), on a full index, and on relative-offset overflow', async () => {
    const { segment, batches } = await build(3)
    const first = batches[0]!.maxTimestamp
    expect(segment.shouldRoll(100, first + 1, segment.nextOffset, T0)).toBe(false)
    expect(segment.shouldRoll(CONFIG.segmentBytes - segment.size + 1, first, segment.nextOffset, T0)).toBe(true)
    expect(segment.shouldRoll(100, first + CONFIG.segmentMs + 1, segment.nextOffset, T0)).toBe(true)
    expect(segment.shouldRoll(100, first + CONFIG.segmentMs, segment.nextOffset, T0)).toBe(false)
    expect(segment.shouldRoll(100, first, 0x7fffffff + 1, T0)).toBe(true)
    segment.close()

    const dir = await makeTmpDir()
    const untimed = Segment.create(dir, 0, CONFIG, T0)
    await untimed.append(
      [encodeBatch([{ value: Buffer.from('x'), timestamp: -1 }], { baseOffset: 0 })],
      [{ baseOffset: 0, lastOffset: 0, maxTimestamp: -1, size: 70 }],
    )
    // No timestamps: the segment's age on the clock decides.
    expect(untimed.shouldRoll(10, -1, 1, T0 + CONFIG.segmentMs)).toBe(false)
    expect(untimed.shouldRoll(10, -1, 1, T0 + CONFIG.segmentMs + 1)).toBe(true)
    untimed.close()

    const tiny = await build(12, { config: { ...CONFIG, segmentIndexBytes: 16 } })
    expect(tiny.segment.offsetIndex.isFull()).toBe(true)
    expect(tiny.segment.shouldRoll(10, T0, tiny.segment.nextOffset, T0)).toBe(true)
    tiny.segment.close()
  })

  it('never rolls an empty segment except on relative-offset overflow', async () => {
    const dir = await makeTmpDir()
    const segment = Segment.create(dir, 100, CONFIG, T0)
    expect(segment.shouldRoll(CONFIG.segmentBytes * 2, T0 + CONFIG.segmentMs * 2, 100, T0 + CONFIG.segmentMs * 2)).toBe(false)
    expect(segment.shouldRoll(10, T0, 100 + 0x7fffffff + 1, T0)).toBe(true)
    segment.close()
  })
})

describe('recovery', () => {
  it('with a corrupt message: ends the segment at the bad batch, rebuilds the indexes below it, and quarantines exactly the cut bytes', async () => {
    const { dir, segment, batches } = await build(40)
    segment.close()
    const bad = batches[25]!
    flipByte(segment.paths.log, bad.position + 40)
    const fileSize = fs.statSync(segment.paths.log).size
    const reopened = Segment.open(dir, 0, CONFIG)
    const result = reopened.recover()
    expect(result.validBytes).toBe(bad.position)
    expect(result.invalidBytes).toBe(fileSize - bad.position)
    expect(result.error).toMatchObject({ code: 'CORRUPT_RECORD', reason: 'bad-crc', file: segment.paths.log, position: bad.position })
    expect(reopened.nextOffset).toBe(bad.baseOffset)
    expect(reopened.size).toBe(bad.position)
    const kept = batches.slice(0, 25)
    const expected = modelIndexEntries(kept, CONFIG.indexIntervalBytes)
    expect([...reopened.offsetIndex.entriesInOrder()]).toEqual(expected.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(reopened.paths.timeIndex), 0)).toEqual(expected.timeEntries)
    const original = fs.readFileSync(segment.paths.log)
    const quarantine = reopened.cutTail({ quarantine: true })!
    expect(path.basename(quarantine)).toBe(`00000000000000000000.log.${bad.position}.quarantine`)
    expect(fs.readFileSync(quarantine).equals(original.subarray(bad.position))).toBe(true)
    expect(fs.statSync(segment.paths.log).size).toBe(bad.position)
    // A second cut at the same place keeps both quarantine files.
    fs.appendFileSync(segment.paths.log, Buffer.alloc(30, 7))
    reopened.recover()
    expect(path.basename(reopened.cutTail({ quarantine: true })!)).toBe(`00000000000000000000.log.${bad.position}-1.quarantine`)
    expect((await reopened.read(kept.at(-1)!.baseOffset, 1, Infinity))!.bytes.equals(kept.at(-1)!.bytes)).toBe(true)
    reopened.close()
  })

  it('rejects batches whose offsets do not follow, or leave the segment, as bad-offset', async () => {
    const dir = await makeTmpDir()
    const a = encodeBatch([{ value: Buffer.from('a'), timestamp: T0 }], { baseOffset: 10 })
    const b = encodeBatch([{ value: Buffer.from('b'), timestamp: T0 }], { baseOffset: 10 })
    fs.writeFileSync(segmentPaths(dir, 10).log, Buffer.concat([a, b]))
    const segment = Segment.open(dir, 10, CONFIG)
    expect(segment.recover().error).toMatchObject({ reason: 'bad-offset', position: a.length })
    segment.close()
    fs.writeFileSync(segmentPaths(dir, 10).log, encodeBatch([{ value: Buffer.from('c'), timestamp: T0 }], { baseOffset: 9 }))
    const below = Segment.open(dir, 10, CONFIG)
    expect(below.recover().error).toMatchObject({ reason: 'bad-offset', position: 0 })
    below.close()
  })

  it('reports a maxTimestamp outside the safe range under a valid CRC as unsafe-int64 at its place in the file', async () => {
    const dir = await makeTmpDir()
    const good = encodeBatch([{ value: Buffer.from('a'), timestamp: T0 }], { baseOffset: 0 })
    const odd = encodeBatch([{ value: Buffer.from('b'), timestamp: T0 }], { baseOffset: 1 })
    odd.writeBigInt64BE(0x7fff_ffff_ffff_ffffn, MAX_TIMESTAMP_OFFSET)
    odd.writeUInt32BE(crc32c(odd.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET)
    fs.writeFileSync(segmentPaths(dir, 0).log, Buffer.concat([good, odd]))
    const segment = Segment.open(dir, 0, CONFIG)
    const result = segment.recover()
    expect(result.validBytes).toBe(good.length)
    expect(result.error).toMatchObject({
      reason: 'unsafe-int64',
      file: segmentPaths(dir, 0).log,
      position: good.length + MAX_TIMESTAMP_OFFSET,
    })
    segment.close()
  })

  it('reports a torn tail as truncated-record at the last whole batch', async () => {
    const { dir, segment, batches } = await build(8)
    segment.close()
    fs.truncateSync(segment.paths.log, batches[7]!.position + 20)
    const reopened = Segment.open(dir, 0, CONFIG)
    const result = reopened.recover()
    expect(result).toMatchObject({ validBytes: batches[7]!.position, invalidBytes: 20 })
    expect(result.error).toMatchObject({ reason: 'truncated-record', position: batches[7]!.position })
    expect(reopened.nextOffset).toBe(batches[7]!.baseOffset)
    reopened.close()
  })
})

describe('clean open', () => {
  it.each([
    ['read whole', 20],
    ['walked from the last index entry', LARGE_LOG_BATCHES],
  ])("restores the active segment's state from its tail (%s), so appends continue with the same index entries", async (_, count) => {
    const { dir, segment, batches } = await build(count)
    expect(segment.size > 64 * 1024).toBe(count === LARGE_LOG_BATCHES)
    segment.close()
    const reopened = Segment.open(dir, 0, CONFIG)
    reopened.loadTail()
    expect(reopened.nextOffset).toBe(segment.nextOffset)
    expect(reopened.largestTimestamp).toBe(batches.at(-1)!.maxTimestamp)
    for (let batch = 0; batch < 20; batch++) await appendOne(reopened, batches, 2, T0 + 10_000 + batch)
    reopened.seal()
    await reopened.flush()
    const model = modelIndexEntries(batches, CONFIG.indexIntervalBytes)
    expect(parseOffsetIndex(fs.readFileSync(reopened.paths.index), 0)).toEqual(model.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(reopened.paths.timeIndex), 0)).toEqual(model.timeEntries)
    reopened.close()
  })

  it('finds an index whose last entry names no batch (a zero-filled or stale entry) bad, and a rebuild repairs it', async () => {
    const { dir, segment, batches } = await build(LARGE_LOG_BATCHES)
    segment.seal()
    await segment.flush()
    segment.close()
    const entries = fs.readFileSync(segment.paths.index)
    expect(entries.length).toBeGreaterThan(8)
    // The last entry points into the middle of its batch: sane on its own, wrong against the log.
    const lastEntry = parseOffsetIndex(entries, 0).at(-1)!
    entries.writeInt32BE(lastEntry.position + 1, entries.length - 4)
    fs.writeFileSync(segment.paths.index, entries)
    const reopened = Segment.open(dir, 0, CONFIG)
    expect(() => reopened.loadTail()).toThrow(
      expect.objectContaining({ code: 'CORRUPT_INDEX', file: segment.paths.index, position: entries.length - 8 }),
    )
    reopened.rebuildIndexes()
    expect([...reopened.offsetIndex.entriesInOrder()]).toEqual(modelIndexEntries(batches, CONFIG.indexIntervalBytes).offsetEntries)
    reopened.close()
  })

  it('reads a small log whole and neither index; a bad index is found on first use and rebuilt before the append', async () => {
    const { dir, segment, batches } = await build(20)
    segment.seal()
    await segment.flush()
    segment.close()
    const entries = fs.readFileSync(segment.paths.index)
    // The last entry points one batch too far: sane on its own, wrong against the log.
    const lastEntry = parseOffsetIndex(entries, 0).at(-1)!
    entries.writeInt32BE(batches.find((batch) => batch.position > lastEntry.position)!.position, entries.length - 4)
    fs.writeFileSync(segment.paths.index, entries)
    const log = fs.readFileSync(segment.paths.log)
    const spy = spyFileSystem()
    const reopened = Segment.open(dir, 0, CONFIG, spy.fileSystem)
    reopened.loadTail()
    expect(spy.count(['readFileSync', 'openSync'], segment.paths.index)).toBe(0)
    expect(spy.count(['readFileSync', 'openSync'], segment.paths.timeIndex)).toBe(0)
    expect(spy.count('readSync', segment.paths.log)).toBe(1)
    expect(reopened.nextOffset).toBe(batches.at(-1)!.lastOffset + 1)
    await appendOne(reopened, batches, 2, T0 + 10_000)
    expect(spy.count('readFileSync', segment.paths.index)).toBe(1)
    reopened.seal()
    await reopened.flush()
    expect(parseOffsetIndex(fs.readFileSync(segment.paths.index), 0)).toEqual(
      modelIndexEntries(batches, CONFIG.indexIntervalBytes).offsetEntries,
    )
    expect(fs.readFileSync(segment.paths.log).subarray(0, log.length).equals(log)).toBe(true)
    reopened.close()
  })

  it('a small log that is not whole valid batches is judged as before: a bad CRC is not cut, a torn tail fails the open', async () => {
    const { dir, segment, batches } = await build(20)
    segment.seal()
    await segment.flush()
    segment.close()
    // A flipped byte in a record: the clean open trusts the log (only recovery checks CRCs).
    flipByte(segment.paths.log, batches[3]!.position + batches[3]!.size - 2)
    const flipped = Segment.open(dir, 0, CONFIG)
    flipped.loadTail()
    expect(flipped.nextOffset).toBe(batches.at(-1)!.lastOffset + 1)
    expect(flipped.size).toBe(batches.at(-1)!.position + batches.at(-1)!.size)
    flipped.close()
    fs.truncateSync(segment.paths.log, batches.at(-1)!.position + 20)
    const torn = Segment.open(dir, 0, CONFIG)
    expect(() => torn.loadTail()).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD', reason: 'truncated-record' }))
    torn.close()
  })

  it('checks a closed segment on first use and rebuilds a bogus index without touching the log', async () => {
    const { dir, segment, batches } = await build(20)
    segment.seal()
    await segment.flush()
    segment.close()
    const log = fs.readFileSync(segment.paths.log)
    fs.writeFileSync(segment.paths.index, Buffer.alloc(8 * 3, 0xff))
    fs.writeFileSync(segment.paths.timeIndex, Buffer.alloc(12))
    const closed = Segment.open(dir, 0, CONFIG)
    closed.setClosedEnd(batches.at(-1)!.lastOffset + 1)
    const offset = batches[13]!.baseOffset
    expect((await closed.read(offset, 1, Infinity))!.bytes.equals(batches[13]!.bytes)).toBe(true)
    expect(closed.largestTimestamp).toBe(batches.at(-1)!.maxTimestamp)
    expect(parseOffsetIndex(fs.readFileSync(segment.paths.index), 0)).toEqual(
      modelIndexEntries(batches, CONFIG.indexIntervalBytes).offsetEntries,
    )
    expect(fs.readFileSync(segment.paths.log).equals(log)).toBe(true)
    closed.close()
  })
})

describe('seal, flush and delete', () => {
  it("fsyncs an active segment's log only, and a sealed one's index files once", async () => {
    const spy = spyFileSystem()
    const dir = await makeTmpDir()
    const segment = Segment.create(dir, 0, CONFIG, T0, spy.fileSystem)
    const batches: Appended[] = []
    for (let batch = 0; batch < 10; batch++) await appendOne(segment, batches, 1, T0 + batch)
    await segment.flush()
    expect(spy.count(FSYNC_CALLS, segment.paths.log)).toBe(1)
    expect(spy.count(FSYNC_CALLS, segment.paths.index) + spy.count(FSYNC_CALLS, segment.paths.timeIndex)).toBe(0)
    segment.seal()
    await segment.flush()
    await segment.flush()
    expect(spy.count(FSYNC_CALLS, segment.paths.log)).toBe(3)
    expect(spy.count(FSYNC_CALLS, segment.paths.index)).toBe(1)
    expect(spy.count(FSYNC_CALLS, segment.paths.timeIndex)).toBe(1)
    segment.close()
  })

  it('creates its log file alone; the index files come with the first flush, even empty ones once sealed', async () => {
    const dir = await makeTmpDir()
    const segment = Segment.create(dir, 0, CONFIG, T0)
    expect(fs.readdirSync(dir)).toEqual(['00000000000000000000.log'])
    await appendOne(segment, [], 1, T0 + 5)
    segment.seal()
    await segment.flush()
    expect(fs.readdirSync(dir).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex'])
    expect(fs.statSync(segment.paths.index).size).toBe(0)
    expect(parseTimeIndex(fs.readFileSync(segment.paths.timeIndex), 0)).toEqual([{ timestamp: T0 + 5, offset: 0 }])
    segment.close()
  })

  it('a sealed segment whose index files an earlier flush began gets the rest of its entries on its flush', async () => {
    const timestamp = (batch: number): number => T0 + ((batch * 7) % 13) * 100
    const { segment, batches } = await build(30, { timestamp })
    await segment.flush()
    const early = parseOffsetIndex(fs.readFileSync(segment.paths.index), 0).length
    for (let batch = 30; batch < 60; batch++) await appendOne(segment, batches, 1 + (batch % 3), timestamp(batch))
    segment.seal()
    await segment.flush()
    const expected = modelIndexEntries(batches, CONFIG.indexIntervalBytes)
    expect(expected.offsetEntries.length).toBeGreaterThan(early)
    expect(early).toBeGreaterThan(0)
    expect(parseOffsetIndex(fs.readFileSync(segment.paths.index), 0)).toEqual(expected.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(segment.paths.timeIndex), 0)).toEqual(expected.timeEntries)
    segment.close()
  })

  it('a read holding the segment finishes after it is renamed .deleted and unlinked', async () => {
    const { dir, segment, batches } = await build(10)
    await segment.flush() // writes the index files
    expect(segment.acquire()).toBe(true)
    segment.markDeleted()
    expect(fs.readdirSync(dir).sort()).toEqual([
      '00000000000000000000.index.deleted',
      '00000000000000000000.log.deleted',
      '00000000000000000000.timeindex.deleted',
    ])
    expect(segment.isRetired).toBe(true)
    expect(segment.acquire()).toBe(false)
    segment.deleteFiles()
    expect(fs.readdirSync(dir)).toEqual([])
    const read = (await segment.read(batches[4]!.baseOffset, 1, Infinity))!
    expect(read.bytes.equals(batches[4]!.bytes)).toBe(true)
    segment.release()
  })
})

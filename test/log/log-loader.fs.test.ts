import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/log/clock.js'
import type { LogFileSystem } from '../../src/log/file-system.js'
import { loadSegmentList } from '../../src/log/log-loader.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import type { OpenPartitionOptions, RecoveryEvent } from '../../src/log/partition-types.js'
import type { SegmentList } from '../../src/log/segment-list.js'
import {
  buildPartition,
  modelIndexEntries,
  parseOffsetIndex,
  parseTimeIndex,
  reopenPartition,
  scanBatches,
  simpleBatches,
  type BuiltPartition,
} from '../helpers/build-log.js'
import { FSYNC_CALLS, spyFileSystem } from '../helpers/file-system-spy.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { flipByte } from '../helpers/files.js'

/**
 * Opening a partition directory (after Kafka's LogLoaderTest): recovery with a corrupt message,
 * index rebuilds, bogus index files, the recovery point, an empty active segment, leftovers of
 * interrupted operations, and a failed open leaving no file open.
 */

afterEach(removeTmpDirs)

interface SegmentOnDisk {
  base: number
  file: string
  batches: { baseOffset: number; lastOffset: number; position: number; size: number; maxTimestamp: number }[]
}

/** A closed partition of several segments of 1-record batches. */
async function closedPartition(batches = 60): Promise<BuiltPartition & { segments: SegmentOnDisk[] }> {
  const built = await buildPartition({ segmentBytes: 1024, indexIntervalBytes: 200, batches: simpleBatches(batches, 1, 100) })
  await built.log.close()
  return { ...built, segments: segmentsOf(built.dir) }
}

function segmentsOf(dir: string): SegmentOnDisk[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name)
      let position = 0
      const batches = scanBatches(fs.readFileSync(file)).map((batch) => {
        const at = {
          baseOffset: batch.baseOffset,
          lastOffset: batch.lastOffset,
          position,
          size: batch.bytes.length,
          maxTimestamp: Number(batch.bytes.readBigInt64BE(35)),
        }
        position += batch.bytes.length
        return at
      })
      return { base: Number(name.slice(0, 20)), file, batches }
    })
}

function load(built: BuiltPartition, options: Partial<OpenPartitionOptions>, fileSystem?: LogFileSystem): SegmentList {
  return loadSegmentList(
    built.dir,
    't',
    0,
    built.config,
    { isClean: false, recoveryPoint: 0, logStartOffset: 0, ...options },
    { fileSystem: fileSystem ?? spyFileSystem().fileSystem, clock: systemClock },
  )
}

function closeAll(list: SegmentList): void {
  for (const segment of list.all) segment.close()
}

describe('recovery with a corrupt message', () => {
  it('in the active segment: cuts at the bad batch, keeps the cut bytes in quarantine and reports them', async () => {
    const built = await closedPartition()
    const last = built.segments.at(-1)!
    const bad = last.batches[2]!
    flipByte(last.file, bad.position + 30)
    const before = fs.readFileSync(last.file)
    const events: RecoveryEvent[] = []
    const list = load(built, { recoveryPoint: last.base, onRecovery: (event) => events.push(event) })
    expect(list.logEndOffset).toBe(bad.baseOffset)
    expect(list.recoveryPoint).toBe(bad.baseOffset)
    expect(events).toEqual([
      {
        file: last.file,
        position: bad.position,
        bytes: before.length - bad.position,
        reason: expect.stringContaining('bad-crc'),
        quarantineFile: `${last.file}.${bad.position}.quarantine`,
      },
    ])
    expect(fs.readFileSync(events[0]!.quarantineFile!).equals(before.subarray(bad.position))).toBe(true)
    expect(fs.statSync(last.file).size).toBe(bad.position)
    closeAll(list)
  })

  it('in a segment above the recovery point with segments after it: those move to quarantine whole', async () => {
    const built = await closedPartition()
    expect(built.segments.length).toBeGreaterThanOrEqual(4)
    const [, damaged, ...later] = built.segments.slice(-4)
    const bad = damaged!.batches[1]!
    flipByte(damaged!.file, bad.position + 30)
    const events: RecoveryEvent[] = []
    const list = load(built, { recoveryPoint: damaged!.base, onRecovery: (event) => events.push(event) })
    expect(list.logEndOffset).toBe(bad.baseOffset)
    expect(list.all.at(-1)!.baseOffset).toBe(damaged!.base)
    expect(events.map((event) => [event.file, event.position])).toEqual([
      [damaged!.file, bad.position],
      ...later.map((segment) => [segment.file, 0]),
    ])
    for (const segment of later) {
      expect(fs.existsSync(segment.file)).toBe(false)
      expect(fs.existsSync(`${segment.file}.0.quarantine`)).toBe(true)
      expect(fs.existsSync(segment.file.replace(/\.log$/, '.index'))).toBe(false)
    }
    closeAll(list)
  })

  it('whole batches missing from the end of a segment above the recovery point: the later segments move to quarantine, no hole', async () => {
    // A power cut can lose the last batches of a rolled segment while the next segment's data
    // landed: the segment then ends cleanly at a batch boundary, short of the next base offset.
    const built = await closedPartition()
    const [, short, ...later] = built.segments.slice(-4)
    const lost = short!.batches.at(-2)!
    fs.truncateSync(short!.file, lost.position)
    const events: RecoveryEvent[] = []
    const list = load(built, { recoveryPoint: short!.base, onRecovery: (event) => events.push(event) })
    expect(list.logEndOffset).toBe(lost.baseOffset)
    expect(list.all.at(-1)!.baseOffset).toBe(short!.base)
    expect(events.map((event) => [event.file, event.position, event.reason])).toEqual(
      later.map((segment) => [segment.file, 0, `offsets ${lost.baseOffset}..${later[0]!.base - 1} are missing before it`]),
    )
    for (const segment of later) expect(fs.existsSync(`${segment.file}.0.quarantine`)).toBe(true)
    closeAll(list)
  })

  it('a segment that ends short of the next one below the recovery point is kept as it is (a gap, as compaction leaves)', async () => {
    const built = await closedPartition()
    const [short, next] = built.segments.slice(1, 3)
    fs.truncateSync(short!.file, short!.batches.at(-1)!.position)
    const events: RecoveryEvent[] = []
    const list = load(built, { recoveryPoint: next!.base + 1, onRecovery: (event) => events.push(event) })
    expect(events).toEqual([])
    expect(list.logEndOffset).toBe(built.segments.at(-1)!.batches.at(-1)!.lastOffset + 1)
    closeAll(list)
  })

  it('below the recovery point: refuses to open (the data was durable), with the repair hint, leaving no file open', async () => {
    const built = await closedPartition()
    const second = built.segments[1]!
    flipByte(second.file, second.batches[1]!.position + 30)
    const spy = spyFileSystem()
    let error: unknown = null
    try {
      // Recovery starts in the segment holding the recovery point, and meets the damage below it.
      load(built, { recoveryPoint: second.batches[3]!.baseOffset }, spy.fileSystem)
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', reason: 'bad-crc', file: second.file, position: second.batches[1]!.position })
    expect((error as Error).message).toContain('seglog repair')
    expect(spy.count('closeSync')).toBe(spy.count('openSync'))
  })
})

describe('the recovery point', () => {
  it('after an unclean shutdown only the segment holding it and later ones are read, and recovered bytes are fsynced', async () => {
    const built = await closedPartition()
    const holdingSlot = built.segments.length - 2
    const recoveryPoint = built.segments[holdingSlot]!.batches[1]!.baseOffset
    const spy = spyFileSystem()
    const list = load(built, { recoveryPoint }, spy.fileSystem)
    for (const [slot, segment] of built.segments.entries()) {
      const reads = spy.count(['read', 'readSync'], segment.file)
      if (slot < holdingSlot) expect(reads, segment.file).toBe(0)
      else {
        expect(reads, segment.file).toBeGreaterThan(0)
        expect(spy.count(FSYNC_CALLS, segment.file), segment.file).toBeGreaterThan(0)
      }
    }
    expect(list.logEndOffset).toBe(built.model.logEndOffset)
    expect(list.recoveryPoint).toBe(list.logEndOffset)
    closeAll(list)
  })

  it("after a clean shutdown no segment is scanned: only the active one's tail is checked", async () => {
    const built = await closedPartition()
    const spy = spyFileSystem()
    const list = load(built, { isClean: true }, spy.fileSystem)
    for (const segment of built.segments.slice(0, -1)) expect(spy.count(['read', 'readSync', 'readFileSync'], segment.file)).toBe(0)
    expect(list.logEndOffset).toBe(built.model.logEndOffset)
    closeAll(list)
  })

  it("after a clean shutdown the directory is listed once and no closed segment is opened, stat'ed or looked for a txn index", async () => {
    const built = await closedPartition()
    expect(built.segments.length).toBeGreaterThan(3)
    const spy = spyFileSystem()
    const log = await PartitionLog.open(built.dir, 't', 0, built.config, {
      isClean: true,
      recoveryPoint: 0,
      logStartOffset: 0,
      fileSystem: spy.fileSystem,
    })
    expect(spy.count('readdirSync', built.dir)).toBe(1)
    for (const segment of built.segments.slice(0, -1)) {
      expect(spy.count(['openSync', 'statSync'], segment.file)).toBe(0)
      expect(spy.count('existsSync', segment.file.replace(/\.log$/, '.txnindex'))).toBe(0)
    }
    // A closed segment's size is read on first use, and is its file's.
    const first = log.segmentList[0]!
    expect(first.size).toBe(fs.statSync(built.segments[0]!.file).size)
    expect(log.logEndOffset).toBe(built.model.logEndOffset)
    await log.close()
  })

  it('after a clean shutdown a small active segment is read in one call and no index file is read, nor a checkpoint looked for', async () => {
    const built = await closedPartition()
    const active = built.segments.at(-1)!
    const spy = spyFileSystem()
    const log = await PartitionLog.open(built.dir, 't', 0, built.config, {
      isClean: true,
      recoveryPoint: built.model.logEndOffset,
      logStartOffset: 0,
      fileSystem: spy.fileSystem,
    })
    expect(spy.count('readSync', active.file)).toBe(1)
    for (const segment of built.segments) {
      for (const suffix of ['.index', '.timeindex']) {
        expect(spy.count(['openSync', 'readFileSync', 'existsSync'], segment.file.replace(/\.log$/, suffix))).toBe(0)
      }
    }
    // The listing shows there is no leader-epoch checkpoint: no probe for it.
    expect(spy.count('existsSync', path.join(built.dir, 'leader-epoch-checkpoint'))).toBe(0)
    expect(log.logEndOffset).toBe(built.model.logEndOffset)
    // Closed unused, the index files are still as the last close wrote and fsynced them: not touched.
    const indexBytes = fs.readFileSync(active.file.replace(/\.log$/, '.timeindex'))
    await log.close()
    for (const suffix of ['.index', '.timeindex']) {
      expect(spy.count(['openSync', 'open', 'readFileSync'], active.file.replace(/\.log$/, suffix))).toBe(0)
    }
    expect(fs.readFileSync(active.file.replace(/\.log$/, '.timeindex')).equals(indexBytes)).toBe(true)
    const reopened = await reopenPartition(built.dir, built.config, true)
    const last = active.batches.at(-1)!
    expect(await reopened.offsetForTimestamp(last.maxTimestamp)).toMatchObject({ offset: last.baseOffset })
    await reopened.close()
  })

  it("after a clean shutdown the active segment's indexes are checked on first use: garbage is rebuilt before the append", async () => {
    const built = await closedPartition()
    const active = built.segments.at(-1)!
    const index = active.file.replace(/\.log$/, '.index')
    const timeIndex = active.file.replace(/\.log$/, '.timeindex')
    expect(fs.statSync(index).size).toBeGreaterThan(0)
    fs.writeFileSync(index, Buffer.alloc(fs.statSync(index).size, 0xee))
    fs.writeFileSync(timeIndex, Buffer.alloc(12))
    // Larger segments from now on: the appends stay in this segment.
    const log = await reopenPartition(built.dir, { ...built.config, segmentBytes: 1 << 20 }, true)
    const more = simpleBatches(3, 1, 100, 50_000)
    for (const batch of more) await log.appendRecords(batch.records)
    await log.close()
    const batches = segmentsOf(built.dir).find((segment) => segment.base === active.base)!.batches
    expect(batches.length).toBe(active.batches.length + 3)
    const model = modelIndexEntries(batches, built.config.indexIntervalBytes)
    expect(parseOffsetIndex(fs.readFileSync(index), active.base)).toEqual(model.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(timeIndex), active.base)).toEqual(model.timeEntries)
  })

  it('an active segment rolled before any use of its indexes keeps them unchecked until their first use, which rebuilds garbage', async () => {
    const built = await closedPartition()
    const active = built.segments.at(-1)!
    const index = active.file.replace(/\.log$/, '.index')
    const timeIndex = active.file.replace(/\.log$/, '.timeindex')
    fs.writeFileSync(index, Buffer.alloc(fs.statSync(index).size, 0xee))
    fs.writeFileSync(timeIndex, Buffer.alloc(12))
    // Segments of one batch from now on: the first append rolls before touching the indexes.
    const log = await reopenPartition(built.dir, { ...built.config, segmentBytes: 100 }, true)
    await log.appendRecords(simpleBatches(1, 1, 100, 50_000)[0]!.records)
    expect(log.segmentList.length).toBe(built.segments.length + 1)
    const offset = active.batches[2]!.baseOffset
    expect((await log.readRaw(offset, { maxBytes: 1 })).firstOffset).toBe(offset)
    const model = modelIndexEntries(active.batches, built.config.indexIntervalBytes)
    expect(parseOffsetIndex(fs.readFileSync(index), active.base)).toEqual(model.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(timeIndex), active.base)).toEqual(model.timeEntries)
    await log.close()
  })

  it('keeps the checkpointed log start when it lies inside the first segment, and the first base offset when below it', async () => {
    const built = await closedPartition()
    const inside = load(built, { isClean: true, logStartOffset: 3 })
    expect(inside.logStartOffset).toBe(3)
    closeAll(inside)
    fs.rmSync(built.segments[0]!.file)
    const below = load(built, { isClean: true, logStartOffset: 3 })
    expect(below.logStartOffset).toBe(built.segments[1]!.base)
    closeAll(below)
  })
})

describe('index files', () => {
  it('missing ones are rebuilt from the log: at once after a clean shutdown and below the recovery point', async () => {
    const built = await closedPartition()
    const [first, second] = built.segments
    for (const segment of [first!, second!]) {
      fs.rmSync(segment.file.replace(/\.log$/, '.index'))
      fs.rmSync(segment.file.replace(/\.log$/, '.timeindex'))
    }
    const list = load(built, { isClean: false, recoveryPoint: built.segments.at(-1)!.base })
    for (const segment of [first!, second!]) {
      const expected = modelIndexEntries(segment.batches, built.config.indexIntervalBytes).offsetEntries
      expect(parseOffsetIndex(fs.readFileSync(segment.file.replace(/\.log$/, '.index')), segment.base)).toEqual(expected)
    }
    closeAll(list)
  })

  it('bogus ones are dealt with: an index without its log is removed, garbage in an index is rebuilt on first use', async () => {
    const built = await closedPartition()
    const orphan = path.join(built.dir, '00000000000099999999.index')
    fs.writeFileSync(orphan, Buffer.alloc(16))
    fs.writeFileSync(path.join(built.dir, '00000000000099999999.timeindex'), Buffer.alloc(24))
    const second = built.segments[1]!
    const index = second.file.replace(/\.log$/, '.index')
    fs.writeFileSync(index, Buffer.alloc(fs.statSync(index).size, 0xee))
    const log = await reopenPartition(built.dir, built.config, true)
    expect(fs.existsSync(orphan)).toBe(false)
    const offset = second.batches[3]!.baseOffset
    expect((await log.readRaw(offset, { maxBytes: 1 })).firstOffset).toBe(offset)
    expect(parseOffsetIndex(fs.readFileSync(index), second.base)).toEqual(
      modelIndexEntries(second.batches, built.config.indexIntervalBytes).offsetEntries,
    )
    await log.close()
  })
})

describe('an empty active segment', () => {
  it('opens clean and unclean with the log end at its base, and takes the next appends', async () => {
    for (const isClean of [true, false]) {
      const built = await buildPartition({ segmentBytes: 1024, batches: simpleBatches(20, 1, 100) })
      await built.log.rollNow()
      const base = built.log.logEndOffset
      expect(built.log.segmentList.at(-1)!.baseOffset).toBe(base)
      await built.log.close()
      const log = await reopenPartition(built.dir, built.config, isClean)
      expect(log.logEndOffset).toBe(base)
      expect(log.segmentList.at(-1)!.size).toBe(0)
      const info = await log.appendRecords([{ value: Buffer.from('after'), timestamp: 5_000 }])
      expect(info.baseOffset).toBe(base)
      expect(log.segmentList.at(-1)!.baseOffset).toBe(base)
      await log.close()
    }
  })

  it('an empty directory gets its first segment at the checkpointed log start', async () => {
    const built = await closedPartition(5)
    for (const name of fs.readdirSync(built.dir)) fs.rmSync(path.join(built.dir, name))
    const list = load(built, { logStartOffset: 42 })
    expect(list.all.map((segment) => segment.baseOffset)).toEqual([42])
    expect([list.logStartOffset, list.logEndOffset, list.recoveryPoint]).toEqual([42, 42, 42])
    closeAll(list)
  })
})

describe('leftovers of interrupted operations', () => {
  it('removes .deleted, .cleaned and temporary files, and completes a .swap', async () => {
    const built = await closedPartition()
    const first = built.segments[0]!
    fs.copyFileSync(first.file, `${first.file}.deleted`)
    fs.writeFileSync(path.join(built.dir, '00000000000000000007.snapshot.tmp'), 'x')
    fs.writeFileSync(path.join(built.dir, '00000000000088888888.log.cleaned'), 'x')
    const last = built.segments.at(-1)!
    const replacement = fs.readFileSync(last.file)
    fs.writeFileSync(`${last.file}.swap`, replacement)
    fs.writeFileSync(last.file, Buffer.alloc(0))
    const list = load(built, { isClean: true })
    expect(fs.readdirSync(built.dir).filter((name) => /\.(deleted|cleaned|tmp|swap)$/.test(name))).toEqual([])
    expect(fs.readFileSync(last.file).equals(replacement)).toBe(true)
    expect(list.logEndOffset).toBe(built.model.logEndOffset)
    closeAll(list)
  })

  it('a completed .swap takes the key index of every segment it replaces', async () => {
    const built = await closedPartition()
    const [first, second] = built.segments
    // A cleaned group of the first two segments, swapped in under the first one's name: the old
    // segments' key indexes describe batches the cleaned file may no longer hold.
    const keyIndexOf = (file: string): string => file.replace(/\.log$/, '.keyindex')
    fs.writeFileSync(keyIndexOf(first!.file), 'old key index of the first segment')
    fs.writeFileSync(keyIndexOf(second!.file), 'old key index of the second segment')
    fs.writeFileSync(`${first!.file}.swap`, Buffer.concat([fs.readFileSync(first!.file), fs.readFileSync(second!.file)]))
    const list = load(built, { isClean: true })
    expect(fs.existsSync(keyIndexOf(first!.file))).toBe(false)
    expect(fs.existsSync(keyIndexOf(second!.file))).toBe(false)
    expect(fs.existsSync(second!.file)).toBe(false)
    expect(list.logEndOffset).toBe(built.model.logEndOffset)
    closeAll(list)
  })
})

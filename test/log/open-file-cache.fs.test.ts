import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeTimeEntry, TIME_ENTRY_SIZE } from '../../src/format/index-entry.js'
import { nodeFileSystem } from '../../src/log/file-system.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import { openFileCacheFor, withOpenFileLimit, type OpenFileCache } from '../../src/log/open-file-cache.js'
import { offsetFileName } from '../../src/log/segment-files.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { partitionConfig } from '../helpers/build-log.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * The bound on open segment files (src/log/open-file-cache.ts): a partition of thousands of
 * segments keeps at most the bound open (counted in /proc/self/fd), reads reopen evicted files
 * while others are being evicted, and truncation, retention and deletion work on segments whose
 * descriptor was closed.
 */

afterEach(removeTmpDirs)

/** 10,000 in the check (SEGLOG_SCALE_SEGMENTS=10000); fewer by default, since writing the files dominates. */
const SEGMENT_COUNT = Number(process.env.SEGLOG_SCALE_SEGMENTS ?? 1_000)
/** Descriptors of the test process that are not segment files (stdio, vitest's channel, ...), and some slack. */
const OTHER_FDS = 16

function openDescriptors(): number {
  return fs.readdirSync('/proc/self/fd').length
}

function valueAt(offset: number): Buffer {
  return Buffer.from(`value-${offset}`)
}

/**
 * Writes `count` closed segments of one one-record batch each, as a clean close leaves them (a
 * closing time-index entry, no offset-index entry below the index interval), without an engine:
 * writing them through appends would take most of the test's time.
 */
function writeSegments(dir: string, count: number): void {
  fs.mkdirSync(dir, { recursive: true })
  const timeEntry = Buffer.alloc(TIME_ENTRY_SIZE)
  for (let offset = 0; offset < count; offset++) {
    const timestamp = 1_000_000 + offset
    const batch = encodeBatch([{ value: valueAt(offset), timestamp }], { baseOffset: offset })
    fs.writeFileSync(path.join(dir, offsetFileName(offset, '.log')), batch)
    fs.writeFileSync(path.join(dir, offsetFileName(offset, '.index')), Buffer.alloc(0))
    writeTimeEntry(timeEntry, 0, timestamp, 0)
    fs.writeFileSync(path.join(dir, offsetFileName(offset, '.timeindex')), timeEntry)
  }
}

/** A partition log whose segment files share a cache of `maxOpenFiles`; `cache` counts what it holds open. */
async function openLog(dir: string, maxOpenFiles: number, isClean = true): Promise<{ log: PartitionLog; cache: OpenFileCache }> {
  const fileSystem = withOpenFileLimit(nodeFileSystem, maxOpenFiles)
  const log = await PartitionLog.open(dir, 't', 0, partitionConfig({ segmentBytes: 1024 }), {
    flush: { mode: 'os' },
    fileSystem,
    fileDeleteDelayMs: 0,
    isClean,
    recoveryPoint: isClean ? SEGMENT_COUNT * 2 : 0,
    logStartOffset: 0,
  })
  return { log, cache: openFileCacheFor(fileSystem) }
}

function recordsOf(bytes: Buffer): { offset: number; value: string }[] {
  const records: { offset: number; value: string }[] = []
  const scanner = new BatchScanner(bytes, { verifyCrc: true })
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
    for (const record of batch.records()) records.push({ offset: record.offset, value: record.value!.toString() })
  }
  return records
}

describe('open segment files', () => {
  it(`stay within the bound when ${SEGMENT_COUNT} segments are opened and every one is read`, async () => {
    const dir = path.join(await makeTmpDir(), 't-0')
    writeSegments(dir, SEGMENT_COUNT)
    const before = openDescriptors()
    const bound = 64
    const { log, cache } = await openLog(dir, bound)
    expect(cache.boundedCount).toBeLessThanOrEqual(bound)
    expect(log.segmentCount).toBe(SEGMENT_COUNT)
    // The bound, and the active segment outside it.
    expect(openDescriptors() - before).toBeLessThanOrEqual(bound + 1)
    let peak = 0
    for (let offset = 0; offset < SEGMENT_COUNT; offset++) {
      const result = await log.readRaw(offset, { maxBytes: 1 })
      expect(recordsOf(result.bytes)).toEqual([{ offset, value: `value-${offset}` }])
      if (offset % 500 === 0) peak = Math.max(peak, openDescriptors() - before)
    }
    peak = Math.max(peak, openDescriptors() - before)
    expect(peak).toBeLessThanOrEqual(bound + 1)
    expect(peak).toBeLessThan(OTHER_FDS + bound)
    const middle = Math.floor(SEGMENT_COUNT * 0.43)
    expect(await log.offsetForTimestamp(1_000_000 + middle)).toEqual({ offset: middle, timestamp: 1_000_000 + middle })
    await log.close()
    expect(openDescriptors()).toBeLessThanOrEqual(before)
  }, 120_000)

  it('serve concurrent reads across many segments while others are evicted, sync and async sized', async () => {
    const dir = path.join(await makeTmpDir(), 't-0')
    writeSegments(dir, 200)
    const { log, cache } = await openLog(dir, 4)
    const reads: Promise<void>[] = []
    for (let round = 0; round < 5; round++) {
      for (let offset = round; offset < 200; offset += 7) {
        // Above 128 KiB a read goes through the thread pool, where it awaits with its file held.
        const maxBytes = offset % 2 === 0 ? 1 : 256 * 1024
        reads.push(
          log.readRaw(offset, { maxBytes }).then((result) => {
            const records = recordsOf(result.bytes)
            expect(records[0]).toEqual({ offset, value: `value-${offset}` })
            for (const [slot, record] of records.entries()) expect(record.offset).toBe(offset + slot)
          }),
        )
      }
    }
    await Promise.all(reads)
    // Every read ended: the cache is back within its bound (the active segment lies outside it).
    expect(cache.boundedCount).toBeLessThanOrEqual(4)
    expect(cache.openCount).toBeLessThanOrEqual(5)
    await log.close()
  })

  it('let retention delete segments whose descriptors were closed, and reads go on around them', async () => {
    const dir = path.join(await makeTmpDir(), 't-0')
    writeSegments(dir, 200)
    const { log, cache } = await openLog(dir, 8)
    for (let offset = 0; offset < 200; offset += 10) await log.readRaw(offset, { maxBytes: 1 })
    expect(log.segmentList.filter((segment) => segment.isFileOpen).length).toBeLessThanOrEqual(8 + 1)
    expect(log.segmentList[0]!.isFileOpen).toBe(false)
    expect(await log.deleteRecordsBefore(150)).toBe(150)
    expect(log.segmentCount).toBe(50)
    const names = fs.readdirSync(dir).filter((name) => name.endsWith('.log'))
    expect(names.length).toBe(50)
    expect(names.sort()[0]).toBe(offsetFileName(150, '.log'))
    expect(recordsOf((await log.readRaw(150, { maxBytes: 1 })).bytes)).toEqual([{ offset: 150, value: 'value-150' }])
    await log.close()
    expect(cache.openCount).toBe(0)
  })

  it('let a truncation cut into a segment whose descriptor was closed, which then takes appends and reopens', async () => {
    const dir = path.join(await makeTmpDir(), 't-0')
    writeSegments(dir, 100)
    const first = await openLog(dir, 4)
    for (let offset = 50; offset < 100; offset++) await first.log.readRaw(offset, { maxBytes: 1 })
    expect(first.log.segmentList[20]!.isFileOpen).toBe(false)
    await first.log.truncateTo(20)
    expect(first.log.logEndOffset).toBe(20)
    await first.log.appendRecords([{ value: Buffer.from('after'), timestamp: 5 }])
    expect(first.log.segmentList[first.log.segmentCount - 1]!.isFileOpen).toBe(true)
    await first.log.close()
    expect(first.cache.openCount).toBe(0)
    const second = await openLog(dir, 4, false)
    expect(second.log.logEndOffset).toBe(21)
    expect(recordsOf((await second.log.readRaw(19, { maxBytes: 1024 })).bytes)).toEqual([
      { offset: 19, value: 'value-19' },
      { offset: 20, value: 'after' },
    ])
    await second.log.close()
  })

  it('stay within the bound during an unclean open that recovers every segment', async () => {
    const dir = path.join(await makeTmpDir(), 't-0')
    writeSegments(dir, 100)
    const before = openDescriptors()
    const { log, cache } = await openLog(dir, 8, false)
    expect(log.logEndOffset).toBe(100)
    expect(cache.boundedCount).toBeLessThanOrEqual(8)
    expect(openDescriptors() - before).toBeLessThanOrEqual(8 + 1)
    await log.close()
  })

  it('are bounded per engine by maxOpenSegmentFiles, which must be a positive integer', async () => {
    const dataDir = await makeTmpDir()
    await expect(openQuietEngine(dataDir, { maxOpenSegmentFiles: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    let engine = await openQuietEngine(dataDir, { maxOpenSegmentFiles: 6 })
    await engine.createTopic('t', { partitions: 2, segmentBytes: 200 })
    for (let round = 0; round < 60; round++) {
      for (const log of engine.partitions('t')) await log.appendRecords([{ value: Buffer.alloc(100, round) }])
    }
    await engine.close()
    const before = openDescriptors()
    engine = await openQuietEngine(dataDir, { maxOpenSegmentFiles: 6 })
    for (const log of engine.partitions('t')) {
      expect(log.segmentCount).toBeGreaterThan(20)
      for (let offset = 0; offset < 60; offset++) expect((await log.readRaw(offset, { maxBytes: 1 })).bytes.length).toBeGreaterThan(0)
    }
    // The bound, then two partitions' and the offsets topic's active segments and the engine's lock.
    expect(openDescriptors() - before).toBeLessThanOrEqual(6 + 3 + 1)
    await engine.close()
  })
})

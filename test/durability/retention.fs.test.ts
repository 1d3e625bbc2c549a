import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOG_START_OFFSET_CHECKPOINT, readCheckpointFile } from '../../src/engine/checkpoint-file.js'
import type { TopicConfig } from '../../src/engine/topic-config.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import {
  appendBatches,
  caught,
  markUnclean,
  openEngineWithLog,
  partitionDir,
  readAll,
  TOPIC,
  type BuiltRecord,
  type OpenedEngine,
} from './fixtures.js'
import { segmentLogs } from './helpers.js'

/**
 * Retention and DeleteRecords on disk (docs/durability.md, Retention): by time with an explicit clock, by
 * size, by a moved log start offset; never the active segment; future timestamps block time
 * retention and are reported; deleted segments are renamed `.deleted` and unlinked later, and a
 * crash in between leaves files the next open removes.
 */

afterEach(removeTmpDirs)

const T0 = 1_700_000_000_000
const SEGMENT_BYTES = 2048

interface Built extends OpenedEngine {
  dir: string
  records: BuiltRecord[]
}

/**
 * An engine (retention never runs by itself) with a topic of small segments; every batch is one
 * ~500-byte record, so each segment holds a few of them, and timestamps are T0 + offset seconds.
 */
async function build(
  batches: number,
  topic: Partial<TopicConfig> = {},
  timestamp?: (batch: number) => number,
  fileDeleteDelayMs = 0,
): Promise<Built> {
  const dir = await makeTmpDir()
  const opened = await openEngineWithLog(dir, { retentionCheckIntervalMs: 3_600_000, fileDeleteDelayMs })
  await opened.engine.createTopic(TOPIC, { segmentBytes: SEGMENT_BYTES, ...topic })
  const log = opened.engine.partition(TOPIC, 0)
  const records = await appendBatches(log, {
    batches,
    recordsPerBatch: () => 1,
    valueBytes: () => 500,
    timestamp: (batch) => timestamp?.(batch) ?? T0 + batch * 1000,
  })
  await log.flush()
  return { ...opened, log, dir, records }
}

function segmentsOf(built: Built): { base: number; end: number; size: number; newest: number }[] {
  const list = built.log.segmentList
  return list.map((segment, slot) => {
    const end = list[slot + 1]?.baseOffset ?? built.log.logEndOffset
    const newest = Math.max(
      ...built.records.filter((record) => record.offset >= segment.baseOffset && record.offset < end).map((record) => record.timestamp),
    )
    return { base: segment.baseOffset, end, size: segment.size, newest }
  })
}

async function expectReadableFrom(built: Built, from: number): Promise<void> {
  const records = await readAll(built.log)
  expect(records.map((record) => record.offset)).toEqual(
    built.records.filter((record) => record.offset >= from).map((record) => record.offset),
  )
  const below = await caught(() => built.log.readRaw(from - 1))
  expect(below.code).toBe('OFFSET_OUT_OF_RANGE')
}

describe('time retention (retention.ms) with an explicit clock', () => {
  it('deletes the oldest segments whose newest record is older than retentionMs, and stops at the first it keeps', async () => {
    const built = await build(40, { retentionMs: 10_000 })
    try {
      const segments = segmentsOf(built)
      expect(segments.length).toBeGreaterThanOrEqual(6)
      // A clock at which the first three segments' newest records are just over 10 s old.
      const now = segments[2]!.newest + 10_001
      expect(now - segments[3]!.newest).toBeLessThanOrEqual(10_000)
      const results = await built.engine.applyRetention(now)
      expect(results.get(`${TOPIC} 0`)).toMatchObject({ segments: 3, reason: 'retention-ms', logStartOffset: segments[3]!.base })
      expect(built.log.logStartOffset).toBe(segments[3]!.base)
      await expectReadableFrom(built, segments[3]!.base)
      // The same clock again deletes nothing more.
      expect((await built.engine.applyRetention(now)).size).toBe(0)
    } finally {
      await built.engine.close()
    }
  })

  it('keeps a segment while any record in it is young (the newest record governs)', async () => {
    // Segment 1 holds old records and one young one.
    const built = await build(40, { retentionMs: 10_000 }, (batch) => (batch === 6 ? T0 + 1_000_000 : T0 + batch * 1000))
    try {
      const segments = segmentsOf(built)
      const young = segments.findIndex((segment) => segment.newest === T0 + 1_000_000)
      expect(young).toBeGreaterThan(0)
      const results = await built.engine.applyRetention(T0 + 500_000)
      expect(results.get(`${TOPIC} 0`)?.segments).toBe(young)
      expect(built.log.logStartOffset).toBe(segments[young]!.base)
    } finally {
      await built.engine.close()
    }
  })

  it('never deletes the active segment, even when everything has expired', async () => {
    const built = await build(30, { retentionMs: 1 })
    try {
      const segments = segmentsOf(built)
      const end = built.log.logEndOffset
      await built.engine.applyRetention(T0 + 10_000_000)
      expect(built.log.segmentCount).toBe(1)
      expect(built.log.logStartOffset).toBe(segments.at(-1)!.base)
      expect(built.log.logEndOffset).toBe(end)
      const info = await built.log.appendRecords([{ value: Buffer.from('still writable') }])
      expect(info.baseOffset).toBe(end)
    } finally {
      await built.engine.close()
    }
  })

  it('is blocked by a future timestamp, and says so', async () => {
    const now = T0 + 100_000
    const built = await build(40, { retentionMs: 10_000 }, (batch) => (batch === 8 ? now + 86_400_000 : T0 + batch * 1000))
    try {
      const segments = segmentsOf(built)
      const blocked = segments.findIndex((segment) => segment.newest > now)
      expect(blocked).toBeGreaterThan(0)
      const results = await built.engine.applyRetention(now)
      // Everything before the future timestamp goes; it and every (old) segment after it stay.
      expect(results.get(`${TOPIC} 0`)?.segments).toBe(blocked)
      expect(built.log.logStartOffset).toBe(segments[blocked]!.base)
      expect(built.log.segmentCount).toBe(segments.length - blocked)
      const warning = built.warnings.find((message) => message.includes('in the future'))
      expect(warning).toContain(`segment ${segments[blocked]!.base}`)
    } finally {
      await built.engine.close()
    }
  })
})

describe('size retention (retention.bytes)', () => {
  it('deletes the oldest segments while the partition stays at or above retentionBytes without them', async () => {
    const built = await build(40, { retentionBytes: 5 * SEGMENT_BYTES })
    try {
      const segments = segmentsOf(built)
      const total = segments.reduce((sum, segment) => sum + segment.size, 0)
      let excess = total - 5 * SEGMENT_BYTES
      let expected = 0
      while (expected < segments.length - 1 && excess - segments[expected]!.size >= 0) excess -= segments[expected++]!.size
      expect(expected).toBeGreaterThan(0)
      const results = await built.engine.applyRetention(T0)
      expect(results.get(`${TOPIC} 0`)).toMatchObject({ segments: expected, reason: 'retention-bytes' })
      expect(built.log.sizeInBytes).toBeGreaterThanOrEqual(5 * SEGMENT_BYTES)
      expect(built.log.sizeInBytes - built.log.segmentList[0]!.size).toBeLessThan(5 * SEGMENT_BYTES)
      await expectReadableFrom(built, segments[expected]!.base)
    } finally {
      await built.engine.close()
    }
  })
})

describe('DeleteRecords (engine.deleteRecordsBefore)', () => {
  it('moves the log start into the middle of a segment, checkpoints it, and it survives clean and unclean reopens', async () => {
    const built = await build(40)
    const segments = segmentsOf(built)
    const target = segments[3]!
    const offset = target.base + 1
    expect(offset).toBeLessThan(target.end - 1)
    try {
      expect(await built.engine.deleteRecordsBefore(TOPIC, 0, offset)).toBe(offset)
      expect(built.log.logStartOffset).toBe(offset)
      // Segments wholly below it are gone; the one holding it stays.
      expect(built.log.segmentList[0]!.baseOffset).toBe(target.base)
      await expectReadableFrom(built, offset)
      expect(readCheckpointFile(path.join(built.dir, LOG_START_OFFSET_CHECKPOINT)).get(`${TOPIC} 0`)).toBe(offset)
      // Beyond the high watermark is refused.
      expect((await caught(() => built.engine.deleteRecordsBefore(TOPIC, 0, built.log.logEndOffset + 1))).code).toBe('OFFSET_OUT_OF_RANGE')
    } finally {
      await built.engine.close()
    }
    for (const shutdown of ['clean', 'unclean'] as const) {
      if (shutdown === 'unclean') markUnclean(built.dir, 0)
      const reopened = await openEngineWithLog(built.dir)
      try {
        const log = reopened.engine.partition(TOPIC, 0)
        expect(log.logStartOffset, shutdown).toBe(offset)
        await expectReadableFrom({ ...built, ...reopened, log }, offset)
      } finally {
        await reopened.engine.close()
      }
    }
  })
})

describe('deletion: rename to .deleted, unlink later', () => {
  it('keeps .deleted files for fileDeleteDelayMs, then unlinks them', async () => {
    // Only the first segments are old, so later passes (with a later clock) delete nothing more.
    const built = await build(30, { retentionMs: 10_000 }, (batch) => (batch < 6 ? T0 + batch * 1000 : T0 + 10_000_000 + batch), 60_000)
    try {
      const segments = segmentsOf(built)
      expect(segments[2]!.newest).toBeGreaterThan(T0 + 10_000_000)
      const now = segments[1]!.newest + 10_001
      await built.engine.applyRetention(now)
      const names = fs.readdirSync(partitionDir(built.dir))
      const deleted = names.filter((name) => name.endsWith('.deleted')).sort()
      expect(deleted).toEqual(
        segments
          .slice(0, 2)
          .flatMap((segment) =>
            ['.index', '.log', '.timeindex'].map((suffix) => `${String(segment.base).padStart(20, '0')}${suffix}.deleted`),
          )
          .sort(),
      )
      await built.engine.applyRetention(now + 59_999)
      expect(fs.readdirSync(partitionDir(built.dir)).filter((name) => name.endsWith('.deleted')).length).toBe(6)
      await built.engine.applyRetention(now + 60_000)
      expect(fs.readdirSync(partitionDir(built.dir)).filter((name) => name.endsWith('.deleted'))).toEqual([])
    } finally {
      await built.engine.close()
    }
  })

  it.each(['with', 'without'] as const)(
    'a crash between the rename and the unlink (%s the log start checkpoint): reopen removes the files and the log starts after them',
    async (checkpoint) => {
      const built = await build(30, { retentionMs: 10_000 }, undefined, 60_000)
      const segments = segmentsOf(built)
      const crashed = await makeTmpDir()
      try {
        await built.engine.applyRetention(segments[1]!.newest + 10_001)
        expect(fs.readdirSync(partitionDir(built.dir)).filter((name) => name.endsWith('.deleted')).length).toBe(6)
        // The disk as it is at this instant is what a crash leaves (the marker was removed at open).
        fs.cpSync(built.dir, crashed, { recursive: true })
      } finally {
        await built.engine.close()
      }
      if (checkpoint === 'without') fs.writeFileSync(path.join(crashed, LOG_START_OFFSET_CHECKPOINT), '0\n0\n')
      expect(fs.existsSync(path.join(crashed, '.clean-shutdown'))).toBe(false)
      const reopened = await openEngineWithLog(crashed)
      try {
        const log = reopened.engine.partition(TOPIC, 0)
        expect(reopened.engine.wasCleanShutdown).toBe(false)
        expect(fs.readdirSync(partitionDir(crashed)).filter((name) => name.endsWith('.deleted'))).toEqual([])
        expect(segmentLogs(partitionDir(crashed))[0]!.base).toBe(segments[2]!.base)
        expect(log.logStartOffset).toBe(segments[2]!.base)
        await expectReadableFrom({ ...built, ...reopened, log }, segments[2]!.base)
      } finally {
        await reopened.engine.close()
      }
    },
  )
})

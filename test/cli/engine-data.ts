import fs from 'node:fs'
import path from 'node:path'
import type { CompressionName } from '../../src/compression/codec.js'
import { CLEAN_SHUTDOWN_FILE, type LogEngine } from '../../src/engine/log-engine.js'
import { FileBatchReader } from '../../src/log/file-batch-reader.js'
import { openIdleEngine } from '../helpers/engine.js'
import { makeTmpDir } from '../helpers/tmp-dir.js'

/**
 * Data directories for the CLI tests, written by the real engine (in the test process), with a
 * model of what was written to check the CLI's figures against. Not a test file itself.
 */

export const T0 = 1_700_000_000_000

export interface WrittenBatch {
  baseOffset: number
  lastOffset: number
  records: number
  baseTimestamp: number
  maxTimestamp: number
  compression: CompressionName
}

export interface BuiltPartition {
  name: string
  topic: string
  partition: number
  dir: string
  batches: WrittenBatch[]
  /** What the engine reported just before it closed. */
  logStartOffset: number
  logEndOffset: number
  recoveryPoint: number
  segmentBaseOffsets: number[]
  bytes: number
  offsetIndexEntries: number
  timeIndexEntries: number
}

export interface BuiltDataDir {
  dir: string
  partitions: Map<string, BuiltPartition>
}

const CODECS: readonly CompressionName[] = ['lz4', 'gzip', 'none']

/**
 * `orders` (2 partitions, 4 KiB segments, an index entry every 200 bytes) and `audit` (1 partition,
 * its own flush policy). orders-0 gets 40 batches, orders-1 25, of two records each, codecs in
 * turn. Batch 7 starts with a timestamp far below all others (the earliest), batch 20 holds the
 * largest (later batches are lower: the time index keeps the running maximum).
 */
export async function buildDataDir(): Promise<BuiltDataDir> {
  const dir = await makeTmpDir('seglog-cli-data-')
  const engine = await openIdleEngine(dir)
  const partitions = new Map<string, BuiltPartition>()
  try {
    await engine.createTopic('orders', { partitions: 2, segmentBytes: 4096, indexIntervalBytes: 200, retentionMs: -1 })
    await engine.createTopic('audit', { flush: { mode: 'interval', ms: 500 }, retentionMs: -1 })
    for (const [partition, count] of [
      [0, 40],
      [1, 25],
    ] as const) {
      const log = engine.partition('orders', partition)
      const batches: WrittenBatch[] = []
      for (let slot = 0; slot < count; slot++) {
        const timestamps =
          slot === 7 ? [T0 - 60_000, T0 + slot * 10] : slot === 20 ? [T0 + 500_000, T0 + 500_001] : [T0 + slot * 10, T0 + slot * 10 + 5]
        const compression = CODECS[slot % CODECS.length]!
        const info = await log.appendRecords(
          timestamps.map((timestamp, index) => ({
            key: Buffer.from(`key-${slot}-${index}`),
            value: Buffer.from(`value ${slot} ${index} `.repeat(8)),
            timestamp,
          })),
          { compression },
        )
        batches.push({
          baseOffset: info.baseOffset,
          lastOffset: info.lastOffset,
          records: timestamps.length,
          baseTimestamp: timestamps[0]!,
          maxTimestamp: Math.max(...timestamps),
          compression,
        })
      }
      partitions.set(`orders-${partition}`, describe(engine, 'orders', partition, dir, batches))
    }
    const audit = engine.partition('audit', 0)
    const info = await audit.appendRecords([0, 1, 2].map((slot) => ({ value: Buffer.from(`audit ${slot}`), timestamp: T0 + slot })))
    partitions.set(
      'audit-0',
      describe(engine, 'audit', 0, dir, [
        {
          baseOffset: info.baseOffset,
          lastOffset: info.lastOffset,
          records: 3,
          baseTimestamp: T0,
          maxTimestamp: T0 + 2,
          compression: 'none',
        },
      ]),
    )
  } finally {
    await engine.close()
  }
  for (const built of partitions.values()) {
    const entries = countIndexEntries(built)
    built.offsetIndexEntries = entries.offset
    built.timeIndexEntries = entries.time
  }
  return { dir, partitions }
}

function describe(engine: LogEngine, topic: string, partition: number, dir: string, batches: WrittenBatch[]): BuiltPartition {
  const log = engine.partition(topic, partition)
  return {
    name: `${topic}-${partition}`,
    topic,
    partition,
    dir: path.join(dir, `${topic}-${partition}`),
    batches,
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    recoveryPoint: log.logEndOffset,
    segmentBaseOffsets: log.segmentList.map((segment) => segment.baseOffset),
    bytes: log.sizeInBytes,
    // Filled in from the files after close, when every staged entry (and the closing ones) is written.
    offsetIndexEntries: 0,
    timeIndexEntries: 0,
  }
}

/** Index entries on disk, counted from the file sizes after close. */
export function countIndexEntries(built: BuiltPartition): { offset: number; time: number } {
  let offset = 0
  let time = 0
  for (const base of built.segmentBaseOffsets) {
    const stem = path.join(built.dir, String(base).padStart(20, '0'))
    offset += fs.statSync(`${stem}.index`).size / 8
    time += fs.statSync(`${stem}.timeindex`).size / 12
  }
  return { offset, time }
}

/** Path of one segment file of a partition. */
export function segmentFile(partitionDir: string, baseOffset: number, suffix: '.log' | '.index' | '.timeindex'): string {
  return path.join(partitionDir, String(baseOffset).padStart(20, '0') + suffix)
}

/** Byte positions of the whole batches of a log file, in order. */
export function batchPositions(file: string): number[] {
  const reader = FileBatchReader.openSync(file)
  const positions: number[] = []
  try {
    for (let batch = reader.next(); batch !== null; batch = reader.next()) positions.push(reader.batchPosition)
  } finally {
    reader.close()
  }
  return positions
}

/**
 * Appends `garbage` to the active segment of a partition, marks the directory as not cleanly shut
 * down, and opens and closes the engine: recovery cuts the garbage into a quarantine file. Returns
 * that file's path.
 */
export async function quarantineGarbage(dataDir: string, partitionDir: string, activeBaseOffset: number, garbage: Buffer): Promise<string> {
  const log = segmentFile(partitionDir, activeBaseOffset, '.log')
  const position = fs.statSync(log).size
  fs.appendFileSync(log, garbage)
  fs.rmSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE))
  const engine = await openIdleEngine(dataDir)
  await engine.close()
  return `${log}.${position}.quarantine`
}

import fs from 'node:fs'
import path from 'node:path'
import { RECOVERY_POINT_CHECKPOINT, writeCheckpointFile } from '../../src/engine/checkpoint-file.js'
import { CLEAN_SHUTDOWN_FILE } from '../../src/engine/log-engine.js'
import type { TopicConfig } from '../../src/engine/topic-config.js'
import { nodeFileSystem, type LogFileSystem, type SegmentFile } from '../../src/log/file-system.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { openWatchedEngine, type EngineOptions, type WatchedEngine } from '../helpers/engine.js'

/**
 * In-process fixtures for the durability `.fs.test.ts` files: build a small multi-segment log
 * through the engine, read it back, damage files on disk, fake an unclean shutdown.
 */

export const TOPIC = 't'

export interface BuiltRecord {
  offset: number
  timestamp: number
  value: Buffer
}

export interface OpenedEngine extends WatchedEngine {
  log: PartitionLog
}

/** A watched engine without fsync per append, with partition t-0 at hand when topic t exists. */
export async function openEngineWithLog(dir: string, options: EngineOptions = {}): Promise<OpenedEngine> {
  const opened = await openWatchedEngine(dir, { flush: 'os', ...options })
  return { ...opened, log: opened.engine.hasTopic(TOPIC) ? opened.engine.partition(TOPIC, 0) : (undefined as unknown as PartitionLog) }
}

export interface BuildOptions {
  batches: number
  /** Records per batch (default 1-3, varying). */
  recordsPerBatch?: (batch: number) => number
  valueBytes?: (batch: number, record: number) => number
  timestamp?: (batch: number, record: number) => number
  topic?: Partial<TopicConfig>
  compression?: (batch: number) => 'none' | 'gzip' | 'lz4'
}

/** Creates topic `t` in a new engine, appends deterministic batches, closes cleanly. */
export async function buildLog(dir: string, options: BuildOptions): Promise<BuiltRecord[]> {
  const { engine } = await openEngineWithLog(dir)
  try {
    await engine.createTopic(TOPIC, { segmentBytes: 4096, indexIntervalBytes: 256, ...options.topic })
    return await appendBatches(engine.partition(TOPIC, 0), options)
  } finally {
    await engine.close()
  }
}

/** Appends the batches BuildOptions describes (values are deterministic per offset). */
export async function appendBatches(log: PartitionLog, options: BuildOptions): Promise<BuiltRecord[]> {
  const records: BuiltRecord[] = []
  const base = 1_700_000_000_000
  for (let batch = 0; batch < options.batches; batch++) {
    const count = options.recordsPerBatch?.(batch) ?? 1 + (batch % 3)
    const inputs = Array.from({ length: count }, (_, slot) => {
      const offset = log.logEndOffset + slot
      const size = options.valueBytes?.(batch, slot) ?? 40 + ((batch * 37 + slot * 11) % 120)
      const value = Buffer.alloc(size, `value ${offset} `)
      return { key: Buffer.from(`key-${offset}`), value, timestamp: options.timestamp?.(batch, slot) ?? base + offset * 1000 }
    })
    const info = await log.appendRecords(inputs, { compression: options.compression?.(batch) ?? 'none' })
    inputs.forEach((input, slot) => records.push({ offset: info.baseOffset + slot, timestamp: input.timestamp, value: input.value }))
  }
  return records
}

export async function readAll(log: PartitionLog, from = log.logStartOffset): Promise<BuiltRecord[]> {
  const records: BuiltRecord[] = []
  for await (const record of log.records({ from }))
    records.push({ offset: record.offset, timestamp: record.timestamp, value: Buffer.from(record.value!) })
  return records
}

/**
 * Makes a cleanly closed directory look as if its owner crashed: the clean-shutdown marker goes,
 * and, if given, the recovery-point checkpoint is rewritten to `recoveryPoint`.
 */
export function markUnclean(dir: string, recoveryPoint?: number): void {
  fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE), { force: true })
  if (recoveryPoint !== undefined) writeCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT), new Map([[`${TOPIC} 0`, recoveryPoint]]))
}

export function partitionDir(dir: string): string {
  return path.join(dir, `${TOPIC}-0`)
}

const FSYNCS: ReadonlySet<PropertyKey> = new Set<keyof SegmentFile>(['datasync', 'datasyncSync', 'sync', 'syncSync'])

/**
 * The real file system with every fsync a no-op, for sweeps that reopen a log thousands of times
 * and do not test durability (a real fsync costs milliseconds here). Pass it as `fileSystem`.
 */
export const fileSystemWithoutFsyncs: LogFileSystem = {
  ...nodeFileSystem,
  openSync: (file, mode) =>
    new Proxy(nodeFileSystem.openSync(file, mode), {
      get(handle, key) {
        if (FSYNCS.has(key)) return String(key).endsWith('Sync') ? () => undefined : () => Promise.resolve()
        const member = Reflect.get(handle, key) as unknown
        return typeof member === 'function' ? member.bind(handle) : member
      },
    }),
}

/** Catches what a promise or function throws (fails the test if nothing is thrown). */
export async function caught(action: () => unknown): Promise<Error & { code?: string; file?: string; position?: number; errno?: string }> {
  try {
    await action()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected an error, but the call succeeded')
}

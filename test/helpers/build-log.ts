import fs from 'node:fs'
import path from 'node:path'
import type { CompressionName } from '../../src/compression/codec.js'
import { resolveTopicConfig, type TopicConfig } from '../../src/engine/topic-config.js'
import { PartitionLog, type PartitionLogOptions } from '../../src/log/partition-log.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import type { DecodedRecord } from '../../src/record/record.js'
import { makeTmpDir } from './tmp-dir.js'

/**
 * Builders for partition-log tests: write a real partition directory from a short description and
 * keep a dumb model of what was written (the oracle). The helpers that damage files are in files.ts.
 *
 * Temp directories come from tmp-dir.ts; register `afterEach(removeTmpDirs)` in the test file.
 */

/** One record as a test describes it. Timestamps are explicit so runs are reproducible. */
export interface RecordSpec {
  key?: Buffer | null
  value: Buffer | null
  timestamp: number
}

/** One batch: its records, how it is compressed, and which append API writes it. */
export interface BatchSpec {
  records: readonly RecordSpec[]
  compression?: CompressionName
  /**
   * 'records' goes through appendRecords; 'bytes' pre-encodes the batch and uses appendBatch. A
   * batch with `withNext` is appended in the same appendBatch call as the batch after it.
   */
  via?: 'records' | 'bytes'
  withNext?: boolean
}

export interface ModelRecord {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

export interface ModelBatch {
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  /** The batch exactly as it must sit on disk (offsets assigned). */
  bytes: Buffer
  records: ModelRecord[]
}

/** The oracle: every batch and record appended, in offset order. */
export interface BatchModel {
  batches: ModelBatch[]
  records: ModelRecord[]
  logEndOffset: number
}

export type PartitionSettings = Partial<Omit<TopicConfig, 'partitions'>>

/**
 * A full partition config: engine defaults (huge segments, 4 KiB index interval) with overrides.
 * Built through the engine's resolver, so it stays valid as the config type grows.
 */
export function partitionConfig(settings: PartitionSettings = {}): TopicConfig {
  return resolveTopicConfig({ retentionMs: -1, ...settings })
}

export function emptyModel(): BatchModel {
  return { batches: [], records: [], logEndOffset: 0 }
}

/** Encodes a batch spec at `baseOffset`, exactly as the log stores it. */
export function encodeSpec(spec: BatchSpec, baseOffset: number): Buffer {
  return encodeBatch(
    spec.records.map((record) => ({ key: record.key ?? null, value: record.value, timestamp: record.timestamp })),
    {
      baseOffset,
      compression: spec.compression ?? 'none',
    },
  )
}

/** Adds a batch that now sits in the log at `baseOffset` to the model. */
export function addToModel(model: BatchModel, spec: BatchSpec, baseOffset: number): ModelBatch {
  const records = spec.records.map((record, slot) => ({
    offset: baseOffset + slot,
    timestamp: record.timestamp,
    key: record.key ?? null,
    value: record.value,
  }))
  let maxTimestamp = -1
  for (const record of records) if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp
  const batch = { baseOffset, lastOffset: baseOffset + records.length - 1, maxTimestamp, bytes: encodeSpec(spec, baseOffset), records }
  model.batches.push(batch)
  model.records.push(...records)
  model.logEndOffset = batch.lastOffset + 1
  return batch
}

/**
 * Appends `specs` in order (grouping `withNext` runs into one appendBatch call) and records them in
 * the model. Checks that the log assigned the offsets the model expects.
 */
export async function appendSpecs(log: PartitionLog, model: BatchModel, specs: readonly BatchSpec[]): Promise<void> {
  let group: BatchSpec[] = []
  for (const spec of specs) {
    group.push(spec)
    if (spec.withNext === true && spec !== specs[specs.length - 1]) continue
    const first = group[0]!
    let info
    if (group.length === 1 && first.via !== 'bytes') {
      info = await log.appendRecords(
        first.records.map((record) => ({ key: record.key ?? null, value: record.value, timestamp: record.timestamp })),
        { compression: first.compression ?? 'none' },
      )
    } else {
      // Encoded at a wrong base offset on purpose: the log must assign its own.
      info = await log.appendBatch(Buffer.concat(group.map((member) => encodeSpec(member, 7777))))
    }
    if (info.baseOffset !== model.logEndOffset)
      throw new Error(`log assigned base offset ${info.baseOffset}, model expected ${model.logEndOffset}`)
    for (const member of group) addToModel(model, member, model.logEndOffset)
    if (info.lastOffset !== model.logEndOffset - 1)
      throw new Error(`log assigned last offset ${info.lastOffset}, model expected ${model.logEndOffset - 1}`)
    group = []
  }
}

export interface BuiltPartition {
  dir: string
  log: PartitionLog
  model: BatchModel
  config: TopicConfig
}

/** Opts a log out of per-append fsyncs (tests are about layout and reads, not durability). */
export function withoutFsyncPerAppend(log: PartitionLog): PartitionLog {
  log.flushPolicy = { mode: 'os' }
  return log
}

/**
 * Creates a partition directory `<dir>/t-0` with the given settings, appends `batches` and returns
 * the open log with its model. `dir` defaults to a fresh temp dir.
 */
export async function buildPartition(
  options: PartitionSettings & { dir?: string; batches?: readonly BatchSpec[]; logOptions?: PartitionLogOptions } = {},
): Promise<BuiltPartition> {
  const { dir: parent, batches = [], logOptions, ...settings } = options
  const dir = path.join(parent ?? (await makeTmpDir('seglog-')), 't-0')
  const config = partitionConfig(settings)
  const log = withoutFsyncPerAppend(await PartitionLog.create(dir, 't', 0, config, logOptions))
  const model = emptyModel()
  await appendSpecs(log, model, batches)
  return { dir, log, model, config }
}

/** Opens an existing partition directory, clean (trust the logs) or unclean (recover them). */
export async function reopenPartition(dir: string, config: TopicConfig, isClean: boolean): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, 't', 0, config, { isClean, recoveryPoint: 0, logStartOffset: 0 })
  return withoutFsyncPerAppend(log)
}

/** `count` batches of `recordsPerBatch` records with `valueBytes`-byte values and ascending timestamps. */
export function simpleBatches(count: number, recordsPerBatch = 1, valueBytes = 100, firstTimestamp = 1_000): BatchSpec[] {
  const specs: BatchSpec[] = []
  for (let slot = 0; slot < count; slot++) {
    const records: RecordSpec[] = []
    for (let member = 0; member < recordsPerBatch; member++) {
      const serial = slot * recordsPerBatch + member
      records.push({ key: Buffer.from(`k${serial}`), value: Buffer.alloc(valueBytes, serial & 0xff), timestamp: firstTimestamp + serial })
    }
    specs.push({ records })
  }
  return specs
}

// ---------------------------------------------------------------------------------------------
// Oracle answers

/** Records with offsets in [from, to) from the model (whole log, no high watermark). */
export function modelSlice(model: BatchModel, from: number, to = Infinity): ModelRecord[] {
  return model.records.filter((record) => record.offset >= from && record.offset < to)
}

/** The model batch holding `offset`, or undefined. */
export function modelBatchFor(model: BatchModel, offset: number): ModelBatch | undefined {
  return model.batches.find((batch) => batch.baseOffset <= offset && offset <= batch.lastOffset)
}

/** ListOffsets by brute force: the first record in offset order whose timestamp is >= `timestamp`. */
export function modelOffsetForTimestamp(
  model: BatchModel,
  timestamp: number,
  highWatermark = model.logEndOffset,
): { offset: number; timestamp: number } | null {
  const found = model.records.find((record) => record.timestamp >= timestamp)
  if (found === undefined || found.offset >= highWatermark) return null
  return { offset: found.offset, timestamp: found.timestamp }
}

/** MAX_TIMESTAMP by brute force: the first record carrying the largest timestamp. */
export function modelMaxTimestamp(model: BatchModel, highWatermark = model.logEndOffset): { offset: number; timestamp: number } | null {
  let best: ModelRecord | null = null
  for (const record of model.records) if (record.timestamp >= 0 && (best === null || record.timestamp > best.timestamp)) best = record
  if (best === null || best.offset >= highWatermark) return null
  return { offset: best.offset, timestamp: best.timestamp }
}

/** What a record looks like in comparisons (Buffers as hex, so diffs are readable). */
export function recordView(record: ModelRecord | DecodedRecord): {
  offset: number
  timestamp: number
  key: string | null
  value: string | null
} {
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('hex'),
    value: record.value === null ? null : record.value.toString('hex'),
  }
}

/** Every decoded record the log returns for [from, to). */
export async function readRecords(log: PartitionLog, from: number, to?: number): Promise<ModelRecord[]> {
  const out: ModelRecord[] = []
  for await (const record of log.records(to === undefined ? { from } : { from, to })) out.push(record)
  return out
}

/** The whole batches in a readRaw result, CRC-checked, with a partial tail reported as an error. */
export function scanBatches(bytes: Buffer): { baseOffset: number; lastOffset: number; bytes: Buffer }[] {
  const scanner = new BatchScanner(bytes, { verifyCrc: true })
  const batches = []
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
    batches.push({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, bytes: batch.buffer })
  }
  if (scanner.trailingBytes !== 0) throw new Error(`readRaw returned ${scanner.trailingBytes} bytes of a partial batch`)
  return batches
}

// ---------------------------------------------------------------------------------------------
// Files of a partition directory

/** Names in `dir` ending with `suffix`, sorted. */
export function filesWithSuffix(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort()
}

/** Every `.index` and `.timeindex` file in a partition directory (full paths). */
export function indexFiles(dir: string): string[] {
  return [...filesWithSuffix(dir, '.index'), ...filesWithSuffix(dir, '.timeindex')].map((name) => path.join(dir, name))
}

// ---------------------------------------------------------------------------------------------
// Index model

export interface BatchExtent {
  lastOffset: number
  maxTimestamp: number
  size: number
}

/**
 * The entries Kafka's per-batch rule gives a sealed segment: an offset entry (lastOffset, start
 * position) for a batch when more than `indexIntervalBytes` lie between the previous entry (or
 * the segment start) and it; a time entry (running max timestamp, last offset of the batch that
 * set it) at the same moments when the max grew; and the closing time entry written on seal.
 * Assumes the indexes never fill.
 */
export function modelIndexEntries(
  batches: readonly BatchExtent[],
  indexIntervalBytes: number,
): {
  offsetEntries: { offset: number; position: number }[]
  timeEntries: { timestamp: number; offset: number }[]
} {
  const offsetEntries: { offset: number; position: number }[] = []
  const timeEntries: { timestamp: number; offset: number }[] = []
  let position = 0
  let bytesSinceLastEntry = 0
  let maxTimestamp = -1
  let offsetOfMax = -1
  const maybeAddTime = (): void => {
    const last = timeEntries[timeEntries.length - 1]
    if (maxTimestamp >= 0 && (last === undefined || maxTimestamp > last.timestamp))
      timeEntries.push({ timestamp: maxTimestamp, offset: offsetOfMax })
  }
  for (const batch of batches) {
    if (batch.maxTimestamp > maxTimestamp) {
      maxTimestamp = batch.maxTimestamp
      offsetOfMax = batch.lastOffset
    }
    if (bytesSinceLastEntry > indexIntervalBytes) {
      offsetEntries.push({ offset: batch.lastOffset, position })
      maybeAddTime()
      bytesSinceLastEntry = 0
    }
    bytesSinceLastEntry += batch.size
    position += batch.size
  }
  maybeAddTime()
  return { offsetEntries, timeEntries }
}

/** Decodes a whole `.index` file. */
export function parseOffsetIndex(bytes: Buffer, baseOffset: number): { offset: number; position: number }[] {
  const entries = []
  for (let at = 0; at + 8 <= bytes.length; at += 8)
    entries.push({ offset: baseOffset + bytes.readInt32BE(at), position: bytes.readInt32BE(at + 4) })
  return entries
}

/** Decodes a whole `.timeindex` file. */
export function parseTimeIndex(bytes: Buffer, baseOffset: number): { timestamp: number; offset: number }[] {
  const entries = []
  for (let at = 0; at + 12 <= bytes.length; at += 12)
    entries.push({ timestamp: Number(bytes.readBigInt64BE(at)), offset: baseOffset + bytes.readInt32BE(at + 8) })
  return entries
}

import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import type { CompressionName } from '../compression/codec.js'
import { InvalidArgumentError } from '../errors.js'
import { BatchScanner } from '../record/batch-scanner.js'
import { CorruptRecordError } from '../record/errors.js'
import { assignBaseOffset, encodeBatch, RecordBatch, type EncodeBatchOptions } from '../record/record-batch.js'
import type { DecodedRecord, RecordInput } from '../record/record.js'
import { CorruptIndexError, LogClosedError, OffsetOutOfRangeError, wrapIo } from './errors.js'
import { fsyncDirSync } from './file-io.js'
import { CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, parseOffsetFileName, SWAP_SUFFIX, TIME_INDEX_SUFFIX } from './segment-files.js'
import { Segment, type BatchMeta, type SegmentConfig } from './segment.js'

export interface PartitionLogConfig extends SegmentConfig {
  /** Largest batch accepted by an append (Kafka's max.message.bytes). */
  maxBatchBytes: number
}

export interface AppendInfo {
  baseOffset: number
  lastOffset: number
  /** Largest record timestamp of the appended batches. */
  maxTimestamp: number
  /** Bytes written to the log. */
  size: number
}

export interface ReadRawResult {
  /** Whole batches exactly as on disk (empty at the end of the readable log). */
  bytes: Buffer
  /** Base offset of the first batch (it may be below the offset asked for). */
  firstOffset: number
  /** Offset after the last batch returned: where the next read continues. */
  nextOffset: number
}

export interface ReadOptions {
  /** Byte budget; at least one whole batch is returned even if it is larger (Kafka's rule). */
  maxBytes?: number
  /** Exclusive upper bound; the high watermark by default. Batches reaching it are not returned. */
  maxOffset?: number
}

export interface OpenPartitionOptions {
  /** The data directory was closed cleanly: trust the logs, check only the indexes. */
  isClean: boolean
  /** Offset below which everything is known durable; segments from there on are recovered. */
  recoveryPoint: number
  /** Checkpointed log start offset (may lie inside the first segment). */
  logStartOffset: number
  /** Called with what recovery cut, so the engine can report it. */
  onRecovery?: (event: RecoveryEvent) => void
  nowMs?: number
}

/** What recovery cut from a log: `bytes` from `position` of `file`, now kept in `quarantineFile`. */
export interface RecoveryEvent {
  file: string
  position: number
  bytes: number
  reason: string
  quarantineFile: string | null
}

export interface TimestampLookup {
  offset: number
  timestamp: number
}

/** Kafka's special ListOffsets timestamps. */
export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2
export const MAX_TIMESTAMP = -3

const DEFAULT_READ_BYTES = 1024 * 1024

/**
 * One partition: an ordered list of segments, the last of them active. Appends are serialized
 * (one at a time, in call order); reads run concurrently with them and never see bytes of an
 * append that has not completed. `logEndOffset` moves when an append's bytes are in the file;
 * nothing is durable until `flush()` resolves (the engine's flush modes decide when that runs).
 */
export class PartitionLog {
  readonly topic: string
  readonly partition: number
  readonly dir: string
  private readonly config: PartitionLogConfig
  private segments: Segment[]
  private logStart: number
  private highWatermarkOverride: number | null = null
  /** Offset below which everything has been fsynced. */
  recoveryPoint: number
  private appendTail: Promise<unknown> = Promise.resolve()
  private closed = false
  /** Set when a write or fsync failed: the partition refuses writes until it is reopened. */
  private failure: Error | null = null
  /** Emits 'append' after each completed append (readers tailing the log wait on it). */
  readonly events = new EventEmitter()

  private constructor(dir: string, topic: string, partition: number, config: PartitionLogConfig, segments: Segment[], logStart: number, recoveryPoint: number) {
    this.dir = dir
    this.topic = topic
    this.partition = partition
    this.config = config
    this.segments = segments
    this.logStart = logStart
    this.recoveryPoint = recoveryPoint
    this.events.setMaxListeners(0)
  }

  /** Creates the directory of a new, empty partition. */
  static async create(dir: string, topic: string, partition: number, config: PartitionLogConfig, nowMs = Date.now()): Promise<PartitionLog> {
    wrapIo('mkdir', dir, () => fs.mkdirSync(dir, { recursive: true }))
    const segment = Segment.create(dir, 0, config, nowMs)
    fsyncDirSync(dir)
    fsyncDirSync(path.dirname(dir))
    return new PartitionLog(dir, topic, partition, config, [segment], 0, 0)
  }

  /**
   * Opens a partition directory: removes leftovers of interrupted deletions, opens every segment
   * and, after an unclean shutdown, recovers every segment from the one holding the recovery point
   * on. Indexes that fail their checks are rebuilt; missing ones are recreated.
   */
  static async open(dir: string, topic: string, partition: number, config: PartitionLogConfig, options: OpenPartitionOptions): Promise<PartitionLog> {
    const baseOffsets = cleanDirectory(dir)
    const nowMs = options.nowMs ?? Date.now()
    const segments = baseOffsets.map((baseOffset) => Segment.open(dir, baseOffset, config))
    for (let slot = 0; slot < segments.length - 1; slot++) segments[slot]!.nextOffset = segments[slot + 1]!.baseOffset
    for (const segment of segments) {
      if (!fs.existsSync(segment.paths.index) || !fs.existsSync(segment.paths.timeIndex)) {
        segment.offsetIndex.createIfMissing()
        segment.timeIndex.createIfMissing()
        if (options.isClean || segment.nextOffset <= options.recoveryPoint) segment.rebuildIndexes()
      }
    }
    let kept = segments
    if (segments.length === 0) {
      kept = [Segment.create(dir, options.logStartOffset, config, nowMs)]
      fsyncDirSync(dir)
    } else if (options.isClean) {
      await loadActiveTail(segments[segments.length - 1]!)
    } else {
      kept = recoverSegments(dir, segments, options)
    }
    const active = kept[kept.length - 1]!
    const logStart = Math.max(options.logStartOffset, kept[0]!.baseOffset)
    const recoveryPoint = options.isClean ? active.nextOffset : Math.min(options.recoveryPoint, active.nextOffset)
    const log = new PartitionLog(dir, topic, partition, config, kept, Math.min(logStart, active.nextOffset), recoveryPoint)
    return log
  }

  get logStartOffset(): number {
    return this.logStart
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.activeSegment.nextOffset
  }

  /** Readers see offsets below it. It follows the log end unless the embedder sets it. */
  get highWatermark(): number {
    const end = this.logEndOffset
    return this.highWatermarkOverride === null ? end : Math.min(this.highWatermarkOverride, end)
  }

  /** Lets an embedding broker hold back the visible end (e.g. until replicas have the data). */
  setHighWatermark(offset: number | null): void {
    if (offset !== null && (!Number.isSafeInteger(offset) || offset < 0)) throw new InvalidArgumentError(`high watermark must be a non-negative integer, got ${offset}`)
    this.highWatermarkOverride = offset
  }

  /** Number of segments, for inspection. */
  get segmentCount(): number {
    return this.segments.length
  }

  /** The segments, oldest first (read-only use: inspect, retention). */
  get segmentList(): readonly Segment[] {
    return this.segments
  }

  /** Bytes of all segments. */
  get sizeInBytes(): number {
    let total = 0
    for (const segment of this.segments) total += segment.size
    return total
  }

  private get activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!
  }

  /** Encodes `records` as one batch and appends it. */
  appendRecords(records: readonly RecordInput[], options: Omit<EncodeBatchOptions, 'baseOffset'> & { compression?: CompressionName } = {}): Promise<AppendInfo> {
    if (records.length === 0) return Promise.reject(new InvalidArgumentError('appendRecords needs at least one record'))
    const batch = encodeBatch(records, options)
    return this.enqueue(() => this.appendBuffers([batch], true))
  }

  /**
   * Appends pre-encoded batches (one or more, e.g. the records of a Kafka produce request). Each
   * batch's CRC is checked. With `assignOffsets` (the default) base offsets are assigned from the
   * log end and stamped into `bytes` in place (the CRC does not cover them); without it the
   * batches keep their offsets, which must continue from the log end (a follower's append).
   */
  appendBatch(bytes: Buffer, options: { assignOffsets?: boolean } = {}): Promise<AppendInfo> {
    let batches: Buffer[]
    try {
      batches = splitBatches(bytes, this.config.maxBatchBytes)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.enqueue(() => this.appendBuffers(batches, options.assignOffsets ?? true))
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.appendTail.then(task, task)
    this.appendTail = run.catch(() => undefined)
    return run
  }

  private async appendBuffers(batches: Buffer[], assignOffsets: boolean): Promise<AppendInfo> {
    this.ensureWritable()
    const metas: BatchMeta[] = []
    let nextOffset = this.logEndOffset
    let totalBytes = 0
    let maxTimestamp = -1
    for (const batch of batches) {
      if (batch.length > this.config.maxBatchBytes) throw new InvalidArgumentError(`batch of ${batch.length} bytes exceeds maxBatchBytes ${this.config.maxBatchBytes}`)
      const view = new RecordBatch(batch)
      const lastOffsetDelta = view.lastOffsetDelta
      if (assignOffsets) {
        assignBaseOffset(batch, nextOffset)
      } else if (view.baseOffset < nextOffset) {
        throw new InvalidArgumentError(`batch base offset ${view.baseOffset} is below the log end offset ${nextOffset}`)
      }
      const baseOffset = assignOffsets ? nextOffset : view.baseOffset
      const meta = { baseOffset, lastOffset: baseOffset + lastOffsetDelta, maxTimestamp: view.maxTimestamp, size: batch.length }
      metas.push(meta)
      nextOffset = meta.lastOffset + 1
      totalBytes += batch.length
      if (meta.maxTimestamp > maxTimestamp) maxTimestamp = meta.maxTimestamp
    }
    const first = metas[0]!
    const last = metas[metas.length - 1]!
    const nowMs = Date.now()
    if (this.activeSegment.shouldRoll(totalBytes, maxTimestamp, last.lastOffset, nowMs)) await this.roll(Math.max(first.baseOffset, this.logEndOffset), nowMs)
    try {
      await this.activeSegment.append(batches, metas)
    } catch (error) {
      this.failure = error as Error
      throw error
    }
    this.events.emit('append', last.lastOffset + 1)
    return { baseOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp, size: totalBytes }
  }

  private ensureWritable(): void {
    if (this.closed) throw new LogClosedError(`partition ${this.topic}-${this.partition} is closed`)
    if (this.failure !== null) {
      throw new LogClosedError(`partition ${this.topic}-${this.partition} stopped taking writes after an I/O failure; reopen it to recover`, { cause: this.failure })
    }
  }

  /** Seals the active segment and starts a new one at `baseOffset`. */
  private async roll(baseOffset: number, nowMs: number): Promise<void> {
    const previous = this.activeSegment
    await previous.seal()
    const segment = Segment.create(this.dir, baseOffset, this.config, nowMs)
    fsyncDirSync(this.dir)
    this.segments.push(segment)
    this.recoveryPoint = Math.max(this.recoveryPoint, previous.nextOffset)
  }

  /** Index of the segment holding `offset`: the last one whose base offset is <= it. */
  private segmentSlotFor(offset: number): number {
    let low = 0
    let high = this.segments.length - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if (this.segments[mid]!.baseOffset <= offset) low = mid
      else high = mid - 1
    }
    return low
  }

  private checkRange(offset: number, where: string): void {
    if (!Number.isSafeInteger(offset) || offset < this.logStart || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.logStart, this.logEndOffset, `${this.topic}-${this.partition} ${where}`)
    }
  }

  /**
   * Whole batches as stored, starting with the batch that holds `offset` (the fetch path: bytes a
   * broker can send to Kafka clients unchanged). Returns at least one batch if any is readable,
   * even one larger than `maxBytes`; stays within one segment, like Kafka.
   */
  async readRaw(offset: number, options: ReadOptions = {}): Promise<ReadRawResult> {
    this.checkRange(offset, 'readRaw')
    const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES
    const maxOffset = Math.min(options.maxOffset ?? this.highWatermark, this.logEndOffset)
    const empty = { bytes: Buffer.alloc(0), firstOffset: offset, nextOffset: offset }
    if (offset >= maxOffset) return empty
    for (let slot = this.segmentSlotFor(offset); slot < this.segments.length; slot++) {
      const segment = this.segments[slot]!
      const location = await segment.findBatch(offset)
      if (location === null) continue
      if (location.lastOffset >= maxOffset) return empty
      const chunk = await segment.read(location.position, Math.max(maxBytes, location.size))
      return this.wholeBatches(segment, chunk, location.position, maxBytes, maxOffset)
    }
    return empty
  }

  /** Cuts `chunk` to whole batches below `maxOffset` within `maxBytes` and checks unverified CRCs. */
  private wholeBatches(segment: Segment, chunk: Buffer, position: number, maxBytes: number, maxOffset: number): ReadRawResult {
    const scanner = new BatchScanner(chunk)
    let end = 0
    let firstOffset = -1
    let nextOffset = -1
    for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
      const lastOffset = batch.lastOffset
      if (lastOffset >= maxOffset) break
      if (end > 0 && scanner.position > maxBytes) break
      const batchPosition = position + scanner.batchPosition
      if (batchPosition + batch.sizeInBytes > segment.verifiedSize) {
        try {
          batch.ensureValid()
        } catch (error) {
          throw error instanceof CorruptRecordError ? error.inFile(segment.paths.log, batchPosition) : error
        }
        if (batchPosition <= segment.verifiedSize) segment.verifiedSize = batchPosition + batch.sizeInBytes
      }
      if (firstOffset < 0) firstOffset = batch.baseOffset
      nextOffset = lastOffset + 1
      end = scanner.position
    }
    if (end === 0) return { bytes: Buffer.alloc(0), firstOffset: -1, nextOffset: -1 }
    return { bytes: chunk.subarray(0, end), firstOffset, nextOffset }
  }

  /**
   * Decoded batches from the one holding `from` up to the high watermark (or `to`, exclusive),
   * read in chunks of `maxBytes`. Each batch's records are iterated synchronously, which is the
   * fast path: an await per record would cost more than decoding it. Control batches included.
   */
  async *batches(options: { from: number; to?: number; maxBytes?: number }): AsyncGenerator<RecordBatch> {
    let offset = options.from
    this.checkRange(offset, 'batches')
    const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES
    for (;;) {
      const limit = Math.min(options.to ?? Infinity, this.highWatermark)
      if (offset >= limit) return
      if (offset < this.logStart) throw new OffsetOutOfRangeError(offset, this.logStart, this.logEndOffset, `${this.topic}-${this.partition} batches`)
      // readRaw steps over gaps between segments; empty means nothing more is readable below the bound.
      const { bytes, nextOffset } = await this.readRaw(offset, { maxBytes, maxOffset: this.highWatermark })
      if (bytes.length === 0) return
      const scanner = new BatchScanner(bytes)
      for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
        if (options.to !== undefined && batch.baseOffset >= options.to) return
        yield batch
      }
      offset = nextOffset
    }
  }

  /**
   * Decoded records with offsets in [from, to), skipping records before `from` in the first batch
   * and every control record (those are for brokers, not applications).
   */
  async *records(options: { from: number; to?: number }): AsyncGenerator<DecodedRecord> {
    const to = options.to ?? Infinity
    for await (const batch of this.batches(options)) {
      if (batch.isControl) continue
      for (const record of batch.records()) {
        if (record.offset < options.from) continue
        if (record.offset >= to) return
        yield record
      }
    }
  }

  /**
   * Kafka's ListOffsets: the first offset whose record timestamp is >= `timestamp`, or the special
   * queries LATEST (-1), EARLIEST (-2) and MAX_TIMESTAMP (-3). Null when no record qualifies.
   * Correct with out-of-order timestamps, because the time index records a running maximum.
   */
  async offsetForTimestamp(timestamp: number): Promise<TimestampLookup | null> {
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.logStart, timestamp: -1 }
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.highWatermark, timestamp: -1 }
    if (timestamp === MAX_TIMESTAMP) return this.maxTimestampOffset()
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new InvalidArgumentError(`timestamp must be a non-negative integer or -1, -2, -3; got ${timestamp}`)
    const bound = this.highWatermark
    for (const segment of this.segments) {
      if (segment.largestTimestamp < timestamp) continue
      const floor = segment.timeIndex.lookup(timestamp)
      const found = await this.scanForTimestamp(segment, Math.max(floor.offset, this.logStart), (record) => record.timestamp >= timestamp)
      if (found === null) continue
      return found.offset < bound ? found : null
    }
    return null
  }

  /** The record with the largest timestamp (the first one carrying it). */
  private async maxTimestampOffset(): Promise<TimestampLookup | null> {
    let best: Segment | null = null
    for (const segment of this.segments) if (segment.largestTimestamp >= 0 && (best === null || segment.largestTimestamp > best.largestTimestamp)) best = segment
    if (best === null) return null
    const target = best.largestTimestamp
    const found = await this.scanForTimestamp(best, Math.max(best.offsetOfMaxTimestampSoFar, this.logStart, best.baseOffset), (record) => record.timestamp === target, true)
    return found !== null && found.offset < this.highWatermark ? found : null
  }

  /**
   * Scans `segment` from the batch holding `from` (via the offset index) for the first record
   * matching, looking only into batches whose max timestamp could hold it.
   */
  private async scanForTimestamp(segment: Segment, from: number, matches: (record: DecodedRecord) => boolean, fromIndexedBatch = false): Promise<TimestampLookup | null> {
    const start = fromIndexedBatch ? from : segment.offsetIndex.lookup(from).offset
    const end = segment === this.activeSegment ? this.logEndOffset : this.segments[this.segments.indexOf(segment) + 1]!.baseOffset
    if (start >= end) return null
    for await (const batch of this.batches({ from: Math.max(start, this.logStart), to: end })) {
      if (batch.isControl) continue
      for (const record of batch.records()) {
        if (record.offset >= this.logStart && matches(record)) return { offset: record.offset, timestamp: record.timestamp }
      }
    }
    return null
  }

  /**
   * Drops every record at or after `offset` (an embedding broker's divergent tail). If `offset`
   * falls inside a batch the whole batch goes, so the log end may land below `offset`.
   */
  async truncateTo(offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`truncateTo needs a non-negative integer offset, got ${offset}`)
    await this.enqueue(async () => {
      this.ensureWritable()
      if (offset >= this.logEndOffset) return
      if (offset <= this.segments[0]!.baseOffset) {
        for (const segment of this.segments) segment.deleteFiles()
        this.segments = [Segment.create(this.dir, offset, this.config, Date.now())]
        this.logStart = offset
      } else {
        while (this.segments.length > 1 && this.activeSegment.baseOffset >= offset) this.segments.pop()!.deleteFiles()
        await this.activeSegment.truncateTo(offset)
      }
      fsyncDirSync(this.dir)
      this.recoveryPoint = Math.min(this.recoveryPoint, this.logEndOffset)
      if (this.highWatermarkOverride !== null) this.highWatermarkOverride = Math.min(this.highWatermarkOverride, this.logEndOffset)
    })
  }

  /** Writes staged index entries and fsyncs every segment holding data past the recovery point. */
  async flush(): Promise<void> {
    await this.enqueue(async () => {
      if (this.closed) return
      const target = this.logEndOffset
      for (let slot = this.segmentSlotFor(Math.max(this.recoveryPoint, this.segments[0]!.baseOffset)); slot < this.segments.length; slot++) {
        await this.segments[slot]!.flush()
      }
      this.recoveryPoint = target
    })
  }

  /** Flushes, seals the active segment (final time-index entry) and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return
    await this.enqueue(async () => {
      if (this.closed) return
      const target = this.logEndOffset
      const active = this.activeSegment
      for (let slot = this.segmentSlotFor(Math.max(this.recoveryPoint, this.segments[0]!.baseOffset)); slot < this.segments.length - 1; slot++) {
        await this.segments[slot]!.flush()
      }
      await active.seal()
      this.recoveryPoint = target
      for (const segment of this.segments) segment.close()
      this.closed = true
    })
  }
}

/** Splits a buffer of whole batches, checking framing and CRC; trailing bytes are an error. */
function splitBatches(bytes: Buffer, maxBatchBytes: number): Buffer[] {
  const scanner = new BatchScanner(bytes, { verifyCrc: true })
  const batches: Buffer[] = []
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
    if (batch.recordCount < 0 || batch.lastOffsetDelta < 0) throw new CorruptRecordError('bad-length', scanner.batchPosition + 23, 'negative record count or last offset delta')
    if (batch.sizeInBytes > maxBatchBytes) throw new InvalidArgumentError(`batch of ${batch.sizeInBytes} bytes exceeds maxBatchBytes ${maxBatchBytes}`)
    batches.push(batch.buffer)
  }
  if (scanner.trailingBytes > 0) throw new CorruptRecordError('truncated-record', scanner.position, `${scanner.trailingBytes} bytes after the last whole batch`)
  if (batches.length === 0) throw new InvalidArgumentError('appendBatch needs at least one record batch')
  return batches
}

/**
 * Removes what interrupted operations leave behind (as Kafka's loader does) and returns the base
 * offsets of the segments, ascending: `.deleted` and `.cleaned` files and temp files are removed,
 * `.swap` files complete their swap, and index files without a `.log` are orphans.
 */
function cleanDirectory(dir: string): number[] {
  const names = wrapIo('list', dir, () => fs.readdirSync(dir))
  const logs = new Set<number>()
  const indexes: string[] = []
  for (const name of names) {
    const file = path.join(dir, name)
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
      wrapIo('unlink', file, () => fs.rmSync(file, { force: true }))
      continue
    }
    let segmentName = name
    if (name.endsWith(SWAP_SUFFIX)) {
      // A swap that was ready to replace its original: finish it.
      segmentName = name.slice(0, -SWAP_SUFFIX.length)
      wrapIo('rename', file, () => fs.renameSync(file, path.join(dir, segmentName)))
    }
    const parsed = parseOffsetFileName(segmentName)
    if (parsed === null) continue
    if (parsed.suffix === LOG_SUFFIX) logs.add(parsed.offset)
    else if (parsed.suffix === INDEX_SUFFIX || parsed.suffix === TIME_INDEX_SUFFIX) indexes.push(segmentName)
  }
  for (const name of indexes) {
    const parsed = parseOffsetFileName(name)!
    if (!logs.has(parsed.offset)) wrapIo('unlink', path.join(dir, name), () => fs.rmSync(path.join(dir, name), { force: true }))
  }
  return [...logs].sort((a, b) => a - b)
}

/** After a clean shutdown: check the active segment's indexes and find its end, rebuilding if needed. */
async function loadActiveTail(active: Segment): Promise<void> {
  try {
    await active.loadTail()
  } catch (error) {
    if (!(error instanceof CorruptIndexError)) throw error
    active.rebuildIndexes()
  }
}

/**
 * Unclean open: recover every segment from the one holding the recovery point. At the first
 * segment with a bad tail the log is cut. The cut bytes, and every later segment, are not thrown
 * away (Kafka deletes them): they move into quarantine files beside the log, named after the file
 * and byte position they came from, and `onRecovery` reports each.
 */
function recoverSegments(dir: string, segments: Segment[], options: OpenPartitionOptions): Segment[] {
  let first = 0
  while (first < segments.length - 1 && segments[first + 1]!.baseOffset <= options.recoveryPoint) first++
  for (let slot = first; slot < segments.length; slot++) {
    const segment = segments[slot]!
    const result = segment.recover({ truncate: true, quarantine: true })
    if (result.error === null) continue
    options.onRecovery?.({ file: segment.paths.log, position: result.validBytes, bytes: result.invalidBytes, reason: result.error.message, quarantineFile: result.quarantineFile })
    for (const later of segments.slice(slot + 1)) {
      const quarantineFile = later.quarantineWhole()
      options.onRecovery?.({ file: later.paths.log, position: 0, bytes: later.size, reason: 'segment after a truncated one', quarantineFile })
    }
    fsyncDirSync(dir)
    return segments.slice(0, slot + 1)
  }
  return segments
}

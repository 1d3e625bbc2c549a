import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import type { CompressionName } from '../compression/codec.js'
import { InvalidArgumentError } from '../errors.js'
import { BatchScanner } from '../record/batch-scanner.js'
import { CorruptRecordError } from '../record/errors.js'
import { assignBaseOffset, encodeBatch, RecordBatch, type EncodeBatchOptions } from '../record/record-batch.js'
import type { DecodedRecord, RecordInput } from '../record/record.js'
import { LogClosedError, OffsetOutOfRangeError, wrapIo } from './errors.js'
import { fsyncDirSync } from './file-io.js'
import { cleanDirectory, loadActiveTail, recoverSegments } from './recovery.js'
import { DEFAULT_FLUSH_POLICY, type FlushPolicy } from './flush-policy.js'
import { listSnapshots, ProducerState, snapshotPath, writeSnapshot, type ProducerBatch } from './producer-state.js'
import { decideRetention, type RetentionReason } from './retention.js'
import { Segment, type BatchMeta, type SegmentConfig } from './segment.js'

export interface PartitionLogConfig extends SegmentConfig {
  /** Largest batch accepted by an append (Kafka's max.message.bytes). */
  maxBatchBytes: number
  /** Delete segments whose newest record is older than this; -1 keeps them forever. */
  retentionMs: number
  /** Delete the oldest segments while the partition is larger than this; -1 for no limit. */
  retentionBytes: number
}

/** What one retention pass deleted. */
export interface RetentionResult {
  segments: number
  bytes: number
  reason: RetentionReason | null
  logStartOffset: number
}

/** A segment renamed to `.deleted`, waiting for in-flight reads before its files go. */
interface PendingDeletion {
  segment: Segment
  dueMs: number
}

interface DurabilityWaiter {
  offset: number
  resolve: () => void
  reject: (error: Error) => void
}

export interface AppendInfo {
  baseOffset: number
  lastOffset: number
  /** Largest record timestamp of the appended batches. */
  maxTimestamp: number
  /** Bytes written to the log (0 for a duplicate). */
  size: number
  /** The batch repeated one already written by the same idempotent producer: nothing was written. */
  isDuplicate?: boolean
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
  /**
   * Emits 'append' with the new high watermark whenever records become visible to readers (after
   * the write, or under `sync` after the fsync). Tailing readers wait on it.
   */
  readonly events = new EventEmitter()
  private policy: FlushPolicy = DEFAULT_FLUSH_POLICY
  /** Appends waiting for an fsync to cover them (group commit). */
  private waiters: DurabilityWaiter[] = []
  /** The fsync round running now, if any. */
  private syncing: Promise<void> | null = null
  /** Wall-clock time of the last completed fsync round, for interval flushing. */
  lastFlushMs = Date.now()
  /** Number of fsync rounds, for benchmarks and inspection. */
  flushCount = 0
  private pendingDeletions: PendingDeletion[] = []
  /** How long a deleted segment's files stay (renamed) so in-flight reads finish. */
  fileDeleteDelayMs = 1000
  /**
   * Called (synchronously) when the log start offset moves, before any segment below it is
   * renamed away: the engine checkpoints it there.
   */
  onLogStartAdvance: ((log: PartitionLog) => void) | null = null
  /** Idempotent producers' recent batches, for deduplicating retries. */
  readonly producerState = new ProducerState()

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
    for (const [slot, segment] of segments.entries()) {
      if (!fs.existsSync(segment.paths.index) || !fs.existsSync(segment.paths.timeIndex)) {
        segment.offsetIndex.createIfMissing()
        segment.timeIndex.createIfMissing()
        // Only a segment wholly below the recovery point is rebuilt here; the rest (the last one
        // always) is recovered below, which cuts a torn tail instead of failing on it. The last
        // segment's nextOffset is still its base offset, so it must not pass this test.
        const belowRecoveryPoint = slot < segments.length - 1 && segment.nextOffset <= options.recoveryPoint
        if (options.isClean || belowRecoveryPoint) segment.rebuildIndexes()
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
      // Recovered bytes may still sit only in the page cache of a crashed process's machine:
      // fsync them before the recovery point moves over them (Kafka's "phantom" records bug).
      for (const segment of kept) if (segment.nextOffset > options.recoveryPoint) segment.syncSync()
    }
    const active = kept[kept.length - 1]!
    const logStart = Math.max(options.logStartOffset, kept[0]!.baseOffset)
    const recoveryPoint = active.nextOffset
    const log = new PartitionLog(dir, topic, partition, config, kept, Math.min(logStart, active.nextOffset), recoveryPoint)
    await log.rebuildProducerState()
    return log
  }

  get logStartOffset(): number {
    return this.logStart
  }

  /** The flush policy in force (the engine sets it from the topic's or its own setting). */
  get flushPolicy(): FlushPolicy {
    return this.policy
  }

  set flushPolicy(policy: FlushPolicy) {
    this.policy = policy
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.activeSegment.nextOffset
  }

  /**
   * Readers see offsets below it. It follows the log end, or under `sync` the durable end (so no
   * reader sees a record a crash could take back), unless the embedder sets it lower.
   */
  get highWatermark(): number {
    const end = this.policy.mode === 'sync' ? Math.min(this.recoveryPoint, this.logEndOffset) : this.logEndOffset
    return this.highWatermarkOverride === null ? end : Math.min(this.highWatermarkOverride, end)
  }

  /** Lets an embedding broker hold back the visible end (e.g. until replicas have the data). */
  setHighWatermark(offset: number | null): void {
    if (offset !== null && (!Number.isSafeInteger(offset) || offset < 0)) throw new InvalidArgumentError(`high watermark must be a non-negative integer, got ${offset}`)
    const before = this.highWatermark
    this.highWatermarkOverride = offset
    // Readers waiting at the old bound have records now.
    if (this.highWatermark > before) this.events.emit('append', this.highWatermark)
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
    let batch: Buffer
    try {
      batch = encodeBatch(records, options)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.enqueue(() => this.appendBuffers([batch], true)).then((info) => this.afterAppend(info))
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
    return this.enqueue(() => this.appendBuffers(batches, options.assignOffsets ?? true)).then((info) => this.afterAppend(info))
  }

  /**
   * Applies the flush policy once an append's bytes are in the file: under `sync` the append
   * resolves only when an fsync covers it; under `interval` a message count may start one.
   */
  private afterAppend(info: AppendInfo): AppendInfo | Promise<AppendInfo> {
    const policy = this.policy
    if (policy.mode === 'sync') return this.waitDurable(info.lastOffset + 1).then(() => info)
    this.events.emit('append', this.highWatermark)
    if (policy.mode === 'interval' && policy.messages !== undefined && this.logEndOffset - this.recoveryPoint >= policy.messages) {
      this.startSync()
    }
    return info
  }

  /** Resolves once everything below `offset` is fsynced, joining the next group fsync. */
  waitDurable(offset: number): Promise<void> {
    if (this.recoveryPoint >= offset) return Promise.resolve()
    if (this.failure !== null) return Promise.reject(this.failedError())
    return new Promise((resolve, reject) => {
      this.waiters.push({ offset, resolve, reject })
      this.startSync()
    })
  }

  /**
   * Starts an fsync round unless one is running; the running one starts another when it ends if
   * appends arrived meanwhile. That is the group commit: however many appends wait, one fsync
   * per round covers all of them.
   */
  private startSync(): void {
    if (this.syncing !== null || this.closed) return
    this.syncing = this.syncRounds().finally(() => {
      this.syncing = null
    })
    this.syncing.catch(() => undefined)
  }

  private async syncRounds(): Promise<void> {
    while (this.failure === null && this.logEndOffset > this.recoveryPoint) {
      const target = this.logEndOffset
      try {
        await this.flushSegmentsFrom(this.recoveryPoint)
      } catch (error) {
        // fsyncgate: after a failed fsync the kernel may have dropped the dirty pages, so a retry
        // could "succeed" without the data. Stop taking writes and fail everyone waiting.
        this.failure = error as Error
        const waiters = this.waiters
        this.waiters = []
        for (const waiter of waiters) waiter.reject(this.failedError())
        throw error
      }
      this.recoveryPoint = Math.max(this.recoveryPoint, target)
      this.lastFlushMs = Date.now()
      this.flushCount++
      this.resolveWaiters()
      if (this.policy.mode === 'sync') this.events.emit('append', this.highWatermark)
    }
    this.resolveWaiters()
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return
    const still: DurabilityWaiter[] = []
    for (const waiter of this.waiters) {
      if (waiter.offset <= this.recoveryPoint) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  /** fsyncs every segment holding offsets at or after `offset` (writing staged index entries first). */
  private async flushSegmentsFrom(offset: number): Promise<void> {
    const segments = this.segments.slice(this.segmentSlotFor(Math.max(offset, this.segments[0]!.baseOffset)))
    for (const segment of segments) await segment.flush()
  }

  private failedError(): LogClosedError {
    return new LogClosedError(`partition ${this.topic}-${this.partition} stopped taking writes after an I/O failure; reopen it to recover`, { cause: this.failure })
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.appendTail.then(task, task)
    this.appendTail = run.catch(() => undefined)
    return run
  }

  private async appendBuffers(batches: Buffer[], assignOffsets: boolean): Promise<AppendInfo> {
    this.ensureWritable()
    const metas: BatchMeta[] = []
    const views: RecordBatch[] = []
    let nextOffset = this.logEndOffset
    let totalBytes = 0
    let maxTimestamp = -1
    for (const batch of batches) {
      if (batch.length > this.config.maxBatchBytes) throw new InvalidArgumentError(`batch of ${batch.length} bytes exceeds maxBatchBytes ${this.config.maxBatchBytes}`)
      const view = new RecordBatch(batch)
      const duplicate = this.checkSequence(view)
      if (duplicate !== null) {
        if (batches.length > 1) throw new InvalidArgumentError('a retried (duplicate) batch must be appended on its own')
        return { baseOffset: duplicate.baseOffset, lastOffset: duplicate.lastOffset, maxTimestamp: duplicate.maxTimestamp, size: 0, isDuplicate: true }
      }
      const lastOffsetDelta = view.lastOffsetDelta
      if (assignOffsets) {
        assignBaseOffset(batch, nextOffset)
      } else if (view.baseOffset < nextOffset) {
        throw new InvalidArgumentError(`batch base offset ${view.baseOffset} is below the log end offset ${nextOffset}`)
      }
      const baseOffset = assignOffsets ? nextOffset : view.baseOffset
      const meta = { baseOffset, lastOffset: baseOffset + lastOffsetDelta, maxTimestamp: view.maxTimestamp, size: batch.length }
      metas.push(meta)
      views.push(view)
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
      // A failed write (ENOSPC, a short write) was cut back by the segment, so nothing partial is
      // visible and later appends may succeed once there is space. If the cut itself failed the
      // segment says so and the partition stops taking writes.
      if (this.activeSegment.hasUncutTail) this.failure = error as Error
      throw error
    }
    for (let slot = 0; slot < views.length; slot++) this.recordSequence(views[slot]!, metas[slot]!)
    return { baseOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp, size: totalBytes }
  }

  /** For an idempotent batch: the earlier copy if it is a retry; throws if its sequence is off. */
  private checkSequence(batch: RecordBatch): ProducerBatch | null {
    const producerId = batch.producerId
    if (producerId < 0 || batch.isControl || batch.baseSequence < 0) return null
    return this.producerState.check(producerId, batch.producerEpoch, batch.baseSequence, batch.lastSequence)
  }

  private recordSequence(batch: RecordBatch, meta: BatchMeta): void {
    const producerId = batch.producerId
    if (producerId < 0 || batch.isControl || batch.baseSequence < 0) return
    this.producerState.update(producerId, batch.producerEpoch, {
      firstSequence: batch.baseSequence,
      lastSequence: batch.lastSequence,
      baseOffset: meta.baseOffset,
      lastOffset: meta.lastOffset,
      maxTimestamp: meta.maxTimestamp,
    })
  }

  /**
   * Rebuilds producer state at open or after a truncation: from the newest intact snapshot at or
   * below the log end, replaying the batches written after it.
   */
  private async rebuildProducerState(): Promise<void> {
    this.producerState.clear()
    const end = this.logEndOffset
    let from = this.logStart
    for (const offset of listSnapshots(this.dir).reverse()) {
      const file = snapshotPath(this.dir, offset)
      if (offset > end || offset < this.logStart) {
        wrapIo('unlink', file, () => fs.rmSync(file, { force: true }))
        continue
      }
      if (this.producerState.loadSnapshot(wrapIo('read', file, () => fs.readFileSync(file)))) {
        from = offset
        break
      }
      wrapIo('unlink', file, () => fs.rmSync(file, { force: true }))
    }
    if (from >= end) return
    let offset = from
    while (offset < end) {
      const { bytes, nextOffset } = await this.readRaw(offset, { maxBytes: DEFAULT_READ_BYTES, maxOffset: end })
      if (bytes.length === 0) break
      const scanner = new BatchScanner(bytes)
      for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
        if (batch.lastOffset < from) continue
        this.recordSequence(batch, { baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp, size: batch.sizeInBytes })
      }
      offset = nextOffset
    }
  }

  private ensureWritable(): void {
    if (this.closed) throw new LogClosedError(`partition ${this.topic}-${this.partition} is closed`)
    if (this.failure !== null) throw this.failedError()
  }

  /**
   * Seals the active segment and starts a new one at the log end, unless the active segment is
   * empty (the offset store's compaction uses this so the compacted state starts a segment).
   */
  async rollNow(): Promise<void> {
    await this.enqueue(async () => {
      this.ensureWritable()
      if (!this.activeSegment.isEmpty) await this.roll(this.logEndOffset, Date.now())
    })
  }

  /** Seals the active segment and starts a new one at `baseOffset`. */
  private async roll(baseOffset: number, nowMs: number): Promise<void> {
    const previous = this.activeSegment
    await previous.seal()
    const segment = Segment.create(this.dir, baseOffset, this.config, nowMs)
    fsyncDirSync(this.dir)
    this.segments.push(segment)
    if (this.producerState.size > 0) writeSnapshot(this.dir, baseOffset, this.producerState)
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
      const found = await this.scanForTimestamp(segment, Math.max(floor.offset, this.logStart), (batch) => batch.maxTimestamp >= timestamp, (record) => record.timestamp >= timestamp)
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
    const found = await this.scanForTimestamp(best, Math.max(best.offsetOfMaxTimestampSoFar, this.logStart, best.baseOffset), (batch) => batch.maxTimestamp >= target, (record) => record.timestamp === target, true)
    return found !== null && found.offset < this.highWatermark ? found : null
  }

  /**
   * Scans `segment` from the batch holding `from` (via the offset index) for the first record
   * matching, looking only into batches whose max timestamp could hold it.
   */
  private async scanForTimestamp(
    segment: Segment,
    from: number,
    /** Batch-level filter from the header's max timestamp, so most batches are not decoded. */
    batchMayMatch: (batch: RecordBatch) => boolean,
    matches: (record: DecodedRecord) => boolean,
    fromIndexedBatch = false,
  ): Promise<TimestampLookup | null> {
    const start = fromIndexedBatch ? from : segment.offsetIndex.lookup(from).offset
    const end = segment === this.activeSegment ? this.logEndOffset : this.segments[this.segments.indexOf(segment) + 1]!.baseOffset
    if (start >= end) return null
    // Small reads: the record sought is almost always in the first batch or two.
    for await (const batch of this.batches({ from: Math.max(start, this.logStart), to: end, maxBytes: 1 })) {
      if (batch.isControl || !batchMayMatch(batch)) continue
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
      await this.syncing?.catch(() => undefined)
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
      await this.rebuildProducerState()
      if (this.highWatermarkOverride !== null) this.highWatermarkOverride = Math.min(this.highWatermarkOverride, this.logEndOffset)
    })
  }

  /** fsyncs everything appended so far (joining a group fsync if one is running). */
  async flush(): Promise<void> {
    if (this.closed) return
    await this.waitDurable(this.logEndOffset)
  }

  /**
   * Retention: deletes the oldest segments that the log start offset, `retentionBytes` or
   * `retentionMs` no longer keep (never the active segment, never data at or above the high
   * watermark), then advances the log start offset. Files are renamed to `.deleted` at once and
   * removed after `fileDeleteDelayMs`, so reads in flight finish.
   */
  async applyRetention(nowMs = Date.now(), onWarning?: (message: string) => void): Promise<RetentionResult> {
    return this.enqueue(async () => {
      if (this.closed) return { segments: 0, bytes: 0, reason: null, logStartOffset: this.logStart }
      await this.syncing?.catch(() => undefined)
      const summaries = this.segments.map((segment, slot) => ({
        baseOffset: segment.baseOffset,
        endOffset: this.segments[slot + 1]?.baseOffset ?? this.logEndOffset,
        size: segment.size,
        largestTimestamp: segment.largestTimestamp,
        modifiedMs: segment.modifiedMs(),
      }))
      const decision = decideRetention(summaries, {
        retentionMs: this.config.retentionMs,
        retentionBytes: this.config.retentionBytes,
        logStartOffset: this.logStart,
        highWatermark: this.highWatermark,
        nowMs,
      })
      if (decision.blockedByFutureTimestamp !== null) {
        const blocked = decision.blockedByFutureTimestamp
        onWarning?.(`${this.topic}-${this.partition}: segment ${blocked.baseOffset} holds a timestamp ${blocked.largestTimestamp - nowMs} ms in the future; time retention cannot delete it or anything after it`)
      }
      let bytes = 0
      const doomed = this.segments.slice(0, decision.count)
      if (doomed.length > 0) {
        // The new log start is made durable before any file is renamed: if power fails after only
        // some renames reached the disk, the survivors below it are still known to be deleted.
        this.advanceLogStart(this.segments[decision.count]!.baseOffset)
        for (const segment of doomed) {
          bytes += segment.size
          segment.markDeleted()
          this.pendingDeletions.push({ segment, dueMs: nowMs + this.fileDeleteDelayMs })
        }
        fsyncDirSync(this.dir)
        this.segments = this.segments.slice(decision.count)
        this.logStart = Math.max(this.logStart, this.segments[0]!.baseOffset)
      }
      this.removeDueDeletions(nowMs)
      return { segments: doomed.length, bytes, reason: decision.reason, logStartOffset: this.logStart }
    })
  }

  /**
   * Kafka's DeleteRecords: records below `offset` become unreadable at once (the log start moves,
   * possibly into the middle of a segment or batch) and whole segments below it are deleted.
   */
  async deleteRecordsBefore(offset: number, nowMs = Date.now()): Promise<number> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`deleteRecordsBefore needs a non-negative integer offset, got ${offset}`)
    const bound = this.highWatermark
    if (offset > bound) throw new OffsetOutOfRangeError(offset, this.logStart, bound, `${this.topic}-${this.partition} deleteRecordsBefore (limit: the high watermark)`)
    await this.enqueue(async () => {
      this.advanceLogStart(offset)
    })
    await this.applyRetention(nowMs)
    return this.logStart
  }

  private advanceLogStart(offset: number): void {
    if (offset <= this.logStart) return
    this.logStart = offset
    this.onLogStartAdvance?.(this)
  }

  /** Unlinks deleted segments whose delay has passed (all of them when `nowMs` is Infinity). */
  private removeDueDeletions(nowMs: number): void {
    const due = this.pendingDeletions.filter((pending) => pending.dueMs <= nowMs)
    if (due.length === 0) return
    this.pendingDeletions = this.pendingDeletions.filter((pending) => pending.dueMs > nowMs)
    for (const { segment } of due) segment.deleteFiles()
  }

  /** Flushes, seals the active segment (final time-index entry) and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return
    await this.enqueue(async () => {
      if (this.closed) return
      await this.syncing?.catch(() => undefined)
      if (this.failure !== null) {
        // Do not fsync after a failed fsync; reopening recovers whatever is really on disk.
        for (const segment of this.segments) segment.closeQuietly()
        this.closed = true
        return
      }
      const target = this.logEndOffset
      const active = this.activeSegment
      try {
        for (let slot = this.segmentSlotFor(Math.max(this.recoveryPoint, this.segments[0]!.baseOffset)); slot < this.segments.length - 1; slot++) {
          await this.segments[slot]!.flush()
        }
        await active.seal()
        this.recoveryPoint = target
        this.resolveWaiters()
        // Written even when empty (as Kafka does at shutdown): without a snapshot at the log end the
        // next open replays, and CRC-checks, the whole log to rebuild producer state.
        writeSnapshot(this.dir, target, this.producerState)
        this.removeDueDeletions(Infinity)
        for (const segment of this.segments) segment.close()
      } catch (error) {
        // Closing failed part way (a final fsync or write): the log must not count as cleanly
        // closed, and every file must still be closed, since a leaked descriptor keeps the file
        // system busy. Reopening recovers what is on disk.
        this.failure ??= error as Error
        const waiters = this.waiters
        this.waiters = []
        for (const waiter of waiters) waiter.reject(this.failedError())
        for (const segment of this.segments) segment.closeQuietly()
        for (const { segment } of this.pendingDeletions) segment.closeQuietly()
        throw error
      } finally {
        this.closed = true
      }
    })
  }

  /** Whether the partition stopped taking writes after an I/O failure. */
  get hasFailed(): boolean {
    return this.failure !== null
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

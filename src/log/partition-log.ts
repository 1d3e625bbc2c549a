import assert from 'node:assert'
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import type { CompressionName } from '../compression/codec.js'
import { InvalidArgumentError } from '../errors.js'
import { BatchScanner } from '../record/batch-scanner.js'
import { CorruptRecordError } from '../record/errors.js'
import { assignBaseOffset, encodeBatch, RecordBatch, type EncodeBatchOptions } from '../record/record-batch.js'
import type { DecodedRecord, RecordInput } from '../record/record.js'
import { cutWholeBatches, splitBatches } from './batch-bytes.js'
import { LogClosedError, OffsetOutOfRangeError, wrapIo } from './errors.js'
import { fsyncDirSync } from './file-io.js'
import { DEFAULT_FLUSH_POLICY, type FlushPolicy } from './flush-policy.js'
import { GroupCommit } from './group-commit.js'
import { checkCount, checkOptions, checkTimeMs, describe, optionalCount } from './log-arguments.js'
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type AppendInfo,
  type OpenPartitionOptions,
  type PartitionLogConfig,
  type ReadOptions,
  type ReadRawResult,
  type RetentionResult,
  type TimestampLookup,
} from './partition-types.js'
import { ProducerState, restoreProducerState, writeSnapshot } from './producer-state.js'
import { openSegments } from './recovery.js'
import { decideRetention } from './retention.js'
import { Segment, type BatchLocation, type BatchMeta } from './segment.js'
import { findMaxTimestampOffset, findOffsetForTimestamp } from './timestamp-lookup.js'
import { TruncationGate } from './truncation-gate.js'

export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from './partition-types.js'
export type { AppendInfo, OpenPartitionOptions, PartitionLogConfig, ReadOptions, ReadRawResult, RecoveryEvent, RetentionResult, TimestampLookup } from './partition-types.js'

/** A segment renamed to `.deleted`, waiting for in-flight reads before its files go. */
interface PendingDeletion {
  segment: Segment
  dueMs: number
}

/** What a truncation removes: the segments from `keep` on, and in the last kept one the batches from `cut` on. */
interface TruncationPlan {
  keep: number
  cut: BatchLocation | null
}

const DEFAULT_READ_BYTES = 1024 * 1024
const NO_BYTES = Buffer.alloc(0)

/**
 * One partition: an ordered list of segments, the last of them active. Appends, truncations,
 * retention and close are serialized (one at a time, in call order); reads run concurrently with
 * them. A read never sees bytes of an append that has not completed, nor the middle of a
 * truncation: it waits for a truncation that runs, and one that starts during the read makes the
 * read start again. Segments deleted under a read stay readable to it until it ends.
 * `logEndOffset` moves when an append's bytes are in the file; nothing is durable until `flush()`
 * resolves (the engine's flush modes decide when that runs). Always
 * logStartOffset <= highWatermark <= logEndOffset and recoveryPoint <= logEndOffset.
 * Once closed, every method rejects with LOG_CLOSED and touches no file.
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
  /** close() has begun: no fsync round starts any more (close makes its own). */
  private closing = false
  /** Reads wait for a truncation that runs, and start again when one comes during them. */
  private readonly truncation = new TruncationGate()
  /** Set when a write or fsync failed: the partition refuses writes until it is reopened. */
  private failure: Error | null = null
  /**
   * Emits 'append' with the new high watermark whenever records become visible to readers (after
   * the write, or under `sync` after the fsync). Tailing readers wait on it.
   */
  readonly events = new EventEmitter()
  private policy: FlushPolicy = DEFAULT_FLUSH_POLICY
  /** Appends and flushes waiting for an fsync to cover them. */
  private readonly groupCommit: GroupCommit
  private pendingDeletions: PendingDeletion[] = []
  /**
   * How long a deleted segment's files stay (renamed `.deleted`) before they are unlinked, as
   * Kafka's file.delete.delay.ms. Reads in flight finish whatever it is: they hold the file open.
   */
  fileDeleteDelayMs = 1000
  /**
   * Called (synchronously) when the log start offset or the recovery point move in a way the
   * checkpoints must record before anything else happens: when the log start advances, before any
   * segment below it is renamed away; and after a truncation, which may lower both, once it is
   * durable and before any later append. The engine writes its checkpoints there.
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
    const log = this
    this.groupCommit = new GroupCommit({
      get logEndOffset() {
        return log.logEndOffset
      },
      get recoveryPoint() {
        return log.recoveryPoint
      },
      set recoveryPoint(offset: number) {
        log.recoveryPoint = offset
      },
      get failure() {
        return log.failure
      },
      get canSync() {
        return !log.closing && !log.closed && !log.truncation.isTruncating
      },
      flushFrom: (offset) => this.flushSegmentsFrom(offset),
      afterRound: () => {
        if (this.policy.mode === 'sync') this.events.emit('append', this.highWatermark)
      },
      onRoundFailed: (error) => {
        this.failure = error
        return this.failedError()
      },
    })
  }

  /** Wall-clock time of the last completed fsync round, for interval flushing. */
  get lastFlushMs(): number {
    return this.groupCommit.lastFlushMs
  }

  set lastFlushMs(ms: number) {
    this.groupCommit.lastFlushMs = ms
  }

  /** Number of fsync rounds, for benchmarks and inspection. */
  get flushCount(): number {
    return this.groupCommit.flushCount
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
    const opened: Segment[] = []
    try {
      return await PartitionLog.openLog(dir, topic, partition, config, options, opened)
    } catch (error) {
      // A failed open leaves no descriptor behind (a caller retrying would leak one per segment).
      for (const segment of opened) segment.closeQuietly()
      throw error instanceof CorruptRecordError ? withRepairHint(error, dir, topic, partition) : error
    }
  }

  /** The body of `open`; every segment it opens goes into `opened`, so a failure can close them. */
  private static async openLog(dir: string, topic: string, partition: number, config: PartitionLogConfig, options: OpenPartitionOptions, opened: Segment[]): Promise<PartitionLog> {
    const kept = await openSegments(dir, config, options, opened)
    const active = kept[kept.length - 1]!
    const logStart = Math.max(options.logStartOffset, kept[0]!.baseOffset)
    const log = new PartitionLog(dir, topic, partition, config, kept, Math.min(logStart, active.nextOffset), active.nextOffset)
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
    const visible = this.highWatermarkOverride === null ? end : Math.min(this.highWatermarkOverride, end)
    // Never below the log start (Kafka's rule), which never lies above the log end.
    return Math.max(visible, this.logStart)
  }

  /** Lets an embedding broker hold back the visible end (e.g. until replicas have the data). */
  setHighWatermark(offset: number | null): void {
    if (offset !== null && (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)) {
      throw new InvalidArgumentError(`setHighWatermark: the high watermark must be a non-negative integer or null, got ${describe(offset)}`)
    }
    this.ensureOpen()
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
    let batch: Buffer
    try {
      if (!Array.isArray(records)) throw new InvalidArgumentError(`appendRecords: records must be an array of records, got ${describe(records)}`)
      if (records.length === 0) throw new InvalidArgumentError('appendRecords: records must hold at least one record')
      checkOptions(options, 'appendRecords')
      this.ensureWritable()
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
    let assignOffsets: boolean
    try {
      if (!Buffer.isBuffer(bytes)) throw new InvalidArgumentError(`appendBatch: bytes must be a Buffer of whole record batches, got ${describe(bytes)}`)
      const { assignOffsets: assign = true } = checkOptions(options, 'appendBatch')
      if (typeof assign !== 'boolean') throw new InvalidArgumentError(`appendBatch: assignOffsets must be a boolean, got ${describe(assign)}`)
      assignOffsets = assign
      this.ensureWritable()
      batches = splitBatches(bytes, this.config.maxBatchBytes)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.enqueue(() => this.appendBuffers(batches, assignOffsets)).then((info) => this.afterAppend(info))
  }

  /**
   * Applies the flush policy once an append's bytes are in the file: under `sync` the append
   * resolves only when an fsync covers it; under `interval` a message count may start one.
   */
  private afterAppend(info: AppendInfo): AppendInfo | Promise<AppendInfo> {
    const policy = this.policy
    if (policy.mode === 'sync') return this.waitForFsync(info.lastOffset + 1, false).then(() => info)
    this.events.emit('append', this.highWatermark)
    if (policy.mode === 'interval' && policy.messages !== undefined && this.logEndOffset - this.recoveryPoint >= policy.messages) {
      this.groupCommit.start()
    }
    return info
  }

  /**
   * Resolves once everything below `offset` is fsynced, joining the next group fsync. Rejects with
   * OFFSET_OUT_OF_RANGE if a truncation removes records below `offset` before they were fsynced.
   */
  waitDurable(offset: number): Promise<void> {
    try {
      checkCount(offset, 'offset', 'waitDurable')
      this.ensureOpen()
    } catch (error) {
      return Promise.reject(error)
    }
    return this.waitForFsync(offset, false)
  }

  private waitForFsync(offset: number, isFlush: boolean): Promise<void> {
    if (this.recoveryPoint < offset && this.failure !== null) return Promise.reject(this.failedError())
    return this.groupCommit.wait(offset, isFlush)
  }

  /** fsyncs every segment holding offsets at or after `offset` (writing staged index entries first). */
  private async flushSegmentsFrom(offset: number): Promise<void> {
    const segments = this.segments.slice(slotFor(this.segments, Math.max(offset, this.segments[0]!.baseOffset)))
    for (const segment of segments) await segment.flush()
  }

  private failedError(): LogClosedError {
    return new LogClosedError(`partition ${this.topic}-${this.partition} stopped taking writes after an I/O failure; reopen it to recover`, { cause: this.failure })
  }

  private closedError(): LogClosedError {
    return new LogClosedError(`partition ${this.topic}-${this.partition} is closed`)
  }

  private ensureOpen(): void {
    if (this.closed) throw this.closedError()
  }

  /** `ensureOpen`, bound once: reads pass it to the truncation gate. */
  private readonly checkOpen = (): void => this.ensureOpen()

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
      const duplicate = this.producerState.checkBatch(view)
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
    for (let slot = 0; slot < views.length; slot++) this.producerState.recordBatch(views[slot]!, metas[slot]!.baseOffset, metas[slot]!.lastOffset, metas[slot]!.maxTimestamp)
    return { baseOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp, size: totalBytes }
  }

  /** Rebuilds producer state at open or after a truncation (see restoreProducerState). */
  private async rebuildProducerState(): Promise<void> {
    await restoreProducerState(this.producerState, this.dir, this.logStart, this.logEndOffset, async (offset) => {
      // Not readRaw: this runs inside a truncation, which readRaw would wait for.
      const result = await this.readOnce(offset, DEFAULT_READ_BYTES, this.logEndOffset)
      assert(result !== null, 'segments in the list are never retired while the log is open')
      return result
    })
  }

  private ensureWritable(): void {
    this.ensureOpen()
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

  private checkRange(offset: number, where: string): void {
    if (offset < this.logStart || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.logStart, this.logEndOffset, `${this.topic}-${this.partition} ${where}`)
    }
  }

  /**
   * Whole batches as stored, starting with the batch that holds `offset` (the fetch path: bytes a
   * broker can send to Kafka clients unchanged). Returns at least one batch if any is readable,
   * even one larger than `maxBytes`; stays within one segment, like Kafka. At the end of the
   * readable log the result is empty with `nextOffset` where to read again (see ReadRawResult);
   * never -1. Damaged bytes fail with CorruptRecordError naming the file and position.
   */
  async readRaw(offset: number, options: ReadOptions = {}): Promise<ReadRawResult> {
    checkCount(offset, 'offset', 'readRaw')
    const { maxBytes, maxOffset } = checkOptions(options, 'readRaw')
    const byteBudget = optionalCount(maxBytes, 'maxBytes', 'readRaw', DEFAULT_READ_BYTES)
    const bound = maxOffset === undefined ? undefined : checkCount(maxOffset, 'maxOffset', 'readRaw')
    return this.truncation.read(() => this.readOnce(offset, byteBudget, bound), this.checkOpen)
  }

  /**
   * One attempt at readRaw over the segments as they are now. Each segment is held while it is
   * read, so deleting or closing it meanwhile does not pull its descriptor away. Null when a
   * segment it reached had been retired meanwhile (by retention or a truncation): read again.
   */
  private async readOnce(offset: number, maxBytes: number, maxOffsetOption: number | undefined): Promise<ReadRawResult | null> {
    this.checkRange(offset, 'readRaw')
    const maxOffset = Math.min(maxOffsetOption ?? this.highWatermark, this.logEndOffset)
    if (offset >= maxOffset) return { bytes: NO_BYTES, firstOffset: offset, nextOffset: offset }
    const segments = this.segments
    for (let slot = slotFor(segments, offset); slot < segments.length; slot++) {
      const segment = segments[slot]!
      if (!segment.acquire()) {
        // Still listed, yet retired: closed, or a truncation failed half way and stopped the log.
        if (this.segments.includes(segment)) throw this.closed ? this.closedError() : this.failedError()
        return null
      }
      try {
        const location = await segment.findBatch(offset)
        if (location === null) continue
        if (location.lastOffset >= maxOffset) return { bytes: NO_BYTES, firstOffset: offset, nextOffset: offset }
        const chunk = await segment.read(location.position, Math.max(maxBytes, location.size))
        const verifiedSize = segment.verifiedSize
        const cut = cutWholeBatches(chunk, { file: segment.paths.log, position: location.position, baseOffset: location.baseOffset, verifiedSize }, maxBytes, maxOffset)
        if (segment.verifiedSize === verifiedSize) segment.verifiedSize = cut.verifiedSize
        return { bytes: cut.bytes, firstOffset: cut.firstOffset, nextOffset: cut.nextOffset }
      } finally {
        segment.release()
      }
    }
    // No batch at or after `offset` anywhere: nothing is stored up to the bound, so read on from there.
    return { bytes: NO_BYTES, firstOffset: maxOffset, nextOffset: maxOffset }
  }

  /**
   * Decoded batches from the one holding `from` up to the high watermark (or `to`, exclusive),
   * read in chunks of `maxBytes`. Each batch's records are iterated synchronously, which is the
   * fast path: an await per record would cost more than decoding it. Control batches included.
   */
  async *batches(options: { from: number; to?: number; maxBytes?: number }): AsyncGenerator<RecordBatch> {
    const { from, to, maxBytes } = checkRangeOptions(options, 'batches')
    const byteBudget = optionalCount(maxBytes, 'maxBytes', 'batches', DEFAULT_READ_BYTES)
    this.ensureOpen()
    let offset = from
    this.checkRange(offset, 'batches')
    for (;;) {
      const limit = Math.min(to ?? Infinity, this.highWatermark)
      if (offset >= limit) return
      if (offset < this.logStart) throw new OffsetOutOfRangeError(offset, this.logStart, this.logEndOffset, `${this.topic}-${this.partition} batches`)
      // readRaw steps over gaps between segments; empty means nothing more is readable below the bound.
      const { bytes, nextOffset } = await this.readRaw(offset, { maxBytes: byteBudget, maxOffset: this.highWatermark })
      if (bytes.length === 0) return
      const scanner = new BatchScanner(bytes)
      for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
        if (to !== undefined && batch.baseOffset >= to) return
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
    const { from, to = Infinity } = checkRangeOptions(options, 'records')
    for await (const batch of this.batches(options)) {
      if (batch.isControl) continue
      for (const record of batch.records()) {
        if (record.offset < from) continue
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
    this.ensureOpen()
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.logStart, timestamp: -1 }
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.highWatermark, timestamp: -1 }
    if (timestamp !== MAX_TIMESTAMP && (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0)) {
      throw new InvalidArgumentError(`offsetForTimestamp: timestamp must be a non-negative integer or -1, -2, -3; got ${describe(timestamp)}`)
    }
    const lookup = async (): Promise<{ found: TimestampLookup | null }> => ({
      found: timestamp === MAX_TIMESTAMP ? await findMaxTimestampOffset(this) : await findOffsetForTimestamp(this, timestamp),
    })
    return (await this.truncation.read(lookup, this.checkOpen)).found
  }

  /**
   * Drops every record at or after `offset` (an embedding broker's divergent tail). If `offset`
   * falls inside a batch the whole batch goes, so the log end may land below `offset`. As in
   * Kafka, the log start comes down with it when it would lie above the new log end (records
   * appended next must be readable), and so do the recovery point and a held-back high watermark.
   * The cut is fsynced before it resolves. A failure after files were changed stops the partition
   * taking writes (LOG_CLOSED); reopening it recovers what is on disk.
   */
  async truncateTo(offset: number): Promise<void> {
    checkCount(offset, 'offset', 'truncateTo')
    this.ensureWritable()
    await this.enqueue(async () => {
      this.ensureWritable()
      if (offset >= this.logEndOffset) return
      try {
        await this.truncation.truncate(async () => {
          // No fsync round may run while segments are cut and removed: one already running is let
          // finish, and none starts until the truncation ends (canSync is false meanwhile).
          await this.groupCommit.idle()
          const plan = await this.planTruncation(offset)
          try {
            this.applyTruncation(offset, plan)
            await this.rebuildProducerState()
          } catch (error) {
            this.failure ??= error as Error
            throw error
          }
        })
      } finally {
        const where = `${this.topic}-${this.partition} waitDurable (a truncation removed records below it before they were fsynced)`
        this.groupCommit.settleAfterTruncation((waited) => new OffsetOutOfRangeError(waited, this.logStart, this.logEndOffset, where))
      }
      this.onLogStartAdvance?.(this)
    })
  }

  /** Finds what a truncation to `offset` removes, reading only. */
  private async planTruncation(offset: number): Promise<TruncationPlan> {
    if (offset <= this.segments[0]!.baseOffset) return { keep: 0, cut: null }
    // Segments whose base offset is below `offset` stay; the last of them is cut.
    const keep = slotFor(this.segments, offset - 1) + 1
    return { keep, cut: await this.segments[keep - 1]!.findBatch(offset) }
  }

  /**
   * Carries out a truncation plan. Synchronous, so no read, append or fsync round sees it half
   * done; reads already in flight hold their segments and start again when they end.
   */
  private applyTruncation(offset: number, plan: TruncationPlan): void {
    // Newest first: a crash part way then leaves a prefix of the segments, never a hole that would
    // bring back records being removed behind a log start that skips records nothing deleted.
    if (plan.keep === 0) {
      // The new segment may take the first one's name, so the old files go first.
      const doomed = this.segments
      for (let slot = doomed.length - 1; slot >= 0; slot--) doomed[slot]!.deleteFiles()
      this.segments = [Segment.create(this.dir, offset, this.config, Date.now())]
      this.logStart = offset
    } else {
      const doomed = this.segments.slice(plan.keep)
      this.segments = this.segments.slice(0, plan.keep)
      for (let slot = doomed.length - 1; slot >= 0; slot--) doomed[slot]!.deleteFiles()
      if (plan.cut !== null) this.activeSegment.cutAt(plan.cut)
    }
    fsyncDirSync(this.dir)
    const end = this.logEndOffset
    this.logStart = Math.min(this.logStart, end)
    this.recoveryPoint = Math.min(this.recoveryPoint, end)
    if (this.highWatermarkOverride !== null) this.highWatermarkOverride = Math.min(this.highWatermarkOverride, end)
  }

  /** fsyncs everything appended so far (joining a group fsync if one is running). */
  async flush(): Promise<void> {
    this.ensureOpen()
    await this.waitForFsync(this.logEndOffset, true)
  }

  /**
   * Retention: deletes the oldest segments that the log start offset, `retentionBytes` or
   * `retentionMs` no longer keep (never the active segment, never data at or above the high
   * watermark), then advances the log start offset. Files are renamed to `.deleted` at once and
   * removed after `fileDeleteDelayMs`; reads already holding a deleted segment finish either way.
   */
  async applyRetention(nowMs = Date.now(), onWarning?: (message: string) => void): Promise<RetentionResult> {
    checkTimeMs(nowMs, 'nowMs', 'applyRetention')
    this.ensureOpen()
    return this.enqueue(async () => {
      this.ensureOpen()
      await this.groupCommit.idle()
      const summaries = this.segments.map((segment, slot) => ({
        baseOffset: segment.baseOffset,
        endOffset: this.segments[slot + 1]?.baseOffset ?? this.logEndOffset,
        size: segment.size,
        largestTimestamp: segment.largestTimestampForRetention,
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
        // Out of the list first, so no new read picks a segment whose files are being renamed.
        this.segments = this.segments.slice(decision.count)
        this.logStart = Math.max(this.logStart, this.segments[0]!.baseOffset)
        for (const segment of doomed) {
          bytes += segment.size
          this.pendingDeletions.push({ segment, dueMs: nowMs + this.fileDeleteDelayMs })
          segment.markDeleted()
        }
        fsyncDirSync(this.dir)
      }
      this.removeDueDeletions(nowMs)
      return { segments: doomed.length, bytes, reason: decision.reason, logStartOffset: this.logStart }
    })
  }

  /**
   * Kafka's DeleteRecords: records below `offset` become unreadable at once (the log start moves,
   * possibly into the middle of a segment or batch) and whole segments below it are deleted. An
   * offset above the high watermark (when its turn comes, after appends and truncations called
   * earlier) is refused with OFFSET_OUT_OF_RANGE.
   */
  async deleteRecordsBefore(offset: number, nowMs = Date.now()): Promise<number> {
    checkCount(offset, 'offset', 'deleteRecordsBefore')
    checkTimeMs(nowMs, 'nowMs', 'deleteRecordsBefore')
    this.ensureOpen()
    await this.enqueue(async () => {
      this.ensureOpen()
      const bound = this.highWatermark
      if (offset > bound) throw new OffsetOutOfRangeError(offset, this.logStart, bound, `${this.topic}-${this.partition} deleteRecordsBefore (limit: the high watermark)`)
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

  /**
   * Flushes, seals the active segment (final time-index entry) and closes every file (a file a
   * read still holds is closed when that read ends). Every later call rejects with LOG_CLOSED.
   */
  async close(): Promise<void> {
    if (this.closed) return
    await this.enqueue(async () => {
      if (this.closed) return
      this.closing = true
      try {
        await this.groupCommit.idle()
        // After a failed fsync nothing is fsynced again; reopening recovers what is really on disk.
        if (this.failure === null) await this.closeCleanly()
      } catch (error) {
        // Closing failed part way (a final fsync or write): the log must not count as cleanly
        // closed. Reopening recovers what is on disk.
        this.failure ??= error as Error
        throw error
      } finally {
        // Every file is closed whatever happened, since a leaked descriptor keeps the file system
        // busy; a wait for offsets never appended (all others are settled by now) is refused.
        for (const segment of this.segments) segment.closeQuietly()
        for (const { segment } of this.pendingDeletions) segment.closeQuietly()
        this.closed = true
        this.groupCommit.rejectAll(this.failure === null ? this.closedError() : this.failedError())
      }
    })
  }

  /** Seals the log: everything fsynced, the producer snapshot written, the files closed. */
  private async closeCleanly(): Promise<void> {
    const target = this.logEndOffset
    for (let slot = slotFor(this.segments, Math.max(this.recoveryPoint, this.segments[0]!.baseOffset)); slot < this.segments.length - 1; slot++) {
      await this.segments[slot]!.flush()
    }
    await this.activeSegment.seal()
    this.recoveryPoint = target
    this.groupCommit.resolveCovered()
    // Written even when empty (as Kafka does at shutdown): without a snapshot at the log end the
    // next open replays, and CRC-checks, the whole log to rebuild producer state.
    writeSnapshot(this.dir, target, this.producerState)
    this.removeDueDeletions(Infinity)
    for (const segment of this.segments) segment.close()
  }

  /** Whether the partition stopped taking writes after an I/O failure. */
  get hasFailed(): boolean {
    return this.failure !== null
  }
}

/** Index of the segment holding `offset`: the last one whose base offset is <= it. */
function slotFor(segments: readonly Segment[], offset: number): number {
  let low = 0
  let high = segments.length - 1
  while (low < high) {
    const mid = (low + high + 1) >>> 1
    if (segments[mid]!.baseOffset <= offset) low = mid
    else high = mid - 1
  }
  return low
}

/** The `{ from, to }` options of batches() and records(), checked. */
function checkRangeOptions<T extends { from: number; to?: number }>(options: T, where: string): T {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${where}: options must be an object with \`from\`, got ${describe(options)}`)
  checkCount(options.from, 'from', where)
  if (options.to !== undefined) checkCount(options.to, 'to', where)
  return options
}

/**
 * Damage that keeps a partition from opening: the same error (code, reason, file, position), with
 * the way out in its message.
 */
function withRepairHint(error: CorruptRecordError, dir: string, topic: string, partition: number): CorruptRecordError {
  const hinted = new CorruptRecordError(error.reason, error.position, error.detail, error.file, { cause: error.cause })
  hinted.message = `${error.message}. This partition cannot open: the damage lies in data made durable. ` +
    `\`seglog repair ${path.dirname(dir)} --topic ${topic} --partition ${partition}\` moves the damaged bytes into quarantine files so it can (see docs/durability.md)`
  return hinted
}

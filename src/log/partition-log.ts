import { EventEmitter } from 'node:events'
import type { CompressionName } from '../compression/codec.js'
import { type RecordBatch } from '../record/record-batch.js'
import { encodeBatch, type EncodeBatchOptions } from '../record/batch-encoder.js'
import type { DecodedRecord, RecordInput } from '../record/record.js'
import type { RecordLike } from '../record/record-input.js'
import { splitBatches } from './batch-bytes.js'
import { LogClosedError, OffsetOutOfRangeError } from './errors.js'
import type { FlushPolicy } from './flush-policy.js'
import { GroupCommit } from './group-commit.js'
import { appendBatches, roll, type AppendTarget } from './log-appender.js'
import { closeLog } from './log-close.js'
import { checkBatchBytes, checkCount, checkHighWatermark, checkRecords, checkTimeMs } from './log-arguments.js'
import { checkedOptions, createSegmentList, failedOpen, loadSegmentList, replayProducerState } from './log-loader.js'
import { LogReader } from './log-reader.js'
import { SegmentRetention } from './log-retention.js'
import { truncateLog } from './log-truncation.js'
import type {
  AppendInfo,
  OpenPartitionOptions,
  PartitionLogConfig,
  PartitionLogOptions,
  ReadOptions,
  ReadRawResult,
  RetentionResult,
  TimestampLookup,
} from './partition-types.js'
import { ProducerState } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import type { Segment } from './segment.js'
import { TruncationGate } from './truncation-gate.js'

export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from './partition-types.js'
export type {
  AppendInfo,
  OpenPartitionOptions,
  PartitionLogConfig,
  PartitionLogOptions,
  ReadOptions,
  ReadRawResult,
  RecoveryEvent,
  RetentionResult,
  TimestampLookup,
} from './partition-types.js'

/** The parts of a partition log its modules share (appender, truncation, retention). */
interface LogParts extends AppendTarget {
  readonly name: string
  readonly truncation: TruncationGate
}

/**
 * One partition, a thin facade over the modules that do the work: the SegmentList owns the
 * segments and the offsets along them, the loader opens them, the reader reads, the appender
 * writes, the GroupCommit decides when bytes are fsynced, truncation and retention remove them.
 *
 * Appends, truncations, retention and close are serialized (one at a time, in call order); reads
 * run concurrently with them. A read never sees bytes of an append that has not completed, nor
 * the middle of a truncation: it waits for a truncation that runs, and one that starts during the
 * read makes the read start again. Segments deleted under a read stay readable to it until it
 * ends. `logEndOffset` moves when an append's bytes are in the file; nothing is durable until
 * `flush()` resolves (the flush policy decides when that happens on its own). Always
 * logStartOffset <= highWatermark <= logEndOffset and recoveryPoint <= logEndOffset.
 * Once closed, every method rejects with LOG_CLOSED and touches no file.
 */
export class PartitionLog {
  readonly topic: string
  readonly partition: number
  readonly dir: string
  /** Emits 'append' with the new high watermark when records become visible (tailing readers wait on it). */
  readonly events = new EventEmitter()
  /** Idempotent producers' recent batches, for deduplicating retries. */
  readonly producerState: ProducerState
  /**
   * Called (synchronously) when the log start offset or the recovery point move in a way the
   * checkpoints must record before anything else happens: when the log start advances, before any
   * segment below it is renamed away; and after a truncation, which may lower both, once it is
   * durable and before any later append. The engine writes its checkpoints there.
   */
  onLogStartAdvance: ((log: PartitionLog) => void) | null = null
  private readonly list: SegmentList
  private readonly parts: LogParts
  private readonly groupCommit: GroupCommit
  private readonly reader: LogReader
  private readonly retention: SegmentRetention
  private appendTail: Promise<unknown> = Promise.resolve()
  private closed = false
  /** close() has begun: no fsync round starts any more (close makes its own). */
  private closing = false

  private constructor(
    dir: string,
    topic: string,
    partition: number,
    config: PartitionLogConfig,
    list: SegmentList,
    options: PartitionLogOptions,
  ) {
    this.dir = dir
    this.topic = topic
    this.partition = partition
    this.list = list
    this.events.setMaxListeners(0)
    const { clock, fileSystem, fileDeleteDelayMs } = checkedOptions(options)
    const name = `${topic}-${partition}`
    const truncation = new TruncationGate()
    this.producerState = new ProducerState(clock)
    this.groupCommit = new GroupCommit({
      list,
      dir,
      name,
      clock,
      fileSystem,
      canSync: () => !this.closing && !this.closed && !truncation.isTruncating,
      onDurable: () => {
        if (this.groupCommit.policy.mode === 'sync') this.events.emit('append', list.highWatermark)
      },
    })
    this.groupCommit.policy = options.flush ?? this.groupCommit.policy
    this.parts = {
      list,
      dir,
      name,
      config,
      clock,
      fileSystem,
      producerState: this.producerState,
      groupCommit: this.groupCommit,
      truncation,
    }
    this.reader = new LogReader({
      list,
      name,
      truncation,
      ensureOpen: () => this.ensureOpen(),
      retiredError: () => (this.closed ? this.closedError() : this.groupCommit.failedError()),
    })
    this.retention = new SegmentRetention(
      { list, dir, name, config, fileSystem, advanceLogStart: (offset) => this.advanceLogStart(offset) },
      fileDeleteDelayMs,
    )
  }

  /** Creates the directory of a new, empty partition. */
  static async create(
    dir: string,
    topic: string,
    partition: number,
    config: PartitionLogConfig,
    options: PartitionLogOptions = {},
  ): Promise<PartitionLog> {
    const list = createSegmentList(dir, config, checkedOptions(options))
    return new PartitionLog(dir, topic, partition, config, list, options)
  }

  /**
   * Opens a partition directory (log-loader.ts): leftovers of interrupted operations go, the
   * indexes are checked, and after an unclean shutdown segments from the recovery point on recover.
   */
  static async open(
    dir: string,
    topic: string,
    partition: number,
    config: PartitionLogConfig,
    options: OpenPartitionOptions,
  ): Promise<PartitionLog> {
    const list = loadSegmentList(dir, topic, partition, config, options, checkedOptions(options))
    const log = new PartitionLog(dir, topic, partition, config, list, options)
    try {
      await log.rebuildProducerState()
    } catch (error) {
      throw failedOpen(error, list.all, dir, topic, partition)
    }
    return log
  }

  get logStartOffset(): number {
    return this.list.logStartOffset
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.list.logEndOffset
  }

  /** Offset below which everything has been fsynced. */
  get recoveryPoint(): number {
    return this.list.recoveryPoint
  }

  /** Readers see offsets below it: the log end, the durable end under `sync`, or lower (setHighWatermark). */
  get highWatermark(): number {
    return this.list.highWatermark
  }

  /** The flush policy in force (the engine sets it from the topic's or its own setting). */
  get flushPolicy(): FlushPolicy {
    return this.groupCommit.policy
  }

  set flushPolicy(policy: FlushPolicy) {
    this.groupCommit.policy = policy
  }

  /** Clock time of the last completed fsync round, for interval flushing. */
  get lastFlushMs(): number {
    return this.groupCommit.lastFlushMs
  }

  /** Number of fsync rounds, for benchmarks and inspection. */
  get flushCount(): number {
    return this.groupCommit.flushCount
  }

  /** How long deleted segments' files stay renamed `.deleted` (set through the options). */
  get fileDeleteDelayMs(): number {
    return this.retention.fileDeleteDelayMs
  }

  /** Number of segments, for inspection. */
  get segmentCount(): number {
    return this.list.all.length
  }

  /** The segments, oldest first (read-only use: inspect, retention). */
  get segmentList(): readonly Segment[] {
    return this.list.all
  }

  /** Bytes of all segments. */
  get sizeInBytes(): number {
    return this.list.sizeInBytes
  }

  /** Whether the partition stopped taking writes after an I/O failure. */
  get hasFailed(): boolean {
    return this.groupCommit.failure !== null
  }

  /** Lets an embedding broker hold back the visible end (e.g. until replicas have the data). */
  setHighWatermark(offset: number | null): void {
    checkHighWatermark(offset)
    this.ensureOpen()
    const before = this.highWatermark
    this.list.holdHighWatermark(offset)
    // Readers waiting at the old bound have records now.
    if (this.highWatermark > before) this.events.emit('append', this.highWatermark)
  }

  /** Encodes `records` as one batch and appends it. */
  appendRecords(
    records: readonly (RecordInput | RecordLike)[],
    options: Omit<EncodeBatchOptions, 'baseOffset'> & { compression?: CompressionName } = {},
  ): Promise<AppendInfo> {
    let batch: Buffer
    try {
      checkRecords(records, options)
      this.ensureWritable()
      batch = encodeBatch(records, options)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.enqueue(() => this.append([batch], true)).then((info) => this.afterAppend(info))
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
      assignOffsets = checkBatchBytes(bytes, options)
      this.ensureWritable()
      batches = splitBatches(bytes, this.parts.config.maxBatchBytes)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.enqueue(() => this.append(batches, assignOffsets)).then((info) => this.afterAppend(info))
  }

  private append(batches: Buffer[], assignOffsets: boolean): Promise<AppendInfo> {
    this.ensureWritable()
    return appendBatches(this.parts, batches, assignOffsets)
  }

  /** Under `sync` an append resolves when an fsync covers it; otherwise at once (a count may start one). */
  private afterAppend(info: AppendInfo): AppendInfo | Promise<AppendInfo> {
    if (this.groupCommit.policy.mode === 'sync') return this.groupCommit.wait(info.lastOffset + 1, false).then(() => info)
    this.events.emit('append', this.highWatermark)
    this.groupCommit.afterAppend()
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
    return this.groupCommit.wait(offset, false)
  }

  /** fsyncs everything appended so far (joining a group fsync if one is running). */
  async flush(): Promise<void> {
    this.ensureOpen()
    await this.groupCommit.wait(this.logEndOffset, true)
  }

  /**
   * The interval flush (`flush: { mode: 'interval', ms }`): fsyncs everything written once the
   * last fsync is `ms` old at `nowMs`, resolving when that is durable. The engine's background
   * task calls it; a closed or failed log does nothing.
   */
  flushIfDue(nowMs: number): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.groupCommit.flushIfDue(nowMs)
  }

  /**
   * Whole batches as stored, starting with the batch that holds `offset` (the fetch path: bytes a
   * broker can send to Kafka clients unchanged), at least one if any is readable; see ReadRawResult.
   */
  readRaw(offset: number, options: ReadOptions = {}): Promise<ReadRawResult> {
    return this.reader.readRaw(offset, options)
  }

  /** Decoded batches (control batches too) from the one holding `from` up to the high watermark or `to`. */
  batches(options: { from: number; to?: number; maxBytes?: number }): AsyncGenerator<RecordBatch> {
    return this.reader.batches(options)
  }

  /** Decoded records with offsets in [from, to), without control records. */
  records(options: { from: number; to?: number }): AsyncGenerator<DecodedRecord> {
    return this.reader.records(options)
  }

  /**
   * Kafka's ListOffsets: the first offset whose record timestamp is >= `timestamp`, or the special
   * queries LATEST (-1), EARLIEST (-2) and MAX_TIMESTAMP (-3). Null when no record qualifies.
   */
  offsetForTimestamp(timestamp: number): Promise<TimestampLookup | null> {
    return this.reader.offsetForTimestamp(timestamp)
  }

  /**
   * Drops every record at or after `offset` (a broker's divergent tail; a batch holding `offset`
   * goes whole). The log start, recovery point and a held-back high watermark come down with the
   * log end when they lie above it. Fsynced when it resolves; a failure after files changed stops
   * the partition taking writes (LOG_CLOSED) until it is reopened.
   */
  async truncateTo(offset: number): Promise<void> {
    checkCount(offset, 'offset', 'truncateTo')
    this.ensureWritable()
    await this.enqueue(async () => {
      this.ensureWritable()
      if (offset >= this.logEndOffset) return
      await truncateLog({ ...this.parts, rebuildProducerState: () => this.rebuildProducerState() }, offset)
      this.onLogStartAdvance?.(this)
    })
  }

  /** Retention (log-retention.ts): deletes the oldest segments the limits no longer keep. */
  async applyRetention(nowMs = this.parts.clock.nowMs(), onWarning?: (message: string) => void): Promise<RetentionResult> {
    checkTimeMs(nowMs, 'nowMs', 'applyRetention')
    this.ensureOpen()
    return this.enqueue(async () => {
      this.ensureOpen()
      await this.groupCommit.idle()
      return this.retention.apply(nowMs, onWarning)
    })
  }

  /**
   * Kafka's DeleteRecords: the log start moves to `offset` (maybe inside a batch) and whole segments
   * below it are deleted. Above the high watermark when its turn comes: OFFSET_OUT_OF_RANGE.
   */
  async deleteRecordsBefore(offset: number, nowMs = this.parts.clock.nowMs()): Promise<number> {
    checkCount(offset, 'offset', 'deleteRecordsBefore')
    checkTimeMs(nowMs, 'nowMs', 'deleteRecordsBefore')
    this.ensureOpen()
    await this.enqueue(async () => {
      this.ensureOpen()
      const bound = this.highWatermark
      if (offset > bound)
        throw new OffsetOutOfRangeError(
          offset,
          this.logStartOffset,
          bound,
          `${this.parts.name} deleteRecordsBefore (limit: the high watermark)`,
        )
      this.advanceLogStart(offset)
    })
    await this.applyRetention(nowMs)
    return this.logStartOffset
  }

  private advanceLogStart(offset: number): void {
    if (this.list.advanceLogStart(offset)) this.onLogStartAdvance?.(this)
  }

  /**
   * Seals the active segment and starts a new one at the log end, unless the active segment is
   * empty (the offset store's compaction uses this so the compacted state starts a segment).
   */
  async rollNow(): Promise<void> {
    await this.enqueue(async () => {
      this.ensureWritable()
      if (!this.list.active.isEmpty) roll(this.parts, this.logEndOffset, this.parts.clock.nowMs())
    })
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
        await closeLog({ ...this.parts, retention: this.retention }, () => this.closedError())
      } finally {
        this.closed = true
      }
    })
  }

  /** Rebuilds producer state at open or after a truncation. */
  private rebuildProducerState(): Promise<void> {
    return replayProducerState(this.parts, this.reader)
  }

  private closedError(): LogClosedError {
    return new LogClosedError(`partition ${this.parts.name} is closed`)
  }

  private ensureOpen(): void {
    if (this.closed) throw this.closedError()
  }

  private ensureWritable(): void {
    this.ensureOpen()
    if (this.groupCommit.failure !== null) throw this.groupCommit.failedError()
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.appendTail.then(task, task)
    this.appendTail = run.catch(() => undefined)
    return run
  }
}

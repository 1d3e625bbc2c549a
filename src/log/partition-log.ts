import assert from 'node:assert'
import { EventEmitter } from 'node:events'
import type { CompressionName } from '../compression/codec.js'
import { InvalidArgumentError } from '../errors.js'
import { encodeBatch, type EncodeBatchOptions, type RecordBatch } from '../record/record-batch.js'
import type { DecodedRecord, RecordInput } from '../record/record.js'
import { splitBatches } from './batch-bytes.js'
import { systemClock, type Clock } from './clock.js'
import { LogClosedError, OffsetOutOfRangeError } from './errors.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'
import type { FlushPolicy } from './flush-policy.js'
import { GroupCommit } from './group-commit.js'
import { appendBatches, roll, type AppendTarget } from './log-appender.js'
import { checkCount, checkOptions, checkTimeMs, describe } from './log-arguments.js'
import { createSegmentList, failedOpen, loadSegmentList } from './log-loader.js'
import { DEFAULT_READ_BYTES, LogReader } from './log-reader.js'
import { SegmentRetention } from './log-retention.js'
import { truncateLog } from './log-truncation.js'
import type { AppendInfo, OpenPartitionOptions, PartitionLogConfig, PartitionLogOptions, ReadOptions, ReadRawResult, RetentionResult, TimestampLookup } from './partition-types.js'
import { ProducerState, restoreProducerState, takeSnapshot, writeSnapshotSync } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import type { Segment } from './segment.js'
import { TruncationGate } from './truncation-gate.js'

export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from './partition-types.js'
export type { AppendInfo, OpenPartitionOptions, PartitionLogConfig, PartitionLogOptions, ReadOptions, ReadRawResult, RecoveryEvent, RetentionResult, TimestampLookup } from './partition-types.js'

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
  /**
   * Emits 'append' with the new high watermark whenever records become visible to readers (after
   * the write, or under `sync` after the fsync). Tailing readers wait on it.
   */
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

  private constructor(dir: string, topic: string, partition: number, config: PartitionLogConfig, list: SegmentList, options: PartitionLogOptions) {
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
      list, dir, name, clock, fileSystem,
      canSync: () => !this.closing && !this.closed && !truncation.isTruncating,
      onDurable: () => {
        if (this.groupCommit.policy.mode === 'sync') this.events.emit('append', list.highWatermark)
      },
    })
    this.groupCommit.policy = options.flush ?? this.groupCommit.policy
    this.parts = { list, dir, name, config, clock, fileSystem, producerState: this.producerState, groupCommit: this.groupCommit, truncation }
    this.reader = new LogReader({
      list, name, truncation,
      ensureOpen: () => this.ensureOpen(),
      retiredError: () => (this.closed ? this.closedError() : this.groupCommit.failedError()),
    })
    this.retention = new SegmentRetention({ list, dir, name, config, fileSystem, advanceLogStart: (offset) => this.advanceLogStart(offset) }, fileDeleteDelayMs)
  }

  /** Creates the directory of a new, empty partition. */
  static async create(dir: string, topic: string, partition: number, config: PartitionLogConfig, options: PartitionLogOptions = {}): Promise<PartitionLog> {
    const list = createSegmentList(dir, config, checkedOptions(options))
    return new PartitionLog(dir, topic, partition, config, list, options)
  }

  /**
   * Opens a partition directory: removes leftovers of interrupted deletions, opens every segment
   * and, after an unclean shutdown, recovers every segment from the one holding the recovery point
   * on (log-loader.ts). Indexes that fail their checks are rebuilt; missing ones are recreated.
   */
  static async open(dir: string, topic: string, partition: number, config: PartitionLogConfig, options: OpenPartitionOptions): Promise<PartitionLog> {
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

  /**
   * Readers see offsets below it. It follows the log end, or under `sync` the durable end (so no
   * reader sees a record a crash could take back), unless the embedder sets it lower.
   */
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

  /** @deprecated pass `fileDeleteDelayMs` in the options; kept until the engine does. */
  set fileDeleteDelayMs(ms: number) {
    this.retention.fileDeleteDelayMs = ms
  }

  /** @deprecated the log's group commit keeps it (see flushIfDue); kept until the engine uses that. */
  set lastFlushMs(ms: number) {
    this.groupCommit.lastFlushMs = ms
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
    if (offset !== null && (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)) {
      throw new InvalidArgumentError(`setHighWatermark: the high watermark must be a non-negative integer or null, got ${describe(offset)}`)
    }
    this.ensureOpen()
    const before = this.highWatermark
    this.list.holdHighWatermark(offset)
    // Readers waiting at the old bound have records now.
    if (this.highWatermark > before) this.events.emit('append', this.highWatermark)
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
      if (!Buffer.isBuffer(bytes)) throw new InvalidArgumentError(`appendBatch: bytes must be a Buffer of whole record batches, got ${describe(bytes)}`)
      const { assignOffsets: assign = true } = checkOptions(options, 'appendBatch')
      if (typeof assign !== 'boolean') throw new InvalidArgumentError(`appendBatch: assignOffsets must be a boolean, got ${describe(assign)}`)
      assignOffsets = assign
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

  /**
   * Applies the flush policy once an append's bytes are in the file: under `sync` the append
   * resolves only when an fsync covers it; under `interval` a message count may start one.
   */
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

  /** Whole batches as stored from the one holding `offset` (the fetch path); see LogReader. */
  readRaw(offset: number, options: ReadOptions = {}): Promise<ReadRawResult> {
    return this.reader.readRaw(offset, options)
  }

  /**
   * Decoded batches from the one holding `from` up to the high watermark (or `to`, exclusive),
   * read in chunks of `maxBytes`. Each batch's records are iterated synchronously, which is the
   * fast path: an await per record would cost more than decoding it. Control batches included.
   */
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
      await truncateLog({ ...this.parts, rebuildProducerState: () => this.rebuildProducerState() }, offset)
      this.onLogStartAdvance?.(this)
    })
  }

  /**
   * Retention (log-retention.ts): deletes the oldest segments that the log start offset,
   * `retentionBytes` or `retentionMs` no longer keep, then advances the log start offset.
   */
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
   * Kafka's DeleteRecords: records below `offset` become unreadable at once (the log start moves,
   * possibly into the middle of a segment or batch) and whole segments below it are deleted. An
   * offset above the high watermark (when its turn comes, after appends and truncations called
   * earlier) is refused with OFFSET_OUT_OF_RANGE.
   */
  async deleteRecordsBefore(offset: number, nowMs = this.parts.clock.nowMs()): Promise<number> {
    checkCount(offset, 'offset', 'deleteRecordsBefore')
    checkTimeMs(nowMs, 'nowMs', 'deleteRecordsBefore')
    this.ensureOpen()
    await this.enqueue(async () => {
      this.ensureOpen()
      const bound = this.highWatermark
      if (offset > bound) throw new OffsetOutOfRangeError(offset, this.logStartOffset, bound, `${this.parts.name} deleteRecordsBefore (limit: the high watermark)`)
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
        await this.groupCommit.idle()
        // After a failed fsync nothing is fsynced again; reopening recovers what is really on disk.
        if (this.groupCommit.failure === null) await this.closeCleanly()
      } catch (error) {
        // Closing failed part way (a final fsync or write): the log must not count as cleanly
        // closed. Reopening recovers what is on disk.
        this.groupCommit.fail(error as Error)
        throw error
      } finally {
        // Every file is closed whatever happened, since a leaked descriptor keeps the file system
        // busy; a wait for offsets never appended (all others are settled by now) is refused.
        for (const segment of this.list.all) segment.closeQuietly()
        this.retention.closeQuietly()
        this.closed = true
        this.groupCommit.rejectAll(this.groupCommit.failure === null ? this.closedError() : this.groupCommit.failedError())
      }
    })
  }

  /** Seals the log: everything fsynced, the producer snapshot written, the files closed. */
  private async closeCleanly(): Promise<void> {
    const { list, dir, fileSystem, clock } = this.parts
    const target = this.logEndOffset
    list.active.seal()
    await this.groupCommit.flushForClose()
    list.advanceRecoveryPoint(target)
    this.groupCommit.resolveCovered()
    // Written even when empty (as Kafka does at shutdown): without a snapshot at the log end the
    // next open replays, and CRC-checks, the whole log to rebuild producer state.
    writeSnapshotSync(dir, target, takeSnapshot(this.producerState, clock.nowMs()), fileSystem)
    this.retention.removeDue(Infinity)
    for (const segment of list.all) segment.close()
  }

  /** Rebuilds producer state at open or after a truncation (see restoreProducerState). */
  private async rebuildProducerState(): Promise<void> {
    const { list, dir, fileSystem } = this.parts
    await restoreProducerState(this.producerState, dir, list.logStartOffset, list.logEndOffset, async (offset) => {
      // Not readRaw: this runs inside a truncation, which readRaw would wait for.
      const result = await this.reader.readOnce(offset, DEFAULT_READ_BYTES, list.logEndOffset)
      assert(result !== null, 'segments in the list are never retired while the log is open')
      return result
    }, fileSystem)
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

/** The options with their defaults, checked before any file is touched. */
function checkedOptions(options: PartitionLogOptions): { fileSystem: LogFileSystem; clock: Clock; fileDeleteDelayMs: number } {
  const fileDeleteDelayMs = options.fileDeleteDelayMs ?? 1000
  checkCount(fileDeleteDelayMs, 'fileDeleteDelayMs', 'PartitionLog options')
  return { fileSystem: options.fileSystem ?? nodeFileSystem, clock: options.clock ?? systemClock, fileDeleteDelayMs }
}

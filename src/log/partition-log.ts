import { EventEmitter } from 'node:events'
import type { CompressionName } from '../compression/codec.js'
import { type RecordBatch } from '../record/record-batch.js'
import type { EncodeBatchOptions } from '../record/batch-encoder.js'
import type { DecodedRecord, RecordInput } from '../record/record.js'
import type { RecordLike } from '../record/record-input.js'
import type { FlushPolicy } from './flush-policy.js'
import type { GroupCommit } from './group-commit.js'
import { checkCount, checkHighWatermark } from './log-arguments.js'
import { createSegmentList, checkedOptions, failedOpen, loadSegmentList, replayProducerState } from './log-loader.js'
import { LogReader } from './log-reader.js'
import { LogWriter } from './log-writer.js'
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
import type { ProducerState } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import type { Segment } from './segment.js'
import type { OpenTransaction } from './ongoing-transactions.js'
import { ReplicaControl } from './replication.js'
import type { EpochEndOffset } from './leader-epoch-cache.js'
import * as txn from './transactions.js'
import { keyIndexContextOf } from './key-index.js'
import { lookupKey, type KeyLookupOptions } from './key-lookup.js'
import { compactPartition, type CompactionOptions, type CompactionResult } from './cleaner/compaction-pass.js'

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

/**
 * One partition, a thin facade over the modules that do the work: the SegmentList owns the
 * segments and the offsets along them, the loader opens them, the reader reads, the appender
 * writes (through the LogWriter's queue), the GroupCommit decides when bytes are fsynced,
 * truncation and retention remove them.
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
   * Called (synchronously) when the checkpoints must record a move of the log start (before any
   * segment below it is renamed away) or a truncation (once durable, before any later append).
   */
  onLogStartAdvance: ((log: PartitionLog) => void) | null = null
  private readonly list: SegmentList
  private readonly writer: LogWriter
  private readonly groupCommit: GroupCommit
  private readonly reader: LogReader
  private readonly transactional: txn.TransactionalSource
  private readonly replica: ReplicaControl

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
    const name = `${topic}-${partition}`
    this.writer = new LogWriter(dir, name, config, list, options, {
      onVisible: (highWatermark) => this.events.emit('append', highWatermark),
      onLogStartAdvance: () => this.onLogStartAdvance?.(this),
      rebuildProducerState: () => this.rebuildProducerState(),
    })
    this.groupCommit = this.writer.groupCommit
    this.producerState = this.writer.parts.producerState
    this.reader = new LogReader({
      list,
      name,
      truncation: this.writer.parts.truncation,
      ensureOpen: () => this.writer.ensureOpen(),
      retiredError: () => this.writer.retiredError(),
    })
    this.replica = new ReplicaControl(this.writer)
    this.transactional = { list, producerState: this.producerState, txnIndex: this.writer.parts.txnIndex, reader: this.reader }
  }

  /** Creates the directory of a new, empty partition. */
  static async create(dir: string, topic: string, partition: number, config: PartitionLogConfig, options: PartitionLogOptions = {}) {
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
    return this.writer.retention.fileDeleteDelayMs
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
    this.writer.ensureOpen()
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
    return this.writer.appendRecords(records, options)
  }

  /**
   * Appends pre-encoded batches (one or more, e.g. the records of a Kafka produce request). Each
   * batch's CRC is checked. With `assignOffsets` (the default) base offsets are assigned from the
   * log end and stamped into `bytes` in place (the CRC does not cover them); without it the
   * batches keep their offsets, which must continue from the log end (a follower's append).
   */
  appendBatch(bytes: Buffer, options: { assignOffsets?: boolean } = {}): Promise<AppendInfo> {
    return this.writer.appendBatch(bytes, options)
  }

  /**
   * Resolves once everything below `offset` is fsynced, joining the next group fsync. Rejects with
   * OFFSET_OUT_OF_RANGE if a truncation removes records below `offset` before they were fsynced.
   */
  waitDurable(offset: number): Promise<void> {
    try {
      checkCount(offset, 'offset', 'waitDurable')
      this.writer.ensureOpen()
    } catch (error) {
      return Promise.reject(error)
    }
    return this.groupCommit.wait(offset, false)
  }

  /** fsyncs everything appended so far (joining a group fsync if one is running). */
  async flush(): Promise<void> {
    this.writer.ensureOpen()
    await this.groupCommit.wait(this.logEndOffset, true)
  }

  /**
   * The interval flush (`flush: { mode: 'interval', ms }`): fsyncs everything written once the
   * last fsync is `ms` old at `nowMs`, resolving when that is durable. The engine's background
   * task calls it; a closed or failed log does nothing.
   */
  flushIfDue(nowMs: number): Promise<void> {
    if (this.writer.isClosed) return Promise.resolve()
    return this.groupCommit.flushIfDue(nowMs)
  }

  /**
   * Whole batches as stored, starting with the batch that holds `offset` (the fetch path: bytes a
   * broker can send to Kafka clients unchanged), at least one if any is readable; see ReadRawResult.
   */
  readRaw(offset: number, options: ReadOptions = {}): Promise<ReadRawResult> {
    return txn.readIsolated(this.transactional, offset, options)
  }

  /** Decoded batches (control ones too) from the one holding `from` to the high watermark or `to` (read_committed: transactions.ts). */
  batches(options: { from: number; to?: number; maxBytes?: number; isolation?: txn.IsolationLevel }): AsyncGenerator<RecordBatch> {
    if (txn.checkIsolation(options?.isolation, 'batches') === 'read_committed') return txn.committedBatches(this.transactional, options)
    return this.reader.batches(options)
  }

  /** Decoded records with offsets in [from, to), without control records (nor aborted ones at `read_committed`). */
  records(options: { from: number; to?: number; isolation?: txn.IsolationLevel }): AsyncGenerator<DecodedRecord> {
    if (txn.checkIsolation(options?.isolation, 'records') === 'read_committed') return txn.committedRecords(this.transactional, options)
    return this.reader.records(options)
  }

  /** The last stable offset: the first offset of the oldest open transaction, or the high watermark. */
  get lastStableOffset(): number {
    return txn.lastStableOffset(this.transactional)
  }

  /** Transactions with records here and no marker yet, oldest first (what a coordinator times out). */
  openTransactions(): OpenTransaction[] {
    return this.producerState.transactions.list()
  }

  /**
   * Ends producer `producerId`'s transaction here with a COMMIT or ABORT control batch (Kafka's
   * WriteTxnMarkers on one partition). An abort is recorded in the segment's `.txnindex`. Refused
   * with INVALID_PRODUCER_EPOCH when the producer has moved to a newer epoch.
   */
  writeTxnMarker(producerId: number, producerEpoch: number, result: 'commit' | 'abort', coordinatorEpoch: number): Promise<AppendInfo> {
    return Promise.resolve().then(() => {
      const marker = txn.transactionMarker(producerId, producerEpoch, result, coordinatorEpoch)
      return this.writer.appendRecords(marker.records, marker.options)
    })
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
  truncateTo(offset: number): Promise<void> {
    return this.writer.truncateTo(offset)
  }

  /** Retention (log-retention.ts): deletes the oldest segments the limits no longer keep. */
  applyRetention(nowMs?: number, onWarning?: (message: string) => void): Promise<RetentionResult> {
    return this.writer.applyRetention(nowMs, onWarning)
  }

  /**
   * Kafka's DeleteRecords: the log start moves to `offset` (maybe inside a batch) and whole segments
   * below it are deleted. Above the high watermark when its turn comes: OFFSET_OUT_OF_RANGE.
   */
  deleteRecordsBefore(offset: number, nowMs?: number): Promise<number> {
    return this.writer.deleteRecordsBefore(offset, nowMs)
  }

  /**
   * Seals the active segment and starts a new one at the log end, unless the active segment is
   * empty (the offset store's compaction uses this so the compacted state starts a segment).
   */
  rollNow(): Promise<void> {
    return this.writer.rollNow()
  }

  /** The records of `key`, newest first, by a scan or the key index (key-lookup.ts). */
  lookupKey(key: Buffer, options: KeyLookupOptions = {}): Promise<DecodedRecord[]> {
    return Promise.resolve().then(() => (this.writer.ensureOpen(), lookupKey(this, key, options, keyIndexContextOf(this.writer.parts))))
  }

  /**
   * One log-compaction pass (src/log/cleaner/compaction-pass.ts): keeps the last record of each
   * key in the segments below the active one. The engine's cleaner calls it for compacted topics.
   */
  compact(options: CompactionOptions): Promise<CompactionResult> {
    const { writer } = this
    // The dirty section is made durable first: the cleaner stays below the recovery point.
    return Promise.resolve().then(async () => {
      writer.ensureWritable()
      await this.flush()
      return compactPartition({ ...writer.parts, retention: writer.retention, exclusive: writer.exclusive.bind(writer) }, options)
    })
  }

  /**
   * Flushes, seals the active segment (final time-index entry) and closes every file (a file a
   * read still holds is closed when that read ends). Every later call rejects with LOG_CLOSED.
   */
  close(): Promise<void> {
    return this.writer.close()
  }

  /** Replication (replication.ts): a leader's epoch starts at `startOffset` (the log end by default) and is stamped into appends. */
  assignEpochStartOffset(epoch: number, startOffset?: number): Promise<void> {
    return this.replica.assignEpochStartOffset(epoch, startOffset)
  }

  /** The leader-epoch cache: (epoch, start offset) pairs, oldest first. */
  leaderEpochs(): { epoch: number; startOffset: number }[] {
    return this.replica.entries()
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` and the offset where it ended (-1, -1 unknown). */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.replica.endOffsetForEpoch(epoch)
  }

  /** A diverged follower cuts its tail from the leader's OffsetForLeaderEpoch answer (KIP-101/KIP-279). */
  truncateToEpochEnd(leader: EpochEndOffset, fallbackOffset?: number): Promise<{ truncatedTo: number; isComplete: boolean }> {
    return this.replica.truncateToEpochEnd(leader, fallbackOffset)
  }

  /** A follower appends the leader's batches with their offsets and epochs unchanged. */
  appendAsFollower(bytes: Buffer): Promise<AppendInfo> {
    return this.replica.appendAsFollower(bytes)
  }

  /** Rebuilds producer state at open or after a truncation. */
  private rebuildProducerState(): Promise<void> {
    return replayProducerState(this.writer.parts, this.reader)
  }
}

import type { CompressionName } from '../compression/codec.js'
import { encodeBatchInto, type EncodeBatchOptions } from '../record/batch-encoder.js'
import type { RecordInput } from '../record/record.js'
import type { RecordLike } from '../record/record-input.js'
import { splitBatches } from './batch-bytes.js'
import { LogClosedError, OffsetOutOfRangeError } from './errors.js'
import { GroupCommit } from './group-commit.js'
import { AppendCoalescer } from './append-coalescer.js'
import { appendGroup } from './append-group.js'
import { appendBatches, roll, type AppendTarget } from './log-appender.js'
import { closeLog } from './log-close.js'
import { EncodeSpace } from './encode-space.js'
import { checkBatchBytes, checkCount, checkRecords, checkTimeMs } from './log-arguments.js'
import { checkedOptions } from './log-loader.js'
import { SegmentRetention } from './log-retention.js'
import { truncateLog } from './log-truncation.js'
import type { AppendInfo, PartitionLogConfig, PartitionLogOptions, RetentionResult } from './partition-types.js'
import { ProducerState } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import { TruncationGate } from './truncation-gate.js'
import { AbortedTxnIndex } from './txn-index.js'
import { LeaderEpochCache } from './leader-epoch-cache.js'

/** The parts of a partition log its modules share (appender, truncation, retention). */
export interface LogParts extends AppendTarget {
  readonly name: string
  readonly truncation: TruncationGate
  readonly txnIndex: AbortedTxnIndex
  readonly epochs: LeaderEpochCache
}

/** What the writer tells its partition log. */
export interface LogWriterHooks {
  /** Records up to `highWatermark` became visible (tailing readers wait on it). */
  onVisible(highWatermark: number): void
  /** The log start or the recovery point moved in a way the checkpoints must record. */
  onLogStartAdvance(): void
  /** Rebuilds producer state after a truncation. */
  rebuildProducerState(): Promise<void>
}

/**
 * The write side of a partition log and its open/closed state: appends, truncation, retention,
 * DeleteRecords, roll and close run through one queue, one at a time in call order, and each
 * checks again when its turn comes that the log is still open (and, for writes, not failed).
 */
export class LogWriter {
  readonly parts: LogParts
  readonly groupCommit: GroupCommit
  readonly retention: SegmentRetention
  private readonly hooks: LogWriterHooks
  /** Small appends made while the queue is busy share its next turn (append-coalescer.ts). */
  private readonly coalescer: AppendCoalescer
  private tail: Promise<unknown> = Promise.resolve()
  /** Tasks queued and not yet done (the running one included). */
  private queuedTasks = 0
  private closed = false
  /** close() has begun: no fsync round starts any more (close makes its own). */
  private closing = false

  constructor(
    dir: string,
    name: string,
    config: PartitionLogConfig,
    list: SegmentList,
    options: PartitionLogOptions,
    hooks: LogWriterHooks,
  ) {
    this.hooks = hooks
    const { clock, fileSystem, fileDeleteDelayMs } = checkedOptions(options)
    const truncation = new TruncationGate()
    this.groupCommit = new GroupCommit({
      list,
      dir,
      name,
      clock,
      fileSystem,
      canSync: () => !this.closing && !this.closed && !truncation.isTruncating,
      onDurable: () => {
        if (this.groupCommit.policy.mode === 'sync') hooks.onVisible(list.highWatermark)
      },
    })
    this.groupCommit.policy = options.flush ?? this.groupCommit.policy
    const producerState = new ProducerState(clock)
    const txnIndex = new AbortedTxnIndex(dir, fileSystem, {
      baseOffsetFor: (offset) => list.all[list.slotFor(offset)]!.baseOffset,
      firstBaseOffset: () => list.all[0]!.baseOffset,
    })
    producerState.onAbort = (txn) => txnIndex.append(txn)
    // Right after open, the directory's listing says whether the checkpoint exists.
    const epochs = LeaderEpochCache.load(dir, fileSystem, list.listingAtOpen?.hasLeaderEpochCheckpoint)
    this.parts = { list, dir, name, config, clock, fileSystem, producerState, groupCommit: this.groupCommit, truncation, txnIndex, epochs }
    this.coalescer = new AppendCoalescer({
      schedule: (task) => this.chain(task),
      write: (members) => {
        try {
          this.ensureWritable()
        } catch (error) {
          return Promise.reject(error as Error)
        }
        return appendGroup(this.parts, members)
      },
      afterWrite: (endOffset) => {
        if (this.groupCommit.policy.mode === 'sync') return this.groupCommit.wait(endOffset, false)
        this.hooks.onVisible(list.highWatermark)
        this.groupCommit.afterAppend()
        return null
      },
    })
    this.retention = new SegmentRetention(
      { list, dir, name, config, fileSystem, advanceLogStart: (offset) => this.advanceLogStart(offset) },
      fileDeleteDelayMs,
    )
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Encodes `records` as one batch and appends it. */
  appendRecords(
    records: readonly (RecordInput | RecordLike)[],
    options: Omit<EncodeBatchOptions, 'baseOffset'> & { compression?: CompressionName },
  ): Promise<AppendInfo> {
    let batch: Buffer
    const space = new EncodeSpace()
    try {
      checkRecords(records, options)
      this.ensureWritable()
      batch = encodeBatchInto(records, options, space.allocate)
    } catch (error) {
      space.release()
      return Promise.reject(error)
    }
    const release = (): void => space.release()
    if (this.shouldGroup(batch)) {
      const grouped = this.coalescer.add(batch)
      // Grouped batches are small and seldom in reused space; theirs is free once the group settles.
      grouped.then(release, release)
      return grouped
    }
    const appended = this.enqueue(() => this.append([batch], true))
    // The batch's bytes are in the file (or the append failed) once its turn has run.
    appended.then(release, release)
    return appended.then((info) => this.afterAppend(info))
  }

  /** Appends pre-encoded batches, CRC-checked, assigning offsets or keeping them (see PartitionLog). */
  appendBatch(bytes: Buffer, options: { assignOffsets?: boolean }): Promise<AppendInfo> {
    let batches: Buffer[]
    let assignOffsets: boolean
    try {
      assignOffsets = checkBatchBytes(bytes, options)
      this.ensureWritable()
      batches = splitBatches(bytes, this.parts.config.maxBatchBytes)
    } catch (error) {
      return Promise.reject(error)
    }
    if (assignOffsets && batches.length === 1 && this.shouldGroup(batches[0]!)) return this.coalescer.add(batches[0]!)
    return this.enqueue(() => this.append(batches, assignOffsets)).then((info) => this.afterAppend(info))
  }

  /**
   * Whether a single-batch append joins a group (append-coalescer.ts). With the queue idle and no
   * fsync to share, a lone appender takes its turn directly: a group of one only costs more.
   */
  private shouldGroup(batch: Buffer): boolean {
    return AppendCoalescer.canGroup(batch) && (this.queuedTasks > 0 || this.groupCommit.policy.mode === 'sync')
  }

  private append(batches: Buffer[], assignOffsets: boolean): Promise<AppendInfo> {
    this.ensureWritable()
    return appendBatches(this.parts, batches, assignOffsets)
  }

  /** Under `sync` an append resolves when an fsync covers it; otherwise at once (a count may start one). */
  private afterAppend(info: AppendInfo): AppendInfo | Promise<AppendInfo> {
    if (this.groupCommit.policy.mode === 'sync') return this.groupCommit.wait(info.lastOffset + 1, false).then(() => info)
    this.hooks.onVisible(this.parts.list.highWatermark)
    this.groupCommit.afterAppend()
    return info
  }

  /** Drops every record at or after `offset` (log-truncation.ts). */
  async truncateTo(offset: number): Promise<void> {
    checkCount(offset, 'offset', 'truncateTo')
    this.ensureWritable()
    await this.enqueue(async () => {
      this.ensureWritable()
      if (offset >= this.parts.list.logEndOffset) return
      await truncateLog({ ...this.parts, rebuildProducerState: () => this.hooks.rebuildProducerState() }, offset)
      this.hooks.onLogStartAdvance()
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

  /** Kafka's DeleteRecords: moves the log start to `offset`, then applies retention. */
  async deleteRecordsBefore(offset: number, nowMs = this.parts.clock.nowMs()): Promise<number> {
    checkCount(offset, 'offset', 'deleteRecordsBefore')
    checkTimeMs(nowMs, 'nowMs', 'deleteRecordsBefore')
    this.ensureOpen()
    const list = this.parts.list
    await this.enqueue(async () => {
      this.ensureOpen()
      const bound = list.highWatermark
      if (offset > bound)
        throw new OffsetOutOfRangeError(
          offset,
          list.logStartOffset,
          bound,
          `${this.parts.name} deleteRecordsBefore (limit: the high watermark)`,
        )
      this.advanceLogStart(offset)
    })
    await this.applyRetention(nowMs)
    return list.logStartOffset
  }

  private advanceLogStart(offset: number): void {
    if (this.parts.list.advanceLogStart(offset)) this.hooks.onLogStartAdvance()
  }

  /** Seals the active segment and starts a new one at the log end, unless the active segment is empty. */
  async rollNow(): Promise<void> {
    await this.enqueue(async () => {
      this.ensureWritable()
      const list = this.parts.list
      if (!list.active.isEmpty) roll(this.parts, list.logEndOffset, this.parts.clock.nowMs())
    })
  }

  /** Runs `task` in the write queue while the log is writable (the cleaner's swap, leader-epoch changes). */
  exclusive<T>(task: () => T | Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.ensureWritable()
      return task()
    })
  }

  /** Flushes, seals the active segment and closes every file (log-close.ts). */
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

  /** The error of a read that met a retired segment: the log closed, or failed. */
  retiredError(): LogClosedError {
    return this.closed ? this.closedError() : this.groupCommit.failedError()
  }

  private closedError(): LogClosedError {
    return new LogClosedError(`partition ${this.parts.name} is closed`)
  }

  ensureOpen(): void {
    if (this.closed) throw this.closedError()
  }

  ensureWritable(): void {
    this.ensureOpen()
    if (this.groupCommit.failure !== null) throw this.groupCommit.failedError()
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    // What is queued now comes after the appends grouped so far.
    this.coalescer.seal()
    return this.chain(task)
  }

  private chain<T>(task: () => Promise<T>): Promise<T> {
    this.queuedTasks++
    const run = this.tail.then(task, task)
    this.tail = run.then(this.taskDone, this.taskDone)
    return run
  }

  /** Bound once: counts a queued task done, whatever its outcome. */
  private readonly taskDone = (): void => {
    this.queuedTasks--
  }
}

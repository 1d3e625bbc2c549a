import { InvalidArgumentError, SeglogError } from '../errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import { tagFilter } from './batch-records.js'
import type { IsolationLevel } from '../log/transactions.js'
import type { OffsetStore } from './offset-store.js'
import { ConsumerRecordIterator } from './record-iterator.js'
import { RecordRunner, type RecordHandler, type RunMetrics, type RunnerHooks, type RunOptions } from './record-runner.js'
import {
  assignPartitions,
  deletedError,
  releaseAssignment,
  type Assignment,
  type ConsumerRecord,
  type StartPosition,
} from './partition-assignment.js'
import { checkIsolation, decodeNext, readableEnd, readInto, type ReadSettings } from './partition-read.js'

export { TOPIC_DELETED_EVENT, type ConsumerRecord, type StartPosition } from './partition-assignment.js'

export interface ConsumerOptions {
  /** The consumer group whose committed offsets are used and updated. */
  group: string
  topics: readonly string[]
  /** Read only these partitions (of every topic); all partitions by default. */
  partitions?: readonly number[]
  /** Start here where the group has no commit ('earliest' by default). */
  from?: StartPosition
  /** Commit the positions every `autoCommitMs` ms (and on close); off (0) by default. */
  autoCommitMs?: number
  /** Bytes read from a partition at a time. */
  maxBytes?: number
  /** When a position falls below the log start (retention deleted it): jump here. */
  offsetReset?: 'earliest' | 'latest'
  signal?: AbortSignal
  /** Told when the consumer resets a position (Kafka's auto.offset.reset). */
  onWarning?: (message: string) => void
  /**
   * Only records whose `tagHeader` header holds one of these (RocketMQ's tags); the others are
   * skipped, and the group's positions still move past them.
   */
  tags?: readonly string[]
  /** The header holding a record's tag ('tag' by default). */
  tagHeader?: string
  /**
   * 'read_committed' hands out only records of committed transactions (and plain records), up to
   * the last stable offset; 'read_uncommitted' (the default, as Kafka's) every record up to the
   * high watermark. Control records are never handed out.
   */
  isolation?: IsolationLevel
}

/**
 * Reads topics for one consumer group as an async iterator of records, starting at the group's
 * committed offsets. At the end of every partition it waits for appends (no polling) until
 * `close()` or the abort signal. Delivery is at least once: commit after processing, and a
 * restart resumes at the last commit. Several consumers with different groups read the same
 * topic independently; giving consumers of one group disjoint `partitions` shares the work.
 */
export class Consumer implements AsyncIterable<ConsumerRecord>, AsyncDisposable {
  readonly group: string
  private readonly store: OffsetStore
  private readonly assignments: Assignment[] = []
  private readonly settings: ReadSettings
  private readonly offsetReset: 'earliest' | 'latest'
  private readonly warn: (message: string) => void
  private closed = false
  private wake: (() => void) | null = null
  /** Counts wake-ups (appends, seeks, resumes), so one that comes while no one waits is not lost. */
  private wakeups = 0
  private readonly onAppend = (): void => this.wakeUp()
  private autoCommitTimer: NodeJS.Timeout | null = null
  private cursor = 0
  private readonly signal: AbortSignal | undefined
  private hooks: RunnerHooks | null = null
  private runner: RecordRunner | null = null
  private readonly onAbort = (): void => void this.close()
  private readonly reset = (assignment: Assignment): void => this.resetPosition(assignment)

  private constructor(store: OffsetStore, options: ConsumerOptions) {
    this.group = options.group
    this.store = store
    const maxBytes = options.maxBytes ?? 1024 * 1024
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
      throw new InvalidArgumentError(`maxBytes must be a positive integer, got ${options.maxBytes}`)
    this.offsetReset = options.offsetReset ?? 'earliest'
    if (this.offsetReset !== 'earliest' && this.offsetReset !== 'latest')
      throw new InvalidArgumentError(`offsetReset must be 'earliest' or 'latest'`)
    this.warn = options.onWarning ?? ((message) => console.warn(`seglog: ${message}`))
    this.signal = options.signal
    this.settings = { maxBytes, isolation: checkIsolation(options.isolation, 'consumer'), tags: tagFilter(options.tags, options.tagHeader) }
  }

  /** Builds a consumer; `partitionsOf` resolves a topic to its partition logs. */
  static async create(
    store: OffsetStore,
    partitionsOf: (topic: string) => readonly PartitionLog[],
    options: ConsumerOptions,
  ): Promise<Consumer> {
    if (typeof options?.group !== 'string' || options.group.length === 0) throw new InvalidArgumentError('a consumer needs a group')
    if (!Array.isArray(options.topics) || options.topics.length === 0) throw new InvalidArgumentError('a consumer needs at least one topic')
    const consumer = new Consumer(store, options)
    try {
      await assignPartitions(consumer.assignments, store, partitionsOf, options, consumer.onAppend, () => consumer.wakeUp())
    } catch (error) {
      const deleted = consumer.assignments.find((assignment) => assignment.isDeleted)
      await consumer.close()
      // A start-position read that failed because the topic's files closed under it.
      throw deleted === undefined ? error : deletedError(deleted)
    }
    const autoCommitMs = options.autoCommitMs ?? 0
    if (autoCommitMs > 0) {
      const tick = (): void => {
        consumer.autoCommitTimer = setTimeout(() => {
          consumer
            .commit()
            .catch((error: unknown) => consumer.warn(`auto-commit failed: ${(error as Error).message}`))
            .finally(() => {
              if (!consumer.closed) tick()
            })
        }, autoCommitMs)
        consumer.autoCommitTimer.unref()
      }
      tick()
    }
    if (options.signal !== undefined) {
      if (options.signal.aborted) await consumer.close()
      else options.signal.addEventListener('abort', consumer.onAbort, { once: true })
    }
    return consumer
  }

  /** Gives the consumer what `run` needs from its engine (retry and dead letter topics). */
  withRunnerHooks(hooks: RunnerHooks): this {
    this.hooks = hooks
    return this
  }

  /**
   * Handles every record with `handler` until the consumer closes, committing after each batch;
   * a record whose handler throws is retried later through the group's retry topic and finally
   * dead-lettered (record-runner.ts). Use either this or the iterators, not both.
   */
  run(handler: RecordHandler, options: RunOptions = {}): Promise<void> {
    if (this.hooks === null) return Promise.reject(new InvalidArgumentError('run needs a consumer made by an engine'))
    if (this.runner !== null) return Promise.reject(new InvalidArgumentError('this consumer is running already'))
    try {
      this.runner = new RecordRunner(this.hooks, handler, options)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.runner.run(this)
  }

  /** Counts of `run`: deliveries, handled, failures, retries, dead-lettered (zeros before run). */
  runMetrics(): RunMetrics {
    return { ...(this.runner?.metrics ?? { deliveries: 0, handled: 0, failures: 0, retries: 0, deadLettered: 0 }) }
  }

  /** The next offset to read on each assigned partition. */
  positions(): { topic: string; partition: number; offset: number }[] {
    return this.assignments.map((a) => ({ topic: a.topic, partition: a.partition, offset: a.position }))
  }

  /** Records one at a time (record-iterator.ts). */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    return new ConsumerRecordIterator({ isClosed: () => this.closed, nextRecords: () => this.nextRecords() })
  }

  /**
   * Batches of records, one partition at a time: the fast path for bulk reading (no await per
   * record). Positions move past each batch as it is handed out.
   */
  async *batches(): AsyncGenerator<{ topic: string; partition: number; records: ConsumerRecord[] }> {
    while (!this.closed) {
      const records = await this.nextRecords()
      if (records === null) return
      const [assignment, list, start] = records
      const slice = start === 0 ? list : list.slice(start)
      assignment.next = list.length
      assignment.position = list[list.length - 1]!.offset + 1
      yield { topic: assignment.topic, partition: assignment.partition, records: slice }
    }
  }

  /** Waits until some partition has records; returns them (or null once closed). */
  private async nextRecords(): Promise<[Assignment, ConsumerRecord[], number] | null> {
    for (;;) {
      if (this.closed) return null
      // An append may land while this scan awaits a read of another partition: then scan again
      // instead of waiting for an event that has already fired.
      const wakeupsBefore = this.wakeups
      const count = this.assignments.length
      for (let step = 0; step < count; step++) {
        const assignment = this.assignments[(this.cursor + step) % count]!
        if (assignment.isDeleted) throw deletedError(assignment)
        if (assignment.paused) continue
        if (assignment.next < assignment.buffer.length) {
          this.cursor = (this.cursor + step) % count
          return [assignment, assignment.buffer, assignment.next]
        }
        if (decodeNext(assignment, this.settings.tags) || (await this.fill(assignment))) {
          this.cursor = (this.cursor + step + 1) % count
          return [assignment, assignment.buffer, 0]
        }
      }
      if (this.wakeups === wakeupsBefore) await this.waitForAppend()
    }
  }

  /** Reads the next records of a partition into its buffer; false when it is caught up. */
  private async fill(assignment: Assignment): Promise<boolean> {
    // Reads that hold only skipped records (control records, other tags) move on to the next.
    for (;;) {
      const read = await readInto(assignment, this.settings, this.reset)
      if (read !== 'skipped') return read
    }
  }

  private resetPosition(assignment: Assignment): void {
    const log = assignment.log
    const target = this.offsetReset === 'earliest' ? log.logStartOffset : readableEnd(log, this.settings.isolation)
    this.warn(
      `${this.group}: position ${assignment.position} of ${assignment.topic}-${assignment.partition} is outside [${log.logStartOffset}, ${log.logEndOffset}]; resetting to the ${this.offsetReset} offset ${target}`,
    )
    assignment.position = target
    assignment.buffer = []
    assignment.next = 0
    assignment.pending = null
    assignment.pendingFilter = null
  }

  private waitForAppend(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
    })
  }

  private wakeUp(): void {
    this.wakeups++
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  /**
   * Commits positions: after `record`, for its partition only; or every partition's position.
   * Commits that would not change anything are skipped.
   */
  async commit(record?: Pick<ConsumerRecord, 'topic' | 'partition' | 'offset'>): Promise<void> {
    const entries = []
    if (record !== undefined) {
      this.assignment(record.topic, record.partition)
      entries.push({ topic: record.topic, partition: record.partition, offset: record.offset + 1 })
    } else {
      for (const a of this.assignments)
        if (a.position !== a.committed && !a.isDeleted) entries.push({ topic: a.topic, partition: a.partition, offset: a.position })
    }
    if (entries.length === 0) return
    await this.store.commitMany(this.group, entries)
    for (const entry of entries) {
      const a = this.assignment(entry.topic, entry.partition)
      a.committed = entry.offset
    }
  }

  /** Moves the read position of one partition. */
  seek(topic: string, partition: number, offset: number): void {
    const a = this.assignment(topic, partition)
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`seek needs a non-negative offset, got ${offset}`)
    a.position = offset
    a.buffer = []
    a.next = 0
    a.pending = null
    a.pendingFilter = null
    this.wakeUp()
  }

  pause(topic: string, partition: number): void {
    this.assignment(topic, partition).paused = true
  }

  resume(topic: string, partition: number): void {
    this.assignment(topic, partition).paused = false
    this.wakeUp()
  }

  private assignment(topic: string, partition: number): Assignment {
    const a = this.assignments.find((candidate) => candidate.topic === topic && candidate.partition === partition)
    if (a === undefined) throw new SeglogError('INVALID_ARGUMENT', `this consumer does not read ${topic}-${partition}`)
    return a
  }

  /** Stops iteration (a waiting iterator ends) and, with auto-commit, commits the positions. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.autoCommitTimer !== null) clearTimeout(this.autoCommitTimer)
    this.signal?.removeEventListener('abort', this.onAbort)
    for (const a of this.assignments) releaseAssignment(a, this.onAppend)
    this.wakeUp()
    if (this.autoCommitTimer !== null) await this.commit()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

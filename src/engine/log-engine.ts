import fs from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError, UnknownTopicOrPartitionError } from '../errors.js'
import { LogClosedError, wrapIo } from '../log/errors.js'
import { fsyncDirSync } from '../log/file-io.js'
import { systemClock, type Clock } from '../log/clock.js'
import { nodeFileSystem } from '../log/file-system.js'
import { DEFAULT_MAX_OPEN_SEGMENT_FILES, withOpenFileLimit } from '../log/open-file-cache.js'
import { resolveFlushPolicy, type FlushPolicy } from '../log/flush-policy.js'
import type { PartitionLog, PartitionLogOptions, RecoveryEvent, RetentionResult } from '../log/partition-log.js'
import { checkpointKey } from './checkpoint-file.js'
import { CheckpointWriter } from './engine-checkpoints.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'
import { Producer, type ProducerOptions } from '../producer/producer.js'
import { Consumer, type ConsumerOptions } from '../consumer/consumer.js'
import { OffsetStore, OFFSETS_TOPIC } from '../consumer/offset-store.js'
import { CorruptRecordError } from '../record/errors.js'
import { DirLock } from './dir-lock.js'
import { withRepairHint } from './repair-hint.js'
import { internalTopicWriteError, isInternalTopic } from './internal-topic.js'
import type { DelayScheduler } from './delay/delay-scheduler.js'
import { DelayedDelivery, runnerHooks } from './delay/engine-delay.js'
import type { TraceEvent, TraceQuery } from './delay/consumption-trace.js'
import { resolveTopicConfig, validateTopicName, type TopicConfig } from './topic-config.js'
import { TopicCatalog, type TopicConfigChanges, type TopicDescription } from './topic-catalog.js'
import { TOPICS_FILE } from './topics-file.js'
import { OFFSETS_TOPIC_SETTINGS, positiveOption, type LogEngineOptions } from './engine-options.js'
import { LogCleaner } from './log-cleaner.js'
import { closeConcurrently } from './close-logs.js'

export { TOPICS_FILE, type LogEngineOptions, type TopicConfigChanges, type TopicDescription }
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'

/**
 * The owner of one data directory: its lock, its topics and their partition logs. Only one engine
 * may own a directory at a time (an flock on DATA/.lock); a second gets LogLockedError at once.
 * Methods may be called concurrently; appends to one partition are serialized by its log.
 */
export class LogEngine implements AsyncDisposable {
  readonly dir: string
  private readonly lock: DirLock
  private readonly topics: TopicCatalog
  /** The settings a topic gets for what it does not set itself (the `topicDefaults` option filled in). */
  readonly topicDefaults: TopicConfig
  /** Log compaction: runs from the background task; `cleaner.cleanNow()` runs a pass at once. */
  readonly cleaner: LogCleaner
  private readonly warn: (message: string, detail?: RecoveryEvent) => void
  /** Whether the previous owner closed the directory cleanly (no recovery was needed). */
  readonly wasCleanShutdown: boolean
  private closed = false
  readonly flushPolicy: FlushPolicy
  private readonly tickMs: number
  private readonly retentionCheckIntervalMs: number
  private readonly checkpointIntervalMs: number
  private readonly clock: Clock
  private timer: NodeJS.Timeout | null = null
  private tickRunning: Promise<void> | null = null
  private lastRetentionMs: number
  private lastCheckpointMs: number
  private readonly checkpoints: CheckpointWriter
  private offsetStore: OffsetStore | null = null
  private readonly delay: DelayedDelivery

  private constructor(dir: string, lock: DirLock, options: LogEngineOptions, wasClean: boolean) {
    this.dir = dir
    this.lock = lock
    this.warn = options.onWarning ?? ((message) => console.warn(`seglog: ${message}`))
    this.wasCleanShutdown = wasClean
    this.flushPolicy = resolveFlushPolicy(options.flush)
    this.tickMs = positiveOption(options.tickMs, 'tickMs', 100)
    this.retentionCheckIntervalMs = positiveOption(options.retentionCheckIntervalMs, 'retentionCheckIntervalMs', 300_000)
    this.checkpointIntervalMs = positiveOption(options.checkpointIntervalMs, 'checkpointIntervalMs', 5_000)
    this.clock = options.clock ?? systemClock
    this.lastRetentionMs = this.clock.nowMs()
    this.lastCheckpointMs = this.lastRetentionMs
    this.checkpoints = new CheckpointWriter(dir)
    const logOptions: PartitionLogOptions = {
      fileDeleteDelayMs: positiveOption(options.fileDeleteDelayMs, 'fileDeleteDelayMs', 1_000, 0),
      clock: this.clock,
      // The engine's own bound on open segment files, shared by its partitions.
      fileSystem: withOpenFileLimit(
        options.fileSystem ?? nodeFileSystem,
        positiveOption(options.maxOpenSegmentFiles, 'maxOpenSegmentFiles', DEFAULT_MAX_OPEN_SEGMENT_FILES),
      ),
    }
    this.topicDefaults = resolveTopicConfig(options.topicDefaults)
    this.topics = new TopicCatalog({
      dir,
      topicDefaults: this.topicDefaults,
      logOptions,
      warn: this.warn,
      configure: (log, config) => this.configure(log, config),
      writeCheckpoints: () => this.writeCheckpoints(),
    })
    this.delay = new DelayedDelivery({
      dir,
      clock: this.clock,
      topics: this.topics,
      partitions: (topic) => this.partitions(topic),
      warn: (message) => this.warn(message),
    })
    const logs = () => this.allLogs().map((log) => ({ log, config: this.topics.require(log.topic).config }))
    this.cleaner = new LogCleaner(dir, logs, options.cleaner, this.warn, this.clock)
  }

  /**
   * Opens (creating if needed) a data directory: takes its lock, then loads every partition,
   * recovering them if the last owner did not close cleanly.
   */
  static async open(options: LogEngineOptions): Promise<LogEngine> {
    if (typeof options?.dir !== 'string' || options.dir.length === 0) throw new InvalidArgumentError('LogEngine.open needs a dir')
    const dir = path.resolve(options.dir)
    wrapIo('mkdir', dir, () => fs.mkdirSync(dir, { recursive: true }))
    const lock = DirLock.acquire(dir)
    try {
      const markerFile = path.join(dir, CLEAN_SHUTDOWN_FILE)
      const wasClean = fs.existsSync(markerFile)
      if (wasClean) {
        // Removed before anything else happens, so a crash from here on counts as unclean.
        wrapIo('unlink', markerFile, () => fs.unlinkSync(markerFile))
        fsyncDirSync(dir)
      }
      const engine = new LogEngine(dir, lock, options, wasClean)
      await engine.topics.load(wasClean)
      // Retention of either kind would delete live commits: only the store's compaction trims this
      // log, so both are pinned off rather than taken from topicDefaults.
      if (!engine.topics.has(OFFSETS_TOPIC)) await engine.topics.create(OFFSETS_TOPIC, OFFSETS_TOPIC_SETTINGS)
      // The store writes the log itself; everyone else gets a view that refuses writes.
      const offsetsLog = engine.topics.require(OFFSETS_TOPIC).logs[0]!
      engine.offsetStore = await OffsetStore.open(offsetsLog, (topic) => engine.partitions(topic), {
        onWarning: (message) => engine.warn(message),
        ...options.offsetStore,
      }).catch((error: unknown) => {
        throw error instanceof CorruptRecordError ? withRepairHint(error, dir, OFFSETS_TOPIC, 0) : error
      })
      // Records waiting for their due time are delivered from now on.
      if (engine.delay.exists) await engine.delayed()
      engine.writeCheckpoints()
      engine.scheduleTick()
      return engine
    } catch (error) {
      lock.release()
      throw error
    }
  }

  private configure(log: PartitionLog, config: TopicConfig): PartitionLog {
    log.flushPolicy = config.flush ?? this.flushPolicy
    log.onLogStartAdvance = () => this.writeCheckpoints()
    return log
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogClosedError(`engine for ${this.dir} is closed`)
  }

  /** Creates a topic with its partitions. Settings not given come from the engine's defaults. */
  async createTopic(name: string, config: Partial<TopicConfig> = {}): Promise<TopicDescription> {
    this.ensureOpen()
    validateTopicName(name)
    if (isInternalTopic(name)) throw new InvalidArgumentError(`'${name}' is one of seglog's internal topics`)
    return this.topics.create(name, config)
  }

  /**
   * Deletes a topic and all its data, for good even if the process dies part way (the next open
   * finishes it). topics.json and the checkpoints are rewritten before this resolves. Consumers
   * reading the topic end with UnknownTopicOrPartitionError (isDeleted true).
   */
  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen()
    if (isInternalTopic(name)) throw new InvalidArgumentError(`'${name}' is one of seglog's internal topics and cannot be deleted`)
    return this.topics.delete(name)
  }

  /**
   * Grows a topic to `count` partitions (Kafka's CreatePartitions). Partitions are only ever added:
   * records keep their partitions, so keyed records written before go elsewhere than keyed records
   * written after, as in Kafka.
   */
  async addPartitions(name: string, count: number): Promise<TopicDescription> {
    this.ensureOpen()
    if (isInternalTopic(name)) throw new InvalidArgumentError(`'${name}' is one of seglog's internal topics`)
    return this.topics.addPartitions(name, count)
  }

  /**
   * Changes a topic's settings (not its partition count: see addPartitions). A setting given as
   * null goes back to the engine's default. New values apply at once to the topic's partitions,
   * except segmentIndexBytes, which applies to segments created from now on.
   */
  async alterTopicConfig(name: string, changes: TopicConfigChanges): Promise<TopicDescription> {
    this.ensureOpen()
    if (isInternalTopic(name)) throw new InvalidArgumentError(`'${name}' is one of seglog's internal topics; its settings are fixed`)
    const description = await this.topics.alterConfig(name, changes)
    for (const log of this.topics.require(name).logs) log.flushPolicy = description.config.flush ?? this.flushPolicy
    return description
  }

  listTopics(): TopicDescription[] {
    this.ensureOpen()
    return this.topics.list()
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name)
  }

  topicConfig(name: string): TopicConfig {
    return this.topics.require(name).config
  }

  /** The log of one partition. The internal offsets topic's refuses writes (INVALID_ARGUMENT). */
  partition(topic: string, partition: number): PartitionLog {
    this.ensureOpen()
    const { views } = this.topics.require(topic)
    if (!Number.isSafeInteger(partition) || partition < 0)
      throw new InvalidArgumentError(`partition must be a non-negative integer, got ${String(partition)}`)
    const log = views[partition]
    if (log === undefined)
      throw new UnknownTopicOrPartitionError(
        topic,
        partition,
        false,
        `topic '${topic}' has partitions 0..${views.length - 1}; there is no partition ${partition}`,
      )
    return log
  }

  /** Every partition log of a topic, by partition number. */
  partitions(topic: string): readonly PartitionLog[] {
    this.ensureOpen()
    return this.topics.require(topic).views
  }

  /** The consumer-offset store: committed offsets per group, topic and partition. */
  get offsets(): OffsetStore {
    this.ensureOpen()
    return this.offsetStore!
  }

  /** A consumer reading topics for a group from its committed offsets. */
  async consumer(options: ConsumerOptions): Promise<Consumer> {
    this.ensureOpen()
    const consumer = await Consumer.create(this.offsetStore!, (topic) => this.partitions(topic), {
      onWarning: (message) => this.warn(message),
      ...options,
    })
    return consumer.withRunnerHooks(runnerHooks(this, this.delay, options))
  }

  /** A producer that batches and compresses records into this engine's topics. */
  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen()
    const resolve = (topic: string): readonly PartitionLog[] => {
      if (isInternalTopic(topic)) throw internalTopicWriteError(topic)
      return this.partitions(topic)
    }
    return new Producer(resolve, options, {
      nowMs: () => this.clock.nowMs(),
      schedule: async (topic, records) => (await this.delayed()).schedule(topic, records),
      cancel: async (id) => (await this.delayed()).cancel(id),
    })
  }

  /** The consumption trace of traced `consumer.run`s: who handled a record, when, how it ended. */
  trace(query: TraceQuery): Promise<TraceEvent[]> {
    this.ensureOpen()
    return this.delay.trace(query)
  }

  /** Delayed delivery (docs/delayed-delivery.md): opened on first use, and at open when records wait. */
  delayed(): Promise<DelayScheduler> {
    this.ensureOpen()
    return this.delay.scheduler()
  }

  /** fsyncs every partition and checkpoints the recovery points. */
  async flush(): Promise<void> {
    this.ensureOpen()
    await Promise.all(this.allLogs().map((log) => log.flush()))
    this.writeCheckpoints()
  }

  /** Kafka's DeleteRecords for one partition; the new log start offset is checkpointed at once. */
  async deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<number> {
    const logStart = await this.partition(topic, partition).deleteRecordsBefore(offset)
    this.writeCheckpoints()
    return logStart
  }

  /** Runs retention on every partition now (the engine also runs it every retentionCheckIntervalMs). */
  async applyRetention(nowMs = this.clock.nowMs()): Promise<Map<string, RetentionResult>> {
    this.ensureOpen()
    const results = new Map<string, RetentionResult>()
    for (const log of this.allLogs()) {
      const result = await log
        .applyRetention(nowMs, (message) => this.warn(message))
        .catch((error: unknown) => this.unlessDeleted(log, error))
      if (result !== null && result.segments > 0) results.set(checkpointKey(log.topic, log.partition), result)
    }
    if (results.size > 0) this.writeCheckpoints()
    return results
  }

  private allLogs(): PartitionLog[] {
    return this.topics.allLogs()
  }

  /**
   * For work that walks every partition while topics come and go: a partition closed because its
   * topic was deleted meanwhile (or the engine is closing) is passed over; any other error stands.
   */
  private unlessDeleted(log: PartitionLog, error: unknown): null {
    const isGone = this.closed || !this.topics.has(log.topic) || !this.topics.require(log.topic).logs.includes(log)
    if (error instanceof LogClosedError && isGone) return null
    throw error
  }

  /** Writes both checkpoint files if anything in them changed since the last write. */
  private writeCheckpoints(): void {
    if (this.checkpoints.write(this.topics.checkpointedLogs())) this.lastCheckpointMs = this.clock.nowMs()
  }

  /**
   * The background task: interval flushes, retention and checkpoints. It re-arms itself only after
   * a run ends, so runs never overlap, and its timer does not keep the process alive.
   */
  private scheduleTick(): void {
    if (this.closed) return
    this.timer = setTimeout(() => {
      this.tickRunning = this.tick()
        .catch((error: unknown) => this.warn(`background task failed: ${(error as Error).message}`))
        .finally(() => {
          this.tickRunning = null
          this.scheduleTick()
        })
    }, this.tickMs)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    const nowMs = this.clock.nowMs()
    // Each log's group commit decides whether its interval flush is due.
    for (const log of this.allLogs()) {
      await log
        .flushIfDue(nowMs)
        .catch((error: unknown) => this.unlessDeleted(log, error))
        .catch((error: unknown) => this.warn(`flush of ${log.topic}-${log.partition} failed: ${(error as Error).message}`))
    }
    if (this.closed) return
    if (nowMs - this.lastRetentionMs >= this.retentionCheckIntervalMs) {
      this.lastRetentionMs = nowMs
      await this.applyRetention(nowMs)
    }
    if (nowMs - this.lastCheckpointMs >= this.checkpointIntervalMs) this.writeCheckpoints()
    this.cleaner.kick(nowMs)
  }

  /** Flushes and closes every partition, writes checkpoints and the clean-shutdown marker, unlocks. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    try {
      await this.tickRunning
      await this.delay.close()
      await this.topics.settled()
      const logs = this.allLogs()
      await this.cleaner.stop()
      await closeConcurrently(logs)
      this.writeCheckpoints()
      // Only a directory whose every partition closed without an I/O failure counts as clean.
      if (!logs.some((log) => log.hasFailed)) {
        writeFileAtomicSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, closedAt: Date.now() }) + '\n')
      }
    } finally {
      this.lock.release()
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

import fs from 'node:fs'
import path from 'node:path'
import { SeglogError, InvalidArgumentError } from '../errors.js'
import { IoError, LogClosedError, wrapIo } from '../log/errors.js'
import { fsyncDirSync } from '../log/file-io.js'
import { systemClock, type Clock } from '../log/clock.js'
import type { LogFileSystem } from '../log/file-system.js'
import { resolveFlushPolicy, type FlushPolicy } from '../log/flush-policy.js'
import { PartitionLog, type PartitionLogOptions, type RecoveryEvent, type RetentionResult } from '../log/partition-log.js'
import { checkpointKey, formatCheckpoint, LOG_START_OFFSET_CHECKPOINT, readCheckpointFile, RECOVERY_POINT_CHECKPOINT, writeCheckpointFile } from './checkpoint-file.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'
import { Producer, type ProducerOptions } from '../producer/producer.js'
import { Consumer, type ConsumerOptions } from '../consumer/consumer.js'
import { OffsetStore, OFFSETS_TOPIC, type OffsetStoreOptions } from '../consumer/offset-store.js'
import { DirLock } from './dir-lock.js'
import { parsePartitionDirName, resolveTopicConfig, validateTopicName, type TopicConfig } from './topic-config.js'

export const TOPICS_FILE = 'topics.json'
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'
const TOPICS_FORMAT_VERSION = 1

export interface LogEngineOptions {
  dir: string
  /**
   * When appends are fsynced: 'sync' (default; an append resolves after fdatasync, with group
   * commit), { mode: 'interval', ms, messages }, or 'os'. Topics may override it.
   */
  flush?: FlushPolicy | FlushPolicy['mode']
  /** How often the background task checks interval flushes (ms). */
  tickMs?: number
  /** How often retention runs (ms); Kafka's log.retention.check.interval.ms. */
  retentionCheckIntervalMs?: number
  /** How often recovery points and log start offsets are checkpointed (ms). */
  checkpointIntervalMs?: number
  /** How long deleted segments' files stay (renamed `.deleted`) for in-flight reads (ms). */
  fileDeleteDelayMs?: number
  /** When the consumer-offset store compacts its log. */
  offsetStore?: OffsetStoreOptions
  /** Defaults for topics created without a setting. */
  topicDefaults?: Partial<Omit<TopicConfig, 'partitions'>>
  /** Warnings (recovery cut a tail, a leftover was removed); console.warn by default. */
  onWarning?: (message: string, detail?: RecoveryEvent) => void
  /** The time the background task goes by (interval flushes, retention, checkpoints); the system clock by default. */
  clock?: Clock
  /** How the partition logs reach the disk; the real file system by default (tests wrap it). */
  fileSystem?: LogFileSystem
}

export interface TopicDescription {
  name: string
  partitions: number
  config: TopicConfig
  /** seglog's own topics (the offsets log), which users do not create or delete. */
  internal: boolean
}

/** Settings to change with alterTopicConfig; null puts a setting back to the engine's default. */
export type TopicConfigChanges = { [K in Exclude<keyof TopicConfig, 'partitions'>]?: TopicConfig[K] | null }

interface TopicsFile {
  version: number
  topics: Record<string, TopicConfig>
}

/**
 * The owner of one data directory: its lock, its topics and their partition logs. Only one engine
 * may own a directory at a time (an flock on DATA/.lock); a second gets LogLockedError at once.
 * Methods may be called concurrently; appends to one partition are serialized by its log.
 */
export class LogEngine implements AsyncDisposable {
  readonly dir: string
  private readonly lock: DirLock
  private readonly topics = new Map<string, { config: TopicConfig; logs: PartitionLog[] }>()
  /** The settings a topic gets for what it does not set itself (the `topicDefaults` option filled in). */
  readonly topicDefaults: TopicConfig
  private readonly warn: (message: string, detail?: RecoveryEvent) => void
  /** Whether the previous owner closed the directory cleanly (no recovery was needed). */
  readonly wasCleanShutdown: boolean
  private closed = false
  readonly flushPolicy: FlushPolicy
  private readonly tickMs: number
  private readonly retentionCheckIntervalMs: number
  private readonly checkpointIntervalMs: number
  private readonly logOptions: PartitionLogOptions
  private readonly clock: Clock
  private timer: NodeJS.Timeout | null = null
  private tickRunning: Promise<void> | null = null
  private lastRetentionMs: number
  private lastCheckpointMs: number
  private lastCheckpointText = ''
  private offsetStore: OffsetStore | null = null

  private constructor(dir: string, lock: DirLock, options: LogEngineOptions, wasClean: boolean) {
    this.dir = dir
    this.lock = lock
    this.topicDefaults = resolveTopicConfig(options.topicDefaults)
    this.warn = options.onWarning ?? ((message) => console.warn(`seglog: ${message}`))
    this.wasCleanShutdown = wasClean
    this.flushPolicy = resolveFlushPolicy(options.flush)
    this.tickMs = positiveOption(options.tickMs, 'tickMs', 100)
    this.retentionCheckIntervalMs = positiveOption(options.retentionCheckIntervalMs, 'retentionCheckIntervalMs', 300_000)
    this.checkpointIntervalMs = positiveOption(options.checkpointIntervalMs, 'checkpointIntervalMs', 5_000)
    this.clock = options.clock ?? systemClock
    this.logOptions = { fileDeleteDelayMs: positiveOption(options.fileDeleteDelayMs, 'fileDeleteDelayMs', 1_000, 0), clock: this.clock, ...(options.fileSystem && { fileSystem: options.fileSystem }) }
    this.lastRetentionMs = this.clock.nowMs()
    this.lastCheckpointMs = this.lastRetentionMs
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
      await engine.loadTopics()
      // Retention of either kind would delete live commits: only the store's compaction trims this
      // log, so both are pinned off rather than taken from topicDefaults.
      if (!engine.topics.has(OFFSETS_TOPIC)) await engine.createTopicUnchecked(OFFSETS_TOPIC, { partitions: 1, segmentBytes: 16 * 1024 * 1024, retentionMs: -1, retentionBytes: -1 })
      engine.offsetStore = await OffsetStore.open(engine.partition(OFFSETS_TOPIC, 0), (topic) => engine.partitions(topic), { onWarning: (message) => engine.warn(message), ...options.offsetStore })
      engine.writeCheckpoints()
      engine.scheduleTick()
      return engine
    } catch (error) {
      lock.release()
      throw error
    }
  }

  private async loadTopics(): Promise<void> {
    const stored = this.readTopicsFile()
    const recoveryPoints = readCheckpointFile(path.join(this.dir, RECOVERY_POINT_CHECKPOINT))
    const logStartOffsets = readCheckpointFile(path.join(this.dir, LOG_START_OFFSET_CHECKPOINT))
    for (const name of wrapIo('list', this.dir, () => fs.readdirSync(this.dir))) {
      if (name.endsWith('-delete')) {
        // A topic deletion that did not finish: finish it.
        wrapIo('remove', name, () => fs.rmSync(path.join(this.dir, name), { recursive: true, force: true }))
      }
    }
    for (const [name, config] of Object.entries(stored.topics)) {
      const resolved = resolveTopicConfig(config, this.topicDefaults)
      const logs: PartitionLog[] = []
      for (let partition = 0; partition < resolved.partitions; partition++) {
        const partitionDir = path.join(this.dir, `${name}-${partition}`)
        if (!fs.existsSync(partitionDir)) {
          logs.push(this.configure(await PartitionLog.create(partitionDir, name, partition, resolved, this.logOptions), resolved))
          continue
        }
        const key = checkpointKey(name, partition)
        const log = await PartitionLog.open(partitionDir, name, partition, resolved, {
          ...this.logOptions,
          isClean: this.wasCleanShutdown,
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: logStartOffsets.get(key) ?? 0,
          onRecovery: (event) => this.warn(`recovery cut ${event.bytes} bytes from ${event.file} at byte ${event.position} (${event.reason}); they are kept in ${event.quarantineFile ?? '(nowhere)'}`, event),
        })
        logs.push(this.configure(log, resolved))
      }
      this.topics.set(name, { config: resolved, logs })
    }
    for (const name of fs.readdirSync(this.dir)) {
      const parsed = parsePartitionDirName(name)
      if (parsed !== null && !this.topics.has(parsed.topic) && fs.statSync(path.join(this.dir, name)).isDirectory()) {
        this.warn(`${name} is not a partition of any known topic; it was left alone`)
      }
    }
  }

  private configure(log: PartitionLog, config: TopicConfig): PartitionLog {
    log.flushPolicy = config.flush ?? this.flushPolicy
    log.onLogStartAdvance = () => this.writeCheckpoints()
    return log
  }

  private readTopicsFile(): TopicsFile {
    const file = path.join(this.dir, TOPICS_FILE)
    let text: string
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: TOPICS_FORMAT_VERSION, topics: {} }
      throw new IoError('read', file, error)
    }
    let parsed: TopicsFile
    try {
      parsed = JSON.parse(text) as TopicsFile
    } catch (error) {
      throw new SeglogError('IO_FAILED', `${file} is not valid JSON: ${(error as Error).message}`)
    }
    if (parsed.version !== TOPICS_FORMAT_VERSION || typeof parsed.topics !== 'object' || parsed.topics === null) {
      throw new SeglogError('IO_FAILED', `${file} has an unknown format (version ${String(parsed.version)})`)
    }
    return parsed
  }

  private writeTopicsFile(): void {
    const topics: Record<string, TopicConfig> = {}
    for (const [name, { config }] of this.topics) topics[name] = config
    writeFileAtomicSync(path.join(this.dir, TOPICS_FILE), JSON.stringify({ version: TOPICS_FORMAT_VERSION, topics }, null, 2) + '\n')
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogClosedError(`engine for ${this.dir} is closed`)
  }

  /** Creates a topic with its partitions. Settings not given come from the engine's defaults. */
  async createTopic(name: string, config: Partial<TopicConfig> = {}): Promise<TopicDescription> {
    this.ensureOpen()
    validateTopicName(name)
    if (name === OFFSETS_TOPIC) throw new InvalidArgumentError(`'${name}' is seglog's internal offsets topic`)
    return this.createTopicUnchecked(name, config)
  }

  private async createTopicUnchecked(name: string, config: Partial<TopicConfig>): Promise<TopicDescription> {
    if (this.topics.has(name)) throw new InvalidArgumentError(`topic '${name}' already exists`)
    const resolved = resolveTopicConfig(config, this.topicDefaults)
    for (let partition = 0; partition < resolved.partitions; partition++) {
      const partitionDir = path.join(this.dir, `${name}-${partition}`)
      if (fs.existsSync(partitionDir)) throw new InvalidArgumentError(`${partitionDir} already exists but topic '${name}' is unknown; move it away first`)
    }
    // topics.json first: a crash while the directories are made leaves a known topic whose
    // missing or empty partition directories the next open creates, never unknown directories.
    const logs: PartitionLog[] = []
    this.topics.set(name, { config: resolved, logs })
    this.writeTopicsFile()
    try {
      for (let partition = 0; partition < resolved.partitions; partition++) {
        logs.push(this.configure(await PartitionLog.create(path.join(this.dir, `${name}-${partition}`), name, partition, resolved, this.logOptions), resolved))
      }
    } catch (error) {
      for (const log of logs) await log.close().catch(() => undefined)
      this.topics.delete(name)
      this.writeTopicsFile()
      throw error
    }
    return { name, partitions: resolved.partitions, config: resolved, internal: name === OFFSETS_TOPIC }
  }


  /**
   * Grows a topic to `count` partitions (Kafka's CreatePartitions). Partitions are only ever added:
   * records keep their partitions, so keyed records written before go elsewhere than keyed records
   * written after, as in Kafka. topics.json is rewritten first; a crash before the new directories
   * exist leaves them to be created by the next open.
   */
  async addPartitions(name: string, count: number): Promise<TopicDescription> {
    this.ensureOpen()
    if (name === OFFSETS_TOPIC) throw new InvalidArgumentError(`'${name}' is seglog's internal offsets topic`)
    const topic = this.requireTopic(name)
    const current = topic.logs.length
    if (!Number.isSafeInteger(count) || count <= current) throw new InvalidArgumentError(`topic '${name}' has ${current} partitions; the new count must be larger, got ${count}`)
    resolveTopicConfig({ partitions: count })
    for (let partition = current; partition < count; partition++) {
      const partitionDir = path.join(this.dir, `${name}-${partition}`)
      if (fs.existsSync(partitionDir)) throw new InvalidArgumentError(`${partitionDir} already exists but is not a partition of topic '${name}'; move it away first`)
    }
    // The logs share this config object, so the new count is what they and topics.json see.
    topic.config.partitions = count
    this.writeTopicsFile()
    for (let partition = current; partition < count; partition++) {
      topic.logs.push(this.configure(await PartitionLog.create(path.join(this.dir, `${name}-${partition}`), name, partition, topic.config), topic.config))
    }
    return { name, partitions: count, config: topic.config, internal: false }
  }

  /**
   * Changes a topic's settings (not its partition count: see addPartitions). A setting given as
   * null goes back to the engine's default. New values apply at once to the topic's partitions,
   * except segmentIndexBytes, which applies to segments created from now on.
   */
  async alterTopicConfig(name: string, changes: TopicConfigChanges): Promise<TopicDescription> {
    this.ensureOpen()
    if (name === OFFSETS_TOPIC) throw new InvalidArgumentError(`'${name}' is seglog's internal offsets topic; its settings are fixed`)
    const topic = this.requireTopic(name)
    if ('partitions' in changes) throw new InvalidArgumentError('alterTopicConfig cannot change the partition count; use addPartitions')
    const next: Partial<TopicConfig> = { ...topic.config }
    for (const [key, value] of Object.entries(changes) as [keyof TopicConfigChanges, unknown][]) {
      ;(next as Record<string, unknown>)[key] = value === null ? this.topicDefaults[key] : value
    }
    const resolved = resolveTopicConfig(next, this.topicDefaults)
    // Partition logs and segments hold this very object, so changing it in place changes them.
    Object.assign(topic.config, resolved)
    if (resolved.flush === undefined) topic.config.flush = undefined
    if (resolved.timestampType === undefined) topic.config.timestampType = undefined
    for (const log of topic.logs) log.flushPolicy = topic.config.flush ?? this.flushPolicy
    this.writeTopicsFile()
    return { name, partitions: topic.config.partitions, config: topic.config, internal: false }
  }

  /** Deletes a topic and all its data. */
  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen()
    if (name === OFFSETS_TOPIC) throw new InvalidArgumentError(`'${name}' is seglog's internal offsets topic and cannot be deleted`)
    const topic = this.requireTopic(name)
    for (const log of topic.logs) await log.close()
    this.topics.delete(name)
    this.writeTopicsFile()
    for (const log of topic.logs) {
      // Renamed first so that a crash mid-delete leaves a name the next open finishes deleting.
      const doomed = `${log.dir}.${Date.now().toString(16)}-delete`
      wrapIo('rename', log.dir, () => fs.renameSync(log.dir, doomed))
      wrapIo('remove', doomed, () => fs.rmSync(doomed, { recursive: true, force: true }))
    }
    fsyncDirSync(this.dir)
  }

  listTopics(): TopicDescription[] {
    this.ensureOpen()
    return [...this.topics].map(([name, { config }]) => ({ name, partitions: config.partitions, config, internal: name === OFFSETS_TOPIC }))
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name)
  }

  topicConfig(name: string): TopicConfig {
    return this.requireTopic(name).config
  }

  /** The log of one partition. */
  partition(topic: string, partition: number): PartitionLog {
    this.ensureOpen()
    const { logs } = this.requireTopic(topic)
    const log = Number.isInteger(partition) ? logs[partition] : undefined
    if (log === undefined) throw new InvalidArgumentError(`topic '${topic}' has partitions 0..${logs.length - 1}; there is no partition ${partition}`)
    return log
  }

  /** Every partition log of a topic, by partition number. */
  partitions(topic: string): readonly PartitionLog[] {
    this.ensureOpen()
    return this.requireTopic(topic).logs
  }

  private requireTopic(name: string): { config: TopicConfig; logs: PartitionLog[] } {
    const topic = this.topics.get(name)
    if (topic === undefined) throw new InvalidArgumentError(`unknown topic '${name}'`)
    return topic
  }

  /** The consumer-offset store: committed offsets per group, topic and partition. */
  get offsets(): OffsetStore {
    this.ensureOpen()
    return this.offsetStore!
  }

  /** A consumer reading topics for a group from its committed offsets. */
  consumer(options: ConsumerOptions): Promise<Consumer> {
    this.ensureOpen()
    return Consumer.create(this.offsetStore!, (topic) => this.partitions(topic), { onWarning: (message) => this.warn(message), ...options })
  }

  /** A producer that batches and compresses records into this engine's topics. */
  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen()
    return new Producer((topic) => this.partitions(topic), options)
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
      const result = await log.applyRetention(nowMs, (message) => this.warn(message))
      if (result.segments > 0) results.set(checkpointKey(log.topic, log.partition), result)
    }
    if (results.size > 0) this.writeCheckpoints()
    return results
  }

  private allLogs(): PartitionLog[] {
    const logs: PartitionLog[] = []
    for (const topic of this.topics.values()) logs.push(...topic.logs)
    return logs
  }

  /** Writes both checkpoint files if anything in them changed since the last write. */
  private writeCheckpoints(): void {
    const recoveryPoints = new Map<string, number>()
    const logStartOffsets = new Map<string, number>()
    for (const log of this.allLogs()) {
      const key = checkpointKey(log.topic, log.partition)
      recoveryPoints.set(key, log.recoveryPoint)
      // Like Kafka, only partitions whose start lies past their first segment need an entry.
      if (log.logStartOffset > (log.segmentList[0]?.baseOffset ?? 0)) logStartOffsets.set(key, log.logStartOffset)
    }
    const text = formatCheckpoint(recoveryPoints) + formatCheckpoint(logStartOffsets)
    if (this.lastCheckpointText === '') this.lastCheckpointText = readTextIfExists(path.join(this.dir, RECOVERY_POINT_CHECKPOINT)) + readTextIfExists(path.join(this.dir, LOG_START_OFFSET_CHECKPOINT))
    // Unchanged checkpoints are not rewritten (opening a directory alone does not touch them).
    if (text === this.lastCheckpointText) return
    writeCheckpointFile(path.join(this.dir, RECOVERY_POINT_CHECKPOINT), recoveryPoints)
    writeCheckpointFile(path.join(this.dir, LOG_START_OFFSET_CHECKPOINT), logStartOffsets)
    this.lastCheckpointText = text
    this.lastCheckpointMs = this.clock.nowMs()
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
      await log.flushIfDue(nowMs).catch((error: unknown) => this.warn(`flush of ${log.topic}-${log.partition} failed: ${(error as Error).message}`))
    }
    if (this.closed) return
    if (nowMs - this.lastRetentionMs >= this.retentionCheckIntervalMs) {
      this.lastRetentionMs = nowMs
      await this.applyRetention(nowMs)
    }
    if (nowMs - this.lastCheckpointMs >= this.checkpointIntervalMs) this.writeCheckpoints()
  }

  /** Flushes and closes every partition, writes checkpoints and the clean-shutdown marker, unlocks. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    try {
      await this.tickRunning
      const logs = this.allLogs()
      await Promise.all(logs.map((log) => log.close()))
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

function readTextIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return '\u0000missing'
  }
}

function positiveOption(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}

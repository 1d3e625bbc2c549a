import fs from 'node:fs'
import path from 'node:path'
import { SeglogError, InvalidArgumentError } from '../errors.js'
import { IoError, LogClosedError, wrapIo } from '../log/errors.js'
import { fsyncDirSync } from '../log/file-io.js'
import { PartitionLog, type RecoveryEvent } from '../log/partition-log.js'
import { writeFileAtomicSync } from './atomic-file.js'
import { DirLock } from './dir-lock.js'
import { parsePartitionDirName, resolveTopicConfig, validateTopicName, type TopicConfig } from './topic-config.js'

export const TOPICS_FILE = 'topics.json'
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'
const TOPICS_FORMAT_VERSION = 1

export interface LogEngineOptions {
  dir: string
  /** Defaults for topics created without a setting. */
  topicDefaults?: Partial<Omit<TopicConfig, 'partitions'>>
  /** Warnings (recovery cut a tail, a leftover was removed); console.warn by default. */
  onWarning?: (message: string, detail?: RecoveryEvent) => void
}

export interface TopicDescription {
  name: string
  partitions: number
  config: TopicConfig
}

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
  private readonly topicDefaults: TopicConfig
  private readonly warn: (message: string, detail?: RecoveryEvent) => void
  /** Whether the previous owner closed the directory cleanly (no recovery was needed). */
  readonly wasCleanShutdown: boolean
  private closed = false

  private constructor(dir: string, lock: DirLock, options: LogEngineOptions, wasClean: boolean) {
    this.dir = dir
    this.lock = lock
    this.topicDefaults = resolveTopicConfig(options.topicDefaults)
    this.warn = options.onWarning ?? ((message) => console.warn(`seglog: ${message}`))
    this.wasCleanShutdown = wasClean
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
      return engine
    } catch (error) {
      lock.release()
      throw error
    }
  }

  private async loadTopics(): Promise<void> {
    const stored = this.readTopicsFile()
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
          logs.push(await PartitionLog.create(partitionDir, name, partition, resolved))
          continue
        }
        logs.push(await PartitionLog.open(partitionDir, name, partition, resolved, {
          isClean: this.wasCleanShutdown,
          recoveryPoint: 0,
          logStartOffset: 0,
          onRecovery: (event) => this.warn(`recovery cut ${event.bytes} bytes from ${event.file} at byte ${event.position} (${event.reason}); kept in ${event.quarantineFile ?? 'nowhere'}`, event),
        }))
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
    if (this.topics.has(name)) throw new InvalidArgumentError(`topic '${name}' already exists`)
    const resolved = resolveTopicConfig(config, this.topicDefaults)
    const logs: PartitionLog[] = []
    for (let partition = 0; partition < resolved.partitions; partition++) {
      const partitionDir = path.join(this.dir, `${name}-${partition}`)
      if (fs.existsSync(partitionDir)) throw new InvalidArgumentError(`${partitionDir} already exists but topic '${name}' is unknown; move it away first`)
      logs.push(await PartitionLog.create(partitionDir, name, partition, resolved))
    }
    this.topics.set(name, { config: resolved, logs })
    this.writeTopicsFile()
    return { name, partitions: resolved.partitions, config: resolved }
  }

  /** Deletes a topic and all its data. */
  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen()
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
    return [...this.topics].map(([name, { config }]) => ({ name, partitions: config.partitions, config }))
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

  /** fsyncs every partition. */
  async flush(): Promise<void> {
    this.ensureOpen()
    for (const { logs } of this.topics.values()) await Promise.all(logs.map((log) => log.flush()))
  }

  /** Flushes and closes every partition, writes the clean-shutdown marker, releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      for (const { logs } of this.topics.values()) await Promise.all(logs.map((log) => log.close()))
      writeFileAtomicSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, closedAt: Date.now() }) + '\n')
    } finally {
      this.lock.release()
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

import fs from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError, UnknownTopicOrPartitionError } from '../errors.js'
import { wrapIo } from '../log/errors.js'
import { fsyncDirSync } from '../log/file-io.js'
import { PartitionLog, type RecoveryEvent } from '../log/partition-log.js'
import { TOPIC_DELETED_EVENT } from '../consumer/consumer.js'
import { isInternalTopic, withoutClientWrites } from './internal-topic.js'
import { resolveTopicConfig, type TopicConfig } from './topic-config.js'
import { COMPACTION_SETTING_KEYS } from '../log/cleaner/compaction-config.js'
import { snapshotPath } from '../log/producer-state.js'
import { doomedDirName, doomPartitionDirs, newStamp, removeDoomedDirs } from './topic-dirs.js'
import { loadTopics, type TopicLoadOwner } from './topic-load.js'
import { writeTopicsFile, type TopicsRecord } from './topics-file.js'

export interface TopicDescription {
  name: string
  partitions: number
  config: TopicConfig
  /** seglog's own topics (the offsets log), which users do not create or delete. */
  internal: boolean
}

/** Settings to change with alterConfig; null puts a setting back to the engine's default. */
export type TopicConfigChanges = { [K in Exclude<keyof TopicConfig, 'partitions'>]?: TopicConfig[K] | null }

export interface Topic {
  config: TopicConfig
  logs: PartitionLog[]
  /** What callers get: the logs themselves, or for the internal topic views refusing writes. */
  views: readonly PartitionLog[]
}

/** What the catalog needs from the engine that owns it. */
export interface TopicCatalogOwner extends TopicLoadOwner {
  /** Rewrites the checkpoint files for the topics the catalog holds now, if they changed. */
  writeCheckpoints: () => void
}

/**
 * The topics of a data directory: topics.json, the partition directories and the open logs.
 * createTopic and deleteTopic are all or nothing on disk, in memory and in the checkpoints,
 * whatever fails and wherever the process dies (topic-dirs.ts says how). They run one at a time,
 * since each rewrites topics.json from the whole map.
 */
export class TopicCatalog {
  private readonly owner: TopicCatalogOwner
  private readonly topics = new Map<string, Topic>()
  /**
   * Topics out of the map whose partition directories still stand under their own names (their
   * logs are closing): a crash now leaves them in place, so the checkpoints must still carry them.
   */
  private readonly beingDeleted = new Map<string, Topic>()
  /** Topics deleted here (and not created again), so lookups can say so. */
  private readonly deletedTopics = new Set<string>()
  private changes: Promise<unknown> = Promise.resolve()
  private readonly dir: string
  /**
   * A write of topics.json failed, so it may list what the map does not (the rename may have
   * landed and only the directory fsync failed): it is rewritten before the next change.
   */
  private isTopicsFileStale = false

  constructor(owner: TopicCatalogOwner) {
    this.owner = owner
    this.dir = owner.dir
  }

  /** Opens every topic topics.json lists, after finishing any change a crash interrupted. */
  async load(isClean: boolean): Promise<void> {
    for (const { name, config, logs } of await loadTopics(this.owner, isClean, this.onRecovery)) {
      this.topics.set(name, topicEntry(name, config, logs))
    }
  }

  private readonly onRecovery = (event: RecoveryEvent): void => {
    this.owner.warn(
      `recovery cut ${event.bytes} bytes from ${event.file} at byte ${event.position} (${event.reason}); they are kept in ${event.quarantineFile ?? '(nowhere)'}`,
      event,
    )
  }

  has(name: string): boolean {
    return this.topics.has(name)
  }

  /** The topic, or UnknownTopicOrPartitionError (saying whether it was deleted). */
  require(name: string): Topic {
    const topic = this.topics.get(name)
    if (topic === undefined) throw new UnknownTopicOrPartitionError(String(name), null, this.deletedTopics.has(name))
    return topic
  }

  list(): TopicDescription[] {
    return [...this.topics].map(([name, { config }]) => describeTopic(name, config))
  }

  allLogs(): PartitionLog[] {
    const logs: PartitionLog[] = []
    for (const topic of this.topics.values()) logs.push(...topic.logs)
    return logs
  }

  /**
   * The logs whose partitions the checkpoints describe: those of the map, and of topics whose
   * deletion has not yet renamed their directories.
   */
  checkpointedLogs(): PartitionLog[] {
    const logs = this.allLogs()
    for (const topic of this.beingDeleted.values()) logs.push(...topic.logs)
    return logs
  }

  /** Resolves once every create and delete started so far has ended. */
  settled(): Promise<unknown> {
    return this.changes
  }

  private oneAtATime<T>(change: () => Promise<T>): Promise<T> {
    const run = this.changes.then(change)
    this.changes = run.catch(() => undefined)
    return run
  }

  /**
   * Creates a topic (the name is checked by the caller). The partitions are built under `-delete`
   * names, topics.json then lists the topic, and only then are they renamed into place: before
   * topics.json lists it a failure removes them, after it the next open deletes a topic whose
   * partitions still carry such a name.
   */
  create(name: string, config: Partial<TopicConfig>): Promise<TopicDescription> {
    return this.oneAtATime(() => this.createNow(name, config))
  }

  private async createNow(name: string, config: Partial<TopicConfig>): Promise<TopicDescription> {
    if (this.topics.has(name)) throw new InvalidArgumentError(`topic '${name}' already exists`)
    const resolved = resolveTopicConfig(config, this.owner.topicDefaults)
    const finalDirs: string[] = []
    for (let partition = 0; partition < resolved.partitions; partition++) {
      const partitionDir = path.join(this.dir, `${name}-${partition}`)
      if (fs.existsSync(partitionDir))
        throw new InvalidArgumentError(`${partitionDir} already exists but topic '${name}' is unknown; move it away first`)
      finalDirs.push(partitionDir)
    }
    if (this.isTopicsFileStale) this.saveTopics()
    // A leftover of an earlier deletion of this name would make the next open delete this topic.
    removeDoomedDirs(this.dir, name)
    // Entries an earlier topic of this name left would hide the new one's records (its log start)
    // or fail its recovery (its recovery point): the checkpoints must not name it before it exists.
    this.owner.writeCheckpoints()
    const stamp = newStamp()
    const stagedDirs = finalDirs.map((_, partition) => path.join(this.dir, doomedDirName(name, partition, stamp)))
    try {
      for (let partition = 0; partition < resolved.partitions; partition++) {
        const staged = await PartitionLog.create(stagedDirs[partition]!, name, partition, resolved, this.owner.logOptions)
        await staged.close()
        // Closing wrote an empty producer snapshot at 0, which a new partition has no use for.
        const snapshot = snapshotPath(stagedDirs[partition]!, 0)
        wrapIo('unlink', snapshot, () => fs.rmSync(snapshot, { force: true }))
      }
    } catch (error) {
      this.removeQuietly(stagedDirs)
      throw error
    }
    const logs: PartitionLog[] = []
    try {
      // Whether a failed write landed is unknown: from here on a failure is undone like a delete.
      this.saveTopics({ name, config: resolved })
      for (let partition = 0; partition < resolved.partitions; partition++) {
        wrapIo('rename', stagedDirs[partition]!, () => fs.renameSync(stagedDirs[partition]!, finalDirs[partition]!))
      }
      fsyncDirSync(this.dir)
      for (let partition = 0; partition < resolved.partitions; partition++) {
        const log = await PartitionLog.open(finalDirs[partition]!, name, partition, resolved, {
          ...this.owner.logOptions,
          isClean: true,
          recoveryPoint: 0,
          logStartOffset: 0,
          onRecovery: this.onRecovery,
        })
        logs.push(this.owner.configure(log, resolved))
      }
    } catch (error) {
      for (const log of logs) await log.close().catch(() => undefined)
      this.undoFiles(name, resolved.partitions)
      throw error
    }
    this.topics.set(name, topicEntry(name, resolved, logs))
    this.deletedTopics.delete(name)
    return describeTopic(name, resolved)
  }

  /** Best effort after a failed creation; what stays carries a `-delete` name the next open removes. */
  private removeQuietly(dirs: readonly string[]): void {
    try {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
      fsyncDirSync(this.dir)
    } catch (error) {
      this.owner.warn(`could not remove ${dirs.join(', ')} (${(error as Error).message}); the next open removes them`)
    }
  }

  /**
   * Takes a topic that is not in the map out of topics.json and off the disk, as delete does. Its
   * directories carry `-delete` names before topics.json is rewritten, so if this fails part way
   * the next open finishes it.
   */
  private undoFiles(name: string, partitions: number): void {
    try {
      doomPartitionDirs(this.dir, name, partitions)
      this.saveTopics()
      removeDoomedDirs(this.dir, name)
    } catch (error) {
      this.owner.warn(`could not undo the creation of topic '${name}' (${(error as Error).message}); the next open deletes it`)
    }
  }

  /**
   * Deletes a topic and its files. Its partition directories are renamed to `-delete` names
   * first, so from then on the deletion completes even if the process dies; topics.json and the
   * checkpoints are rewritten before this resolves.
   */
  delete(name: string): Promise<void> {
    return this.oneAtATime(async () => {
      const topic = this.require(name)
      this.beingDeleted.set(name, topic)
      this.topics.delete(name)
      this.deletedTopics.add(name)
      // Told before the files close under them, so a read that fails now is reported as this.
      for (const log of topic.logs) log.events.emit(TOPIC_DELETED_EVENT)
      for (const log of topic.logs) {
        await log
          .close()
          .catch((error: unknown) =>
            this.owner.warn(`closing ${log.topic}-${log.partition} of deleted topic '${name}' failed: ${(error as Error).message}`),
          )
      }
      try {
        doomPartitionDirs(this.dir, name, topic.logs.length)
      } finally {
        // Renamed (or the rename failed and the next open sorts it out): the entries may go now.
        this.beingDeleted.delete(name)
      }
      this.saveTopics()
      this.owner.writeCheckpoints()
      try {
        removeDoomedDirs(this.dir, name)
      } catch (error) {
        this.owner.warn(
          `the files of deleted topic '${name}' could not all be removed (${(error as Error).message}); the next open removes them`,
        )
      }
    })
  }

  /**
   * Grows a topic to `count` partitions. topics.json names the new count first: a crash before the
   * new directories exist leaves them to the next open, which creates a listed partition that has
   * no directory. A failure here puts the old count back and removes what was made.
   */
  addPartitions(name: string, count: number): Promise<TopicDescription> {
    return this.oneAtATime(async () => {
      const topic = this.require(name)
      const current = topic.logs.length
      if (!Number.isSafeInteger(count) || count <= current)
        throw new InvalidArgumentError(`topic '${name}' has ${current} partitions; the new count must be larger, got ${count}`)
      resolveTopicConfig({ partitions: count })
      const dirs: string[] = []
      for (let partition = current; partition < count; partition++) {
        const partitionDir = path.join(this.dir, `${name}-${partition}`)
        if (fs.existsSync(partitionDir))
          throw new InvalidArgumentError(`${partitionDir} already exists but is not a partition of topic '${name}'; move it away first`)
        dirs.push(partitionDir)
      }
      // The logs share this config object, so the new count is what they and topics.json see.
      topic.config.partitions = count
      try {
        this.saveTopics()
        for (let partition = current; partition < count; partition++) {
          const log = await PartitionLog.create(dirs[partition - current]!, name, partition, topic.config, this.owner.logOptions)
          topic.logs.push(this.owner.configure(log, topic.config))
        }
      } catch (error) {
        for (const log of topic.logs.splice(current)) await log.close().catch(() => undefined)
        topic.config.partitions = current
        this.removeQuietly(dirs)
        try {
          this.saveTopics()
        } catch {
          // isTopicsFileStale stays set: the next change rewrites it.
        }
        throw error
      }
      this.topics.set(name, topicEntry(name, topic.config, topic.logs))
      return describeTopic(name, topic.config)
    })
  }

  /** Changes a topic's settings in place (the logs hold the same config object) and saves them. */
  alterConfig(name: string, changes: TopicConfigChanges): Promise<TopicDescription> {
    return this.oneAtATime(async () => {
      const topic = this.require(name)
      if ('partitions' in changes) throw new InvalidArgumentError('alterTopicConfig cannot change the partition count; use addPartitions')
      const next: Partial<TopicConfig> = { ...topic.config }
      for (const [key, value] of Object.entries(changes) as [keyof TopicConfigChanges, unknown][]) {
        ;(next as Record<string, unknown>)[key] = value === null ? this.owner.topicDefaults[key] : value
      }
      const resolved = resolveTopicConfig(next, this.owner.topicDefaults)
      const previous = { ...topic.config }
      Object.assign(topic.config, resolved)
      if (resolved.flush === undefined) topic.config.flush = undefined
      if (resolved.timestampType === undefined) topic.config.timestampType = undefined
      for (const key of COMPACTION_SETTING_KEYS) if (!(key in resolved)) delete (topic.config as unknown as Record<string, unknown>)[key]
      try {
        this.saveTopics()
      } catch (error) {
        Object.assign(topic.config, previous)
        throw error
      }
      return describeTopic(name, topic.config)
    })
  }

  /** Writes topics.json: the topics of the map, with `extra` added. */
  private saveTopics(extra?: { name: string; config: TopicConfig }): void {
    const topics: TopicsRecord = {}
    for (const [name, { config }] of this.topics) topics[name] = config
    if (extra !== undefined) topics[extra.name] = extra.config
    this.isTopicsFileStale = true
    writeTopicsFile(this.dir, topics)
    this.isTopicsFileStale = false
  }
}

function topicEntry(name: string, config: TopicConfig, logs: PartitionLog[]): Topic {
  return { config, logs, views: isInternalTopic(name) ? logs.map(withoutClientWrites) : logs }
}

function describeTopic(name: string, config: TopicConfig): TopicDescription {
  return { name, partitions: config.partitions, config, internal: isInternalTopic(name) }
}

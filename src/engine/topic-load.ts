import fs from 'node:fs'
import path from 'node:path'
import { PartitionLog, type PartitionLogOptions, type RecoveryEvent } from '../log/partition-log.js'
import { IoError } from '../log/errors.js'
import { CorruptRecordError } from '../record/errors.js'
import { withRepairHint } from './repair-hint.js'
import { checkpointKey, LOG_START_OFFSET_CHECKPOINT, readCheckpointFile, RECOVERY_POINT_CHECKPOINT } from './checkpoint-file.js'
import { parsePartitionDirName, resolveTopicConfig, type TopicConfig } from './topic-config.js'
import { doomedTopicKey, doomPartitionDirs, listDoomedDirs, removeDoomedDirs } from './topic-dirs.js'
import { readTopicsFile, writeTopicsFile, type TopicsRecord } from './topics-file.js'

/** What opening the topics of a data directory needs from the engine that owns it. */
export interface TopicLoadOwner {
  dir: string
  topicDefaults: TopicConfig
  /** Options every partition log is opened or created with (clock, file system, delete delay). */
  logOptions: PartitionLogOptions
  warn: (message: string, detail?: RecoveryEvent) => void
  /** Applies the engine's settings to a log the catalog opened or created. */
  configure: (log: PartitionLog, config: TopicConfig) => PartitionLog
}

export interface LoadedTopic {
  name: string
  config: TopicConfig
  logs: PartitionLog[]
}

/**
 * Opens every topic topics.json lists, after finishing any change a crash interrupted. A listed
 * partition without a directory (a crash during addPartitions) is created empty.
 */
export async function loadTopics(
  owner: TopicLoadOwner,
  isClean: boolean,
  onRecovery: (event: RecoveryEvent) => void,
): Promise<LoadedTopic[]> {
  const dir = owner.dir
  const stored = finishInterruptedChanges(owner, readTopicsFile(dir))
  const recoveryPoints = readCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT))
  const logStartOffsets = readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT))
  const loaded: LoadedTopic[] = []
  const readdir = owner.logOptions.fileSystem?.readdir?.bind(owner.logOptions.fileSystem)
  for (const [name, config] of Object.entries(stored)) {
    const resolved = resolveTopicConfig(config, owner.topicDefaults)
    const logs: PartitionLog[] = []
    const dirs = Array.from({ length: resolved.partitions }, (_, partition) => path.join(dir, `${name}-${partition}`))
    const listings = readdir === undefined ? null : listAhead(readdir, dirs)
    for (let partition = 0; partition < resolved.partitions; partition++) {
      const partitionDir = dirs[partition]!
      const fileNames = listings === null ? undefined : await listings[partition]!
      if (fileNames === null || (fileNames === undefined && !fs.existsSync(partitionDir))) {
        logs.push(owner.configure(await PartitionLog.create(partitionDir, name, partition, resolved, owner.logOptions), resolved))
        continue
      }
      const key = checkpointKey(name, partition)
      const log = await PartitionLog.open(partitionDir, name, partition, resolved, {
        ...owner.logOptions,
        isClean,
        recoveryPoint: recoveryPoints.get(key) ?? 0,
        logStartOffset: logStartOffsets.get(key) ?? 0,
        onRecovery,
        ...(fileNames !== undefined && { fileNames }),
      }).catch((error: unknown) => {
        throw error instanceof CorruptRecordError ? withRepairHint(error, dir, name, partition) : error
      })
      logs.push(owner.configure(log, resolved))
    }
    loaded.push({ name, config: resolved, logs })
  }
  const known = new Set(loaded.map((topic) => topic.name))
  for (const name of fs.readdirSync(dir)) {
    const parsed = parsePartitionDirName(name)
    if (parsed !== null && !known.has(parsed.topic) && fs.statSync(path.join(dir, name)).isDirectory()) {
      owner.warn(`${name} is not a partition of any known topic; it was left alone`)
    }
  }
  return loaded
}

/** Partition directories listed ahead of their open, at most this many at once in the thread pool. */
const LISTING_CONCURRENCY = 8

/**
 * Lists `dirs` through the thread pool, LISTING_CONCURRENCY at a time, in order, so the engine
 * opens one partition (synchronous work on the event loop) while the next are listed, and waits
 * on slow directory reads side by side rather than one after another. A missing directory lists
 * as null. Every listing has a handler: one left unread after a failed open rejects quietly.
 */
function listAhead(readdir: (dir: string) => Promise<string[]>, dirs: readonly string[]): Promise<string[] | null>[] {
  const settle: ((listing: Promise<string[] | null>) => void)[] = []
  const listings = dirs.map(() => new Promise<string[] | null>((resolve) => settle.push(resolve)))
  for (const listing of listings) listing.catch(() => undefined)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < dirs.length) {
      const slot = next++
      const dir = dirs[slot]!
      const listing = readdir(dir).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw new IoError('list', dir, error)
      })
      settle[slot]!(listing)
      await listing.catch(() => undefined)
    }
  }
  for (let count = 0; count < Math.min(LISTING_CONCURRENCY, dirs.length); count++) void worker()
  return listings
}

/**
 * A listed topic with a `-delete` partition directory was being deleted, or being created, when
 * the last owner stopped: neither finished, so its deletion is finished now. Then every
 * `-delete` directory is removed. Returns the topics that exist.
 */
function finishInterruptedChanges(owner: TopicLoadOwner, stored: TopicsRecord): TopicsRecord {
  const dir = owner.dir
  const doomedKeys = new Set(listDoomedDirs(dir).map((doomed) => doomed.topicKey))
  const interrupted = Object.keys(stored).filter((topic) => doomedKeys.has(doomedTopicKey(topic)))
  if (interrupted.length > 0) {
    const kept = { ...stored }
    for (const topic of interrupted) {
      doomPartitionDirs(dir, topic, resolveTopicConfig(stored[topic], owner.topicDefaults).partitions)
      delete kept[topic]
      owner.warn(`topic '${topic}' was being created or deleted when the directory's last owner stopped; it was deleted`)
    }
    writeTopicsFile(dir, kept)
    stored = kept
  }
  removeDoomedDirs(dir)
  return stored
}

import fs from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError } from '../errors.js'
import { wrapIo } from '../log/errors.js'
import { FileBatchReader } from '../log/file-batch-reader.js'
import { OffsetsReplay, type GroupCommit } from './inspect/offsets-replay.js'
import { OFFSETS_TOPIC } from '../consumer/offset-store.js'
import { writeRestoredCommits } from '../consumer/offset-restore.js'
import { CLEAN_SHUTDOWN_FILE, LogEngine } from './log-engine.js'
import { checkpointKey, LOG_START_OFFSET_CHECKPOINT, parseCheckpoint } from '../format/checkpoint.js'
import { parsePartitionDirName, type TopicConfig } from './topic-config.js'
import { verifyDirectory, type VerifyReport } from './verify-directory.js'

/**
 * Adopting a Kafka broker's log directory (`seglog import`): topics and partition counts from the
 * partition directory names, every segment's `.log` kept byte for byte (copied, or hard-linked),
 * the producer snapshots and leader-epoch checkpoints carried over, and every `__consumer_offsets-N`
 * partition replayed into seglog's one offsets log (per group, topic and partition the latest
 * commit wins; a tombstone removes it), each commit keeping the commit timestamp and metadata
 * Kafka stored (offset-restore.ts). The offset and time indexes are not carried over: the
 * destination opens without a clean-shutdown marker, so the engine rescans every segment (CRCs
 * and offsets) and rebuilds them, and a read-only verify of the result follows.
 *
 * The source is only read. With `link`, every segment but each partition's last is hard-linked:
 * the last one is copied because the engine appends to it (and a recovery may cut its tail), and
 * a hard link would carry those writes into the source.
 */

export interface ImportOptions {
  /** Hard-link closed segments instead of copying them (same file system only). */
  link?: boolean
  /** Settings for every imported topic (e.g. from the broker's server.properties). */
  topicDefaults?: Partial<Omit<TopicConfig, 'partitions'>>
  /** Bytes of segments handled so far, of `totalBytes`. */
  onProgress?: (doneBytes: number, totalBytes: number) => void
  /** Things worth saying that are not failures: directories left out, damaged offsets records. */
  onNote?: (message: string) => void
}

export interface ImportReport {
  topics: { topic: string; partitions: number }[]
  segments: number
  bytes: number
  /** Segment files hard-linked rather than copied. */
  linked: number
  groups: number
  commits: number
  verify: VerifyReport
}

/** Kafka internal topics seglog does not take over: KRaft metadata, transaction coordinator state. */
const SKIPPED_INTERNAL_TOPICS = new Set(['__cluster_metadata', '__transaction_state'])
/** Files of a partition directory carried over besides the `.log` files. */
const CARRIED_SUFFIXES = ['.snapshot', '.txnindex']
const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint'
const LOG_FILE = /^\d{20}\.log$/

interface SourcePartition {
  topic: string
  partition: number
  dir: string
  /** `.log` files by ascending base offset. */
  logs: string[]
}

export async function importKafkaLogDir(source: string, dest: string, options: ImportOptions = {}): Promise<ImportReport> {
  const note = options.onNote ?? (() => undefined)
  checkDirs(source, dest)
  const { topics, offsetsPartitions } = scanSource(source, note)
  const commits = replayOffsets(offsetsPartitions, note)

  const engine = await LogEngine.open({ dir: dest, flush: 'os', onWarning: () => undefined })
  try {
    for (const [topic, partitions] of topics) {
      const count = Math.max(...partitions.map((entry) => entry.partition)) + 1
      if (count !== partitions.length)
        note(`topic ${topic}: partitions ${missingOf(partitions, count)} are not in ${source}; they start empty`)
      await engine.createTopic(topic, { ...options.topicDefaults, partitions: count })
    }
  } finally {
    await engine.close()
  }
  // Without the marker the next open recovers every segment: CRCs, offsets, rebuilt indexes.
  fs.rmSync(path.join(dest, CLEAN_SHUTDOWN_FILE), { force: true })

  const all = [...topics.values()].flat()
  const totalBytes = all.reduce((sum, entry) => sum + entry.logs.reduce((bytes, file) => bytes + fs.statSync(file).size, 0), 0)
  const copied = { segments: 0, bytes: 0, linked: 0 }
  for (const entry of all)
    carryPartition(entry, path.join(dest, `${entry.topic}-${entry.partition}`), options.link === true, copied, (bytes) =>
      options.onProgress?.(bytes, totalBytes),
    )

  // Groups also commit to partitions another broker's log directory holds.
  const carried = new Set(all.map((entry) => `${entry.topic}-${entry.partition}`))
  const kept = commits.filter((commit) => {
    const isCarried = carried.has(`${commit.topic}-${commit.partition}`)
    if (!isCarried)
      note(`group ${commit.group}: its commit to ${commit.topic}-${commit.partition} is left out: that partition is not in ${source}`)
    return isCarried
  })
  // Replayed by the open below, which recovers every segment (there is no clean-shutdown marker).
  writeRestoredCommits(dest, kept)

  const reopened = await LogEngine.open({ dir: dest, flush: 'os', onWarning: note })
  try {
    // Records Kafka deleted (DeleteRecords, retention inside a segment) stay deleted. Removing a
    // hard-linked segment file here only removes the link: the source keeps its file.
    const logStarts = readLogStarts(source, note)
    for (const entry of all) {
      const logStart = logStarts.get(checkpointKey(entry.topic, entry.partition))
      const log = reopened.partition(entry.topic, entry.partition)
      if (logStart !== undefined && logStart > log.logStartOffset) await log.deleteRecordsBefore(Math.min(logStart, log.highWatermark))
    }
    for (const commit of kept) {
      // Kafka keeps commits below the log start (the consumer then resets); seglog's store
      // takes offsets within the log, so such a commit moves to the log start, as a reset would.
      const log = reopened.partition(commit.topic, commit.partition)
      const offset = Math.min(Math.max(commit.offset, log.logStartOffset), log.logEndOffset)
      if (offset === commit.offset) continue
      note(
        `group ${commit.group}: its commit ${commit.offset} to ${commit.topic}-${commit.partition} is outside the log and becomes ${offset}`,
      )
      await reopened.offsets.commit(commit.group, commit.topic, commit.partition, offset, commit.metadata)
    }
  } finally {
    await reopened.close()
  }
  const verify = await verifyDirectory(dest, { isDeep: false })
  return {
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions: Math.max(...partitions.map((entry) => entry.partition)) + 1 })),
    segments: copied.segments,
    bytes: copied.bytes,
    linked: copied.linked,
    groups: new Set(commits.map((commit) => commit.group)).size,
    commits: commits.length,
    verify,
  }
}

function checkDirs(source: string, dest: string): void {
  if (!fs.statSync(source, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`${source} is not a directory`)
  if (fs.existsSync(path.join(source, 'topics.json')))
    throw new InvalidArgumentError(`${source} is a seglog data directory, not a Kafka log directory`)
  const existing = fs.statSync(dest, { throwIfNoEntry: false })
  if (existing !== undefined && (!existing.isDirectory() || fs.readdirSync(dest).length > 0)) {
    throw new InvalidArgumentError(`${dest} must not exist or be an empty directory: import never writes into existing data`)
  }
  if (path.resolve(dest).startsWith(path.resolve(source) + path.sep)) throw new InvalidArgumentError(`${dest} is inside ${source}`)
}

/** The topic partitions and the offsets partitions of a Kafka log directory. */
function scanSource(
  source: string,
  note: (message: string) => void,
): { topics: Map<string, SourcePartition[]>; offsetsPartitions: SourcePartition[] } {
  const topics = new Map<string, SourcePartition[]>()
  const offsetsPartitions: SourcePartition[] = []
  const names = wrapIo('readdir', source, () => fs.readdirSync(source, { withFileTypes: true }))
  for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isDirectory()) continue
    const parsed = parsePartitionDirName(entry.name)
    if (parsed === null) {
      // Kafka renames partition directories being deleted or moved (`orders-0.<uuid>-delete`).
      note(`${entry.name}: not a partition directory (or one Kafka was deleting or moving); left out`)
      continue
    }
    if (SKIPPED_INTERNAL_TOPICS.has(parsed.topic)) {
      note(`${entry.name}: Kafka's internal ${parsed.topic} has no seglog counterpart; left out`)
      continue
    }
    const dir = path.join(source, entry.name)
    const logs = wrapIo('readdir', dir, () => fs.readdirSync(dir))
      .filter((name) => LOG_FILE.test(name))
      .sort()
      .map((name) => path.join(dir, name))
    const partition: SourcePartition = { ...parsed, dir, logs }
    if (parsed.topic === OFFSETS_TOPIC) offsetsPartitions.push(partition)
    else topics.set(parsed.topic, [...(topics.get(parsed.topic) ?? []), partition])
  }
  return { topics, offsetsPartitions }
}

/** The live commits of every offsets partition (each group lives in exactly one of them). */
function replayOffsets(partitions: readonly SourcePartition[], note: (message: string) => void): GroupCommit[] {
  const commits: GroupCommit[] = []
  for (const entry of partitions) {
    const replay = new OffsetsReplay(0, note)
    for (const file of entry.logs) {
      const reader = FileBatchReader.openSync(file)
      try {
        for (let batch = reader.next(); batch !== null; batch = reader.next()) replay.applyBatch(file, batch, reader.batchPosition)
        if (reader.trailingBytes > 0) note(`${file}: ${reader.trailingBytes} bytes of a partial batch at the end are left out`)
      } finally {
        reader.close()
      }
    }
    commits.push(...replay.commitsInOrder())
  }
  return commits
}

/** Replaces the empty partition `createTopic` made with the source partition's files. */
function carryPartition(
  entry: SourcePartition,
  target: string,
  link: boolean,
  copied: { segments: number; bytes: number; linked: number },
  onProgress: (bytes: number) => void,
): void {
  for (const name of fs.readdirSync(target)) fs.rmSync(path.join(target, name))
  entry.logs.forEach((file, slot) => {
    const to = path.join(target, path.basename(file))
    const isLast = slot === entry.logs.length - 1
    if (link && !isLast) {
      wrapIo('link', to, () => fs.linkSync(file, to))
      copied.linked++
    } else {
      // COPYFILE_EXCL: never overwrite; the copy has its own inode, so later writes stay here.
      wrapIo('copy', to, () => fs.copyFileSync(file, to, fs.constants.COPYFILE_EXCL))
    }
    copied.segments++
    copied.bytes += fs.statSync(to).size
    onProgress(copied.bytes)
  })
  for (const name of fs.readdirSync(entry.dir)) {
    if (name === LEADER_EPOCH_CHECKPOINT || CARRIED_SUFFIXES.some((suffix) => name.endsWith(suffix) && /^\d{20}\./.test(name))) {
      wrapIo('copy', name, () => fs.copyFileSync(path.join(entry.dir, name), path.join(target, name), fs.constants.COPYFILE_EXCL))
    }
  }
}

/** Kafka's log-start-offset-checkpoint (the same text format as seglog's), or nothing. */
function readLogStarts(source: string, note: (message: string) => void): Map<string, number> {
  const file = path.join(source, LOG_START_OFFSET_CHECKPOINT)
  if (!fs.existsSync(file)) return new Map()
  try {
    return parseCheckpoint(fs.readFileSync(file, 'utf8'), file)
  } catch (error) {
    note(`${file}: ${(error as Error).message}; every partition starts at its first segment`)
    return new Map()
  }
}

function missingOf(partitions: readonly SourcePartition[], count: number): string {
  const present = new Set(partitions.map((entry) => entry.partition))
  const missing: number[] = []
  for (let partition = 0; partition < count; partition++) if (!present.has(partition)) missing.push(partition)
  return missing.join(', ')
}

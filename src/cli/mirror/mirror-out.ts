import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin, Kafka, Producer } from 'kafkajs'
import { SeglogError } from '../../errors.js'
import type { ConsumerRecord } from '../../index.js'
import { readTopicsFile } from '../../engine/topics-file.js'
import { isInternalTopic } from '../../engine/internal-topic.js'
import { resolveTopicConfig, type TopicConfig } from '../../engine/topic-config.js'
import { kafkaConfigsOf } from '../../server/topic-configs.js'
import { LivePartitionReader } from '../live-reader.js'
import { MIRROR_GROUP_PREFIX, MirrorChecksum, newProgress, recordCopied, type PartitionProgress } from './mirror-progress.js'
import { nextChunkSize } from './chunks.js'
import { GroupOffsetSync } from './group-sync.js'
import { MirrorProgressFile } from './progress-file.js'

/**
 * `seglog mirror DIR --to HOST:PORT`: copies a data directory's topics to a Kafka-protocol cluster
 * through KafkaJS, with keys, values, headers and timestamps, and moves every consumer group's
 * committed offsets across, translated to the offsets the records got there. With `follow` it
 * keeps copying what is appended, and carries the groups' new commits, until `signal` aborts.
 *
 * DIR is read without its lock (LivePartitionReader, group-sync.ts), so the mirror runs beside
 * `seglog serve` or an application that owns the directory, and never writes the data: its
 * progress goes to a file beside it (progress-file.ts).
 *
 * Exactly once, when the mirror is the only writer of the destination topics: records go out in
 * chunks, one produce request per partition chunk (one batch, written whole or not at all), through
 * an idempotent producer (so a retried request is not written twice). After each acknowledged
 * chunk the progress is updated, and the file replaced at most every PROGRESS_SAVE_MS and at the
 * end (each save is two fsyncs). A run killed between a chunk's acknowledgement and the next
 * save finds the destination further on than its progress says: it counts the records that got
 * there (destination end minus the recorded end) and skips exactly as many, instead of sending
 * them again.
 */

/** Records per produce request: large enough to amortize a round trip, small enough to resume close to where a run stopped. */
export const MIRROR_CHUNK_RECORDS = 2000
/** Kafka topic configs a destination is created with (seglog-specific ones left out). */
export const CARRIED_CONFIGS = [
  'cleanup.policy',
  'retention.ms',
  'retention.bytes',
  'segment.bytes',
  'segment.ms',
  'max.message.bytes',
  'message.timestamp.type',
]
/** How often a caught-up `--follow` looks for appends: as `seglog consume --follow` does. */
const POLL_MS = 100

export interface MirrorOutOptions {
  dir: string
  kafka: Kafka
  target: string
  topics?: readonly string[]
  groups?: readonly string[]
  /** Keep copying appends (and group commits) until `signal` aborts. */
  follow?: boolean
  /** Ends the run after the chunk in flight (its progress saved), then the groups are carried. */
  signal?: AbortSignal
  onProgress?: (copied: number, total: number) => void
  onNote?: (message: string) => void
}

export interface MirrorReport {
  topics: number
  partitions: number
  records: number
  bytes: number
  checksum: string
  groups: number
  /** Records found on the destination after an interrupted run and not sent again. */
  resumedSkips: number
}

interface SourceTopic {
  name: string
  config: TopicConfig
}

export async function mirrorOut(options: MirrorOutOptions): Promise<MirrorReport> {
  const { dir, kafka } = options
  const note = options.onNote ?? (() => undefined)
  const signal = options.signal ?? new AbortController().signal
  const topics: SourceTopic[] = Object.entries(readTopicsFile(dir))
    .filter(([name]) => !isInternalTopic(name) && (options.topics === undefined || options.topics.includes(name)))
    .map(([name, config]) => ({ name, config: resolveTopicConfig(config) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const name of options.topics ?? [])
    if (!topics.some((topic) => topic.name === name)) throw new SeglogError('INVALID_ARGUMENT', `no topic '${name}' in the source`)
  const progressFile = MirrorProgressFile.load(dir, options.target)

  const admin = kafka.admin()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await admin.connect()
  await producer.connect()
  const checksum = new MirrorChecksum()
  const copies: PartitionCopy[] = []
  let groups = 0
  try {
    await createMissingTopics(admin, topics)
    for (const topic of topics) {
      const highs = await admin.fetchTopicOffsets(topic.name)
      for (let partition = 0; partition < topic.config.partitions; partition++) {
        const destHigh = Number(highs.find((entry) => entry.partition === partition)?.high ?? 0)
        const reader = new LivePartitionReader({
          topic: topic.name,
          partition,
          dir: path.join(dir, `${topic.name}-${partition}`),
          warn: note,
        })
        const { progress, isResumed } = progressFile.of(topic.name, partition, () => newProgress(reader.range().startOffset, destHigh))
        copies.push(
          new PartitionCopy(
            producer,
            reader,
            progress,
            isResumed ? Math.max(0, destHigh - progress.dest) : 0,
            topic.config.maxBatchBytes,
            checksum,
          ),
        )
      }
    }
    progressFile.save()
    const sync = new GroupOffsetSync({
      dir,
      admin,
      groups: options.groups,
      exclude: (group) => group.startsWith(MIRROR_GROUP_PREFIX),
      progressOf: (topic, partition) => copies.find((copy) => copy.reader.topic === topic && copy.reader.partition === partition)?.progress,
      note,
    })
    const ends = options.follow === true ? null : copies.map((copy) => copy.reader.scanEnd())
    const total =
      ends === null ? 0 : copies.reduce((sum, copy, slot) => sum + Math.max(0, ends[slot]!.nextOffset - copy.progress.sourceNext), 0)
    const resumedSkipsOf = (): number => copies.reduce((sum, copy) => sum + copy.skipped, 0)
    while (!signal.aborted) {
      let moved = false
      for (let slot = 0; slot < copies.length && !signal.aborted; slot++) {
        if (ends !== null && copies[slot]!.reader.hasReached(ends[slot]!)) continue
        if ((await copies[slot]!.step()) > 0) {
          moved = true
          progressFile.saveIfDue()
          options.onProgress?.(checksum.count + resumedSkipsOf(), total)
        }
      }
      if (ends !== null && copies.every((copy, slot) => copy.reader.hasReached(ends[slot]!))) break
      if (options.follow === true) await sync.syncIfDue({ onlyCopied: true })
      if (!moved) await pause(POLL_MS, signal)
    }
    progressFile.save()
    // A commit past what was copied waits for the next run, unless this one copied everything there was.
    groups = await sync.syncNow({ onlyCopied: options.follow === true || signal.aborted })
  } catch (error) {
    // What was acknowledged before the failure is not sent again by the next run.
    if (copies.length > 0) progressFile.save()
    throw error
  } finally {
    await producer.disconnect().catch(() => undefined)
    await admin.disconnect().catch(() => undefined)
  }
  return {
    topics: topics.length,
    partitions: copies.length,
    records: checksum.count,
    bytes: checksum.bytes,
    checksum: checksum.digest(),
    groups,
    resumedSkips: copies.reduce((sum, copy) => sum + copy.skipped, 0),
  }
}

async function createMissingTopics(admin: Admin, topics: readonly SourceTopic[]): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((topic) => !existing.has(topic.name))
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => {
        const configs = kafkaConfigsOf(topic.config, { mode: 'os' })
        return {
          topic: topic.name,
          numPartitions: topic.config.partitions,
          configEntries: CARRIED_CONFIGS.filter((name) => configs.has(name)).map((name) => ({ name, value: configs.get(name)! })),
        }
      }),
    })
  }
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map((topic) => topic.name) })
  for (const topic of topics) {
    const count = metadata.topics.find((entry) => entry.name === topic.name)?.partitions.length ?? 0
    if (count < topic.config.partitions) {
      throw new SeglogError(
        'INVALID_ARGUMENT',
        `topic ${topic.name} has ${count} partitions on the destination, fewer than its ${topic.config.partitions} here`,
      )
    }
  }
}

/** One partition's copy: reads what the files hold after its progress, sends it in chunks. */
class PartitionCopy {
  /** Records found already delivered by a killed run and not sent again. */
  skipped = 0

  constructor(
    private readonly producer: Producer,
    readonly reader: LivePartitionReader,
    readonly progress: PartitionProgress,
    /** Records on the destination beyond the saved progress: a killed run delivered them. */
    private toSkip: number,
    /** The topic's max.message.bytes: the destination was created with it. */
    private readonly maxBatchBytes: number,
    private readonly checksum: MirrorChecksum,
  ) {
    const { startOffset } = reader.range()
    if (progress.sourceNext < startOffset) progress.sourceNext = startOffset
    reader.seekOffset(progress.sourceNext)
  }

  /** Copies what one read of the files brings; resolves to the number of records handled. */
  async step(): Promise<number> {
    const records = this.reader.poll()
    for (let from = 0; from < records.length;) {
      const size =
        this.toSkip > 0
          ? Math.min(this.toSkip, MIRROR_CHUNK_RECORDS)
          : nextChunkSize(records, from, MIRROR_CHUNK_RECORDS, this.maxBatchBytes)
      const chunk = records.slice(from, from + size)
      if (this.toSkip > 0) {
        recordCopied(
          this.progress,
          chunk.map((record) => record.offset),
          this.progress.dest,
        )
        this.toSkip -= chunk.length
        this.skipped += chunk.length
      } else {
        const base = await this.send(chunk)
        recordCopied(
          this.progress,
          chunk.map((record) => record.offset),
          base,
        )
      }
      from += chunk.length
    }
    return records.length
  }

  /** Sends one chunk as one produce request to one partition; resolves to its first destination offset. */
  private async send(chunk: readonly ConsumerRecord[]): Promise<number> {
    const { topic, partition } = this.reader
    const messages = chunk.map((record) => {
      const headers: Record<string, Buffer[]> = {}
      for (const header of record.headers) (headers[header.key] ??= []).push(header.value ?? Buffer.alloc(0))
      this.checksum.add(topic, partition, record)
      return { key: record.key, value: record.value, headers, timestamp: String(record.timestamp), partition }
    })
    const [result] = await this.producer.send({ topic, acks: -1, messages })
    if (result === undefined || result.baseOffset === undefined)
      throw new SeglogError('IO_FAILED', `no offset came back for ${topic}-${partition}`)
    return Number(result.baseOffset)
  }
}

/** Waits `ms`, or less if `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error
  }
}

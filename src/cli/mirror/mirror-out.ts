import type { Admin, Kafka, Producer } from 'kafkajs'
import { SeglogError } from '../../errors.js'
import type { LogEngine } from '../../engine/log-engine.js'
import type { DecodedRecord } from '../../record/record.js'
import { kafkaConfigsOf } from '../../server/topic-configs.js'
import {
  decodeProgress,
  destinationOffsetOf,
  encodeProgress,
  MIRROR_GROUP_PREFIX,
  MirrorChecksum,
  translateChunk,
  type PartitionProgress,
} from './mirror-progress.js'

/**
 * `seglog mirror DIR --to HOST:PORT`: copies a data directory's topics to a Kafka-protocol cluster
 * through KafkaJS, with keys, values, headers and timestamps, and moves every consumer group's
 * committed offsets across, translated to the offsets the records got there.
 *
 * Exactly once, when the mirror is the only writer of the destination topics: records go out in
 * chunks, one produce request per partition chunk (one batch, written whole or not at all), through
 * an idempotent producer (so a retried request is not written twice). After each acknowledged
 * chunk the progress is committed in the source's offset store. A run killed between a chunk's
 * acknowledgement and its progress commit finds the destination further on than its progress
 * says: it counts the records that got there (destination end minus the recorded end) and skips
 * exactly as many, instead of sending them again.
 */

/** Records per produce request: large enough to amortize a round trip, small enough to resume close to where a run stopped. */
export const MIRROR_CHUNK_RECORDS = 2000
/** Kafka topic configs a destination is created with (seglog-specific ones left out). */
const CARRIED_CONFIGS = ['retention.ms', 'retention.bytes', 'segment.bytes', 'segment.ms', 'max.message.bytes', 'message.timestamp.type']

export interface MirrorOutOptions {
  engine: LogEngine
  kafka: Kafka
  target: string
  topics?: readonly string[]
  groups?: readonly string[]
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

export async function mirrorOut(options: MirrorOutOptions): Promise<MirrorReport> {
  const { engine, kafka } = options
  const note = options.onNote ?? (() => undefined)
  const mirrorGroup = MIRROR_GROUP_PREFIX + options.target
  const topics = engine
    .listTopics()
    .filter((topic) => !topic.internal && (options.topics === undefined || options.topics.includes(topic.name)))
  for (const name of options.topics ?? [])
    if (!topics.some((topic) => topic.name === name)) throw new SeglogError('INVALID_ARGUMENT', `no topic '${name}' in the source`)
  const groups = engine.offsets
    .listGroups()
    .filter((group) => !group.startsWith(MIRROR_GROUP_PREFIX) && (options.groups === undefined || options.groups.includes(group)))

  const admin = kafka.admin()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await admin.connect()
  await producer.connect()
  const checksum = new MirrorChecksum()
  let resumedSkips = 0
  let partitions = 0
  try {
    await createMissingTopics(admin, engine, topics)
    let total = 0
    for (const topic of topics)
      for (let partition = 0; partition < topic.partitions; partition++)
        total += engine.partition(topic.name, partition).highWatermark - engine.partition(topic.name, partition).logStartOffset
    for (const topic of topics) {
      const highs = await admin.fetchTopicOffsets(topic.name)
      const groupOffsets = new Map<string, { partition: number; offset: string }[]>()
      for (let partition = 0; partition < topic.partitions; partition++) {
        partitions++
        const destHigh = Number(highs.find((entry) => entry.partition === partition)?.high ?? 0)
        const commits = new Map<string, number>()
        for (const group of groups) {
          const committed = engine.offsets.fetch(group, topic.name, partition)
          if (committed !== null) commits.set(group, committed.offset)
        }
        const copy = new PartitionCopy(engine, producer, topic.name, partition, mirrorGroup, commits, checksum)
        resumedSkips += await copy.run(destHigh, () => options.onProgress?.(checksum.count + resumedSkips, total))
        for (const [group, committed] of commits) {
          const entries = groupOffsets.get(group) ?? []
          entries.push({ partition, offset: String(destinationOffsetOf(copy.progress, group, committed)) })
          groupOffsets.set(group, entries)
        }
      }
      // Each setOffsets joins the group once (KafkaJS commits through a consumer): all groups at once.
      await Promise.all(
        [...groupOffsets].map(([groupId, entries]) =>
          admin.setOffsets({ groupId, topic: topic.name, partitions: entries }).catch((error: unknown) => {
            note(
              `group ${groupId}: its offsets on ${topic.name} could not be set (${(error as Error).message}); is the group active on the destination?`,
            )
          }),
        ),
      )
    }
  } finally {
    await producer.disconnect().catch(() => undefined)
    await admin.disconnect().catch(() => undefined)
  }
  return {
    topics: topics.length,
    partitions,
    records: checksum.count,
    bytes: checksum.bytes,
    checksum: checksum.digest(),
    groups: groups.length,
    resumedSkips,
  }
}

async function createMissingTopics(admin: Admin, engine: LogEngine, topics: ReturnType<LogEngine['listTopics']>): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((topic) => !existing.has(topic.name))
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => {
        const configs = kafkaConfigsOf(topic.config, { mode: 'os' })
        return {
          topic: topic.name,
          numPartitions: topic.partitions,
          configEntries: CARRIED_CONFIGS.filter((name) => configs.has(name)).map((name) => ({ name, value: configs.get(name)! })),
        }
      }),
    })
  }
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map((topic) => topic.name) })
  for (const topic of topics) {
    const count = metadata.topics.find((entry) => entry.name === topic.name)?.partitions.length ?? 0
    if (count < topic.partitions) {
      throw new SeglogError(
        'INVALID_ARGUMENT',
        `topic ${topic.name} has ${count} partitions on the destination, fewer than its ${topic.partitions} here`,
      )
    }
  }
}

/** One partition's copy: resume from the progress commit, send chunks, commit progress after each. */
class PartitionCopy {
  progress: PartitionProgress = { sourceNext: 0, from: 0, dest: 0, start: 0, groups: {} }

  constructor(
    private readonly engine: LogEngine,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly partition: number,
    private readonly mirrorGroup: string,
    private readonly commits: ReadonlyMap<string, number>,
    private readonly checksum: MirrorChecksum,
  ) {}

  /** Copies what is left; returns how many records an interrupted run had already delivered. */
  async run(destHigh: number, onChunk: () => void): Promise<number> {
    const log = this.engine.partition(this.topic, this.partition)
    const saved = this.engine.offsets.fetch(this.mirrorGroup, this.topic, this.partition)
    const resumed = saved === null ? null : decodeProgress(saved.offset, saved.metadata)
    if (resumed === null) {
      this.progress = { sourceNext: log.logStartOffset, from: log.logStartOffset, dest: destHigh, start: destHigh, groups: {} }
      await this.commitProgress()
    } else {
      this.progress = resumed
    }
    // Delivered after the last progress commit: skip exactly those, translating groups through them.
    let skipped = 0
    let toSkip = Math.max(0, destHigh - this.progress.dest)
    let chunk: DecodedRecord[] = []
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return
      const isSkip = toSkip > 0
      const base = isSkip ? this.progress.dest : await this.send(chunk)
      translateChunk(
        this.progress,
        this.commits,
        chunk.map((record) => record.offset),
        base,
      )
      if (isSkip) {
        skipped += chunk.length
        toSkip -= chunk.length
      }
      this.progress.sourceNext = chunk[chunk.length - 1]!.offset + 1
      this.progress.dest = base + chunk.length
      await this.commitProgress()
      chunk = []
      onChunk()
    }
    const end = log.highWatermark
    if (this.progress.sourceNext < log.logStartOffset) this.progress.sourceNext = log.logStartOffset
    for await (const record of log.records({ from: this.progress.sourceNext, to: end })) {
      chunk.push(record)
      if (chunk.length === (toSkip > 0 ? toSkip : MIRROR_CHUNK_RECORDS)) await flush()
    }
    await flush()
    return skipped
  }

  /** Sends one chunk as one produce request to one partition; resolves to its first destination offset. */
  private async send(chunk: readonly DecodedRecord[]): Promise<number> {
    const messages = chunk.map((record) => {
      const headers: Record<string, Buffer[]> = {}
      for (const header of record.headers) (headers[header.key] ??= []).push(header.value ?? Buffer.alloc(0))
      this.checksum.add(this.topic, this.partition, record)
      return { key: record.key, value: record.value, headers, timestamp: String(record.timestamp), partition: this.partition }
    })
    const [result] = await this.producer.send({ topic: this.topic, acks: -1, messages })
    if (result === undefined || result.baseOffset === undefined)
      throw new SeglogError('IO_FAILED', `no offset came back for ${this.topic}-${this.partition}`)
    return Number(result.baseOffset)
  }

  private commitProgress(): Promise<void> {
    return this.engine.offsets.commit(this.mirrorGroup, this.topic, this.partition, this.progress.sourceNext, encodeProgress(this.progress))
  }
}

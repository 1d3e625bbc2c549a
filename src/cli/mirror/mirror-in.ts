import type { Admin, Kafka, KafkaMessage } from 'kafkajs'
import type { LogEngine } from '../../engine/log-engine.js'
import type { RecordHeader } from '../../record/record.js'
import {
  decodeProgress,
  destinationOffsetOf,
  encodeProgress,
  MIRROR_GROUP_PREFIX,
  MirrorChecksum,
  newProgress,
  recordCopied,
  type PartitionProgress,
} from './mirror-progress.js'
import type { MirrorReport } from './mirror-out.js'
import { topicSettingsOfSource } from './source-configs.js'
import { nextChunkSize } from './chunks.js'

/**
 * `seglog mirror --from HOST:PORT DIR`: brings a cluster's topics and its consumer groups' offsets
 * into a local data directory. Each partition is read with a KafkaJS consumer (in its own group,
 * `seglog-mirror-in`, which commits nothing) from the progress kept in the local offset store up
 * to the high watermark it had when the run began (with `follow`, on until `signal` aborts, the
 * groups' offsets carried every second meanwhile). Every fetched batch is appended as one local
 * append and the progress committed after it, so a killed run resumes after the last append it
 * committed; the few records appended after that commit are found by comparing the local log end
 * with the recorded one and are not appended again. Topics it creates get the source's configs
 * (source-configs.ts).
 */

export interface MirrorInOptions {
  engine: LogEngine
  kafka: Kafka
  source: string
  topics?: readonly string[]
  groups?: readonly string[]
  /** Keep pulling new records (and group commits) until `signal` aborts. */
  follow?: boolean
  signal?: AbortSignal
  onProgress?: (copied: number, total: number) => void
  onNote?: (message: string) => void
}

/** How often `--follow` carries the source groups' commits. */
const GROUP_SYNC_MS = 1000

interface PartitionState {
  topic: string
  partition: number
  end: number
  progress: PartitionProgress
  commits: Map<string, number>
}

export async function mirrorIn(options: MirrorInOptions): Promise<MirrorReport> {
  const { engine, kafka } = options
  const mirrorGroup = MIRROR_GROUP_PREFIX + options.source
  const admin = kafka.admin()
  await admin.connect()
  const checksum = new MirrorChecksum()
  let resumedSkips = 0
  try {
    const topics = (await admin.listTopics())
      .filter((name) => !name.startsWith('__') && (options.topics === undefined || options.topics.includes(name)))
      .sort()
    const listGroups = async (): Promise<string[]> =>
      (await admin.listGroups()).groups
        .map((group) => group.groupId)
        .filter((group) => !group.startsWith('seglog-mirror') && (options.groups === undefined || options.groups.includes(group)))
    const groups = await listGroups()
    const note = options.onNote ?? (() => undefined)
    const states = await prepare(admin, engine, topics, groups, mirrorGroup, note)
    const follow = options.follow === true
    if (follow) for (const state of states) state.end = Infinity
    const total = follow ? 0 : states.reduce((sum, state) => sum + Math.max(0, state.end - state.progress.sourceNext), 0)
    const pending = states.filter((state) => state.progress.sourceNext < state.end)
    // Appended by a killed run after its last progress commit: `append` counts them off, not again.
    for (const state of pending)
      resumedSkips += Math.max(0, engine.partition(state.topic, state.partition).logEndOffset - state.progress.dest)
    if (pending.some((state) => state.progress.sourceNext < state.end)) {
      const syncGroups = async (): Promise<void> => {
        // Groups that first commit while the mirror follows are carried too.
        for (const group of await listGroups()) if (!groups.includes(group)) groups.push(group)
        await refreshCommits(admin, states, groups)
        await commitGroups(engine, states, groups, true)
      }
      await consumeUntilEnd(kafka, engine, pending, mirrorGroup, checksum, () => options.onProgress?.(checksum.count, total), {
        signal: options.signal,
        syncGroups: follow ? syncGroups : null,
      })
    }
    if (follow) await refreshCommits(admin, states, groups)
    await commitGroups(engine, states, groups, follow)
    return {
      topics: topics.length,
      partitions: states.length,
      records: checksum.count,
      bytes: checksum.bytes,
      checksum: checksum.digest(),
      groups: groups.length,
      resumedSkips,
    }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

async function prepare(
  admin: Admin,
  engine: LogEngine,
  topics: readonly string[],
  groups: readonly string[],
  mirrorGroup: string,
  note: (message: string) => void,
): Promise<PartitionState[]> {
  const states: PartitionState[] = []
  const local = new Set(engine.listTopics().map((topic) => topic.name))
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic)
    if (!local.has(topic))
      await engine.createTopic(topic, { ...(await topicSettingsOfSource(admin, topic, note)), partitions: offsets.length })
    for (const { partition, low, high } of offsets.sort((a, b) => a.partition - b.partition)) {
      const log = engine.partition(topic, partition)
      const saved = engine.offsets.fetch(mirrorGroup, topic, partition)
      const resumed = saved === null ? null : decodeProgress(saved.offset, saved.metadata)
      const progress = resumed ?? newProgress(Number(low), log.logEndOffset)
      if (resumed === null) await engine.offsets.commit(mirrorGroup, topic, partition, progress.sourceNext, encodeProgress(progress))
      states.push({ topic, partition, end: Number(high), progress, commits: new Map() })
    }
  }
  await refreshCommits(admin, states, groups)
  return states
}

/** Reads the source groups' current commits into each partition's state. */
async function refreshCommits(admin: Admin, states: readonly PartitionState[], groups: readonly string[]): Promise<void> {
  for (const topic of new Set(states.map((state) => state.topic))) {
    for (const group of groups) {
      const [fetched] = await admin.fetchOffsets({ groupId: group, topics: [topic] })
      for (const entry of fetched?.partitions ?? []) {
        const state = states.find((candidate) => candidate.topic === topic && candidate.partition === entry.partition)
        if (state !== undefined && Number(entry.offset) >= 0) state.commits.set(group, Number(entry.offset))
      }
    }
  }
}

/**
 * Commits each group's source offsets locally, translated. With `onlyCopied`, a commit to a record
 * not yet copied waits (it would translate to the local end, before that record); a commit that
 * is already in place is not written again.
 */
async function commitGroups(
  engine: LogEngine,
  states: readonly PartitionState[],
  groups: readonly string[],
  onlyCopied: boolean,
): Promise<void> {
  for (const group of groups) {
    const entries = []
    for (const state of states) {
      const committed = state.commits.get(group)
      if (committed === undefined || (onlyCopied && committed > state.progress.sourceNext)) continue
      const offset = destinationOffsetOf(state.progress, committed)
      if (engine.offsets.fetch(group, state.topic, state.partition)?.offset !== offset)
        entries.push({ topic: state.topic, partition: state.partition, offset })
    }
    if (entries.length > 0) await engine.offsets.commitMany(group, entries)
  }
}

async function consumeUntilEnd(
  kafka: Kafka,
  engine: LogEngine,
  states: readonly PartitionState[],
  mirrorGroup: string,
  checksum: MirrorChecksum,
  onBatch: () => void,
  settings: { signal: AbortSignal | undefined; syncGroups: (() => Promise<void>) | null },
): Promise<void> {
  const byKey = new Map(states.map((state) => [`${state.topic}/${state.partition}`, state]))
  const consumer = kafka.consumer({ groupId: 'seglog-mirror-in', allowAutoTopicCreation: false, maxWaitTimeInMs: 200 })
  await consumer.connect()
  try {
    for (const topic of new Set(states.map((state) => state.topic))) await consumer.subscribe({ topic, fromBeginning: true })
    let done: () => void = () => undefined
    let failed: (error: unknown) => void = () => undefined
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve
      failed = reject
    })
    const isDone = (): boolean => states.every((state) => state.progress.sourceNext >= state.end)
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        try {
          const state = byKey.get(`${batch.topic}/${batch.partition}`)
          if (state === undefined || state.progress.sourceNext >= state.end) return
          const fresh = batch.messages.filter(
            (message) => Number(message.offset) >= state.progress.sourceNext && Number(message.offset) < state.end,
          )
          if (fresh.length > 0) await append(engine, state, fresh, mirrorGroup, checksum)
          onBatch()
          if (isDone()) done()
        } catch (error) {
          failed(error)
        }
      },
    })
    for (const state of states) consumer.seek({ topic: state.topic, partition: state.partition, offset: String(state.progress.sourceNext) })
    const { signal, syncGroups } = settings
    signal?.addEventListener('abort', () => done(), { once: true })
    if (signal?.aborted === true) done()
    let timer: NodeJS.Timeout | undefined
    if (syncGroups !== null) {
      // One sync at a time: the next is scheduled when this one ends.
      const tick = (): void => {
        timer = setTimeout(() => {
          syncGroups().then(tick, failed)
        }, GROUP_SYNC_MS)
      }
      tick()
    }
    try {
      if (!isDone()) await finished
    } finally {
      clearTimeout(timer)
    }
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
}

async function append(
  engine: LogEngine,
  state: PartitionState,
  messages: readonly KafkaMessage[],
  mirrorGroup: string,
  checksum: MirrorChecksum,
): Promise<void> {
  const log = engine.partition(state.topic, state.partition)
  // A killed run may have appended records after its last progress commit: count them off.
  const delivered = Math.max(0, log.logEndOffset - state.progress.dest)
  const skip = Math.min(delivered, messages.length)
  const records = messages.slice(skip).map((message) => ({
    key: message.key ?? null,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: headersOf(message),
  }))
  for (const record of records) checksum.add(state.topic, state.partition, record)
  // messages[0] lands (or landed, in the killed run) at the recorded local end.
  const destBase = state.progress.dest
  // Cut to the topic's batch limit; a run killed between the appends counts off what landed.
  const { maxBatchBytes } = engine.topicConfig(state.topic)
  for (let from = 0, size = 0; from < records.length; from += size) {
    size = nextChunkSize(
      records as { key: Buffer | null; value: Buffer | null; headers: RecordHeader[] }[],
      from,
      records.length,
      maxBatchBytes,
    )
    await log.appendRecords(records.slice(from, from + size))
  }
  recordCopied(
    state.progress,
    messages.map((message) => Number(message.offset)),
    destBase,
  )
  await engine.offsets.commit(mirrorGroup, state.topic, state.partition, state.progress.sourceNext, encodeProgress(state.progress))
}

function headersOf(message: KafkaMessage): RecordHeader[] {
  const headers: RecordHeader[] = []
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue
      headers.push({ key, value: typeof item === 'string' ? Buffer.from(item) : item })
    }
  }
  return headers
}

import { InvalidArgumentError, UnknownTopicOrPartitionError } from '../errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { RecordHeader } from '../record/record.js'
import type { OffsetStore } from './offset-store.js'
import type { BatchScanner } from '../record/batch-scanner.js'
import type { CommittedFilter, IsolationLevel } from '../log/transactions.js'

/**
 * Emitted on a partition log's `events` by the engine when the log's topic is deleted, just before
 * the log is closed: a consumer reading it ends with UnknownTopicOrPartitionError instead of
 * waiting for appends that will never come.
 */
export const TOPIC_DELETED_EVENT = 'topic-deleted'

/** Where a consumer starts on a partition for which its group has no committed offset. */
export type StartPosition = 'earliest' | 'latest' | { timestamp: number }

/** A record as the consumer yields it. */
export interface ConsumerRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** One partition a consumer reads, with its position and the records read ahead. */
export interface Assignment {
  topic: string
  partition: number
  log: PartitionLog
  /** Next offset to read. */
  position: number
  /** Position as last committed, to skip commits that change nothing. */
  committed: number
  paused: boolean
  /** Decoded records read ahead, with `next` the first not yet handed out. */
  buffer: ConsumerRecord[]
  next: number
  /** The batches of the last read not decoded yet (decoded one at a time), and that read's end offset. */
  pending: BatchScanner | null
  /** At read_committed: drops the last read's batches of aborted transactions (null otherwise). */
  pendingFilter: CommittedFilter | null
  pendingEnd: number
  /** The topic was deleted: reading ends with UnknownTopicOrPartitionError. */
  isDeleted: boolean
  readonly onDeleted: () => void
}

/** What a consumer reads and where it starts (its options' share in the assignment). */
export interface AssignmentRequest {
  group: string
  topics: readonly string[]
  partitions?: readonly number[]
  from?: StartPosition
  isolation?: IsolationLevel
}

/**
 * Takes every wanted partition into `assignments`, listening to each (`onAppend`, and `wakeUp`
 * once its topic is deleted) before any start position is looked up (which may wait on a read), so
 * a topic deleted meanwhile cannot go unnoticed; a topic deleted before its partitions were all
 * taken fails the assignment. On failure `assignments` holds every partition already listened
 * to, for the caller to release.
 */
export async function assignPartitions(
  assignments: Assignment[],
  store: OffsetStore,
  partitionsOf: (topic: string) => readonly PartitionLog[],
  request: AssignmentRequest,
  onAppend: () => void,
  wakeUp: () => void,
): Promise<void> {
  const topicLogs = new Map<string, readonly PartitionLog[]>()
  for (const topic of request.topics) {
    const logs = partitionsOf(topic)
    topicLogs.set(topic, logs)
    for (const partition of request.partitions ?? logs.map((log) => log.partition)) {
      const log = logs[partition]
      if (log === undefined)
        throw new UnknownTopicOrPartitionError(topic, partition, false, `topic '${topic}' has no partition ${partition}`)
      const committed = store.fetch(request.group, topic, partition)?.offset ?? -1
      const assignment: Assignment = {
        topic,
        partition,
        log,
        position: committed,
        committed,
        paused: false,
        buffer: [],
        next: 0,
        pending: null,
        pendingFilter: null,
        pendingEnd: 0,
        isDeleted: false,
        onDeleted: () => {
          assignment.isDeleted = true
          wakeUp()
        },
      }
      assignments.push(assignment)
      log.events.on('append', onAppend)
      log.events.once(TOPIC_DELETED_EVENT, assignment.onDeleted)
    }
  }
  for (const assignment of assignments) {
    if (assignment.committed < 0) assignment.position = await startOffset(assignment.log, request.from ?? 'earliest', request.isolation)
  }
  for (const [topic, logs] of topicLogs) {
    // Deleted (or deleted and created again) while positions were looked up.
    if (partitionsOf(topic) !== logs) throw new UnknownTopicOrPartitionError(topic, null, true)
  }
}

/** Stops listening to the assignment's log. */
export function releaseAssignment(assignment: Assignment, onAppend: () => void): void {
  assignment.log.events.off('append', onAppend)
  assignment.log.events.off(TOPIC_DELETED_EVENT, assignment.onDeleted)
}

export function deletedError(assignment: Assignment): UnknownTopicOrPartitionError {
  return new UnknownTopicOrPartitionError(
    assignment.topic,
    assignment.partition,
    true,
    `topic '${assignment.topic}' was deleted while this consumer read partition ${assignment.partition}`,
  )
}

async function startOffset(log: PartitionLog, from: StartPosition, isolation: IsolationLevel | undefined): Promise<number> {
  if (from === 'earliest') return log.logStartOffset
  // Kafka's ListOffsets LATEST at READ_COMMITTED is the last stable offset.
  if (from === 'latest') return isolation === 'read_committed' ? log.lastStableOffset : log.highWatermark
  if (typeof from === 'object' && from !== null && Number.isSafeInteger(from.timestamp)) {
    const found = await log.offsetForTimestamp(from.timestamp)
    return found === null ? log.highWatermark : found.offset
  }
  throw new InvalidArgumentError(`from must be 'earliest', 'latest' or { timestamp }, got ${JSON.stringify(from)}`)
}

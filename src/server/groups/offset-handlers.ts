import type { ApiHandler, Broker } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import { findPartition } from '../partitions.js'
import type { ResponseInputOf } from '../protocol/index.js'
import { decodeConsumerSubscription } from '../../index.js'

/**
 * OffsetCommit (v0-8), OffsetFetch (v0-8) and OffsetDelete (v0): consumer group offsets, stored in
 * seglog's offset store (`engine.offsets`, the `__consumer_offsets` log). The group coordinator
 * decides whether a commit is allowed (member, generation, state); the store keeps it.
 */

const K = KafkaErrorCode
/** Kafka's offset.metadata.max.bytes. */
const MAX_METADATA_BYTES = 4096

type OffsetCommitResponse = ResponseInputOf<'OffsetCommit'>

/** A commit response (OffsetCommit and TxnOffsetCommit share its shape) with each partition's code. */
export function commitResponse(
  request: { topics: CommitTopics },
  codeOf: (topic: string, partition: number) => number,
): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        partitionIndex: partition.partitionIndex,
        errorCode: codeOf(topic.name, partition.partitionIndex),
      })),
    })),
  }
}

/** The error for one partition's commit, before it is written; NONE when it may be. */
function partitionCommitError(broker: Broker, topic: string, partition: number, offset: number, metadata: string | null): number {
  const log = findPartition(broker.engine, topic, partition)
  if (log === null) return K.UNKNOWN_TOPIC_OR_PARTITION
  if (metadata !== null && Buffer.byteLength(metadata) > MAX_METADATA_BYTES) return K.OFFSET_METADATA_TOO_LARGE
  // The offset store keeps commits inside the log; Kafka would store any number.
  if (offset < log.logStartOffset || offset > log.logEndOffset) return K.OFFSET_OUT_OF_RANGE
  return K.NONE
}

/** The partitions of an OffsetCommit or TxnOffsetCommit request. */
type CommitTopics = readonly {
  name: string
  partitions: readonly { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[]
}[]

/**
 * Checks each partition of a commit request: the error code per `topic\0partition`, and the
 * entries that may be written (those whose code is NONE).
 */
export function checkCommits(
  broker: Broker,
  topics: CommitTopics,
): { codes: Map<string, number>; entries: { topic: string; partition: number; offset: number; metadata: string }[] } {
  const codes = new Map<string, number>()
  const entries = []
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      const code = partitionCommitError(
        broker,
        topic.name,
        partition.partitionIndex,
        partition.committedOffset,
        partition.committedMetadata,
      )
      codes.set(`${topic.name}\u0000${partition.partitionIndex}`, code)
      if (code === K.NONE)
        entries.push({
          topic: topic.name,
          partition: partition.partitionIndex,
          offset: partition.committedOffset,
          metadata: partition.committedMetadata ?? '',
        })
    }
  }
  return { codes, entries }
}

export const offsetCommitHandler: ApiHandler<'OffsetCommit'> = {
  apiName: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 8,
  isExclusive: false,
  async handle(request, context) {
    const broker = context.broker
    const groupError = broker.groups.checkCommit({
      groupId: request.groupId,
      generationId: context.apiVersion === 0 ? -1 : request.generationIdOrMemberEpoch,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    })
    if (groupError !== K.NONE) return commitResponse(request, () => groupError)
    const { codes, entries } = checkCommits(broker, request.topics)
    let writeError: number = K.NONE
    if (entries.length > 0) {
      try {
        await broker.engine.offsets.commitMany(request.groupId, entries)
      } catch (error) {
        writeError = kafkaCodeFor(error)
        broker.log(`group ${request.groupId}: commit of ${entries.length} offsets failed: ${(error as Error).message}`)
      }
    }
    return commitResponse(request, (topic, partition) => {
      const code = codes.get(`${topic}\u0000${partition}`)!
      return code === K.NONE ? writeError : code
    })
  },
  errorResponse: (request, errorCode) => commitResponse(request, () => errorCode),
}

type FetchTopic = {
  name: string
  partitions: {
    partitionIndex: number
    committedOffset: number
    committedLeaderEpoch: number
    metadata: string | null
    errorCode: number
  }[]
}

/** One group's committed offsets: those asked for (-1 where none), or all of them when topics is null. */
function fetchOffsets(
  broker: Broker,
  groupId: string,
  topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
): FetchTopic[] {
  const store = broker.engine.offsets
  if (topics === null) {
    const byTopic = new Map<string, FetchTopic>()
    for (const row of store.describeGroup(groupId)) {
      let topic = byTopic.get(row.topic)
      if (topic === undefined) byTopic.set(row.topic, (topic = { name: row.topic, partitions: [] }))
      topic.partitions.push({
        partitionIndex: row.partition,
        committedOffset: row.committedOffset!,
        committedLeaderEpoch: -1,
        metadata: row.metadata,
        errorCode: K.NONE,
      })
    }
    return [...byTopic.values()]
  }
  return topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitionIndexes.map((partitionIndex) => {
      const committed = store.fetch(groupId, topic.name, partitionIndex)
      return {
        partitionIndex,
        committedOffset: committed?.offset ?? -1,
        committedLeaderEpoch: -1,
        metadata: committed?.metadata ?? '',
        errorCode: K.NONE,
      }
    }),
  }))
}

function withError(topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null, errorCode: number): FetchTopic[] {
  return (topics ?? []).map((topic) => ({
    name: topic.name,
    partitions: topic.partitionIndexes.map((partitionIndex) => ({
      partitionIndex,
      committedOffset: -1,
      committedLeaderEpoch: -1,
      metadata: '',
      errorCode,
    })),
  }))
}

export const offsetFetchHandler: ApiHandler<'OffsetFetch'> = {
  apiName: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 8,
  isExclusive: false,
  handle(request, context) {
    const broker = context.broker
    const errorCode = broker.groups.availabilityError()
    const isRunning = errorCode === K.NONE
    if (context.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((group) => ({
          groupId: group.groupId,
          errorCode,
          topics: isRunning ? fetchOffsets(broker, group.groupId, group.topics) : [],
        })),
      }
    }
    if (!isRunning) return offsetFetchHandler.errorResponse(request, errorCode, context)
    return { throttleTimeMs: 0, errorCode: K.NONE, topics: fetchOffsets(broker, request.groupId, request.topics) }
  },
  errorResponse: (request, errorCode, context) =>
    context.apiVersion >= 8
      ? { throttleTimeMs: 0, groups: request.groups.map((group) => ({ groupId: group.groupId, errorCode, topics: [] })) }
      : // v0-1 have no top-level error: each partition carries it.
        { throttleTimeMs: 0, errorCode, topics: withError(request.topics, errorCode) },
}

export const offsetDeleteHandler: ApiHandler<'OffsetDelete'> = {
  apiName: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  isExclusive: false,
  async handle(request, context) {
    const broker = context.broker
    const fail = (errorCode: number): ResponseInputOf<'OffsetDelete'> => ({ errorCode, throttleTimeMs: 0, topics: [] })
    if (broker.groups.availabilityError() !== K.NONE) return fail(broker.groups.availabilityError())
    const group = broker.groups.find(request.groupId)
    if (group === undefined || group.state === 'Dead') return fail(K.GROUP_ID_NOT_FOUND)
    // A live consumer group keeps the offsets of topics it is subscribed to; other groups must be Empty.
    let subscribed: Set<string> | null = new Set()
    if (group.state !== 'Empty') {
      if (group.protocolType !== 'consumer') return fail(K.NON_EMPTY_GROUP)
      for (const member of group.members.values()) {
        // Bytes that are no consumer subscription (or of a version newer than 3) count as every topic.
        const topics =
          group.protocolName === null ? null : (decodeConsumerSubscription(member.metadataFor(group.protocolName))?.topics ?? null)
        if (topics === null) subscribed = null
        else for (const topic of topics) subscribed?.add(topic)
      }
    }
    const isKept = (topic: string): boolean => subscribed === null || subscribed.has(topic)
    const doomed = request.topics
      .filter((topic) => !isKept(topic.name))
      .flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition: partition.partitionIndex })))
    let writeError: number = K.NONE
    try {
      if (doomed.length > 0) await broker.engine.offsets.deleteOffsets(request.groupId, doomed)
    } catch (error) {
      writeError = kafkaCodeFor(error)
    }
    return {
      errorCode: K.NONE,
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({
          partitionIndex: partition.partitionIndex,
          errorCode: isKept(topic.name) ? K.GROUP_SUBSCRIBED_TO_TOPIC : writeError,
        })),
      })),
    }
  },
  errorResponse: (_request, errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }),
}

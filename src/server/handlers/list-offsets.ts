import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, type PartitionLog, type TimestampLookup } from '../../index.js'
import type { ApiHandler, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { isUnexpected, kafkaCodeFor } from '../error-mapping.js'
import { findPartition } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'

/**
 * ListOffsets (v0-7): the earliest offset (-2), the latest (-1: the high watermark, which is also
 * the last stable offset while there are no transactions), the record with the largest timestamp
 * (-3, v7+), or the first offset whose timestamp is at or after a given time; offset and timestamp
 * -1 when no record qualifies. v0 answers with a list of offsets (Kafka's old form), at most one.
 */

type ListOffsetsRequest = RequestOf<'ListOffsets'>
type ListOffsetsResponse = ResponseInputOf<'ListOffsets'>
type PartitionResponse = NonNullable<NonNullable<ListOffsetsResponse['topics']>[number]['partitions']>[number]

const NOT_FOUND: TimestampLookup = { offset: -1, timestamp: -1 }

async function handleListOffsets(request: ListOffsetsRequest, context: RequestContext): Promise<ListOffsetsResponse> {
  const engine = context.broker.engine
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map((partition) => {
          const log = findPartition(engine, topic.name, partition.partitionIndex)
          if (log === null) return partitionError(partition.partitionIndex, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          return lookup(log, partition.partitionIndex, partition.timestamp, partition.maxNumOffsets, context)
        }),
      ),
    })),
  )
  return { throttleTimeMs: 0, topics }
}

async function lookup(
  log: PartitionLog,
  partitionIndex: number,
  timestamp: number,
  maxNumOffsets: number,
  context: RequestContext,
): Promise<PartitionResponse> {
  const isSpecial =
    timestamp === EARLIEST_TIMESTAMP || timestamp === LATEST_TIMESTAMP || (timestamp === MAX_TIMESTAMP && context.apiVersion >= 7)
  if (timestamp < 0 && !isSpecial)
    return partitionError(
      partitionIndex,
      context.apiVersion < 7 && timestamp === MAX_TIMESTAMP ? KafkaErrorCode.UNSUPPORTED_VERSION : KafkaErrorCode.INVALID_REQUEST,
    )
  try {
    const found = (await log.offsetForTimestamp(timestamp)) ?? NOT_FOUND
    // The special queries answer with timestamp -1, as Kafka does.
    const reported = isSpecial && timestamp !== MAX_TIMESTAMP ? { offset: found.offset, timestamp: -1 } : found
    // v0 has a list of offsets instead of one offset and its timestamp.
    if (context.apiVersion === 0)
      return {
        ...partitionError(partitionIndex, KafkaErrorCode.NONE),
        oldStyleOffsets: reported.offset >= 0 && maxNumOffsets > 0 ? [reported.offset] : [],
      }
    return {
      partitionIndex,
      errorCode: KafkaErrorCode.NONE,
      oldStyleOffsets: [],
      timestamp: reported.timestamp,
      offset: reported.offset,
      leaderEpoch: -1,
    }
  } catch (error) {
    const errorCode = kafkaCodeFor(error)
    if (isUnexpected(errorCode)) context.broker.log(`list offsets of ${log.topic}-${partitionIndex} failed: ${(error as Error).message}`)
    return partitionError(partitionIndex, errorCode)
  }
}

function partitionError(partitionIndex: number, errorCode: number): PartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 }
}

function errorResponse(request: ListOffsetsRequest, errorCode: number): ListOffsetsResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => partitionError(partition.partitionIndex, errorCode)),
    })),
  }
}

export const listOffsetsHandler: ApiHandler<'ListOffsets'> = {
  apiName: 'ListOffsets',
  // v8+ add tiered-storage queries (-4, -5), which have no meaning here.
  minVersion: 0,
  maxVersion: 7,
  isExclusive: false,
  handle: handleListOffsets,
  errorResponse,
}

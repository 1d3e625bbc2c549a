import type { ApiHandler, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import { findPartition } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'
import { leaderEpochError } from './fetch.js'

/**
 * OffsetForLeaderEpoch (v0-4): for each partition, the largest leader epoch at or below the one
 * asked for and the offset where it ended (the log end for the latest epoch), from the partition's
 * leader-epoch cache; -1 and -1 for an epoch the cache does not know. Consumers use it after a
 * leader change to detect truncation (KIP-320), followers to find where to cut (KIP-101). The
 * current_leader_epoch (v2+) is checked as Fetch checks it.
 */
type Request = RequestOf<'OffsetForLeaderEpoch'>
type Response = ResponseInputOf<'OffsetForLeaderEpoch'>

function handle(request: Request, context: RequestContext): Response {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((partition) => {
        const log = findPartition(context.broker.engine, topic.topic, partition.partition)
        if (log === null) return failed(partition.partition, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        try {
          const epochError = leaderEpochError(log, partition.currentLeaderEpoch)
          if (epochError !== KafkaErrorCode.NONE) return failed(partition.partition, epochError)
          const answer = log.endOffsetForEpoch(partition.leaderEpoch)
          return { errorCode: KafkaErrorCode.NONE, partition: partition.partition, leaderEpoch: answer.epoch, endOffset: answer.endOffset }
        } catch (error) {
          return failed(partition.partition, kafkaCodeFor(error))
        }
      }),
    })),
  }
}

function failed(partition: number, errorCode: number): { errorCode: number; partition: number; leaderEpoch: number; endOffset: number } {
  return { errorCode, partition, leaderEpoch: -1, endOffset: -1 }
}

export const offsetForLeaderEpochHandler: ApiHandler<'OffsetForLeaderEpoch'> = {
  apiName: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  handle,
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((partition) => failed(partition.partition, errorCode)),
    })),
  }),
}

import type { ApiHandler, Broker } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { isUnexpected, kafkaCodeFor } from '../error-mapping.js'
import { findPartition, isInternalTopic } from '../partitions.js'
import type { ResponseInputOf } from '../protocol/index.js'

/**
 * DeleteRecords (v0-2): records below the given offset (-1: the high watermark) become unreadable
 * at once; whole segments below it are deleted. An offset past the high watermark is
 * OFFSET_OUT_OF_RANGE. The answer's low watermark is the partition's new log start offset.
 */

type PartitionResult = NonNullable<NonNullable<ResponseInputOf<'DeleteRecords'>['topics']>[number]['partitions']>[number]

const HIGH_WATERMARK = -1

async function deleteBefore(broker: Broker, topic: string, partitionIndex: number, offset: number): Promise<PartitionResult> {
  const fail = (errorCode: number): PartitionResult => ({ partitionIndex, lowWatermark: -1, errorCode })
  const log = findPartition(broker.engine, topic, partitionIndex)
  if (log === null) return fail(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (isInternalTopic(topic)) return fail(KafkaErrorCode.INVALID_TOPIC_EXCEPTION)
  const target = offset === HIGH_WATERMARK ? log.highWatermark : offset
  if (target < 0 || target > log.highWatermark) return fail(KafkaErrorCode.OFFSET_OUT_OF_RANGE)
  try {
    const lowWatermark = await broker.engine.deleteRecordsBefore(topic, partitionIndex, target)
    return { partitionIndex, lowWatermark, errorCode: KafkaErrorCode.NONE }
  } catch (error) {
    const errorCode = kafkaCodeFor(error)
    if (isUnexpected(errorCode))
      broker.log(`delete records of ${topic}-${partitionIndex} before ${target} failed: ${(error as Error).message}`)
    return fail(errorCode)
  }
}

export const deleteRecordsHandler: ApiHandler<'DeleteRecords'> = {
  apiName: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  isExclusive: true,
  async handle(request, context) {
    const topics = []
    for (const topic of request.topics) {
      const partitions = []
      for (const partition of topic.partitions)
        partitions.push(await deleteBefore(context.broker, topic.name, partition.partitionIndex, partition.offset))
      topics.push({ name: topic.name, partitions })
    }
    return { throttleTimeMs: 0, topics }
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, lowWatermark: -1, errorCode })),
    })),
  }),
}

import type { ApiHandler } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { checkCommits, commitResponse } from '../groups/offset-handlers.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'

/**
 * The transaction APIs a producer sends to its coordinator: AddPartitionsToTxn (v0-3; v4+ is the
 * brokers' batched form), AddOffsetsToTxn, EndTxn and TxnOffsetCommit (v0-3). The coordinator
 * (src/server/txn/txn-coordinator.ts) decides; these turn its codes into responses. From v2 on,
 * a fenced producer is told PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH, as Kafka does.
 */

const K = KafkaErrorCode

function fencedAs(code: number, apiVersion: number, sinceVersion: number): number {
  return code === K.INVALID_PRODUCER_EPOCH && apiVersion >= sinceVersion ? K.PRODUCER_FENCED : code
}

function addPartitionsResponse(
  topics: RequestOf<'AddPartitionsToTxn'>['v3AndBelowTopics'],
  codeAt: (slot: number) => number,
): ResponseInputOf<'AddPartitionsToTxn'> {
  let slot = 0
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((topic) => ({
      name: topic.name,
      resultsByPartition: topic.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeAt(slot++) })),
    })),
  }
}

export const addPartitionsToTxnHandler: ApiHandler<'AddPartitionsToTxn'> = {
  apiName: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  isExclusive: false,
  async handle(request, context) {
    const partitions = request.v3AndBelowTopics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition })))
    const codes = await context.broker.transactions.addPartitions(
      request.v3AndBelowTransactionalId,
      request.v3AndBelowProducerId,
      request.v3AndBelowProducerEpoch,
      partitions,
    )
    return addPartitionsResponse(request.v3AndBelowTopics, (slot) => fencedAs(codes[slot]!, context.apiVersion, 2))
  },
  errorResponse: (request, errorCode) => addPartitionsResponse(request.v3AndBelowTopics, () => errorCode),
}

export const addOffsetsToTxnHandler: ApiHandler<'AddOffsetsToTxn'> = {
  apiName: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 3,
  isExclusive: false,
  async handle(request, context) {
    const code = await context.broker.transactions.addOffsets(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.groupId,
    )
    return { throttleTimeMs: 0, errorCode: fencedAs(code, context.apiVersion, 2) }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
}

export const endTxnHandler: ApiHandler<'EndTxn'> = {
  apiName: 'EndTxn',
  minVersion: 0,
  maxVersion: 3,
  isExclusive: false,
  async handle(request, context) {
    const code = await context.broker.transactions.endTxn(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.committed,
    )
    return { throttleTimeMs: 0, errorCode: fencedAs(code, context.apiVersion, 2) }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
}

export const txnOffsetCommitHandler: ApiHandler<'TxnOffsetCommit'> = {
  apiName: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 3,
  isExclusive: false,
  async handle(request, context) {
    const broker = context.broker
    // v3+ name the member: a commit from a consumer that lost its generation is refused, as OffsetCommit's is.
    if (request.generationId >= 0) {
      const groupError = broker.groups.checkCommit({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
      })
      if (groupError !== K.NONE) return commitResponse(request, () => groupError)
    }
    const { codes, entries: staged } = checkCommits(broker, request.topics)
    const stageCode = await broker.transactions.stageOffsets(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.groupId,
      staged,
    )
    return commitResponse(request, (topic, partition) => {
      const code = codes.get(`${topic}\u0000${partition}`)!
      return code === K.NONE ? stageCode : code
    })
  },
  errorResponse: (request, errorCode) => commitResponse(request, () => errorCode),
}

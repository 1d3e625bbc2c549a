import { randomInt } from 'node:crypto'
import type { ApiHandler } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'

/**
 * InitProducerId (v0-4). Without a transactional id: a fresh producer id at epoch 0 on every call,
 * as Kafka does (the client's previous id and epoch, sent from v3 on, do not matter then). Ids are
 * random 47-bit numbers like the in-process Producer's, so no counter has to be stored; the
 * partitions' producer state does the deduplication. With a transactional id the transaction
 * coordinator answers (src/server/txn/): the id's producer id at its next epoch, fencing older
 * producers with the id.
 */
export const initProducerIdHandler: ApiHandler<'InitProducerId'> = {
  apiName: 'InitProducerId',
  // v5 belongs to the transaction protocol's second version (KIP-890).
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  async handle(request, context) {
    if (request.transactionalId !== null) {
      const answer = await context.broker.transactions.initProducerId(request.transactionalId, request.transactionTimeoutMs, {
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
      })
      return { throttleTimeMs: 0, ...answer }
    }
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, producerId: randomInt(2 ** 47), producerEpoch: 0 }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }),
}

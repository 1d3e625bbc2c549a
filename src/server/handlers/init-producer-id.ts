import { randomInt } from 'node:crypto'
import type { ApiHandler } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'

/**
 * InitProducerId (v0-4) for idempotent producers: a fresh producer id at epoch 0 on every call, as
 * Kafka does when there is no transactional id (the client's previous id and epoch, sent from v3
 * on, do not matter then). Ids are random 47-bit numbers like the in-process Producer's, so no
 * counter has to be stored; the partitions' producer state does the deduplication. A
 * transactional id is refused with INVALID_TXN_STATE: transactions are not supported yet.
 */
export const initProducerIdHandler: ApiHandler<'InitProducerId'> = {
  apiName: 'InitProducerId',
  // v5 belongs to the transaction protocol's second version (KIP-890).
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  handle(request) {
    if (request.transactionalId !== null)
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_TXN_STATE, producerId: -1, producerEpoch: -1 }
    return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, producerId: randomInt(2 ** 47), producerEpoch: 0 }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }),
}

import type { ApiHandler, Broker } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import type { ResponseInputOf } from '../protocol/index.js'

/**
 * FindCoordinator (v0-4). A single broker coordinates every consumer group and every transactional
 * id, so the answer for a group key (0) or a transaction key (1) is always this broker
 * (src/server/groups/ serves the group APIs, src/server/txn/ the transaction APIs).
 *
 * librdkafka also reads it as a version marker: it enables LZ4 compression only with brokers that
 * list FindCoordinator (it stands for "Kafka 0.8.2 or later" there).
 */

type FindCoordinatorResponse = ResponseInputOf<'FindCoordinator'>

const GROUP_KEY = 0
const TRANSACTION_KEY = 1

function answer(
  broker: Broker,
  keyType: number,
): { errorCode: number; errorMessage: string | null; nodeId: number; host: string; port: number } {
  if (keyType !== GROUP_KEY && keyType !== TRANSACTION_KEY)
    return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `unknown key type ${keyType}`, nodeId: -1, host: '', port: -1 }
  return {
    errorCode: KafkaErrorCode.NONE,
    errorMessage: null,
    nodeId: broker.settings.nodeId,
    host: broker.advertisedHost,
    port: broker.advertisedPort,
  }
}

export const findCoordinatorHandler: ApiHandler<'FindCoordinator'> = {
  apiName: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  handle(request, context): FindCoordinatorResponse {
    const broker = context.broker
    if (context.apiVersion >= 4)
      return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...answer(broker, request.keyType) })) }
    const { errorMessage, ...rest } = answer(broker, request.keyType)
    return { throttleTimeMs: 0, ...rest, ...(context.apiVersion >= 1 && { errorMessage }) }
  },
  errorResponse: (request, errorCode, context) =>
    context.apiVersion >= 4
      ? { coordinators: request.coordinatorKeys.map((key) => ({ key, errorCode, nodeId: -1, host: '', port: -1 })) }
      : { errorCode, nodeId: -1, host: '', port: -1 },
}

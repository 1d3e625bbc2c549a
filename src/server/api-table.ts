import type { AnyApiHandler, ApiHandler } from './broker.js'
import { KafkaErrorCode } from './error-codes.js'
import { alterConfigsHandler, describeConfigsHandler, incrementalAlterConfigsHandler } from './handlers/configs.js'
import { deleteRecordsHandler } from './handlers/delete-records.js'
import { deleteGroupsHandler, describeGroupsHandler, listGroupsHandler } from './groups/admin-handlers.js'
import { heartbeatHandler, joinGroupHandler, leaveGroupHandler, syncGroupHandler } from './groups/membership-handlers.js'
import { offsetCommitHandler, offsetDeleteHandler, offsetFetchHandler } from './groups/offset-handlers.js'
import { fetchHandler } from './handlers/fetch.js'
import { findCoordinatorHandler } from './handlers/find-coordinator.js'
import { initProducerIdHandler } from './handlers/init-producer-id.js'
import { listOffsetsHandler } from './handlers/list-offsets.js'
import { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.js'
import { describeClusterHandler, metadataHandler } from './handlers/metadata.js'
import { produceHandler } from './handlers/produce.js'
import { createPartitionsHandler, createTopicsHandler, deleteTopicsHandler } from './handlers/topics.js'
import { APIS, type ResponseInputOf } from './protocol/index.js'
import { saslAuthenticateHandler, saslHandshakeHandler } from './auth/sasl-handlers.js'
import type { RequestContext } from './broker.js'
import { addOffsetsToTxnHandler, addPartitionsToTxnHandler, endTxnHandler, txnOffsetCommitHandler } from './txn/txn-handlers.js'

/**
 * The APIs the server speaks and the versions of each. ApiVersions advertises exactly this table,
 * so a client never picks a version the server would refuse; a request for another version is
 * answered with UNSUPPORTED_VERSION, and one for an API not listed closes its connection.
 */

/** Versions advertised: 3 is the first flexible one (KIP-511; librdkafka asks with it). */
const API_VERSIONS_MAX = 3

function apiKeys(context: RequestContext): ResponseInputOf<'ApiVersions'>['apiKeys'] {
  // The SASL APIs are listed only on a listener that asks for SASL: clients take them as the sign to authenticate.
  const isSasl = context.broker.security.users !== null
  return HANDLERS.filter((handler) => isSasl || !isSaslApi(handler)).map((handler) => ({
    apiKey: APIS[handler.apiName].apiKey,
    minVersion: handler.minVersion,
    maxVersion: handler.maxVersion,
  }))
}

export const apiVersionsHandler: ApiHandler<'ApiVersions'> = {
  apiName: 'ApiVersions',
  minVersion: 0,
  maxVersion: API_VERSIONS_MAX,
  isExclusive: false,
  handle: (_request, context) => ({ errorCode: KafkaErrorCode.NONE, apiKeys: apiKeys(context), throttleTimeMs: 0 }),
  // Also the answer to a version the server does not speak, written as v0 (see connection.ts).
  errorResponse: (_request, errorCode, context) => ({ errorCode, apiKeys: apiKeys(context), throttleTimeMs: 0 }),
}

const HANDLERS: readonly AnyApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  findCoordinatorHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  offsetDeleteHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  offsetForLeaderEpochHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
].sort((a, b) => APIS[a.apiName].apiKey - APIS[b.apiName].apiKey)

const BY_KEY = new Map<number, AnyApiHandler>(HANDLERS.map((handler) => [APIS[handler.apiName].apiKey, handler]))

export function handlerForKey(apiKey: number): AnyApiHandler | undefined {
  return BY_KEY.get(apiKey)
}

/**
 * Every API served with its version range, ascending by key (docs/server.md lists the same). The
 * SASL APIs are served only on a listener that asks for SASL (`isSasl`).
 */
export function servedApis(isSasl = false): { apiName: string; apiKey: number; minVersion: number; maxVersion: number }[] {
  return HANDLERS.filter((handler) => isSasl || !isSaslApi(handler)).map((handler) => ({
    apiName: handler.apiName,
    apiKey: APIS[handler.apiName].apiKey,
    minVersion: handler.minVersion,
    maxVersion: handler.maxVersion,
  }))
}

function isSaslApi(handler: AnyApiHandler): boolean {
  return handler.apiName === 'SaslHandshake' || handler.apiName === 'SaslAuthenticate'
}

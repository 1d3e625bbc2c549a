import type { ApiHandler, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import type { ResponseInputOf } from '../protocol/index.js'
import type { JoinResult, SyncResult } from './group.js'

/**
 * JoinGroup (v0-9), SyncGroup (v0-5), Heartbeat (v0-4) and LeaveGroup (v0-5): the rebalance
 * protocol, answered by the broker's group coordinator (coordinator.ts). JoinGroup and SyncGroup
 * wait for the rest of the group; they are not exclusive, so a connection's other requests go on.
 */

/** Kafka's clientHost: the peer's address with a leading slash, without the port. */
export function clientHostOf(context: RequestContext): string {
  const colon = context.peer.lastIndexOf(':')
  return `/${colon < 0 ? context.peer : context.peer.slice(0, colon)}`
}

function joinResponse(result: JoinResult, version: number): ResponseInputOf<'JoinGroup'> {
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    // A non-nullable string before v7.
    protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
    leader: result.leaderId,
    skipAssignment: version >= 9 && result.skipAssignment,
    memberId: result.memberId,
    members: result.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadata,
    })),
  }
}

export const joinGroupHandler: ApiHandler<'JoinGroup'> = {
  apiName: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  isExclusive: false,
  async handle(request, context) {
    const result = await context.broker.groups.join({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: context.clientId ?? '',
      clientHost: clientHostOf(context),
      sessionTimeoutMs: request.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout is used for both, as Kafka does.
      rebalanceTimeoutMs: context.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      requireKnownMemberId: context.apiVersion >= 4,
    })
    return joinResponse(result, context.apiVersion)
  },
  errorResponse: (request, errorCode, context) =>
    joinResponse(
      {
        errorCode,
        generationId: -1,
        protocolType: null,
        protocolName: null,
        leaderId: '',
        memberId: request.memberId,
        members: [],
        skipAssignment: false,
      },
      context.apiVersion,
    ),
}

function syncResponse(result: SyncResult): ResponseInputOf<'SyncGroup'> {
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    protocolType: result.protocolType,
    protocolName: result.protocolName,
    assignment: result.assignment,
  }
}

export const syncGroupHandler: ApiHandler<'SyncGroup'> = {
  apiName: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  isExclusive: false,
  async handle(request, context) {
    return syncResponse(
      await context.broker.groups.sync({
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        protocolType: request.protocolType,
        protocolName: request.protocolName,
        assignments: request.assignments,
      }),
    )
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, assignment: Buffer.alloc(0) }),
}

export const heartbeatHandler: ApiHandler<'Heartbeat'> = {
  apiName: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  handle: (request, context) => ({ throttleTimeMs: 0, errorCode: context.broker.groups.heartbeat(request) }),
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode }),
}

export const leaveGroupHandler: ApiHandler<'LeaveGroup'> = {
  apiName: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  isExclusive: false,
  handle(request, context) {
    // v0-2 name one member by id; v3+ a batch of members by id or group.instance.id.
    const leaving =
      context.apiVersion >= 3
        ? request.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId }))
        : [{ memberId: request.memberId, groupInstanceId: null }]
    const result = context.broker.groups.leave(request.groupId, leaving)
    if (context.apiVersion >= 3) return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members }
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode !== KafkaErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? KafkaErrorCode.NONE),
    }
  },
  errorResponse: (request, errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }),
}

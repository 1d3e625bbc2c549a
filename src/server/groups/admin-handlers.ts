import type { ApiHandler } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import type { ResponseInputOf } from '../protocol/index.js'
import type { GroupCoordinator } from './coordinator.js'

/**
 * ListGroups (v0-4), DescribeGroups (v0-5) and DeleteGroups (v0-2). A group with committed
 * offsets but no members (one that used only OffsetCommit, or any group after a restart) is listed
 * as Empty, as Kafka lists the groups it loads from its offsets topic.
 */

const K = KafkaErrorCode

type DescribedGroup = NonNullable<ResponseInputOf<'DescribeGroups'>['groups']>[number]

function describe(groups: GroupCoordinator, groupId: string): DescribedGroup {
  const group = groups.find(groupId)
  if (group === undefined) return { errorCode: K.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] }
  // Member metadata and assignments are shown only once they are settled, as Kafka shows them.
  const isStable = group.state === 'Stable'
  return {
    errorCode: K.NONE,
    groupId,
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: isStable ? (group.protocolName ?? '') : '',
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      memberMetadata: isStable ? member.metadataFor(group.protocolName ?? '') : Buffer.alloc(0),
      memberAssignment: isStable ? member.assignment : Buffer.alloc(0),
    })),
  }
}

export const describeGroupsHandler: ApiHandler<'DescribeGroups'> = {
  apiName: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  isExclusive: false,
  handle(request, context) {
    const groups = context.broker.groups
    if (groups.availabilityError() !== K.NONE) return describeGroupsHandler.errorResponse(request, groups.availabilityError(), context)
    return { throttleTimeMs: 0, groups: request.groups.map((groupId) => describe(groups, groupId)) }
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })),
  }),
}

export const listGroupsHandler: ApiHandler<'ListGroups'> = {
  apiName: 'ListGroups',
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  handle(request, context) {
    const groups = context.broker.groups
    if (groups.availabilityError() !== K.NONE) return { throttleTimeMs: 0, errorCode: groups.availabilityError(), groups: [] }
    // Kafka matches states without regard to case.
    const states = new Set((context.apiVersion >= 4 ? request.statesFilter : []).map((state) => state.toLowerCase()))
    const listed = []
    for (const groupId of groups.groupIds()) {
      const group = groups.find(groupId)
      if (group === undefined) continue
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue
      listed.push({ groupId, protocolType: group.protocolType ?? '', groupState: group.state })
    }
    return { throttleTimeMs: 0, errorCode: K.NONE, groups: listed }
  },
  errorResponse: (_request, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
}

export const deleteGroupsHandler: ApiHandler<'DeleteGroups'> = {
  apiName: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  isExclusive: false,
  async handle(request, context) {
    const broker = context.broker
    const results = []
    for (const groupId of request.groupsNames) {
      let errorCode = broker.groups.deleteGroup(groupId)
      if (errorCode === K.NONE) {
        try {
          await broker.engine.offsets.deleteGroup(groupId)
          broker.log(`deleted group '${groupId}'`)
        } catch (error) {
          errorCode = kafkaCodeFor(error)
        }
      }
      results.push({ groupId, errorCode })
    }
    return { throttleTimeMs: 0, results }
  },
  errorResponse: (request, errorCode) => ({ throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) }),
}

import type { GroupMetadataValue } from '../../format/group-metadata.js'
import {
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  type ConsumerAssignment,
  type ConsumerSubscription,
} from '../../format/consumer-protocol.js'

/**
 * A GroupMetadataValue as the `data` of Kafka's dump tool prints it: the fields its version has,
 * in schema order; bytes as base64 strings, except that for protocol type "consumer" each
 * member's subscription and assignment are printed decoded when they decode (raw otherwise), as
 * Kafka's OffsetsMessageParser does.
 */
export function groupMetadataJson(value: GroupMetadataValue): Record<string, unknown> {
  const isConsumer = value.protocolType === 'consumer'
  return {
    protocolType: value.protocolType,
    generation: value.generation,
    protocol: value.protocol,
    leader: value.leader,
    ...(value.version >= 2 && { currentStateTimestamp: value.currentStateTimestamp }),
    members: value.members.map((member) => {
      const subscription = isConsumer ? decodeConsumerSubscription(member.subscription) : null
      const assignment = isConsumer ? decodeConsumerAssignment(member.assignment) : null
      return {
        memberId: member.memberId,
        ...(value.version >= 3 && { groupInstanceId: member.groupInstanceId }),
        clientId: member.clientId,
        clientHost: member.clientHost,
        ...(value.version >= 1 && { rebalanceTimeout: member.rebalanceTimeoutMs }),
        sessionTimeout: member.sessionTimeoutMs,
        subscription: subscription === null ? member.subscription.toString('base64') : subscriptionJson(subscription),
        assignment: assignment === null ? member.assignment.toString('base64') : assignmentJson(assignment),
      }
    }),
  }
}

const base64OrNull = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('base64'))

function subscriptionJson(subscription: ConsumerSubscription): Record<string, unknown> {
  return {
    topics: subscription.topics,
    userData: base64OrNull(subscription.userData),
    ...(subscription.ownedPartitions !== null && { ownedPartitions: subscription.ownedPartitions }),
    ...(subscription.generationId !== null && { generationId: subscription.generationId }),
    ...(subscription.rackId !== undefined && { rackId: subscription.rackId }),
  }
}

function assignmentJson(assignment: ConsumerAssignment): Record<string, unknown> {
  return { assignedPartitions: assignment.assignedPartitions, userData: base64OrNull(assignment.userData) }
}

import type { GroupMetadata } from '../../index.js'
import type { Protocol } from './group.js'

/** What the group coordinator is given: its settings, what it asks of the offset store, and its calls' arguments. */

export interface CoordinatorSettings {
  initialRebalanceDelayMs: number
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
}

/**
 * What the coordinator needs of the offset store: which groups exist only through committed
 * offsets, and the groups' metadata records (loaded at start, written after each rebalance).
 */
export interface OffsetGroups {
  hasOffsets(groupId: string): boolean
  groupsWithOffsets(): string[]
  /** Every group's last stored metadata. */
  storedGroups(): { groupId: string; metadata: GroupMetadata }[]
  /** Stores a group's metadata; resolves once it is as durable as a commit. */
  storeGroup(groupId: string, metadata: GroupMetadata): Promise<void>
}

export interface JoinRequest {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: readonly Protocol[]
  /** JoinGroup v4+: a new member first gets its id with MEMBER_ID_REQUIRED, then joins with it. */
  requireKnownMemberId: boolean
}

export interface MemberRef {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export interface SyncRequest extends MemberRef {
  protocolType: string | null
  protocolName: string | null
  assignments: readonly { memberId: string; assignment: Buffer }[]
}

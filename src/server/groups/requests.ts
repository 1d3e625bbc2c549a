import type { Protocol } from './group.js'

/** What the group coordinator is given: its settings, what it asks of the offset store, and its calls' arguments. */

export interface CoordinatorSettings {
  initialRebalanceDelayMs: number
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
}

/** What the coordinator needs to know about committed offsets (groups that exist only through them). */
export interface OffsetGroups {
  hasOffsets(groupId: string): boolean
  groupsWithOffsets(): string[]
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

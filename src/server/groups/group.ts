import assert from 'node:assert'
import type { GroupMetadata } from '../../index.js'

/**
 * One consumer group as Kafka's classic group coordinator keeps it (GroupMetadata): its state, its
 * generation, the selected protocol, its members and their pending JoinGroup and SyncGroup answers.
 * Pure bookkeeping: no timers and no I/O, so every rule can be tested on its own; the coordinator
 * (coordinator.ts) drives it and owns the clock.
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance ──leader's sync──▶ Stable
 *     ▲                 │  ▲                                           │                              │
 *     └─no members left─┘  └──────────── a member joins, leaves or expires ◀────────────────────────────┘
 *   Empty ──DeleteGroups──▶ Dead (and any state when the coordinator stops)
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

const VALID_PREVIOUS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
}

export interface Protocol {
  readonly name: string
  readonly metadata: Buffer
}

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leaderId: string
  memberId: string
  /** Every member with its metadata for the selected protocol: for the leader only. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]
  /** v9: the leader of a static group that did not change need not assign again. */
  skipAssignment: boolean
}

export interface SyncResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export const EMPTY_BYTES = Buffer.alloc(0)

export function joinError(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, members: [], skipAssignment: false }
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES }
}

export class Member {
  assignment: Buffer = EMPTY_BYTES
  awaitingJoin: ((result: JoinResult) => void) | null = null
  awaitingSync: ((result: SyncResult) => void) | null = null
  /** The session timer (the coordinator's clock handle), reset by every heartbeat. */
  sessionTimer: unknown = null

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null
  }

  /** Same protocols, in the same order, with the same metadata: a rejoin that changes nothing. */
  matches(protocols: readonly Protocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (protocol, slot) => protocol.name === this.protocols[slot]!.name && protocol.metadata.equals(this.protocols[slot]!.metadata),
      )
    )
  }

  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((protocol) => protocol.name === protocolName)?.metadata ?? EMPTY_BYTES
  }
}

export class Group {
  state: GroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, Member>()
  /** group.instance.id -> the member id it holds now. */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, not joined yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, unknown>()
  /** The rebalance timer: 'initial' waits group.initial.rebalance.delay.ms, 'normal' the rebalance timeout. */
  joinTimer: unknown = null
  joinKind: 'initial' | 'normal' | null = null
  /** Time the initial delay may still be extended by, and whether a member joined during it. */
  initialRemainingMs = 0
  hasNewMemberJoined = false
  /** When the group entered its state (ms since the epoch), as stored in its metadata record. */
  currentStateTimestamp: number

  constructor(
    readonly groupId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.currentStateTimestamp = now()
  }

  transitionTo(state: GroupState): void {
    assert(VALID_PREVIOUS[state].includes(this.state), `group ${this.groupId}: no transition from ${this.state} to ${state}`)
    this.state = state
    this.currentStateTimestamp = this.now()
  }

  /**
   * The group as its metadata record stores it (Kafka's GroupMetadataValue): generation, protocol,
   * leader, and each member with its subscription for the selected protocol and its assignment.
   */
  toMetadata(): GroupMetadata {
    const protocol = this.protocolName
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.members.size === 0 ? null : this.leaderId,
      currentStateTimestamp: this.currentStateTimestamp,
      members: [...this.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        sessionTimeoutMs: member.sessionTimeoutMs,
        subscription: member.metadataFor(protocol ?? ''),
        assignment: member.assignment,
      })),
    }
  }

  /**
   * A group loaded from its metadata record, as Kafka loads one: Stable with its members (each
   * knowing only the selected protocol) when it has any, else Empty; same generation and leader.
   */
  static fromMetadata(groupId: string, metadata: GroupMetadata, now: () => number = Date.now): Group {
    const group = new Group(groupId, now)
    group.generationId = metadata.generation
    group.protocolType = metadata.protocolType === '' ? null : metadata.protocolType
    group.protocolName = metadata.protocol
    group.currentStateTimestamp = metadata.currentStateTimestamp >= 0 ? metadata.currentStateTimestamp : now()
    for (const stored of metadata.members) {
      const protocols = metadata.protocol === null ? [] : [{ name: metadata.protocol, metadata: stored.subscription }]
      const member = new Member(
        stored.memberId,
        stored.groupInstanceId,
        stored.clientId,
        stored.clientHost,
        stored.sessionTimeoutMs,
        stored.rebalanceTimeoutMs,
        metadata.protocolType,
        protocols,
      )
      member.assignment = stored.assignment
      group.members.set(member.memberId, member)
      if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId)
    }
    if (group.members.size > 0) {
      group.state = 'Stable'
      group.leaderId = metadata.leader !== null && group.members.has(metadata.leader) ? metadata.leader : group.members.keys().next().value!
    }
    return group
  }

  has(memberId: string): boolean {
    return this.members.has(memberId)
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  /** A static member id that is no longer the instance's current one (Kafka's isStaticMemberFenced). */
  isFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false
    const current = this.staticMembers.get(groupInstanceId)
    return current !== undefined && current !== memberId
  }

  add(member: Member, respond: (result: JoinResult) => void): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    assert(this.protocolType === member.protocolType, 'a member joins with the group protocol type')
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    this.leaderId ??= member.memberId
    member.awaitingJoin = respond
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId)
    if (member === undefined) return
    this.members.delete(memberId)
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId)
      this.staticMembers.delete(member.groupInstanceId)
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null
  }

  /** A static member rejoining under a new member id keeps its place (and its assignment). */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const member = this.members.get(oldMemberId)
    assert(member !== undefined, 'a static member id maps to a member')
    this.members.delete(oldMemberId)
    member.memberId = newMemberId
    this.members.set(newMemberId, member)
    this.staticMembers.set(groupInstanceId, newMemberId)
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId
    return member
  }

  get awaitingJoinCount(): number {
    let count = 0
    for (const member of this.members.values()) if (member.awaitingJoin !== null) count++
    return count
  }

  hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount === this.members.size && this.pendingMembers.size === 0
  }

  /** The longest rebalance timeout of the members: how long a rebalance waits for them. */
  rebalanceTimeoutMs(): number {
    let longest = 0
    for (const member of this.members.values()) longest = Math.max(longest, member.rebalanceTimeoutMs)
    return longest
  }

  /** Protocols every member supports, in the order of the first member's preference. */
  candidateProtocols(): string[] {
    const members = [...this.members.values()]
    if (members.length === 0) return []
    return members[0]!.protocols
      .map((protocol) => protocol.name)
      .filter((name) => members.every((member) => member.protocols.some((protocol) => protocol.name === name)))
  }

  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.state === 'Empty') return protocolType !== '' && protocols.length > 0
    const candidates = this.members.size === 0 ? null : new Set(this.candidateProtocols())
    return this.protocolType === protocolType && protocols.some((protocol) => candidates === null || candidates.has(protocol.name))
  }

  /** Each member votes for its most preferred candidate; the most votes wins (earlier preference on a tie). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols()
    assert(candidates.length > 0, `group ${this.groupId}: members share a protocol`)
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]))
    for (const member of this.members.values()) {
      const vote = member.protocols.find((protocol) => votes.has(protocol.name))!.name
      votes.set(vote, votes.get(vote)! + 1)
    }
    let best = candidates[0]!
    for (const name of candidates) if (votes.get(name)! > votes.get(best)!) best = name
    return best
  }

  /** Makes a member that has rejoined the leader if the leader has not; false when nobody rejoined. */
  electJoinedLeader(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId)
    if (leader?.awaitingJoin != null) return true
    for (const member of this.members.values()) {
      if (member.awaitingJoin !== null) {
        this.leaderId = member.memberId
        return true
      }
    }
    return false
  }

  initNextGeneration(): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.transitionTo('CompletingRebalance')
    } else {
      this.protocolName = null
      this.transitionTo('Empty')
    }
  }

  /** Every member with its metadata for the selected protocol (what the leader assigns from). */
  memberMetadata(): JoinResult['members'] {
    const protocolName = this.protocolName ?? ''
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadataFor(protocolName),
    }))
  }

  joinResultFor(member: Member, options: { skipAssignment?: boolean } = {}): JoinResult {
    const isLeader = this.isLeader(member.memberId)
    return {
      errorCode: 0,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader ? this.memberMetadata() : [],
      skipAssignment: isLeader && options.skipAssignment === true,
    }
  }
}

import { randomUUID } from 'node:crypto'
import { KafkaErrorCode } from '../error-codes.js'
import type { Clock } from './clock.js'
import { Group, joinError, Member, syncError, type JoinResult, type SyncResult } from './group.js'
import type { GroupTimers } from './group-timers.js'
import { Rebalancer } from './rebalance.js'
import { GroupStore } from './group-store.js'
import type { CoordinatorSettings, JoinRequest, MemberRef, OffsetGroups, SyncRequest } from './requests.js'

export type { CoordinatorSettings, JoinRequest, MemberRef, OffsetGroups, SyncRequest } from './requests.js'

/**
 * The group coordinator: Kafka's classic GroupCoordinator for one broker. It runs the rebalance
 * protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) over the groups in memory, with the
 * timers it needs: each member's session, each rebalance's deadline, the initial rebalance delay,
 * and the expiry of member ids handed out with MEMBER_ID_REQUIRED (group-timers.ts runs them).
 * Offsets are not kept here: `checkCommit` says whether a commit may go to the offset store, and
 * the handlers write it.
 *
 * Each group's metadata (generation, protocol, leader, members with their subscriptions and
 * assignments) is written to the offset store when a rebalance completes (before the members get
 * their assignments) and when the group empties (group-store.ts). `load` reads it back when the
 * server starts, as Kafka's coordinator loads its offsets partition: a group with members is
 * Stable again and each member's session starts anew, so a client that reconnects and heartbeats
 * in time carries on in its generation, and one that does not is removed as any silent member is.
 * While loading, requests are answered COORDINATOR_LOAD_IN_PROGRESS.
 */

const K = KafkaErrorCode

export class GroupCoordinator {
  private readonly groups: GroupStore
  private isActive = true
  private isLoading = false
  private readonly timers: GroupTimers
  private readonly rebalance: Rebalancer

  constructor(
    private readonly settings: CoordinatorSettings,
    private readonly clock: Clock,
    offsets: OffsetGroups,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.groups = new GroupStore(offsets, () => clock.now(), log)
    this.rebalance = new Rebalancer(settings, clock, this.groups, log)
    this.timers = this.rebalance.timers
  }

  /** The group, also one that exists only through committed offsets (as Empty); undefined if none. */
  find(groupId: string): Group | undefined {
    return this.groups.find(groupId)
  }

  /** Loads the stored groups (see the class comment); `beginLoading` first, if requests may arrive meanwhile. */
  load(): void {
    this.beginLoading()
    for (const group of this.groups.loadStored()) {
      for (const member of group.members.values()) this.timers.restartSession(group, member)
    }
    this.isLoading = false
  }

  beginLoading(): void {
    this.isLoading = true
  }

  /** NONE when the coordinator answers group requests; else the code Kafka answers them with. */
  availabilityError(): number {
    if (!this.isActive) return K.COORDINATOR_NOT_AVAILABLE
    return this.isLoading ? K.COORDINATOR_LOAD_IN_PROGRESS : K.NONE
  }

  /** Every group id known: those in memory and those with committed offsets. */
  groupIds(): string[] {
    return this.groups.groupIds()
  }

  join(request: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number): Promise<JoinResult> => Promise.resolve(joinError(errorCode, request.memberId))
    if (request.groupId === '') return fail(K.INVALID_GROUP_ID)
    if (this.availabilityError() !== K.NONE) return fail(this.availabilityError())
    if (request.sessionTimeoutMs < this.settings.minSessionTimeoutMs || request.sessionTimeoutMs > this.settings.maxSessionTimeoutMs)
      return fail(K.INVALID_SESSION_TIMEOUT)
    const isUnknown = request.memberId === ''
    let group = this.find(request.groupId)
    if (group === undefined) {
      if (!isUnknown) return fail(K.UNKNOWN_MEMBER_ID)
      group = this.groups.create(request.groupId)
    }
    const joined = group
    return new Promise((respond) => {
      if (isUnknown) this.joinNewMember(joined, request, respond)
      else this.joinKnownMember(joined, request, respond)
      if (joined.state === 'PreparingRebalance') this.rebalance.tryCompleteJoin(joined)
    })
  }

  private joinNewMember(group: Group, request: JoinRequest, respond: (result: JoinResult) => void): void {
    if (group.state === 'Dead') return respond(joinError(K.COORDINATOR_NOT_AVAILABLE, ''))
    if (!group.supportsProtocols(request.protocolType, request.protocols)) return respond(joinError(K.INCONSISTENT_GROUP_PROTOCOL, ''))
    const memberId = `${request.groupInstanceId ?? request.clientId}-${randomUUID()}`
    if (request.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(request.groupInstanceId)
      if (oldMemberId !== undefined) return this.rejoinStaticMember(group, request, oldMemberId, memberId, respond)
    } else if (request.requireKnownMemberId) {
      this.timers.addPending(group, memberId, request.sessionTimeoutMs)
      return respond(joinError(K.MEMBER_ID_REQUIRED, memberId))
    }
    this.addMemberAndRebalance(group, request, memberId, respond)
  }

  private joinKnownMember(group: Group, request: JoinRequest, respond: (result: JoinResult) => void): void {
    const memberId = request.memberId
    if (group.state === 'Dead') return respond(joinError(K.COORDINATOR_NOT_AVAILABLE, memberId))
    if (!group.supportsProtocols(request.protocolType, request.protocols))
      return respond(joinError(K.INCONSISTENT_GROUP_PROTOCOL, memberId))
    if (this.timers.takePending(group, memberId)) return this.addMemberAndRebalance(group, request, memberId, respond)
    if (group.isFenced(request.groupInstanceId, memberId)) return respond(joinError(K.FENCED_INSTANCE_ID, memberId))
    const member = group.members.get(memberId)
    if (member === undefined) return respond(joinError(K.UNKNOWN_MEMBER_ID, memberId))
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, request, respond)
      case 'CompletingRebalance':
        // Its JoinGroup answer was lost: the same one again, unless it changed its protocols.
        if (member.matches(request.protocols)) return respond(group.joinResultFor(member))
        return this.updateMemberAndRebalance(group, member, request, respond)
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(request.protocols))
          return this.updateMemberAndRebalance(group, member, request, respond)
        return respond(group.joinResultFor(member))
      default:
        return respond(joinError(K.UNKNOWN_MEMBER_ID, memberId))
    }
  }

  private rejoinStaticMember(
    group: Group,
    request: JoinRequest,
    oldMemberId: string,
    memberId: string,
    respond: (result: JoinResult) => void,
  ): void {
    const old = group.members.get(oldMemberId)!
    // The process that held the instance id before is fenced: its waiting calls end now.
    old.awaitingJoin?.(joinError(K.FENCED_INSTANCE_ID, oldMemberId))
    old.awaitingJoin = null
    old.awaitingSync?.(syncError(K.FENCED_INSTANCE_ID))
    old.awaitingSync = null
    const member = group.replaceStaticMember(request.groupInstanceId!, oldMemberId, memberId)
    this.log(`group ${group.groupId}: static member ${request.groupInstanceId} rejoined as ${memberId}`)
    if (group.state === 'Stable' && member.matches(request.protocols)) {
      member.sessionTimeoutMs = request.sessionTimeoutMs
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
      this.timers.restartSession(group, member)
      // The stored metadata must name the new member id before the member may act under it.
      void this.groups
        .store(group)
        .then((errorCode) =>
          respond(errorCode === K.NONE ? group.joinResultFor(member, { skipAssignment: true }) : joinError(errorCode, memberId)),
        )
      return
    }
    this.updateMemberAndRebalance(group, member, request, respond)
  }

  private addMemberAndRebalance(group: Group, request: JoinRequest, memberId: string, respond: (result: JoinResult) => void): void {
    const rebalanceTimeoutMs = request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs
    const member = new Member(
      memberId,
      request.groupInstanceId,
      request.clientId,
      request.clientHost,
      request.sessionTimeoutMs,
      rebalanceTimeoutMs,
      request.protocolType,
      request.protocols,
    )
    group.add(member, respond)
    if (group.state === 'PreparingRebalance' && group.generationId === 0) group.hasNewMemberJoined = true
    this.rebalance.maybePrepareRebalance(group, `member ${memberId} joined`)
  }

  private updateMemberAndRebalance(group: Group, member: Member, request: JoinRequest, respond: (result: JoinResult) => void): void {
    member.protocols = request.protocols
    member.sessionTimeoutMs = request.sessionTimeoutMs
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs
    member.awaitingJoin?.(joinError(K.UNKNOWN_MEMBER_ID, member.memberId))
    member.awaitingJoin = respond
    this.rebalance.maybePrepareRebalance(group, `member ${member.memberId} rejoined`)
  }

  sync(request: SyncRequest): Promise<SyncResult> {
    const checked = this.checkMember(request)
    if (typeof checked === 'number') return Promise.resolve(syncError(checked))
    const { group, member } = checked
    if (
      (request.protocolType !== null && request.protocolType !== group.protocolType) ||
      (request.protocolName !== null && request.protocolName !== group.protocolName)
    ) {
      return Promise.resolve(syncError(K.INCONSISTENT_GROUP_PROTOCOL))
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(K.REBALANCE_IN_PROGRESS))
      case 'Stable':
        this.timers.restartSession(group, member)
        return Promise.resolve(this.rebalance.syncResult(group, member))
      case 'CompletingRebalance':
        return new Promise((respond) => {
          member.awaitingSync?.(syncError(K.REBALANCE_IN_PROGRESS))
          member.awaitingSync = respond
          if (!group.isLeader(member.memberId)) return
          const assignments = new Map(request.assignments.map((entry) => [entry.memberId, entry.assignment]))
          for (const each of group.members.values()) each.assignment = assignments.get(each.memberId) ?? Buffer.alloc(0)
          this.rebalance.completeSync(group)
        })
      default:
        return Promise.resolve(syncError(K.UNKNOWN_MEMBER_ID))
    }
  }

  heartbeat(request: MemberRef): number {
    // Kafka answers heartbeats blindly while it loads: the member cannot be judged yet.
    if (this.isActive && this.isLoading) return K.NONE
    const checked = this.checkMember(request)
    if (typeof checked === 'number') return checked
    const { group, member } = checked
    if (group.state === 'Empty' || group.state === 'Dead') return K.UNKNOWN_MEMBER_ID
    this.timers.restartSession(group, member)
    return group.state === 'PreparingRebalance' ? K.REBALANCE_IN_PROGRESS : K.NONE
  }

  /** The checks SyncGroup and Heartbeat share, in Kafka's order; an error code or the member. */
  private checkMember(request: MemberRef): number | { group: Group; member: Member } {
    if (this.availabilityError() !== K.NONE) return this.availabilityError()
    const group = this.find(request.groupId)
    if (group === undefined) return K.UNKNOWN_MEMBER_ID
    if (group.state === 'Dead') return K.COORDINATOR_NOT_AVAILABLE
    if (group.isFenced(request.groupInstanceId, request.memberId)) return K.FENCED_INSTANCE_ID
    const member = group.members.get(request.memberId)
    if (member === undefined) return K.UNKNOWN_MEMBER_ID
    if (request.generationId !== group.generationId) return K.ILLEGAL_GENERATION
    return { group, member }
  }

  leave(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): { errorCode: number; members: { memberId: string; groupInstanceId: string | null; errorCode: number }[] } {
    if (this.availabilityError() !== K.NONE) return { errorCode: this.availabilityError(), members: [] }
    const group = this.find(groupId)
    if (group?.state === 'Dead') return { errorCode: K.COORDINATOR_NOT_AVAILABLE, members: [] }
    const members = leaving.map((identity) => ({
      ...identity,
      errorCode: group === undefined ? K.UNKNOWN_MEMBER_ID : this.leaveOne(group, identity.memberId, identity.groupInstanceId),
    }))
    return { errorCode: K.NONE, members }
  }

  private leaveOne(group: Group, memberId: string, groupInstanceId: string | null): number {
    if (memberId === '' && groupInstanceId !== null) {
      const current = group.staticMembers.get(groupInstanceId)
      if (current === undefined) return K.UNKNOWN_MEMBER_ID
      memberId = current
    } else if (this.timers.takePending(group, memberId)) {
      this.rebalance.tryCompleteJoin(group)
      return K.NONE
    }
    if (group.isFenced(groupInstanceId, memberId)) return K.FENCED_INSTANCE_ID
    const member = group.members.get(memberId)
    if (member === undefined) return K.UNKNOWN_MEMBER_ID
    this.rebalance.removeMemberAndRebalance(group, member, `member ${memberId} left`)
    return K.NONE
  }

  /**
   * Whether a commit from this member may be stored: Kafka's rules, including commits with
   * generation -1 from a client outside any group, taken while the group is Empty.
   */
  checkCommit(request: MemberRef): number {
    if (request.groupId === '') return K.INVALID_GROUP_ID
    if (this.availabilityError() !== K.NONE) return this.availabilityError()
    let group = this.find(request.groupId)
    if (group === undefined) {
      if (request.generationId >= 0) return K.ILLEGAL_GENERATION
      group = this.groups.create(request.groupId)
    }
    if (group.state === 'Dead') return K.COORDINATOR_NOT_AVAILABLE
    if (group.isFenced(request.groupInstanceId, request.memberId)) return K.FENCED_INSTANCE_ID
    if (request.generationId < 0 && group.state === 'Empty') return K.NONE
    const member = group.members.get(request.memberId)
    if (member === undefined) return K.UNKNOWN_MEMBER_ID
    if (request.generationId !== group.generationId) return K.ILLEGAL_GENERATION
    if (group.state === 'CompletingRebalance') return K.REBALANCE_IN_PROGRESS
    this.timers.restartSession(group, member)
    return K.NONE
  }

  /** DeleteGroups' check: an Empty group becomes Dead and is forgotten (its offsets are the caller's). */
  deleteGroup(groupId: string): number {
    if (groupId === '') return K.INVALID_GROUP_ID
    if (this.availabilityError() !== K.NONE) return this.availabilityError()
    const group = this.find(groupId)
    if (group === undefined || group.state === 'Dead') return K.GROUP_ID_NOT_FOUND
    if (group.state !== 'Empty') return K.NON_EMPTY_GROUP
    this.retire(group)
    return K.NONE
  }

  private retire(group: Group): void {
    this.timers.stopJoin(group)
    this.timers.clearPending(group)
    for (const member of [...group.members.values()]) {
      member.awaitingJoin?.(joinError(K.NOT_COORDINATOR, member.memberId))
      member.awaitingSync?.(syncError(K.NOT_COORDINATOR))
      this.rebalance.removeMember(group, member)
    }
    group.transitionTo('Dead')
    this.groups.forget(group)
  }

  /** Stops: waiting calls are answered NOT_COORDINATOR (clients look for the coordinator again). */
  shutdown(): void {
    this.isActive = false
    for (const group of this.groups.all()) this.retire(group)
  }

  get isRunning(): boolean {
    return this.isActive
  }
}

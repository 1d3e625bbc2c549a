import { randomUUID } from 'node:crypto'
import { KafkaErrorCode } from '../error-codes.js'
import type { Clock } from './clock.js'
import { Group, joinError, Member, syncError, type JoinResult, type SyncResult } from './group.js'
import { GroupTimers } from './group-timers.js'
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
 * Group membership lives in memory only: after a restart every group starts Empty and its
 * clients, whose member ids are unknown now, rejoin.
 */

const K = KafkaErrorCode

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>()
  private isActive = true
  private readonly timers: GroupTimers

  constructor(
    private readonly settings: CoordinatorSettings,
    clock: Clock,
    private readonly offsets: OffsetGroups,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.timers = new GroupTimers(settings, clock, {
      sessionExpired: (group, member) =>
        this.removeMemberAndRebalance(group, member, `session of member ${member.memberId} timed out after ${member.sessionTimeoutMs} ms`),
      joinDue: (group) => this.completeJoin(group),
      pendingExpired: (group) => this.tryCompleteJoin(group),
    })
  }

  /** The group, also one that exists only through committed offsets (as Empty); undefined if none. */
  find(groupId: string): Group | undefined {
    let group = this.groups.get(groupId)
    if (group === undefined && this.offsets.hasOffsets(groupId)) group = this.create(groupId)
    return group
  }

  private create(groupId: string): Group {
    const group = new Group(groupId)
    this.groups.set(groupId, group)
    return group
  }

  /** Every group id known: those in memory and those with committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.groupsWithOffsets()])].sort()
  }

  join(request: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number): Promise<JoinResult> => Promise.resolve(joinError(errorCode, request.memberId))
    if (!this.isActive) return fail(K.COORDINATOR_NOT_AVAILABLE)
    if (request.groupId === '') return fail(K.INVALID_GROUP_ID)
    if (request.sessionTimeoutMs < this.settings.minSessionTimeoutMs || request.sessionTimeoutMs > this.settings.maxSessionTimeoutMs)
      return fail(K.INVALID_SESSION_TIMEOUT)
    const isUnknown = request.memberId === ''
    let group = this.find(request.groupId)
    if (group === undefined) {
      if (!isUnknown) return fail(K.UNKNOWN_MEMBER_ID)
      group = this.create(request.groupId)
    }
    const joined = group
    return new Promise((respond) => {
      if (isUnknown) this.joinNewMember(joined, request, respond)
      else this.joinKnownMember(joined, request, respond)
      if (joined.state === 'PreparingRebalance') this.tryCompleteJoin(joined)
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
      return respond(group.joinResultFor(member, { skipAssignment: true }))
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
    this.maybePrepareRebalance(group, `member ${memberId} joined`)
  }

  private updateMemberAndRebalance(group: Group, member: Member, request: JoinRequest, respond: (result: JoinResult) => void): void {
    member.protocols = request.protocols
    member.sessionTimeoutMs = request.sessionTimeoutMs
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs
    member.awaitingJoin?.(joinError(K.UNKNOWN_MEMBER_ID, member.memberId))
    member.awaitingJoin = respond
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`)
  }

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') this.prepareRebalance(group, reason)
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') this.answerSyncs(group, K.REBALANCE_IN_PROGRESS)
    const wasEmpty = group.state === 'Empty'
    group.transitionTo('PreparingRebalance')
    this.log(`group ${group.groupId}: rebalancing (generation ${group.generationId}): ${reason}`)
    this.timers.stopJoin(group)
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs()
    if (wasEmpty) {
      this.timers.startInitialJoin(group, rebalanceTimeoutMs)
    } else {
      this.timers.startJoin(group, rebalanceTimeoutMs)
      this.tryCompleteJoin(group)
    }
  }

  /** Completes a (non-initial) rebalance as soon as every member has rejoined. */
  private tryCompleteJoin(group: Group): void {
    if (group.state === 'PreparingRebalance' && group.joinKind === 'normal' && group.hasAllMembersJoined()) this.completeJoin(group)
  }

  private completeJoin(group: Group): void {
    this.timers.stopJoin(group)
    // Dynamic members that did not rejoin in time are out; static ones stay until their session ends.
    for (const member of [...group.members.values()]) {
      if (member.awaitingJoin === null && !member.isStatic) this.removeMember(group, member)
    }
    if (!group.electJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined: give them another rebalance timeout.
      return this.timers.startJoin(group, group.rebalanceTimeoutMs())
    }
    group.initNextGeneration()
    this.log(
      `group ${group.groupId}: generation ${group.generationId} ${group.state === 'Empty' ? 'is empty' : `has ${group.members.size} member${group.members.size === 1 ? '' : 's'}`}`,
    )
    for (const member of group.members.values()) {
      const respond = member.awaitingJoin
      if (respond === null) continue
      member.awaitingJoin = null
      respond(group.joinResultFor(member))
      this.timers.restartSession(group, member)
    }
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
        return Promise.resolve(this.syncResult(group, member))
      case 'CompletingRebalance':
        return new Promise((respond) => {
          member.awaitingSync?.(syncError(K.REBALANCE_IN_PROGRESS))
          member.awaitingSync = respond
          if (!group.isLeader(member.memberId)) return
          const assignments = new Map(request.assignments.map((entry) => [entry.memberId, entry.assignment]))
          for (const each of group.members.values()) each.assignment = assignments.get(each.memberId) ?? Buffer.alloc(0)
          group.transitionTo('Stable')
          this.answerSyncs(group, K.NONE)
        })
      default:
        return Promise.resolve(syncError(K.UNKNOWN_MEMBER_ID))
    }
  }

  private syncResult(group: Group, member: Member): SyncResult {
    return { errorCode: K.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
  }

  /** Answers every waiting SyncGroup: with its assignment, or with an error (and no assignment). */
  private answerSyncs(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      if (errorCode !== K.NONE) member.assignment = Buffer.alloc(0)
      const respond = member.awaitingSync
      if (respond === null) continue
      member.awaitingSync = null
      respond(errorCode === K.NONE ? this.syncResult(group, member) : syncError(errorCode))
      this.timers.restartSession(group, member)
    }
  }

  heartbeat(request: MemberRef): number {
    const checked = this.checkMember(request)
    if (typeof checked === 'number') return checked
    const { group, member } = checked
    if (group.state === 'Empty' || group.state === 'Dead') return K.UNKNOWN_MEMBER_ID
    this.timers.restartSession(group, member)
    return group.state === 'PreparingRebalance' ? K.REBALANCE_IN_PROGRESS : K.NONE
  }

  /** The checks SyncGroup and Heartbeat share, in Kafka's order; an error code or the member. */
  private checkMember(request: MemberRef): number | { group: Group; member: Member } {
    if (!this.isActive) return K.COORDINATOR_NOT_AVAILABLE
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
    if (!this.isActive) return { errorCode: K.COORDINATOR_NOT_AVAILABLE, members: [] }
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
      this.tryCompleteJoin(group)
      return K.NONE
    }
    if (group.isFenced(groupInstanceId, memberId)) return K.FENCED_INSTANCE_ID
    const member = group.members.get(memberId)
    if (member === undefined) return K.UNKNOWN_MEMBER_ID
    this.removeMemberAndRebalance(group, member, `member ${memberId} left`)
    return K.NONE
  }

  /**
   * Whether a commit from this member may be stored: Kafka's rules, including commits with
   * generation -1 from a client outside any group, taken while the group is Empty.
   */
  checkCommit(request: MemberRef): number {
    if (!this.isActive) return K.COORDINATOR_NOT_AVAILABLE
    if (request.groupId === '') return K.INVALID_GROUP_ID
    let group = this.find(request.groupId)
    if (group === undefined) {
      if (request.generationId >= 0) return K.ILLEGAL_GENERATION
      group = this.create(request.groupId)
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
    if (!this.isActive) return K.COORDINATOR_NOT_AVAILABLE
    if (groupId === '') return K.INVALID_GROUP_ID
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
      this.removeMember(group, member)
    }
    group.transitionTo('Dead')
    this.groups.delete(group.groupId)
  }

  /** Stops: waiting calls are answered NOT_COORDINATOR (clients look for the coordinator again). */
  shutdown(): void {
    this.isActive = false
    for (const group of [...this.groups.values()]) this.retire(group)
  }

  get isRunning(): boolean {
    return this.isActive
  }

  private removeMember(group: Group, member: Member): void {
    this.timers.stopSession(member)
    group.remove(member.memberId)
  }

  private removeMemberAndRebalance(group: Group, member: Member, reason: string): void {
    member.awaitingJoin?.(joinError(K.UNKNOWN_MEMBER_ID, member.memberId))
    member.awaitingJoin = null
    member.awaitingSync?.(syncError(K.UNKNOWN_MEMBER_ID))
    member.awaitingSync = null
    this.removeMember(group, member)
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, reason)
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group)
  }
}

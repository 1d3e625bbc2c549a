import { KafkaErrorCode } from '../error-codes.js'
import type { Clock } from './clock.js'
import { joinError, syncError, type Group, type Member, type SyncResult } from './group.js'
import type { GroupStore } from './group-store.js'
import { GroupTimers } from './group-timers.js'
import type { CoordinatorSettings } from './requests.js'

const K = KafkaErrorCode

/**
 * The mechanics of a rebalance, which the coordinator's requests and timers set going: starting
 * one (PreparingRebalance, with the initial delay for an empty group), completing the join phase
 * (the next generation, its leader, the JoinGroup answers), completing the sync phase (the
 * generation stored, then Stable and the assignments handed out), and removing members. Owns
 * the group timers; a timer that fires comes back here.
 */
export class Rebalancer {
  readonly timers: GroupTimers

  constructor(
    settings: CoordinatorSettings,
    clock: Clock,
    private readonly groups: GroupStore,
    private readonly log: (message: string) => void,
  ) {
    this.timers = new GroupTimers(settings, clock, {
      sessionExpired: (group, member) =>
        this.removeMemberAndRebalance(group, member, `session of member ${member.memberId} timed out after ${member.sessionTimeoutMs} ms`),
      joinDue: (group) => this.completeJoin(group),
      pendingExpired: (group) => this.tryCompleteJoin(group),
    })
  }

  maybePrepareRebalance(group: Group, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') this.prepareRebalance(group, reason)
  }

  prepareRebalance(group: Group, reason: string): void {
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
  tryCompleteJoin(group: Group): void {
    if (group.state === 'PreparingRebalance' && group.joinKind === 'normal' && group.hasAllMembersJoined()) this.completeJoin(group)
  }

  completeJoin(group: Group): void {
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
    // An emptied group is stored at once (its new generation fences late commits after a restart);
    // one with members is stored when its leader's assignment arrives.
    if (group.state === 'Empty') void this.groups.store(group)
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

  /**
   * Stores the assigned generation, then makes the group Stable and hands out the assignments. If
   * the group moved on while the write was under way, the rebalance that moved it has answered
   * the waiting members already; if the write failed, they get its error and the group rebalances.
   */
  completeSync(group: Group): void {
    const generationId = group.generationId
    void this.groups.store(group).then((errorCode) => {
      if (group.state !== 'CompletingRebalance' || group.generationId !== generationId) return
      if (errorCode !== K.NONE) {
        this.answerSyncs(group, errorCode)
        return this.prepareRebalance(group, `storing generation ${generationId} failed`)
      }
      group.transitionTo('Stable')
      this.answerSyncs(group, K.NONE)
    })
  }

  syncResult(group: Group, member: Member): SyncResult {
    return { errorCode: K.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
  }

  /** Answers every waiting SyncGroup: with its assignment, or with an error (and no assignment). */
  answerSyncs(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      if (errorCode !== K.NONE) member.assignment = Buffer.alloc(0)
      const respond = member.awaitingSync
      if (respond === null) continue
      member.awaitingSync = null
      respond(errorCode === K.NONE ? this.syncResult(group, member) : syncError(errorCode))
      this.timers.restartSession(group, member)
    }
  }

  removeMember(group: Group, member: Member): void {
    this.timers.stopSession(member)
    group.remove(member.memberId)
  }

  removeMemberAndRebalance(group: Group, member: Member, reason: string): void {
    member.awaitingJoin?.(joinError(K.UNKNOWN_MEMBER_ID, member.memberId))
    member.awaitingJoin = null
    member.awaitingSync?.(syncError(K.UNKNOWN_MEMBER_ID))
    member.awaitingSync = null
    this.removeMember(group, member)
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, reason)
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group)
  }
}

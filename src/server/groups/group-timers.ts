import type { Clock } from './clock.js'
import type { Group, Member } from './group.js'
import type { CoordinatorSettings } from './requests.js'

/** What the coordinator does when one of its timers fires. */
export interface GroupTimerEvents {
  /** A member's session ended with no call from it restarting the timer. */
  sessionExpired(group: Group, member: Member): void
  /** The join phase of a rebalance is over: its deadline passed, or the initial delay ran out. */
  joinDue(group: Group): void
  /** A member id handed out with MEMBER_ID_REQUIRED went unused until its session timeout. */
  pendingExpired(group: Group): void
}

/**
 * The timers of the group coordinator: each member's session, each rebalance's join deadline
 * (with the initial rebalance delay of a new group), and the expiry of member ids handed out with
 * MEMBER_ID_REQUIRED. The handles live on the group and its members.
 */
export class GroupTimers {
  constructor(
    private readonly settings: CoordinatorSettings,
    private readonly clock: Clock,
    private readonly events: GroupTimerEvents,
  ) {}

  /** Starts the member's session timer again. */
  restartSession(group: Group, member: Member): void {
    if (member.sessionTimer !== null) this.clock.clearTimeout(member.sessionTimer)
    member.sessionTimer = this.clock.setTimeout(() => {
      member.sessionTimer = null
      // A member waiting for its JoinGroup or SyncGroup answer is alive; the answer restarts its session.
      if (group.members.get(member.memberId) !== member || member.awaitingJoin !== null || member.awaitingSync !== null) return
      this.events.sessionExpired(group, member)
    }, member.sessionTimeoutMs)
  }

  stopSession(member: Member): void {
    if (member.sessionTimer !== null) this.clock.clearTimeout(member.sessionTimer)
    member.sessionTimer = null
  }

  /** A new group waits a little for more members, so that they do not each cause a rebalance. */
  startInitialJoin(group: Group, rebalanceTimeoutMs: number): void {
    const delayMs = Math.min(this.settings.initialRebalanceDelayMs, rebalanceTimeoutMs)
    group.initialRemainingMs = Math.max(rebalanceTimeoutMs - delayMs, 0)
    group.hasNewMemberJoined = false
    this.scheduleJoin(group, 'initial', delayMs)
  }

  startJoin(group: Group, rebalanceTimeoutMs: number): void {
    this.scheduleJoin(group, 'normal', rebalanceTimeoutMs)
  }

  stopJoin(group: Group): void {
    if (group.joinTimer !== null) this.clock.clearTimeout(group.joinTimer)
    group.joinTimer = null
    group.joinKind = null
  }

  private scheduleJoin(group: Group, kind: 'initial' | 'normal', delayMs: number): void {
    group.joinKind = kind
    group.joinTimer = this.clock.setTimeout(() => {
      group.joinTimer = null
      this.onJoinTimer(group)
    }, delayMs)
  }

  private onJoinTimer(group: Group): void {
    if (group.state !== 'PreparingRebalance') return
    if (group.joinKind === 'initial' && group.hasNewMemberJoined && group.initialRemainingMs > 0) {
      group.hasNewMemberJoined = false
      const delayMs = Math.min(this.settings.initialRebalanceDelayMs, group.initialRemainingMs)
      group.initialRemainingMs = Math.max(group.initialRemainingMs - delayMs, 0)
      return this.scheduleJoin(group, 'initial', delayMs)
    }
    this.events.joinDue(group)
  }

  /** Holds a member id handed out with MEMBER_ID_REQUIRED until the client joins with it. */
  addPending(group: Group, memberId: string, sessionTimeoutMs: number): void {
    group.pendingMembers.set(
      memberId,
      this.clock.setTimeout(() => {
        if (group.pendingMembers.delete(memberId)) this.events.pendingExpired(group)
      }, sessionTimeoutMs),
    )
  }

  /** Whether the member id was pending; it is not any more. */
  takePending(group: Group, memberId: string): boolean {
    if (!group.pendingMembers.has(memberId)) return false
    this.clock.clearTimeout(group.pendingMembers.get(memberId))
    group.pendingMembers.delete(memberId)
    return true
  }

  clearPending(group: Group): void {
    for (const timer of group.pendingMembers.values()) this.clock.clearTimeout(timer)
    group.pendingMembers.clear()
  }
}

import type { Clock } from './clock.js'
import { LogClosedError } from './errors.js'
import { fsyncDir } from './file-io.js'
import type { LogFileSystem } from './file-system.js'
import { DEFAULT_FLUSH_POLICY, type FlushPolicy } from './flush-policy.js'
import { flushSegments } from './flush-segments.js'
import { SNAPSHOTS_KEPT, writeSnapshot } from './producer-state.js'
import type { SegmentList } from './segment-list.js'

/**
 * When a partition's bytes are fsynced, and what happens when an fsync fails. Every flush trigger
 * lives here: a `sync` append waiting for its fsync, the `messages` count after an append, the
 * `ms` interval (`flushIfDue`, driven by the engine's tick), `flush()`, and a roll, which asks for
 * the finished segment, the new segment's directory entry and a producer snapshot to be made
 * durable in the background instead of on the append path.
 *
 * Group commit: one round of fsyncs covers every waiter there is when it starts, however many
 * appends wait; a round costs one fsync per segment written since the recovery point. Rounds
 * never overlap, and never start while the log truncates or closes (a round then could fsync a
 * segment being removed, or move the recovery point past a log end that just dropped).
 *
 * The failure latch: after a failed write or fsync the partition takes no more writes (fsyncgate:
 * after a failed fsync the kernel may have dropped the dirty pages, so a retry could "succeed"
 * without the data) and no round runs again; reopening recovers what is on disk.
 * Single-threaded, on the event loop.
 */

/** What the group commit needs of its partition log. */
export interface GroupCommitHost {
  readonly list: SegmentList
  readonly dir: string
  /** `topic-partition`, for errors. */
  readonly name: string
  readonly clock: Clock
  readonly fileSystem: LogFileSystem
  /** Whether a round may start now (not while the log truncates or closes). */
  canSync(): boolean
  /** A round moved the recovery point. */
  onDurable(): void
}

interface Waiter {
  offset: number
  /** A flush(): after a truncation it waits for the new log end instead of failing. */
  isFlush: boolean
  resolve: () => void
  reject: (error: Error) => void
}

export class GroupCommit {
  /** Clock time of the last completed round, for the `ms` trigger. */
  lastFlushMs: number
  /** Number of rounds, for benchmarks and inspection. */
  flushCount = 0
  /** The error that stopped the partition taking writes, if one did. */
  failure: Error | null = null
  private readonly host: GroupCommitHost
  private flushPolicy: FlushPolicy = DEFAULT_FLUSH_POLICY
  private waiters: Waiter[] = []
  /**
   * Rounds are running. Cleared by the rounds themselves in the same step as their last check
   * for work, so work that comes later always finds them stopped and starts them again.
   */
  private isRunning = false
  /** The rounds running now, or the last ones. */
  private running: Promise<void> = Promise.resolve()
  /** A trigger (`messages`, `ms`) asked for everything written so far. */
  private isLogEndWanted = false
  /** Rolls asked for everything below this offset (the last new segment's base). */
  private rollTarget = 0
  /** A roll created a file whose directory entry is not fsynced yet. */
  private isDirectoryDirty = false
  /** Producer snapshots taken at rolls, not written yet. */
  private pendingSnapshots: { offset: number; bytes: Buffer }[] = []

  constructor(host: GroupCommitHost) {
    this.host = host
    this.lastFlushMs = host.clock.nowMs()
  }

  get policy(): FlushPolicy {
    return this.flushPolicy
  }

  set policy(policy: FlushPolicy) {
    this.flushPolicy = policy
    this.host.list.setHighWatermarkDurable(policy.mode === 'sync')
  }

  /** Latches the first failure: the partition takes no more writes. */
  fail(error: Error): void {
    this.failure ??= error
  }

  failedError(): LogClosedError {
    return new LogClosedError(`partition ${this.host.name} stopped taking writes after an I/O failure; reopen it to recover`, {
      cause: this.failure,
    })
  }

  /**
   * Resolves once everything below `offset` is fsynced, joining the next round (the caller checked
   * the log is open).
   */
  wait(offset: number, isFlush: boolean): Promise<void> {
    if (this.host.list.recoveryPoint >= offset) return Promise.resolve()
    if (this.failure !== null) return Promise.reject(this.failedError())
    return new Promise((resolve, reject) => {
      this.waiters.push({ offset, isFlush, resolve, reject })
      this.start()
    })
  }

  /** The `messages` trigger, after an append's bytes are in the file (not under `sync`). */
  afterAppend(): void {
    const policy = this.flushPolicy
    const list = this.host.list
    if (policy.mode === 'interval' && policy.messages !== undefined && list.logEndOffset - list.recoveryPoint >= policy.messages) {
      this.isLogEndWanted = true
      this.start()
    }
  }

  /**
   * The `ms` trigger: fsyncs everything written once the last round is `ms` old at `nowMs`.
   * Resolves when that is durable (at once when nothing is due).
   */
  flushIfDue(nowMs: number): Promise<void> {
    const policy = this.flushPolicy
    if (policy.mode !== 'interval' || policy.ms === undefined || this.failure !== null || nowMs - this.lastFlushMs < policy.ms)
      return Promise.resolve()
    const list = this.host.list
    if (list.logEndOffset <= list.recoveryPoint) {
      // Nothing to fsync: the next one is due a whole interval from now.
      this.lastFlushMs = nowMs
      return Promise.resolve()
    }
    return this.wait(list.logEndOffset, true)
  }

  /**
   * A roll: everything below `newBaseOffset` and the new segment's directory entry are made
   * durable by a round in the background (in every flush mode), with `snapshot` if one was taken.
   * A `sync` append in the new segment waits for the same round, so it still resolves only once
   * its segment's directory entry is durable.
   */
  afterRoll(newBaseOffset: number, snapshot: Buffer | null): void {
    this.rollTarget = Math.max(this.rollTarget, newBaseOffset)
    this.isDirectoryDirty = true
    if (snapshot !== null) this.pendingSnapshots.push({ offset: newBaseOffset, bytes: snapshot })
    this.start()
  }

  /** Starts rounds unless they run already or the log forbids them now. */
  start(): void {
    if (this.isRunning || !this.host.canSync()) return
    this.isRunning = true
    this.running = this.rounds()
    this.running.catch(() => undefined)
  }

  /** Resolves when no round runs (a failed one included). */
  async idle(): Promise<void> {
    while (this.isRunning) await this.running.catch(() => undefined)
  }

  private async rounds(): Promise<void> {
    const list = this.host.list
    try {
      while (this.failure === null) {
        const end = list.logEndOffset
        const target = this.waiters.length > 0 || this.isLogEndWanted ? end : Math.min(this.rollTarget, end)
        if (target <= list.recoveryPoint && !this.isDirectoryDirty && this.pendingSnapshots.length === 0) break
        this.isLogEndWanted = false
        try {
          await this.flushBelow(target)
        } catch (error) {
          this.fail(error as Error)
          this.rejectAll(this.failedError())
          throw error
        }
        list.advanceRecoveryPoint(target)
        this.lastFlushMs = this.host.clock.nowMs()
        this.flushCount++
        this.resolveCovered()
        this.host.onDurable()
      }
      this.resolveCovered()
    } finally {
      // In the same step as the last check for work: what comes after starts new rounds.
      this.isRunning = false
    }
  }

  /**
   * fsyncs the segments holding offsets in [recoveryPoint, target) (several at a time), then what
   * rolls left: one directory fsync for every segment rolled since the last round, after their
   * index files were created by those flushes, so their entries are covered too.
   */
  private async flushBelow(target: number): Promise<void> {
    const { list, dir, fileSystem } = this.host
    if (target > list.recoveryPoint) {
      const segments = list.all.slice(list.slotFor(list.recoveryPoint), list.slotFor(target - 1) + 1)
      await flushSegments(segments)
      // A sealed segment's first flush created its index files: their entries need the directory
      // fsync too, even when an earlier round already fsynced the directory for its roll.
      if (segments[0] !== list.active) this.isDirectoryDirty = true
    }
    if (this.isDirectoryDirty) {
      // Cleared first: a roll during this fsync needs another.
      this.isDirectoryDirty = false
      await fsyncDir(dir, fileSystem)
    }
    while (this.pendingSnapshots.length > 0) {
      // Each write removes all but the newest SNAPSHOTS_KEPT: after many rolls in one round the
      // older ones would be written only to be removed, so only the newest are written.
      const pending = this.pendingSnapshots.splice(0)
      for (const { offset, bytes } of pending.slice(-SNAPSHOTS_KEPT)) await writeSnapshot(dir, offset, bytes, fileSystem)
    }
  }

  /**
   * close(), once no round runs: seals the active segment and fsyncs every segment from the
   * recovery point on and what rolls left; the recovery point is then the log end. The index
   * files the last segment's flush creates here get their directory fsync from the producer
   * snapshot close writes next (log-close.ts), before anything records the clean shutdown.
   */
  async flushForClose(): Promise<void> {
    const list = this.host.list
    const target = list.logEndOffset
    list.active.seal()
    await flushSegments(list.all.slice(list.slotFor(list.recoveryPoint)))
    await this.flushBelow(list.recoveryPoint)
    list.advanceRecoveryPoint(target)
    this.resolveCovered()
  }

  /** Resolves every waiter the recovery point covers now. */
  resolveCovered(): void {
    if (this.waiters.length === 0) return
    const recoveryPoint = this.host.list.recoveryPoint
    const still: Waiter[] = []
    for (const waiter of this.waiters) {
      if (waiter.offset <= recoveryPoint) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  /**
   * After a truncation: a flush now waits for the new log end; a wait for records the truncation
   * removed can never be satisfied, so it rejects (with `removed(offset)`) rather than wait forever.
   * Snapshots taken above the new log end describe records that are gone.
   */
  settleAfterTruncation(removed: (offset: number) => Error): void {
    const end = this.host.list.logEndOffset
    this.rollTarget = Math.min(this.rollTarget, end)
    this.pendingSnapshots = this.pendingSnapshots.filter((snapshot) => snapshot.offset <= end)
    const still: Waiter[] = []
    for (const waiter of this.waiters) {
      if (waiter.offset <= end || waiter.isFlush) {
        waiter.offset = Math.min(waiter.offset, end)
        still.push(waiter)
      } else {
        waiter.reject(removed(waiter.offset))
      }
    }
    this.waiters = still
    this.resolveCovered()
    this.start()
  }

  rejectAll(error: Error): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }
}

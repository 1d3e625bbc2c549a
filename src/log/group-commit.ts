/**
 * Group commit for one partition log: appends and flushes wait for an fsync that covers their
 * offsets, and one round of fsyncs covers every waiter there is when it starts. However many
 * appends wait, a round costs one fsync per segment written since the recovery point.
 *
 * The log owns the recovery point and decides when a round may start (not while it truncates or
 * closes: a round then could fsync a segment being removed, or move the recovery point past a
 * log end that just dropped). Single-threaded, on the event loop.
 */

/** What the group commit needs of its log. */
export interface GroupCommitLog {
  readonly logEndOffset: number
  /** Offset below which everything has been fsynced; rounds move it up. */
  recoveryPoint: number
  /** An earlier write or fsync failed: no round runs any more. */
  readonly failure: Error | null
  /** Whether a round may start now. */
  readonly canSync: boolean
  /** fsyncs every segment holding offsets at or after `offset`. */
  flushFrom(offset: number): Promise<void>
  /** A round moved the recovery point. */
  afterRound(): void
  /**
   * A round failed. The log enters fail-stop (fsyncgate: after a failed fsync the kernel may have
   * dropped the dirty pages, so a retry could "succeed" without the data) and returns the error
   * every waiter gets.
   */
  onRoundFailed(error: Error): Error
}

interface Waiter {
  offset: number
  /** A flush(): after a truncation it waits for the new log end instead of failing. */
  isFlush: boolean
  resolve: () => void
  reject: (error: Error) => void
}

export class GroupCommit {
  /** Wall-clock time of the last completed round, for interval flushing. */
  lastFlushMs = Date.now()
  /** Number of rounds, for benchmarks and inspection. */
  flushCount = 0
  private readonly log: GroupCommitLog
  private waiters: Waiter[] = []
  /** The rounds running now, if any. */
  private running: Promise<void> | null = null

  constructor(log: GroupCommitLog) {
    this.log = log
  }

  /** Resolves once everything below `offset` is fsynced (the caller checked the log is writable). */
  wait(offset: number, isFlush: boolean): Promise<void> {
    if (this.log.recoveryPoint >= offset) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.waiters.push({ offset, isFlush, resolve, reject })
      this.start()
    })
  }

  /**
   * Starts a round unless one is running or the log forbids it; the running one starts another
   * when it ends if appends arrived meanwhile.
   */
  start(): void {
    if (this.running !== null || !this.log.canSync) return
    this.running = this.rounds().finally(() => {
      this.running = null
    })
    this.running.catch(() => undefined)
  }

  /** Resolves when no round runs (a failed one included). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running.catch(() => undefined)
  }

  private async rounds(): Promise<void> {
    const log = this.log
    while (log.failure === null && log.logEndOffset > log.recoveryPoint) {
      const target = log.logEndOffset
      try {
        await log.flushFrom(log.recoveryPoint)
      } catch (error) {
        this.rejectAll(log.onRoundFailed(error as Error))
        throw error
      }
      log.recoveryPoint = Math.max(log.recoveryPoint, target)
      this.lastFlushMs = Date.now()
      this.flushCount++
      this.resolveCovered()
      log.afterRound()
    }
    this.resolveCovered()
  }

  /** Resolves every waiter the recovery point covers now. */
  resolveCovered(): void {
    if (this.waiters.length === 0) return
    const still: Waiter[] = []
    for (const waiter of this.waiters) {
      if (waiter.offset <= this.log.recoveryPoint) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  /**
   * After a truncation: a flush now waits for the new log end; a wait for records the truncation
   * removed can never be satisfied, so it rejects (with `removed(offset)`) rather than wait forever.
   */
  settleAfterTruncation(removed: (offset: number) => Error): void {
    const end = this.log.logEndOffset
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
    if (this.waiters.length > 0) this.start()
  }

  rejectAll(error: Error): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }
}

import type { FailedAuthLimits } from '../../index.js'

/**
 * Slows down and then stops password guessing, per peer address (the host, not the port: a guesser
 * opens a new connection per attempt). Every failed authentication is answered only after
 * `delayMs` (as Kafka's `connection.failed.authentication.delay.ms`), and an address with
 * `maxFailures` failures within `windowMs` is refused for `blockMs`: its new connections are closed
 * as they are accepted and its authentications fail without a password being looked at, so even
 * the right password does not get in while it is blocked. A success does not clear the count: a
 * guesser who knows one password must not reset its budget with it.
 */

export const DEFAULT_FAILED_AUTH_LIMITS: Readonly<FailedAuthLimits> = Object.freeze({
  delayMs: 100,
  maxFailures: 10,
  windowMs: 60_000,
  blockMs: 60_000,
})

interface PeerRecord {
  /** Times of the failures still inside the window, oldest first. */
  failuresMs: number[]
  blockedUntilMs: number
}

/** Addresses kept at most; past it the oldest entry is dropped (a flood of addresses cannot grow memory). */
const MAX_TRACKED_PEERS = 100_000

export class FailedAuthLimiter {
  private readonly peers = new Map<string, PeerRecord>()

  constructor(
    readonly limits: FailedAuthLimits,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Whether `host` is refused now. */
  isBlocked(host: string): boolean {
    const record = this.peers.get(host)
    return record !== undefined && record.blockedUntilMs > this.nowMs()
  }

  /** Counts one failure; returns true when this failure blocked the address. */
  recordFailure(host: string): boolean {
    const now = this.nowMs()
    let record = this.peers.get(host)
    if (record === undefined) {
      if (this.peers.size >= MAX_TRACKED_PEERS) this.peers.delete(this.peers.keys().next().value!)
      record = { failuresMs: [], blockedUntilMs: 0 }
      this.peers.set(host, record)
    }
    const since = now - this.limits.windowMs
    while (record.failuresMs.length > 0 && record.failuresMs[0]! <= since) record.failuresMs.shift()
    record.failuresMs.push(now)
    if (record.failuresMs.length >= this.limits.maxFailures && record.blockedUntilMs <= now) {
      record.blockedUntilMs = now + this.limits.blockMs
      record.failuresMs.length = 0
      return true
    }
    return false
  }
}

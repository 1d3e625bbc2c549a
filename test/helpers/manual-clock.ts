import type { Clock } from '../../src/log/clock.js'

/** A clock that moves only when a test moves it, and counts how often it was read. */
export class ManualClock implements Clock {
  /** How many times `nowMs()` was called (a background task reading it has run). */
  reads = 0
  private now: number

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs
  }

  nowMs(): number {
    this.reads++
    return this.now
  }

  /** Moves the time forward by `ms` and returns the new time. */
  advance(ms: number): number {
    this.now += ms
    return this.now
  }
}

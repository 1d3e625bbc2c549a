import type { Clock } from '../../src/server/groups/clock.js'

/** A clock that moves only when told to; timers due by the new time fire in time order. */
export class ManualClock implements Clock {
  private nowMs = 0
  private nextId = 1
  private readonly timers = new Map<number, { atMs: number; callback: () => void }>()

  now(): number {
    return this.nowMs
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { atMs: this.nowMs + Math.max(0, ms), callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Timers pending now. */
  get pendingCount(): number {
    return this.timers.size
  }

  advance(ms: number): void {
    const target = this.nowMs + ms
    for (;;) {
      let next: [number, { atMs: number; callback: () => void }] | null = null
      for (const entry of this.timers) if (entry[1].atMs <= target && (next === null || entry[1].atMs < next[1].atMs)) next = entry
      if (next === null) break
      this.timers.delete(next[0])
      this.nowMs = next[1].atMs
      next[1].callback()
    }
    this.nowMs = target
  }
}

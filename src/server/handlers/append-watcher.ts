import type { PartitionLog } from '../../index.js'

/**
 * Waits for any of some partitions to append (their 'append' event), for a fetch that found fewer
 * bytes than it wants. It listens from construction on, so an append that happens while the fetch
 * is reading is not missed: `reset()` before a read, then `wait()` returns at once if one came.
 */
export class AppendWatcher {
  private readonly logs: readonly PartitionLog[]
  private hasAppended = false
  private wake: (() => void) | null = null
  private readonly onAppend: () => void

  constructor(logs: readonly PartitionLog[]) {
    this.logs = logs
    this.onAppend = () => {
      this.hasAppended = true
      this.wake?.()
    }
    for (const log of logs) log.events.on('append', this.onAppend)
  }

  reset(): void {
    this.hasAppended = false
  }

  /** True when an append came since the last reset; false at the deadline or when `signal` fires. */
  wait(deadlineMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.hasAppended) return Promise.resolve(true)
    const delayMs = deadlineMs - Date.now()
    if (delayMs <= 0 || signal.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', finish)
        this.wake = null
        resolve(this.hasAppended)
      }
      const timer = setTimeout(finish, delayMs)
      signal.addEventListener('abort', finish)
      this.wake = finish
    })
  }

  close(): void {
    for (const log of this.logs) log.events.off('append', this.onAppend)
    this.wake?.()
  }
}

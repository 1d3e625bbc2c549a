/**
 * Keeps the cleaner's I/O under `bytesPerSecond` (Kafka's log.cleaner.io.max.bytes.per.second): after
 * each chunk it sleeps as long as the bytes so far are ahead of the rate. Infinity never sleeps.
 */
export class Throttler {
  private readonly bytesPerSecond: number
  private readonly startMs = performance.now()
  private bytes = 0
  /** Milliseconds slept so far. */
  sleptMs = 0

  constructor(bytesPerSecond: number) {
    this.bytesPerSecond = bytesPerSecond
  }

  async take(bytes: number): Promise<void> {
    this.bytes += bytes
    if (!Number.isFinite(this.bytesPerSecond)) return
    const dueMs = (this.bytes / this.bytesPerSecond) * 1000
    const aheadMs = dueMs - (performance.now() - this.startMs)
    if (aheadMs < 1) return
    this.sleptMs += aheadMs
    await new Promise((resolve) => setTimeout(resolve, aheadMs))
  }
}

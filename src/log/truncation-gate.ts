/**
 * Lets reads run beside truncations of the same log without seeing one half done. A truncation
 * runs inside `truncate`; a read runs through `read`, which first waits for a truncation that is
 * running, and starts the read again if one begins or ends while it runs: its bytes may have been
 * cut, or rewritten by appends after the cut. An error a read met only counts if no truncation
 * came between, since bytes a truncation changed under a read look like damage.
 *
 * Single-threaded, on the event loop; truncations themselves are serialized by the log.
 */
export class TruncationGate {
  /** Truncations begun plus truncations ended. */
  private changes = 0
  private running: Promise<void> | null = null

  get isTruncating(): boolean {
    return this.running !== null
  }

  /**
   * Runs `attempt` until it completes with no truncation beginning or ending meanwhile. An attempt
   * returns null to ask for another (something it needed was retired under it). `beforeEach` runs
   * first every time (the log's closed check).
   */
  async read<T>(attempt: () => Promise<T | null>, beforeEach: () => void): Promise<T> {
    for (;;) {
      beforeEach()
      if (this.running !== null) {
        await this.running
        continue
      }
      const changes = this.changes
      let result: T | null
      try {
        result = await attempt()
      } catch (error) {
        if (changes === this.changes) throw error
        continue
      }
      if (result !== null && changes === this.changes) return result
    }
  }

  /** Runs a truncation: reads starting meanwhile wait for it, reads in flight start again. */
  async truncate<T>(body: () => Promise<T>): Promise<T> {
    let finish!: () => void
    this.running = new Promise<void>((resolve) => {
      finish = resolve
    })
    this.changes++
    try {
      return await body()
    } finally {
      this.changes++
      this.running = null
      finish()
    }
  }
}

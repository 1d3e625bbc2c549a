import type { LogEngine, OffsetCommit } from '../index.js'
import type { Output } from './output.js'

/**
 * What `seglog consume --group` may commit: for each partition, the offset after the last record
 * whose line stdout has written (Output.written), never one only queued or sitting in the
 * stream's buffer. A record is therefore committed only after it was delivered, and a consume
 * killed at any moment resumes at or before the first record it had not delivered
 * (at-least-once). The start positions count as delivered: nothing before them is skipped.
 */
export class PrintedPositions {
  private readonly engine: LogEngine
  private readonly group: string
  private readonly topic: string
  /** Offset after the last record whose line is in Output (queued or handed to stdout). */
  private readonly queued = new Map<number, number>()
  /** Offset after the last record stdout has written. */
  private readonly written = new Map<number, number>()
  /** What the group has committed, as far as this run knows. */
  private readonly committed = new Map<number, number>()
  private committing: Promise<void> = Promise.resolve()

  constructor(engine: LogEngine, group: string, topic: string, starts: readonly { partition: number; offset: number }[]) {
    this.engine = engine
    this.group = group
    this.topic = topic
    for (const { partition, offset } of starts) {
      this.queued.set(partition, offset)
      this.written.set(partition, offset)
      const committed = engine.offsets.fetch(group, topic, partition)
      if (committed !== null) this.committed.set(partition, committed.offset)
    }
  }

  /** The lines of `partition` up to `nextOffset` (exclusive) are now in Output. */
  queue(partition: number, nextOffset: number): void {
    this.queued.set(partition, nextOffset)
  }

  /**
   * Hands Output's lines to stdout (waiting for a slow reader unless `signal` aborts) and marks
   * them written once stdout says it wrote them.
   */
  async flush(out: Output, signal: AbortSignal): Promise<void> {
    const handed = new Map(this.queued)
    const flushing = out.flush(signal)
    void out.written().then((isWritten) => {
      if (!isWritten) return
      for (const [partition, offset] of handed) {
        if (offset > (this.written.get(partition) ?? -1)) this.written.set(partition, offset)
      }
    })
    await flushing
  }

  /** Commits every written position the group does not have yet; one commit at a time. */
  commit(): Promise<void> {
    const run = this.committing.then(() => this.commitNow())
    this.committing = run.catch(() => undefined)
    return run
  }

  private async commitNow(): Promise<void> {
    const entries: OffsetCommit[] = []
    for (const [partition, offset] of this.written) {
      if (this.committed.get(partition) !== offset) entries.push({ topic: this.topic, partition, offset })
    }
    if (entries.length === 0) return
    await this.engine.offsets.commitMany(this.group, entries)
    for (const entry of entries) this.committed.set(entry.partition, entry.offset)
  }
}

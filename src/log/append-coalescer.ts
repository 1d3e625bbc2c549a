import { ATTRIBUTES_OFFSET, CONTROL_MASK } from '../record/record-batch.js'
import type { GroupedAppend } from './append-group.js'
import type { AppendInfo } from './partition-types.js'

/**
 * Gathers small single-batch appends into groups that take one turn of the log's queue each, so
 * that many concurrent appenders (each awaiting one record at a time) cost one writev, one queue
 * step and, under `sync`, one group-commit waiter per group instead of per append.
 *
 * The log writer sends an append here when its queue is busy, or under `sync` (where a group also
 * shares one fsync); a lone appender with the queue idle takes its turn directly, since a group of
 * one only costs more. A group is open from its first append until its turn comes; appends made
 * meanwhile join it,
 * while anything else queued (a large append, a truncation, a close) seals it first, so the
 * queue's call order holds. Each append keeps its own batch and offsets (append-group.ts) and its
 * own promise: it rejects alone when refused, with its run when their write fails, and resolves
 * once its bytes are in the file, under `sync` once an fsync covers them.
 */

/** Batches up to this size may join a group; larger ones take a turn of their own. */
export const GROUPED_BATCH_MAX_BYTES = 16 * 1024

/**
 * Bytes a group takes before it is sealed: within the synchronous write limit (file-io.ts), so a
 * group's writev stays on the calling thread, and short enough not to hold a turn long.
 */
export const GROUP_MAX_BYTES = 64 * 1024

interface Member extends GroupedAppend {
  resolve(info: AppendInfo): void
}

/** What the coalescer needs of its log writer. */
export interface CoalescerHost {
  /** Queues `task` after everything queued so far; resolves when it has run. */
  schedule(task: () => Promise<void>): Promise<void>
  /** Writes the group in its turn (the log is checked writable first); never throws. */
  write(members: readonly GroupedAppend[]): Promise<void>
  /**
   * After a group's bytes below `endOffset` are in the file: a promise for the fsync covering
   * them under `sync`, else null (the appends are visible now).
   */
  afterWrite(endOffset: number): Promise<void> | null
}

export class AppendCoalescer {
  private readonly host: CoalescerHost
  private open: Member[] | null = null
  private openBytes = 0

  constructor(host: CoalescerHost) {
    this.host = host
  }

  /**
   * Whether `batch` (one whole v2 batch) may be grouped: small enough, and not a transaction
   * marker, which ends transactions other batches join and keeps a turn of its own.
   */
  static canGroup(batch: Buffer): boolean {
    return batch.length <= GROUPED_BATCH_MAX_BYTES && (batch.readInt16BE(ATTRIBUTES_OFFSET) & CONTROL_MASK) === 0
  }

  /** Appends `batch` as part of the open group, opening one if there is none. */
  add(batch: Buffer): Promise<AppendInfo> {
    return new Promise<AppendInfo>((resolve, reject) => {
      let group = this.open
      if (group === null || this.openBytes + batch.length > GROUP_MAX_BYTES) group = this.openGroup()
      group.push({ batch, info: null, resolve, reject })
      this.openBytes += batch.length
    })
  }

  /** Closes the open group to newcomers: whatever is queued next must come after it. */
  seal(): void {
    this.open = null
    this.openBytes = 0
  }

  private openGroup(): Member[] {
    const group: Member[] = []
    this.open = group
    this.openBytes = 0
    void this.host.schedule(() => this.run(group))
    return group
  }

  /** The group's turn: its writes, then each append's outcome (the fsync is waited for outside the turn). */
  private run(group: Member[]): Promise<void> {
    if (this.open === group) this.seal()
    return this.host.write(group).then(
      () => this.settle(group),
      (error: unknown) => {
        for (const member of group) if (member.info === null) member.reject(error as Error)
        this.settle(group)
      },
    )
  }

  /** Resolves the written members once their flush mode allows, or rejects them if the fsync fails. */
  private settle(group: readonly Member[]): void {
    let endOffset = -1
    for (const member of group) if (member.info !== null) endOffset = Math.max(endOffset, member.info.lastOffset + 1)
    if (endOffset < 0) return
    const durable = this.host.afterWrite(endOffset)
    if (durable === null) {
      resolveWritten(group)
      return
    }
    durable.then(
      () => resolveWritten(group),
      (error: unknown) => {
        for (const member of group) if (member.info !== null) member.reject(error as Error)
      },
    )
  }
}

function resolveWritten(group: readonly Member[]): void {
  for (const member of group) if (member.info !== null) member.resolve(member.info)
}

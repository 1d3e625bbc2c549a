import assert from 'node:assert'
import { forgetKeyIndex } from './key-index.js'
import type { BatchLocation, BatchMeta, Segment } from './segment.js'

/** Files of a partition directory found by the listing at open (see CleanedDirectory). */
export interface ListingAtOpen {
  snapshotOffsets: readonly number[]
  txnIndexOffsets: readonly number[]
  hasLeaderEpochCheckpoint: boolean
}

/**
 * Checked on every change when SEGLOG_CHECK_INVARIANTS=1 (the test suite sets it). Each check is a
 * handful of comparisons plus one pass over the base offsets.
 */
const CHECKS_INVARIANTS = process.env.SEGLOG_CHECK_INVARIANTS === '1'

/**
 * The one owner of a partition's state: its segments in offset order (the last one active) and
 * the points along it: the log start offset, the recovery point, the high watermark and the log
 * end. Everything that changes them goes through a method here, so one check covers every change:
 *
 *   first segment's base <= logStartOffset <= highWatermark <= logEndOffset
 *   recoveryPoint <= logEndOffset
 *   base offsets strictly ascend
 *
 * Changes are synchronous (an append's write completes before its state changes), so no reader
 * sees them half done. Single-threaded, on the event loop.
 */
export class SegmentList {
  private segments: Segment[]
  private logStart: number
  private recovery: number
  /** The embedder's bound on the high watermark, if it set one. */
  private heldHighWatermark: number | null = null
  /** Under the `sync` flush mode readers see only what is durable. */
  private isHighWatermarkDurable = false
  private readonly checksInvariants: boolean
  /**
   * What the directory listing at open showed beyond the segments, for the producer-state replay
   * that follows at once (so a partition is listed once per open); cleared by it, as later replays
   * (after a truncation) must list again.
   */
  listingAtOpen: ListingAtOpen | null = null

  constructor(segments: Segment[], logStartOffset: number, recoveryPoint: number, checksInvariants = CHECKS_INVARIANTS) {
    this.segments = segments
    this.logStart = logStartOffset
    this.recovery = recoveryPoint
    this.checksInvariants = checksInvariants
    this.changed()
  }

  /** The segments, oldest first. */
  get all(): readonly Segment[] {
    return this.segments
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1]!
  }

  get logStartOffset(): number {
    return this.logStart
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.active.nextOffset
  }

  /** Offset below which everything has been fsynced. */
  get recoveryPoint(): number {
    return this.recovery
  }

  /**
   * Readers see offsets below it. It follows the log end, or under `sync` the durable end (so no
   * reader sees a record a crash could take back), unless the embedder holds it lower.
   */
  get highWatermark(): number {
    const end = this.isHighWatermarkDurable ? Math.min(this.recovery, this.logEndOffset) : this.logEndOffset
    const visible = this.heldHighWatermark === null ? end : Math.min(this.heldHighWatermark, end)
    // Never below the log start (Kafka's rule), which never lies above the log end.
    return Math.max(visible, this.logStart)
  }

  get sizeInBytes(): number {
    let total = 0
    for (const segment of this.segments) total += segment.size
    return total
  }

  /** Index of the segment holding `offset`: the last one whose base offset is <= it (0 below all). */
  slotFor(offset: number): number {
    const segments = this.segments
    let low = 0
    let high = segments.length - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if (segments[mid]!.baseOffset <= offset) low = mid
      else high = mid - 1
    }
    return low
  }

  /** Appends whole batches to the active segment (see Segment.append). */
  append(buffers: Buffer[], metas: readonly BatchMeta[]): Promise<void> {
    const appended = this.active.append(buffers, metas)
    // Without checks the append path takes no extra step.
    return this.checksInvariants ? appended.then(() => this.checkInvariants()) : appended
  }

  /** A new active segment (the roll); the previous one is sealed by the caller. */
  addSegment(segment: Segment): void {
    this.segments.push(segment)
    this.changed()
  }

  setHighWatermarkDurable(isDurable: boolean): void {
    this.isHighWatermarkDurable = isDurable
    this.changed()
  }

  /** The embedder's bound on the high watermark (null: none). */
  holdHighWatermark(offset: number | null): void {
    this.heldHighWatermark = offset
    this.changed()
  }

  /** An fsync covered everything below `offset`. */
  advanceRecoveryPoint(offset: number): void {
    this.recovery = Math.max(this.recovery, offset)
    this.changed()
  }

  /** Moves the log start up to `offset`; whether it moved. */
  advanceLogStart(offset: number): boolean {
    if (offset <= this.logStart) return false
    this.logStart = offset
    this.changed()
    return true
  }

  /** Retention: drops the `count` oldest segments from the list and returns them. */
  removeOldest(count: number): Segment[] {
    const removed = this.segments.slice(0, count)
    this.segments = this.segments.slice(count)
    this.logStart = Math.max(this.logStart, this.segments[0]!.baseOffset)
    this.changed()
    return removed
  }

  /** The cleaner's swap: `segment` replaces the `count` segments from `slot` (none of them the active one). */
  replaceSegments(slot: number, count: number, segment: Segment): Segment[] {
    assert(slot + count < this.segments.length, 'the cleaner never replaces the active segment')
    const removed = this.segments.slice(slot, slot + count)
    this.segments = [...this.segments.slice(0, slot), segment, ...this.segments.slice(slot + count)]
    this.changed()
    return removed
  }

  /** Truncation: drops every segment from slot `keep` on and returns them. */
  removeNewest(keep: number): Segment[] {
    const removed = this.segments.slice(keep)
    this.segments = this.segments.slice(0, keep)
    this.clampToLogEnd()
    return removed
  }

  /** Truncation of everything: `segment` (empty) replaces every segment and starts the log. */
  replaceAll(segment: Segment): Segment[] {
    const removed = this.segments
    this.segments = [segment]
    this.logStart = segment.baseOffset
    this.clampToLogEnd()
    return removed
  }

  /** Truncation inside the active segment (see Segment.cutAt, which may throw after cutting). */
  cutActive(location: BatchLocation): void {
    forgetKeyIndex(this.active)
    try {
      this.active.cutAt(location)
    } finally {
      this.clampToLogEnd()
    }
  }

  /** After the log end came down: the log start, recovery point and a held high watermark follow. */
  private clampToLogEnd(): void {
    const end = this.logEndOffset
    this.logStart = Math.min(this.logStart, end)
    this.recovery = Math.min(this.recovery, end)
    if (this.heldHighWatermark !== null) this.heldHighWatermark = Math.min(this.heldHighWatermark, end)
    this.changed()
  }

  private changed(): void {
    if (this.checksInvariants) this.checkInvariants()
  }

  /** Asserts the invariants in the class comment (a failure is a bug in the log, never bad data). */
  checkInvariants(): void {
    const segments = this.segments
    assert(segments.length > 0, 'a partition log always has an active segment')
    for (let slot = 1; slot < segments.length; slot++) {
      assert(segments[slot - 1]!.baseOffset < segments[slot]!.baseOffset, `segment base offsets must ascend (slot ${slot})`)
    }
    const end = this.logEndOffset
    const highWatermark = this.highWatermark
    assert(
      segments[0]!.baseOffset <= this.logStart,
      `the log start ${this.logStart} must not lie below the first segment ${segments[0]!.baseOffset}`,
    )
    assert(this.logStart <= highWatermark, `the log start ${this.logStart} must not pass the high watermark ${highWatermark}`)
    assert(highWatermark <= end, `the high watermark ${highWatermark} must not pass the log end ${end}`)
    assert(this.recovery <= end, `the recovery point ${this.recovery} must not pass the log end ${end}`)
  }
}

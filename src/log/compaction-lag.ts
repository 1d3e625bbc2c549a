import { CorruptRecordError } from '../record/errors.js'
import type { Segment } from './segment.js'

/**
 * Whether the active segment of a compacted topic must roll for `maxCompactionLagMs`: its first
 * batch (by its max timestamp, what a time-based roll goes by) is older than the lag at `nowMs`.
 * The cleaner never touches the active segment, so without a roll a key updated once and then
 * left idle would stay uncompacted for as long as no append comes to roll it.
 */
export function isActiveSegmentOverdue(segments: readonly Segment[], nowMs: number, maxCompactionLagMs: number): boolean {
  const active = segments[segments.length - 1]!
  if (maxCompactionLagMs >= Number.MAX_SAFE_INTEGER || active.isEmpty || !active.acquire()) return false
  try {
    const walk = active.walkHeaders(0)
    return walk.next() && walk.maxTimestamp() >= 0 && walk.maxTimestamp() < nowMs - maxCompactionLagMs
  } catch (error) {
    // A damaged first batch: left alone here, as the lag rules leave damaged segments alone.
    if (error instanceof CorruptRecordError) return false
    throw error
  } finally {
    active.release()
  }
}

/**
 * Which segments retention deletes: a pure decision over a snapshot of the segments, so the rules
 * are tested without a disk. Segments are walked oldest first and the walk stops at the first
 * segment a rule keeps, so deletion always removes a prefix of the log. The active (last)
 * segment is never deleted, nor any segment holding offsets at or above the high watermark.
 */
export interface SegmentSummary {
  baseOffset: number
  /** Offset after the segment: the next segment's base, or the log end for the last one. */
  endOffset: number
  size: number
  /** Largest record timestamp, or -1 when it has none (then `modifiedMs` stands in, as in Kafka). */
  largestTimestamp: number
  modifiedMs: number
}

export interface RetentionLimits {
  retentionMs: number
  retentionBytes: number
  logStartOffset: number
  highWatermark: number
  nowMs: number
}

export type RetentionReason = 'log-start-offset' | 'retention-bytes' | 'retention-ms'

export interface RetentionDecision {
  /** How many of the oldest segments to delete. */
  count: number
  reason: RetentionReason | null
  /** A segment kept only because its timestamps lie in the future (worth a warning). */
  blockedByFutureTimestamp: SegmentSummary | null
}

export function decideRetention(segments: readonly SegmentSummary[], limits: RetentionLimits): RetentionDecision {
  const deletable = (slot: number): boolean => slot < segments.length - 1 && segments[slot]!.endOffset <= limits.highWatermark

  // Kafka's order: log start breaches first, then size, then time.
  let count = 0
  while (deletable(count) && segments[count]!.endOffset <= limits.logStartOffset) count++
  if (count > 0) return { count, reason: 'log-start-offset', blockedByFutureTimestamp: null }

  if (limits.retentionBytes >= 0) {
    let excess = -limits.retentionBytes
    for (const segment of segments) excess += segment.size
    while (deletable(count) && excess - segments[count]!.size >= 0) {
      excess -= segments[count]!.size
      count++
    }
    if (count > 0) return { count, reason: 'retention-bytes', blockedByFutureTimestamp: null }
  }

  let blocked: SegmentSummary | null = null
  if (limits.retentionMs >= 0) {
    while (deletable(count)) {
      const segment = segments[count]!
      const newest = segment.largestTimestamp >= 0 ? segment.largestTimestamp : segment.modifiedMs
      if (limits.nowMs - newest <= limits.retentionMs) {
        if (newest > limits.nowMs) blocked = segment
        break
      }
      count++
    }
  }
  return { count, reason: count > 0 ? 'retention-ms' : null, blockedByFutureTimestamp: blocked }
}

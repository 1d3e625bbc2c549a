import type { Segment } from '../segment.js'

/**
 * Where cleaning must stop: the base offset of the first segment it may not touch. That is the
 * active segment at the latest, any segment reaching the high watermark, and the first segment
 * holding a record younger than `minCompactionLagMs` (Kafka's rules).
 */
export function cleanableEnd(segments: readonly Segment[], highWatermark: number, nowMs: number, minCompactionLagMs: number): number {
  for (let slot = 0; slot < segments.length - 1; slot++) {
    const segment = segments[slot]!
    const next = segments[slot + 1]!.baseOffset
    if (next > highWatermark) return segment.baseOffset
    if (minCompactionLagMs > 0 && safeLargestTimestamp(segment) > nowMs - minCompactionLagMs) return segment.baseOffset
  }
  return segments[segments.length - 1]!.baseOffset
}

/** Bytes below `firstDirty` (cleaned before) and from there to `end` (dirty), by whole segments. */
export function dirtyBytes(segments: readonly Segment[], firstDirty: number, end: number): { clean: number; dirty: number } {
  let clean = 0
  let dirty = 0
  for (let slot = 0; slot < segments.length - 1; slot++) {
    const segment = segments[slot]!
    const next = segments[slot + 1]!.baseOffset
    if (next <= firstDirty) clean += segment.size
    else if (segment.baseOffset < end) dirty += segment.size
  }
  return { clean, dirty }
}

/** A segment's largest timestamp for the lag rules; a damaged segment counts as young (left alone). */
export function safeLargestTimestamp(segment: Segment): number {
  try {
    return segment.largestTimestamp
  } catch {
    return Number.MAX_SAFE_INTEGER
  }
}

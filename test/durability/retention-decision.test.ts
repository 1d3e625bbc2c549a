import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decideRetention, type RetentionLimits, type SegmentSummary } from '../../src/log/retention.js'

/** Unit tests for the pure retention decision (docs/durability.md, Retention), no disk involved. */

const NOW = 1_700_000_000_000

/** Segments of `sizes` bytes, 10 offsets each, newest timestamps as given (or ascending by default). */
function segments(sizes: number[], newest?: number[]): SegmentSummary[] {
  return sizes.map((size, slot) => ({
    baseOffset: slot * 10,
    endOffset: slot * 10 + 10,
    size,
    largestTimestamp: newest?.[slot] ?? NOW - (sizes.length - slot) * 1000,
    modifiedMs: NOW,
  }))
}

function limits(overrides: Partial<RetentionLimits>): RetentionLimits {
  return { retentionMs: -1, retentionBytes: -1, logStartOffset: 0, highWatermark: Number.MAX_SAFE_INTEGER, nowMs: NOW, ...overrides }
}

describe('decideRetention', () => {
  it('keeps everything when no limit is set', () => {
    expect(decideRetention(segments([100, 100, 100]), limits({}))).toEqual({ count: 0, reason: null, blockedByFutureTimestamp: null })
  })

  it('never deletes the last (active) segment, whatever the limits', () => {
    const all = segments([100, 100, 100])
    expect(decideRetention(all, limits({ retentionMs: 0, nowMs: NOW + 1e9 })).count).toBe(2)
    expect(decideRetention(all, limits({ retentionBytes: 0 })).count).toBe(2)
    expect(decideRetention(all, limits({ logStartOffset: 1000 })).count).toBe(2)
    expect(
      decideRetention(segments([100]), limits({ retentionMs: 0, retentionBytes: 0, logStartOffset: 1000, nowMs: NOW + 1e9 })).count,
    ).toBe(0)
    expect(decideRetention([], limits({ retentionBytes: 0 })).count).toBe(0)
  })

  it('never deletes a segment holding offsets at or above the high watermark', () => {
    const all = segments([100, 100, 100, 100])
    expect(decideRetention(all, limits({ retentionBytes: 0, highWatermark: 20 })).count).toBe(2)
    expect(decideRetention(all, limits({ retentionBytes: 0, highWatermark: 19 })).count).toBe(1)
    expect(decideRetention(all, limits({ logStartOffset: 40, highWatermark: 5 })).count).toBe(0)
  })

  it('deletes segments wholly below the log start offset first, and stops there', () => {
    const all = segments([100, 100, 100, 100])
    // Offset 25 lies inside segment 2: segments 0 and 1 end at or below it.
    expect(decideRetention(all, limits({ logStartOffset: 25, retentionBytes: 0 }))).toEqual({
      count: 2,
      reason: 'log-start-offset',
      blockedByFutureTimestamp: null,
    })
    expect(decideRetention(all, limits({ logStartOffset: 20 })).count).toBe(2)
    expect(decideRetention(all, limits({ logStartOffset: 19 })).count).toBe(1)
  })

  it('size: deletes the oldest while the rest still holds retentionBytes', () => {
    const all = segments([100, 100, 100, 100])
    expect(decideRetention(all, limits({ retentionBytes: 250 }))).toEqual({
      count: 1,
      reason: 'retention-bytes',
      blockedByFutureTimestamp: null,
    })
    expect(decideRetention(all, limits({ retentionBytes: 200 })).count).toBe(2)
    expect(decideRetention(all, limits({ retentionBytes: 400 })).count).toBe(0)
    expect(decideRetention(all, limits({ retentionBytes: 399 })).count).toBe(0)
  })

  it('time: deletes while the newest record is older than retentionMs, stopping at the first young segment', () => {
    const all = segments([1, 1, 1, 1], [NOW - 5000, NOW - 100, NOW - 5000, NOW])
    expect(decideRetention(all, limits({ retentionMs: 1000 }))).toEqual({
      count: 1,
      reason: 'retention-ms',
      blockedByFutureTimestamp: null,
    })
    // Exactly retentionMs old is kept (Kafka deletes when now - largest > retention.ms).
    expect(decideRetention(segments([1, 1], [NOW - 1000, NOW]), limits({ retentionMs: 1000 })).count).toBe(0)
    expect(decideRetention(segments([1, 1], [NOW - 1001, NOW]), limits({ retentionMs: 1000 })).count).toBe(1)
  })

  it('time: a segment without timestamps falls back to its modification time', () => {
    const all: SegmentSummary[] = [
      { baseOffset: 0, endOffset: 10, size: 1, largestTimestamp: -1, modifiedMs: NOW - 5000 },
      { baseOffset: 10, endOffset: 20, size: 1, largestTimestamp: -1, modifiedMs: NOW },
      { baseOffset: 20, endOffset: 30, size: 1, largestTimestamp: NOW, modifiedMs: NOW },
    ]
    expect(decideRetention(all, limits({ retentionMs: 1000 })).count).toBe(1)
  })

  it('time: a future timestamp blocks deletion of its segment and everything after, and is reported', () => {
    const future = NOW + 86_400_000
    const all = segments([1, 1, 1, 1], [NOW - 5000, future, NOW - 5000, NOW - 5000])
    const decision = decideRetention(all, limits({ retentionMs: 1000 }))
    expect(decision.count).toBe(1)
    expect(decision.reason).toBe('retention-ms')
    expect(decision.blockedByFutureTimestamp).toEqual(all[1])
    // A segment that is merely young is not reported.
    expect(decideRetention(segments([1, 1], [NOW, NOW]), limits({ retentionMs: 1000 })).blockedByFutureTimestamp).toBeNull()
  })

  it('properties: deletes a prefix, never the last segment or past the high watermark, and each deleted segment breaks the rule named', () => {
    const arbitrary = fc.record({
      sizes: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 0, maxLength: 12 }),
      ages: fc.array(fc.integer({ min: -10_000, max: 100_000 }), { minLength: 12, maxLength: 12 }),
      retentionMs: fc.integer({ min: -1, max: 50_000 }),
      retentionBytes: fc.integer({ min: -1, max: 8000 }),
      logStartOffset: fc.integer({ min: 0, max: 130 }),
      highWatermark: fc.integer({ min: 0, max: 130 }),
    })
    fc.assert(
      fc.property(arbitrary, ({ sizes, ages, retentionMs, retentionBytes, logStartOffset, highWatermark }) => {
        const all = segments(
          sizes,
          sizes.map((_, slot) => NOW - ages[slot]!),
        )
        const chosen = limits({ retentionMs, retentionBytes, logStartOffset, highWatermark })
        const { count, reason } = decideRetention(all, chosen)
        expect(count).toBeGreaterThanOrEqual(0)
        expect(count).toBeLessThanOrEqual(Math.max(0, all.length - 1))
        expect(reason === null).toBe(count === 0)
        const deleted = all.slice(0, count)
        for (const segment of deleted) expect(segment.endOffset).toBeLessThanOrEqual(highWatermark)
        if (reason === 'log-start-offset') for (const segment of deleted) expect(segment.endOffset).toBeLessThanOrEqual(logStartOffset)
        if (reason === 'retention-ms') for (const segment of deleted) expect(NOW - segment.largestTimestamp).toBeGreaterThan(retentionMs)
        if (reason === 'retention-bytes') {
          const total = all.reduce((sum, segment) => sum + segment.size, 0)
          expect(total - deleted.reduce((sum, segment) => sum + segment.size, 0)).toBeGreaterThanOrEqual(retentionBytes)
        }
      }),
      { numRuns: 2000 },
    )
  })
})

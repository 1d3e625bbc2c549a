import { AssertionError } from 'node:assert'
import { describe, expect, it } from 'vitest'
import { SegmentList } from '../../src/log/segment-list.js'
import type { BatchLocation, BatchMeta, Segment } from '../../src/log/segment.js'

/**
 * The SegmentList's invariant (first base <= log start <= high watermark <= log end, recovery
 * point <= log end, base offsets ascending), checked on every change. Segments are stand-ins that
 * only keep offsets: the list never touches a file itself.
 */

interface FakeSegment {
  baseOffset: number
  nextOffset: number
  size: number
  append(buffers: Buffer[], metas: readonly BatchMeta[]): Promise<void>
  cutAt(location: BatchLocation): void
}

function fakeSegment(baseOffset: number, nextOffset = baseOffset, options: { cutFails?: boolean } = {}): Segment {
  const segment: FakeSegment = {
    baseOffset,
    nextOffset,
    size: (nextOffset - baseOffset) * 100,
    async append(_buffers, metas) {
      for (const meta of metas) segment.nextOffset = meta.lastOffset + 1
    },
    cutAt(location) {
      segment.nextOffset = location.baseOffset
      if (options.cutFails) throw new Error('damage before the cut')
    },
  }
  return segment as unknown as Segment
}

function list(segments: Segment[], logStart: number, recoveryPoint: number, checks = true): SegmentList {
  return new SegmentList(segments, logStart, recoveryPoint, checks)
}

const meta = (baseOffset: number, lastOffset: number): BatchMeta => ({ baseOffset, lastOffset, maxTimestamp: 0, size: 100 })

describe('SegmentList invariant', () => {
  it('holds for a well-formed list and reports the points', () => {
    const segments = list([fakeSegment(0, 10), fakeSegment(10, 25)], 3, 10)
    expect(segments.logStartOffset).toBe(3)
    expect(segments.logEndOffset).toBe(25)
    expect(segments.recoveryPoint).toBe(10)
    expect(segments.highWatermark).toBe(25)
    expect(segments.slotFor(0)).toBe(0)
    expect(segments.slotFor(9)).toBe(0)
    expect(segments.slotFor(10)).toBe(1)
    expect(segments.slotFor(1_000)).toBe(1)
  })

  it('refuses a log start below the first segment, above the log end, or a recovery point past the log end', () => {
    expect(() => list([fakeSegment(5, 10)], 4, 5)).toThrow(AssertionError)
    expect(() => list([fakeSegment(0, 10)], 11, 5)).toThrow(AssertionError)
    expect(() => list([fakeSegment(0, 10)], 0, 11)).toThrow(AssertionError)
    expect(() => list([], 0, 0)).toThrow(AssertionError)
  })

  it('refuses segments whose base offsets do not ascend', () => {
    expect(() => list([fakeSegment(10, 12), fakeSegment(10, 12)], 10, 10)).toThrow(AssertionError)
    const segments = list([fakeSegment(0, 10)], 0, 0)
    expect(() => segments.addSegment(fakeSegment(0))).toThrow(AssertionError)
  })

  it('checks a recovery point moved past the log end', () => {
    const segments = list([fakeSegment(0, 10)], 0, 0)
    segments.advanceRecoveryPoint(10)
    expect(segments.recoveryPoint).toBe(10)
    // Never moves back.
    segments.advanceRecoveryPoint(4)
    expect(segments.recoveryPoint).toBe(10)
    expect(() => segments.advanceRecoveryPoint(11)).toThrow(AssertionError)
  })

  it('checks a log start moved past the log end, and says whether it moved', () => {
    const segments = list([fakeSegment(0, 10)], 0, 0)
    expect(segments.advanceLogStart(4)).toBe(true)
    expect(segments.advanceLogStart(4)).toBe(false)
    expect(segments.advanceLogStart(2)).toBe(false)
    expect(segments.logStartOffset).toBe(4)
    expect(() => segments.advanceLogStart(11)).toThrow(AssertionError)
  })

  it('checks after an append moved the log end', async () => {
    const segments = list([fakeSegment(0, 10)], 0, 10)
    await segments.append([], [meta(10, 14)])
    expect(segments.logEndOffset).toBe(15)
    expect(segments.highWatermark).toBe(15)
  })

  it('follows the durable end under sync, and a held high watermark, never going below the log start', () => {
    const segments = list([fakeSegment(0, 20)], 5, 8)
    segments.setHighWatermarkDurable(true)
    expect(segments.highWatermark).toBe(8)
    segments.holdHighWatermark(6)
    expect(segments.highWatermark).toBe(6)
    segments.holdHighWatermark(2)
    expect(segments.highWatermark).toBe(5)
    segments.setHighWatermarkDurable(false)
    segments.holdHighWatermark(null)
    expect(segments.highWatermark).toBe(20)
  })

  it('retention: dropping the oldest segments moves the log start to the first one left', () => {
    const first = fakeSegment(0, 10)
    const segments = list([first, fakeSegment(10, 20), fakeSegment(20, 30)], 2, 30)
    expect(segments.removeOldest(1)).toEqual([first])
    expect(segments.logStartOffset).toBe(10)
    expect(segments.all.map((segment) => segment.baseOffset)).toEqual([10, 20])
  })

  it('truncation: dropping the newest segments brings the log start, recovery point and held high watermark down', () => {
    const segments = list([fakeSegment(0, 10), fakeSegment(10, 20), fakeSegment(20, 30)], 25, 30)
    segments.holdHighWatermark(28)
    segments.removeNewest(1)
    expect(segments.logEndOffset).toBe(10)
    expect(segments.logStartOffset).toBe(10)
    expect(segments.recoveryPoint).toBe(10)
    expect(segments.highWatermark).toBe(10)
  })

  it('truncation of everything: one empty segment starts the log', () => {
    const segments = list([fakeSegment(0, 10), fakeSegment(10, 20)], 5, 20)
    const removed = segments.replaceAll(fakeSegment(3))
    expect(removed.map((segment) => segment.baseOffset)).toEqual([0, 10])
    expect([segments.logStartOffset, segments.recoveryPoint, segments.logEndOffset]).toEqual([3, 3, 3])
  })

  it('a cut inside the active segment keeps the invariant even when the cut throws', () => {
    const segments = list([fakeSegment(0, 10), fakeSegment(10, 20, { cutFails: true })], 0, 20)
    expect(() => segments.cutActive({ position: 0, size: 100, baseOffset: 14, lastOffset: 15 })).toThrow('damage before the cut')
    expect(segments.logEndOffset).toBe(14)
    expect(segments.recoveryPoint).toBe(14)
  })

  it('checks nothing when the checks are off (outside tests)', () => {
    expect(() => list([fakeSegment(0, 10)], 0, 11, false)).not.toThrow()
  })
})

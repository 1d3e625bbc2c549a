import { describe, expect, it } from 'vitest'
import {
  decodeProgress,
  destinationOffsetOf,
  encodeProgress,
  MAX_RUNS,
  newProgress,
  recordCopied,
} from '../../../src/cli/mirror/mirror-progress.js'

describe('mirror progress', () => {
  it('translates a commit to the destination offset of the first record at or after it, across gaps', () => {
    const progress = newProgress(10, 100)
    // Source offsets 10, 11, 12, then a gap (compacted or control records), then 15, 16.
    recordCopied(progress, [10, 11, 12, 15, 16], 100)
    expect(progress).toEqual({
      sourceNext: 17,
      dest: 105,
      copied: [
        [10, 13, 100],
        [15, 17, 103],
      ],
    })
    expect(destinationOffsetOf(progress, 10)).toBe(100)
    expect(destinationOffsetOf(progress, 12)).toBe(102)
    expect(destinationOffsetOf(progress, 13)).toBe(103)
    expect(destinationOffsetOf(progress, 15)).toBe(103)
    expect(destinationOffsetOf(progress, 16)).toBe(104)
    expect(destinationOffsetOf(progress, 17)).toBe(105)
    expect(destinationOffsetOf(progress, 40)).toBe(105)
    expect(destinationOffsetOf(progress, 3)).toBe(100)
  })

  it('starts a new run where the destination jumped, and merges consecutive chunks into one run', () => {
    const progress = newProgress(0, 0)
    recordCopied(progress, [0, 1], 0)
    recordCopied(progress, [2, 3], 2)
    recordCopied(progress, [4], 9)
    expect(progress.copied).toEqual([
      [0, 4, 0],
      [4, 5, 9],
    ])
    expect(destinationOffsetOf(progress, 4)).toBe(9)
  })

  it('keeps at most MAX_RUNS runs, dropping the oldest', () => {
    const progress = newProgress(0, 0)
    recordCopied(
      progress,
      Array.from({ length: MAX_RUNS + 10 }, (_, n) => n * 2),
      0,
    )
    expect(progress.copied.length).toBe(MAX_RUNS)
    expect(progress.copied[0]).toEqual([20, 21, 10])
    expect(destinationOffsetOf(progress, 0)).toBe(10)
  })

  it('round-trips through JSON, reads the earlier layout as one run, and refuses what is not progress', () => {
    const progress = newProgress(0, 50)
    recordCopied(progress, [0, 1, 2], 50)
    expect(decodeProgress(0, encodeProgress(progress))).toEqual(progress)
    expect(decodeProgress(6000, JSON.stringify({ from: 0, dest: 6000, start: 0, groups: {} }))).toEqual({
      sourceNext: 6000,
      dest: 6000,
      copied: [[0, 6000, 0]],
    })
    expect(decodeProgress(5, 'not json')).toBeNull()
    expect(decodeProgress(5, '{"dest":1}')).toBeNull()
    expect(decodeProgress(5, '{"dest":1,"copied":[[1,2]]}')).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import {
  decodeProgress,
  destinationOffsetOf,
  encodeProgress,
  translateChunk,
  type PartitionProgress,
} from '../../../src/cli/mirror/mirror-progress.js'

describe('mirror progress', () => {
  it('translates a commit to the destination offset of the first record at or after it, across gaps', () => {
    const progress: PartitionProgress = { sourceNext: 10, from: 10, dest: 100, start: 100, groups: {} }
    const commits = new Map([
      ['at-first', 10],
      ['in-gap', 13],
      ['on-record', 15],
      ['later', 40],
    ])
    // Source offsets 10, 11, 12, then a gap (compacted or control records), then 15, 16.
    translateChunk(progress, commits, [10, 11, 12, 15, 16], 100)
    expect(progress.groups).toEqual({ 'at-first': 100, 'in-gap': 103, 'on-record': 103 })
    progress.sourceNext = 17
    progress.dest = 105
    expect(destinationOffsetOf(progress, 'later', 40)).toBe(105)
    expect(destinationOffsetOf(progress, 'below-start', 3)).toBe(100)
  })

  it('keeps a translation once made and round-trips through the commit metadata', () => {
    const progress: PartitionProgress = { sourceNext: 0, from: 0, dest: 0, start: 0, groups: { g: 7 } }
    translateChunk(progress, new Map([['g', 0]]), [0, 1], 50)
    expect(progress.groups.g).toBe(7)
    expect(decodeProgress(0, encodeProgress(progress))).toEqual(progress)
    expect(decodeProgress(5, 'not json')).toBeNull()
    expect(decodeProgress(5, '{"dest":1}')).toBeNull()
  })
})

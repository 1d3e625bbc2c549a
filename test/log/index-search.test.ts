import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ceilingSlot, floorSlot } from '../../src/log/index-search.js'

/** The obvious linear versions: the oracle. */
function linearFloor(keys: ArrayLike<number>, count: number, target: number): number {
  let found = -1
  for (let slot = 0; slot < count; slot++) if (keys[slot]! <= target) found = slot
  return found
}

function linearCeiling(keys: ArrayLike<number>, count: number, target: number): number {
  for (let slot = 0; slot < count; slot++) if (keys[slot]! >= target) return slot
  return -1
}

/** Strictly ascending keys (as both index columns are), as a plain array. */
const ascendingKeys = fc
  .uniqueArray(fc.integer({ min: -1_000_000, max: 1_000_000 }), { maxLength: 200 })
  .map((keys) => keys.sort((a, b) => a - b))

describe('floorSlot and ceilingSlot', () => {
  it('return -1 on an empty array, whatever the target', () => {
    for (const target of [-1, 0, 1, Number.MAX_SAFE_INTEGER]) {
      expect(floorSlot(new Int32Array(0), 0, target)).toBe(-1)
      expect(ceilingSlot(new Int32Array(0), 0, target)).toBe(-1)
    }
  })

  it('handle a single key: below, equal, above', () => {
    const keys = Int32Array.of(10)
    expect([floorSlot(keys, 1, 9), floorSlot(keys, 1, 10), floorSlot(keys, 1, 11)]).toEqual([-1, 0, 0])
    expect([ceilingSlot(keys, 1, 9), ceilingSlot(keys, 1, 10), ceilingSlot(keys, 1, 11)]).toEqual([0, 0, -1])
  })

  it('find exact hits and fall between keys on many keys', () => {
    const keys = Int32Array.from({ length: 100 }, (_, slot) => slot * 10)
    expect(floorSlot(keys, 100, 0)).toBe(0)
    expect(floorSlot(keys, 100, 990)).toBe(99)
    expect(floorSlot(keys, 100, 995)).toBe(99)
    expect(floorSlot(keys, 100, 455)).toBe(45)
    expect(ceilingSlot(keys, 100, 455)).toBe(46)
    expect(ceilingSlot(keys, 100, 450)).toBe(45)
    expect(ceilingSlot(keys, 100, -5)).toBe(0)
    expect(ceilingSlot(keys, 100, 991)).toBe(-1)
  })

  it('only look at the first `count` cells (the columns have spare capacity)', () => {
    const keys = Int32Array.of(1, 2, 3, 0, 0, 0)
    expect(floorSlot(keys, 3, 100)).toBe(2)
    expect(ceilingSlot(keys, 3, 0)).toBe(0)
    expect(ceilingSlot(keys, 3, 4)).toBe(-1)
  })

  it('work on Float64Array columns with 64-bit timestamps', () => {
    const keys = Float64Array.of(1_700_000_000_000, 32_503_680_000_000, Number.MAX_SAFE_INTEGER)
    expect(floorSlot(keys, 3, 32_503_680_000_000)).toBe(1)
    expect(floorSlot(keys, 3, Number.MAX_SAFE_INTEGER - 1)).toBe(1)
    expect(ceilingSlot(keys, 3, 1_700_000_000_001)).toBe(1)
  })

  it('agree with a linear scan for any ascending keys and targets (Int32Array and plain arrays)', () => {
    fc.assert(
      fc.property(ascendingKeys, fc.array(fc.integer({ min: -1_100_000, max: 1_100_000 }), { maxLength: 20 }), (keys, randomTargets) => {
        // Every key, each key's neighbours, and random targets.
        const targets = [...randomTargets, ...keys.flatMap((key) => [key - 1, key, key + 1])]
        const column = Int32Array.from(keys)
        for (const target of targets) {
          expect(floorSlot(column, column.length, target)).toBe(linearFloor(keys, keys.length, target))
          expect(ceilingSlot(column, column.length, target)).toBe(linearCeiling(keys, keys.length, target))
          expect(floorSlot(keys, keys.length, target)).toBe(linearFloor(keys, keys.length, target))
        }
      }),
      { numRuns: 300 },
    )
  })

  it('agree with a linear scan on a prefix of a longer column', () => {
    fc.assert(
      fc.property(ascendingKeys, fc.nat(), fc.integer({ min: -1_100_000, max: 1_100_000 }), (keys, cut, target) => {
        const count = keys.length === 0 ? 0 : cut % (keys.length + 1)
        expect(floorSlot(keys, count, target)).toBe(linearFloor(keys, count, target))
        expect(ceilingSlot(keys, count, target)).toBe(linearCeiling(keys, count, target))
      }),
      { numRuns: 300 },
    )
  })
})

import { AssertionError } from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { TimeIndex } from '../../src/log/time-index.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { appendGarbage, truncateFile, zeroFill } from '../helpers/files.js'
import { expectCorruptIndex } from '../helpers/errors.js'

afterEach(removeTmpDirs)

const BASE = 1_000
const MAX_INDEX_BYTES = 12 * 1024
const T0 = 1_700_000_000_000
const YEAR_3000 = 32_503_680_000_000

async function indexFile(): Promise<string> {
  return path.join(await makeTmpDir(), '00000000000000001000.timeindex')
}

function newIndex(file: string, maxIndexBytes = MAX_INDEX_BYTES): TimeIndex {
  const index = new TimeIndex(file, BASE, maxIndexBytes, true)
  index.reset()
  return index
}

function openIndex(file: string, maxIndexBytes = MAX_INDEX_BYTES): TimeIndex {
  return new TimeIndex(file, BASE, maxIndexBytes, false)
}

interface Entry {
  timestamp: number
  offset: number
}

/** Kafka's time-index lookup over a sorted array: the largest entry with timestamp <= target. */
function oracleLookup(entries: readonly Entry[], target: number): Entry {
  let found: Entry = { timestamp: -1, offset: BASE }
  for (const entry of entries) if (entry.timestamp <= target) found = entry
  return found
}

/**
 * The model of maybeAppend: a candidate (running max, its batch's last offset) is kept only when its
 * timestamp is above the last kept one. Candidates come from batches in offset order with any
 * timestamps (out of order, equal, -1), the way a segment produces them.
 */
function modelEntries(candidates: readonly Entry[]): Entry[] {
  const kept: Entry[] = []
  for (const candidate of candidates) {
    const last = kept[kept.length - 1]
    if (candidate.timestamp < 0 || (last !== undefined && candidate.timestamp <= last.timestamp)) continue
    kept.push(candidate)
  }
  return kept
}

/** Batches in offset order with arbitrary max timestamps -> the (running max, offset of max) candidates. */
const candidatesArbitrary = fc
  .array(
    fc.tuple(
      fc.integer({ min: 1, max: 50 }),
      fc.oneof(fc.integer({ min: T0, max: T0 + 500 }), fc.constant(-1), fc.constant(0), fc.constant(YEAR_3000)),
    ),
    { maxLength: 150 },
  )
  .map((batches) => {
    let lastOffset = BASE - 1
    let maxTimestamp = -1
    let offsetOfMax = -1
    const candidates: Entry[] = []
    for (const [recordCount, batchMaxTimestamp] of batches) {
      lastOffset += recordCount
      if (batchMaxTimestamp > maxTimestamp) {
        maxTimestamp = batchMaxTimestamp
        offsetOfMax = lastOffset
      }
      candidates.push({ timestamp: maxTimestamp, offset: offsetOfMax < 0 ? lastOffset : offsetOfMax })
    }
    return candidates
  })

describe('TimeIndex', () => {
  it('writes big-endian 12-byte entries: int64 timestamp, then int32 relative offset', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    index.maybeAppend(T0, BASE + 5)
    index.maybeAppend(YEAR_3000, BASE + 0x0102)
    index.flush()
    expect(fs.readFileSync(file).toString('hex')).toBe('0000018bcfe56800' + '00000005' + '00001d8fda4ce000' + '00000102')
  })

  it('skips a timestamp equal to or below the last entry, and negative ones', async () => {
    const index = newIndex(await indexFile())
    index.maybeAppend(-1, BASE)
    expect(index.entries).toBe(0)
    index.maybeAppend(T0 + 10, BASE + 3)
    index.maybeAppend(T0 + 10, BASE + 4)
    index.maybeAppend(T0 + 9, BASE + 5)
    index.maybeAppend(-1, BASE + 6)
    index.maybeAppend(T0 + 11, BASE + 7)
    expect([...index.entriesInOrder()]).toEqual([
      { timestamp: T0 + 10, offset: BASE + 3 },
      { timestamp: T0 + 11, offset: BASE + 7 },
    ])
  })

  it('answers a lookup below the first entry with (-1, base offset)', async () => {
    const index = newIndex(await indexFile())
    expect(index.lookup(T0)).toEqual({ timestamp: -1, offset: BASE })
    index.maybeAppend(T0 + 10, BASE + 3)
    expect(index.lookup(T0 + 9)).toEqual({ timestamp: -1, offset: BASE })
    expect(index.lookup(T0 + 10)).toEqual({ timestamp: T0 + 10, offset: BASE + 3 })
    expect(index.lookup(YEAR_3000)).toEqual({ timestamp: T0 + 10, offset: BASE + 3 })
  })

  it('agrees with a sorted-array oracle for out-of-order, equal, -1 and far-future timestamps', async () => {
    const file = await indexFile()
    await fc.assert(
      fc.asyncProperty(
        candidatesArbitrary,
        fc.array(fc.integer({ min: -1, max: T0 + 600 }), { maxLength: 20 }),
        async (candidates, randomTargets) => {
          const index = newIndex(file)
          for (const candidate of candidates) index.maybeAppend(candidate.timestamp, candidate.offset)
          const entries = modelEntries(candidates)
          expect([...index.entriesInOrder()]).toEqual(entries)
          const targets = [
            ...randomTargets,
            0,
            YEAR_3000,
            YEAR_3000 + 1,
            ...entries.flatMap((entry) => [entry.timestamp - 1, entry.timestamp, entry.timestamp + 1]),
          ]
          for (const target of targets) expect(index.lookup(target)).toEqual(oracleLookup(entries, target))

          index.flush()
          expect(fs.statSync(file).size).toBe(entries.length * 12)
          const reopened = openIndex(file)
          expect([...reopened.entriesInOrder()]).toEqual(entries)
          for (const target of targets) expect(reopened.lookup(target)).toEqual(oracleLookup(entries, target))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('reserves its last slot: full one entry early, and only a closing append may use the slot', async () => {
    const index = newIndex(await indexFile(), 48)
    expect(index.maxEntries).toBe(4)
    index.maybeAppend(T0 + 1, BASE + 1)
    index.maybeAppend(T0 + 2, BASE + 2)
    expect(index.isFull()).toBe(false)
    index.maybeAppend(T0 + 3, BASE + 3)
    expect(index.entries).toBe(3)
    expect(index.isFull()).toBe(true)
    expect(() => index.maybeAppend(T0 + 4, BASE + 4)).toThrow(AssertionError)
    index.maybeAppend(T0 + 4, BASE + 4, true)
    expect(index.entries).toBe(4)
    expect(index.lastEntry()).toEqual({ timestamp: T0 + 4, offset: BASE + 4 })
    expect(() => index.maybeAppend(T0 + 5, BASE + 5, true)).toThrow(AssertionError)
    // A closing append whose timestamp is not larger is skipped, even when the index is full.
    expect(() => index.maybeAppend(T0 + 4, BASE + 5, true)).not.toThrow()
  })

  it('truncateTo drops entries at or after an offset, exact hit or between entries', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    index.maybeAppend(T0 + 1, BASE + 10)
    index.maybeAppend(T0 + 2, BASE + 20)
    index.maybeAppend(T0 + 3, BASE + 30)
    index.flush()
    index.truncateTo(BASE + 25)
    expect([...index.entriesInOrder()].map((entry) => entry.offset)).toEqual([BASE + 10, BASE + 20])
    expect(fs.statSync(file).size).toBe(24)
    index.truncateTo(BASE + 20)
    expect([...index.entriesInOrder()].map((entry) => entry.offset)).toEqual([BASE + 10])
    expect(fs.statSync(file).size).toBe(12)
    // After the cut, the next entry only needs to beat the remaining last timestamp.
    index.maybeAppend(T0 + 2, BASE + 11)
    index.flush()
    expect([...openIndex(file).entriesInOrder()]).toEqual([
      { timestamp: T0 + 1, offset: BASE + 10 },
      { timestamp: T0 + 2, offset: BASE + 11 },
    ])
  })

  it('accepts equal offsets with rising timestamps (the format allows them), not falling offsets', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    index.maybeAppend(T0 + 1, BASE + 10)
    index.maybeAppend(T0 + 2, BASE + 10)
    index.flush()
    expect(openIndex(file).entries).toBe(2)
    expect(() => index.maybeAppend(T0 + 3, BASE + 9)).toThrow(AssertionError)
  })

  describe('sanity checks raise CorruptIndexError', () => {
    async function writtenIndex(hex: string): Promise<{ file: string; index: TimeIndex }> {
      const file = await indexFile()
      fs.writeFileSync(file, Buffer.from(hex, 'hex'))
      return { file, index: openIndex(file) }
    }

    it('for a size that is not a multiple of 12', async () => {
      const { file, index } = await writtenIndex('0000018bcfe5680000000005' + '0000')
      expectCorruptIndex(() => index.entries, file, 14)
    })

    it('for appended garbage and for a cut to an odd size', async () => {
      const file = await indexFile()
      const index = newIndex(file)
      index.maybeAppend(T0, BASE + 1)
      index.maybeAppend(T0 + 1, BASE + 2)
      index.flush()
      appendGarbage(file, 5)
      expectCorruptIndex(() => openIndex(file).entries, file, 29)
      truncateFile(file, 13)
      expectCorruptIndex(() => openIndex(file).entries, file, 13)
    })

    it('for equal or falling timestamps', async () => {
      const equal = await writtenIndex('0000018bcfe5680000000005' + '0000018bcfe5680000000006')
      expectCorruptIndex(() => equal.index.lookup(T0), equal.file, 12)
      const falling = await writtenIndex('0000018bcfe5680000000005' + '0000018bcfe567ff00000006')
      expectCorruptIndex(() => falling.index.lookup(T0), falling.file, 12)
    })

    it('for falling offsets', async () => {
      const { file, index } = await writtenIndex('0000018bcfe5680000000005' + '0000018bcfe5680100000004')
      expectCorruptIndex(() => index.entries, file, 12)
    })

    it('for a negative or unsafe timestamp', async () => {
      const negative = await writtenIndex('ffffffffffffffff00000005')
      expectCorruptIndex(() => negative.index.entries, negative.file, 0)
      const unsafe = await writtenIndex('0000018bcfe5680000000005' + '7fffffffffffffff00000006')
      expectCorruptIndex(() => unsafe.index.entries, unsafe.file, 12)
    })

    it('for a zero-filled file', async () => {
      const file = await indexFile()
      const index = newIndex(file)
      for (let slot = 1; slot <= 3; slot++) index.maybeAppend(T0 + slot, BASE + slot)
      index.flush()
      zeroFill(file)
      expectCorruptIndex(() => openIndex(file).entries, file, 12)
    })

    it('for more entries than the index may hold', async () => {
      const file = await indexFile()
      const entries = [1, 2, 3].map((slot) => `0000018bcfe568${slot.toString(16).padStart(2, '0')}0000000${slot}`)
      fs.writeFileSync(file, Buffer.from(entries.join(''), 'hex'))
      expectCorruptIndex(() => openIndex(file, 24).entries, file, 24)
    })

    it('for a last entry at or past the segment next offset (beyond the log)', async () => {
      const { file, index } = await writtenIndex('0000018bcfe5680000000005' + '0000018bcfe5680100000009')
      expect(() => index.sanityCheck(BASE + 10)).not.toThrow()
      expectCorruptIndex(() => index.sanityCheck(BASE + 9), file, 20)
      expect(() => index.sanityCheck(null)).not.toThrow()
    })
  })
})

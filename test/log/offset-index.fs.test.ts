import { AssertionError } from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { OffsetIndex } from '../../src/log/offset-index.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { appendGarbage, flipByte, truncateFile, zeroFill } from '../helpers/files.js'
import { expectCorruptIndex } from '../helpers/errors.js'

afterEach(removeTmpDirs)

const BASE = 1_000
const MAX_INDEX_BYTES = 8 * 1024

async function indexFile(): Promise<string> {
  return path.join(await makeTmpDir(), '00000000000000001000.index')
}

function newIndex(file: string, maxIndexBytes = MAX_INDEX_BYTES, baseOffset = BASE): OffsetIndex {
  const index = new OffsetIndex(file, baseOffset, maxIndexBytes, true)
  index.reset()
  return index
}

/** Opens an index file that already exists, as a segment opened after a restart does. */
function openIndex(file: string, maxIndexBytes = MAX_INDEX_BYTES, baseOffset = BASE): OffsetIndex {
  return new OffsetIndex(file, baseOffset, maxIndexBytes, false)
}

/** Kafka's lookup against a sorted array: the largest entry <= target, else (base, 0). */
function oracleLookup(entries: readonly { offset: number; position: number }[], target: number): { offset: number; position: number } {
  let found = { offset: BASE, position: 0 }
  for (const entry of entries) if (entry.offset <= target) found = entry
  return found
}

/** Strictly ascending (offset, position) pairs from strictly positive gaps. */
const entriesArbitrary = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 100_000 })), { maxLength: 120 })
  .map((gaps) => {
    let offset = BASE
    let position = 0
    return gaps.map(([offsetGap, positionGap]) => {
      offset += offsetGap
      position += positionGap
      return { offset, position }
    })
  })

describe('OffsetIndex', () => {
  it('writes big-endian 8-byte entries: relative offset, then position', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    index.append(BASE + 5, 4096)
    index.append(BASE + 0x0102, 0x01020304)
    expect(fs.existsSync(file)).toBe(false) // staged until flush, which writes the file
    index.flush()
    expect(fs.readFileSync(file).toString('hex')).toBe('00000005' + '00001000' + '00000102' + '01020304')
  })

  it('answers lookups below the first entry with the segment base at position 0', async () => {
    const index = newIndex(await indexFile())
    expect(index.lookup(BASE)).toEqual({ offset: BASE, position: 0 })
    index.append(BASE + 10, 500)
    expect(index.lookup(BASE + 9)).toEqual({ offset: BASE, position: 0 })
    expect(index.lookup(BASE - 1)).toEqual({ offset: BASE, position: 0 })
    expect(index.lookup(BASE + 10)).toEqual({ offset: BASE + 10, position: 500 })
    expect(index.lookup(Number.MAX_SAFE_INTEGER)).toEqual({ offset: BASE + 10, position: 500 })
  })

  it('agrees with a sorted-array oracle, before and after flush and reopen', async () => {
    const file = await indexFile()
    await fc.assert(
      fc.asyncProperty(
        entriesArbitrary,
        fc.array(fc.integer({ min: BASE - 10, max: BASE + 130_000 }), { maxLength: 30 }),
        async (entries, randomTargets) => {
          const index = newIndex(file)
          for (const entry of entries) index.append(entry.offset, entry.position)
          const targets = [...randomTargets, ...entries.flatMap((entry) => [entry.offset - 1, entry.offset, entry.offset + 1])]
          for (const target of targets) expect(index.lookup(target)).toEqual(oracleLookup(entries, target))
          expect(index.entries).toBe(entries.length)
          expect(index.lastEntry()).toEqual(entries.length === 0 ? null : entries[entries.length - 1])
          expect([...index.entriesInOrder()]).toEqual(entries)

          index.flush()
          expect(fs.statSync(file).size).toBe(entries.length * 8)
          const reopened = openIndex(file)
          for (const target of targets) expect(reopened.lookup(target)).toEqual(oracleLookup(entries, target))
          expect([...reopened.entriesInOrder()]).toEqual(entries)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('keeps appending after a partial flush (staged entries go after the written ones)', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    for (let slot = 1; slot <= 70; slot++) index.append(BASE + slot, slot * 100)
    index.flush()
    for (let slot = 71; slot <= 200; slot++) index.append(BASE + slot, slot * 100)
    index.flush()
    const reopened = openIndex(file)
    expect(reopened.entries).toBe(200)
    expect([...reopened.entriesInOrder()]).toEqual(
      Array.from({ length: 200 }, (_, slot) => ({ offset: BASE + slot + 1, position: (slot + 1) * 100 })),
    )
  })

  it('loads lazily: a closed segment reads its index on first use, and a bad file fails only then', async () => {
    const file = await indexFile()
    fs.writeFileSync(file, Buffer.alloc(13))
    const index = openIndex(file) // no read yet, so no error yet
    fs.writeFileSync(file, Buffer.from('00000003000000400000000900000180', 'hex'))
    expect(index.entries).toBe(2)
    expect(index.lookup(BASE + 8)).toEqual({ offset: BASE + 3, position: 0x40 })
    const missing = openIndex(path.join(path.dirname(file), 'missing.index'))
    expect(missing.entries).toBe(0)
  })

  it('truncateTo drops an entry keyed exactly at the offset and everything after it', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    for (const [offset, position] of [
      [10, 100],
      [20, 200],
      [30, 300],
    ] as const)
      index.append(BASE + offset, position)
    index.flush()
    index.truncateTo(BASE + 20)
    expect([...index.entriesInOrder()]).toEqual([{ offset: BASE + 10, position: 100 }])
    expect(fs.statSync(file).size).toBe(8)
    expect(openIndex(file).entries).toBe(1)
  })

  it('truncateTo between entries keeps the floor entry', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    for (const [offset, position] of [
      [10, 100],
      [20, 200],
      [30, 300],
    ] as const)
      index.append(BASE + offset, position)
    index.flush()
    index.truncateTo(BASE + 25)
    expect([...index.entriesInOrder()].map((entry) => entry.offset)).toEqual([BASE + 10, BASE + 20])
    expect(fs.statSync(file).size).toBe(16)
    index.truncateTo(BASE + 5)
    expect(index.entries).toBe(0)
    expect(fs.statSync(file).size).toBe(0)
    // Appends continue after a truncate, from an offset above the new last entry.
    index.append(BASE + 7, 70)
    index.flush()
    expect(fs.readFileSync(file).toString('hex')).toBe('00000007' + '00000046')
  })

  it('truncateTo drops staged entries that were never flushed', async () => {
    const file = await indexFile()
    const index = newIndex(file)
    index.append(BASE + 10, 100)
    index.flush()
    index.append(BASE + 20, 200)
    index.append(BASE + 30, 300)
    index.truncateTo(BASE + 30)
    index.flush()
    expect(fs.readFileSync(file).toString('hex')).toBe('0000000a00000064' + '00000014000000c8')
  })

  it('truncateToPosition drops entries at or after a byte position', async () => {
    const index = newIndex(await indexFile())
    for (const [offset, position] of [
      [10, 100],
      [20, 200],
      [30, 300],
    ] as const)
      index.append(BASE + offset, position)
    index.truncateToPosition(200)
    expect([...index.entriesInOrder()].map((entry) => entry.position)).toEqual([100])
  })

  it('refuses appends that do not ascend or do not fit (bugs in the caller, not bad data)', async () => {
    const index = newIndex(await indexFile(), 16)
    index.append(BASE + 10, 100)
    expect(() => index.append(BASE + 10, 200)).toThrow(AssertionError)
    expect(() => index.append(BASE + 11, 100)).toThrow(AssertionError)
    expect(() => index.append(BASE + 2 ** 31, 300)).toThrow(AssertionError)
    index.append(BASE + 11, 101)
    expect(index.isFull()).toBe(true)
    expect(() => index.append(BASE + 12, 102)).toThrow(AssertionError)
  })

  it('is full at floor(maxIndexBytes / 8) entries (at least 2)', async () => {
    const index = newIndex(await indexFile(), 30)
    expect(index.maxEntries).toBe(3)
    for (let slot = 1; slot <= 3; slot++) {
      expect(index.isFull()).toBe(false)
      index.append(BASE + slot, slot)
    }
    expect(index.isFull()).toBe(true)
    expect(newIndex(await indexFile(), 1).maxEntries).toBe(2)
  })

  describe('sanity checks raise CorruptIndexError', () => {
    async function writtenIndex(hex: string): Promise<{ file: string; index: OffsetIndex }> {
      const file = await indexFile()
      fs.writeFileSync(file, Buffer.from(hex, 'hex'))
      return { file, index: openIndex(file) }
    }

    it('for a size that is not a multiple of 8', async () => {
      const { file, index } = await writtenIndex('0000000500001000' + '000000')
      expectCorruptIndex(() => index.entries, file, 11)
    })

    it('for an index made odd-sized by appended garbage or a cut', async () => {
      const file = await indexFile()
      const index = newIndex(file)
      index.append(BASE + 1, 10)
      index.append(BASE + 2, 20)
      index.flush()
      appendGarbage(file, 3)
      expectCorruptIndex(() => openIndex(file).lookup(BASE), file, 19)
      truncateFile(file, 12)
      expectCorruptIndex(() => openIndex(file).lookup(BASE), file, 12)
    })

    it('for offsets that do not ascend', async () => {
      const { file, index } = await writtenIndex('0000000500001000' + '0000000500002000')
      expectCorruptIndex(() => index.lookup(BASE), file, 8)
    })

    it('for positions that do not ascend', async () => {
      const { file, index } = await writtenIndex('0000000500001000' + '0000000600001000')
      expectCorruptIndex(() => index.lookup(BASE), file, 8)
    })

    it('for a negative first entry (a flipped sign bit)', async () => {
      const file = await indexFile()
      const index = newIndex(file)
      index.append(BASE + 5, 4096)
      index.flush()
      flipByte(file, 0, 0x80)
      expectCorruptIndex(() => openIndex(file).entries, file, 0)
    })

    it('for a zero-filled file (preallocated, never written)', async () => {
      const file = await indexFile()
      const index = newIndex(file)
      for (let slot = 1; slot <= 4; slot++) index.append(BASE + slot, slot * 100)
      index.flush()
      zeroFill(file)
      // The first (0, 0) looks like an entry; the second cannot follow it.
      expectCorruptIndex(() => openIndex(file).entries, file, 8)
    })

    it('for more entries than the index may hold', async () => {
      const file = await indexFile()
      fs.writeFileSync(file, Buffer.from('00000001000000010000000200000002' + '0000000300000003', 'hex'))
      expectCorruptIndex(() => openIndex(file, 16).entries, file, 16)
    })

    it('for a last entry past the end of the log', async () => {
      const { file, index } = await writtenIndex('0000000500001000' + '0000000900002000')
      expect(() => index.sanityCheck(0x2001, BASE + 10)).not.toThrow()
      expectCorruptIndex(() => index.sanityCheck(0x2000, BASE + 10), file, 12)
    })

    it('for a last entry at or past the segment next offset', async () => {
      const { file, index } = await writtenIndex('0000000500001000' + '0000000900002000')
      expectCorruptIndex(() => index.sanityCheck(0x3000, BASE + 9), file, 8)
      expect(() => index.sanityCheck(0x3000, null)).not.toThrow()
    })

    it('but not for an empty file', async () => {
      const { index } = await writtenIndex('')
      expect(() => index.sanityCheck(0, BASE)).not.toThrow()
      expect(index.lookup(BASE + 100)).toEqual({ offset: BASE, position: 0 })
    })
  })
})

import { describe, expect, it } from 'vitest'
import { KeyIndexTable } from '../../src/log/key-index-table.js'
import { seededRandom } from '../../src/seeded-random.js'

/** The in-memory key index against a plain array: every hash's slots, newest first, while it grows and after a reload from its columns. */

const SEED = Number(process.env.SEGLOG_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))

function chain(table: KeyIndexTable, hash: number): number[] {
  const offsets: number[] = []
  for (let slot = table.newestSlot(hash); slot >= 0; slot = table.olderSlot(slot)) offsets.push(table.relativeOffsets[slot]!)
  return offsets
}

describe('KeyIndexTable', () => {
  it(`lists each hash's offsets newest first, as a scan of the entries does (seed ${SEED})`, () => {
    const random = seededRandom(SEED)
    const table = new KeyIndexTable()
    const entries: [number, number][] = []
    // Few distinct hashes, some differing only above the bucket mask, so chains share buckets.
    const hashes = Array.from({ length: 40 }, (_, slot) => (slot % 2 === 0 ? slot : (slot << 24) >>> 0))
    let offset = 0
    for (let step = 0; step < 5000; step++) {
      offset += 1 + Math.floor(random() * 3)
      const hash = hashes[Math.floor(random() * hashes.length)]!
      table.add(hash, offset, offset - (offset % 7))
      entries.push([hash, offset])
      if (step % 997 === 0 || step === 4999) {
        const reloaded = new KeyIndexTable(table.columns())
        for (const probe of [...hashes, 12345]) {
          const expected = entries
            .filter(([entryHash]) => entryHash === probe)
            .map(([, entryOffset]) => entryOffset)
            .reverse()
          expect(chain(table, probe), `hash ${probe} at step ${step}`).toEqual(expected)
          expect(chain(reloaded, probe), `reloaded, hash ${probe} at step ${step}`).toEqual(expected)
        }
      }
    }
    expect(table.count).toBe(5000)
  })
})

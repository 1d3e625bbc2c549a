import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { BATCH_HEADER_SIZE, RecordBatch } from '../../src/record/record-batch.js'
import type { RecordHeader, RecordInput } from '../../src/record/record.js'
import { referenceRecordsArea } from '../helpers/reference-record-encoder.js'

/**
 * The encoder's fast paths (one-byte varints stored inline, byte loops for short keys and values,
 * Uint8Array#set for longer ones) against the plain reference encoder: the same records must give
 * the same bytes, at every length around the thresholds. Replay a failure with
 * SEGLOG_FC_SEED=<seed> SEGLOG_FC_PATH=<path>.
 */
function replayParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.SEGLOG_FC_SEED
  const path = process.env.SEGLOG_FC_PATH
  return { numRuns, ...(seed === undefined ? {} : { seed: Number(seed) }), ...(path === undefined ? {} : { path }) }
}

/** Lengths around every threshold: the loop-copy limit, one-byte varints (63/64), two-byte (8191/8192). */
const length = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 60, max: 70 }), fc.integer({ min: 8185, max: 8200 }))
const bytes = length.chain((size) => fc.uint8Array({ minLength: size, maxLength: size }).map((array) => Buffer.from(array)))

const header: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ unit: 'grapheme', maxLength: 5 }),
  value: fc.option(bytes),
})

const record: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.option(bytes),
    value: fc.option(bytes),
    headers: fc.array(header, { maxLength: 3 }),
    timestamp: fc.oneof(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_200 }), fc.integer({ min: 0, max: 2 ** 50 })),
  },
  { requiredKeys: ['value'] },
)

describe('record encoder against the reference encoder', () => {
  it('writes the same records area, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 80 }), (records) => {
        const now = 1_700_000_000_000
        const batch = encodeBatch(records, { now })
        const baseTimestamp = records[0]!.timestamp ?? now
        expect(batch.subarray(BATCH_HEADER_SIZE).equals(referenceRecordsArea(records, baseTimestamp, now))).toBe(true)
        expect(new RecordBatch(batch).isValid()).toBe(true)
      }),
      replayParameters(200),
    )
  })

  it('matches at offset deltas past one varint byte (64 and more records)', () => {
    const records = Array.from({ length: 300 }, (_, slot) => ({ key: Buffer.alloc(slot % 12, slot), value: Buffer.alloc(slot % 70, 1) }))
    const batch = encodeBatch(records, { now: 5 })
    expect(batch.subarray(BATCH_HEADER_SIZE).equals(referenceRecordsArea(records, 5, 5))).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { visitKeys } from '../../src/record/record-keys.js'
import { seededRandom } from '../../src/seeded-random.js'

/** visitKeys against the full decoder (records()) on random batches: same offsets and key bytes, every codec. */

const SEED = Number(process.env.SEGLOG_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))

function keysOf(batch: RecordBatch): [number, string | null][] {
  const keys: [number, string | null][] = []
  visitKeys(batch, (buffer, offsetDelta, keyStart, keyLength) =>
    keys.push([batch.baseOffset + offsetDelta, keyLength < 0 ? null : buffer.toString('hex', keyStart, keyStart + keyLength)]),
  )
  return keys
}

describe('visitKeys', () => {
  it(`gives each record's offset and key bytes as records() does (seed ${SEED})`, () => {
    const random = seededRandom(SEED)
    for (let round = 0; round < 60; round++) {
      const records = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, slot) => {
        const keyLength = Math.floor(random() * 300) - 1
        return {
          key: keyLength < 0 ? null : Buffer.from(Array.from({ length: keyLength }, () => Math.floor(random() * 256))),
          value: random() < 0.2 ? null : Buffer.alloc(Math.floor(random() * 500), slot),
          headers: random() < 0.3 ? [{ key: 'h', value: Buffer.from('x') }] : [],
          timestamp: 1_700_000_000_000 + Math.floor(random() * 1e9),
        }
      })
      const compression = (['none', 'gzip', 'lz4', 'snappy', 'zstd'] as const)[round % 5]
      const batch = new RecordBatch(encodeBatch(records, { baseOffset: round * 1000, compression }))
      const expected = [...batch.records()].map((record): [number, string | null] => [record.offset, record.key?.toString('hex') ?? null])
      expect(keysOf(batch), `round ${round} ${compression}`).toEqual(expected)
    }
  })

  it('throws CorruptRecordError for a record length or key length that does not fit', () => {
    const bytes = encodeBatch([{ key: Buffer.from('key'), value: Buffer.from('value') }])
    const lengthAt = 61 // the first record's length varint, right after the batch header
    const tooLong = Buffer.from(bytes)
    tooLong[lengthAt] = 0x7e // 63: past the end of the batch
    expect(() => keysOf(new RecordBatch(tooLong))).toThrow(CorruptRecordError)
    const keyTooLong = Buffer.from(bytes)
    keyTooLong[lengthAt + 4] = 0x40 // key length 32 inside a record of a few bytes
    expect(() => keysOf(new RecordBatch(keyTooLong))).toThrow(CorruptRecordError)
  })
})

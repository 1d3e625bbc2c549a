import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CompressionName } from '../../src/compression/codec.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { visitRecords } from '../../src/record/batch-visitor.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { BATCH_HEADER_SIZE, RecordBatch } from '../../src/record/record-batch.js'
import type { RecordHeader, RecordInput } from '../../src/record/record.js'
import { writeBatchCrc } from '../../src/record/batch-encoder.js'

/**
 * The batch visitor against `records()`: for random records, codecs, LogAppendTime and damaged
 * batches, the visitor sees the same offsets, timestamps, keys, values and headers, and fails with
 * the same CorruptRecordError (reason and position) where `records()` does. Replay a failure with
 * SEGLOG_FC_SEED=<seed> SEGLOG_FC_PATH=<path>.
 */
function replayParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.SEGLOG_FC_SEED
  const path = process.env.SEGLOG_FC_PATH
  return { numRuns, ...(seed === undefined ? {} : { seed: Number(seed) }), ...(path === undefined ? {} : { path }) }
}

const bytes = fc.uint8Array({ maxLength: 90 }).map((array) => Buffer.from(array))
const header: fc.Arbitrary<RecordHeader> = fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 4 }), value: fc.option(bytes) })
const record: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.option(bytes),
    value: fc.option(bytes),
    headers: fc.array(header, { maxLength: 3 }),
    timestamp: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
  },
  { requiredKeys: ['value'] },
)
const codec = fc.constantFrom<CompressionName>('none', 'lz4', 'gzip')

interface Seen {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

function viaVisitor(batch: RecordBatch): Seen[] {
  const seen: Seen[] = []
  visitRecords(batch, (view) => {
    seen.push({ offset: view.offset, timestamp: view.timestamp, key: view.key(), value: view.value(), headers: view.headers() })
  })
  return seen
}

function viaRecords(batch: RecordBatch): Seen[] {
  return Array.from(batch.records(), ({ offset, timestamp, key, value, headers }) => ({
    offset,
    timestamp,
    key,
    value,
    headers: [...headers],
  }))
}

/** `recordArrayAs`, the consumer's one-pass decode into an array. */
function viaArray(batch: RecordBatch): Seen[] {
  return batch.recordArrayAs((offset, timestamp, key, value, headers) => ({ offset, timestamp, key, value, headers: [...headers] }))
}

/** The error (reason, position) or the records a reader gives. */
function outcome(read: () => Seen[]): unknown {
  try {
    return read()
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
    return { reason: error.reason, position: error.position }
  }
}

describe('visitRecords and recordArrayAs against records()', () => {
  it('sees the same records', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 40 }),
        codec,
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (records, compression, logAppendTime, baseOffset) => {
          const batch = new RecordBatch(
            encodeBatch(records, {
              compression,
              baseOffset,
              ...(logAppendTime && { timestampType: 'LogAppendTime' as const, logAppendTime: 1_800_000_000_000 }),
            }),
          )
          const expected = viaRecords(batch)
          expect(viaVisitor(batch)).toEqual(expected)
          expect(viaArray(batch)).toEqual(expected)
        },
      ),
      replayParameters(150),
    )
  })

  it('fails where records() fails, with the same reason and position, on a damaged uncompressed batch', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 10 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (records, at, byte) => {
        const bytes = encodeBatch(records)
        const position = BATCH_HEADER_SIZE + (at % (bytes.length - BATCH_HEADER_SIZE))
        bytes[position] = byte
        writeBatchCrc(bytes)
        const batch = new RecordBatch(bytes)
        const expected = outcome(() => viaRecords(batch))
        expect(outcome(() => viaVisitor(batch))).toEqual(expected)
        expect(outcome(() => viaArray(batch))).toEqual(expected)
      }),
      replayParameters(300),
    )
  })

  it('stops when the visitor returns false, and reuses one view', () => {
    const batch = new RecordBatch(encodeBatch(Array.from({ length: 10 }, (_, slot) => ({ value: Buffer.from([slot]) }))))
    const views = new Set<unknown>()
    const visited = visitRecords(batch, (view) => {
      views.add(view)
      return view.offset < 3
    })
    expect([visited, views.size]).toEqual([4, 1])
  })
})

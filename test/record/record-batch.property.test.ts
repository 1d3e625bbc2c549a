import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { COMPRESSION_IDS, type CompressionName } from '../../src/compression/codec.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { RecordBatch, sequenceAfter } from '../../src/record/record-batch.js'
import { encodeBatch, type EncodeBatchOptions } from '../../src/record/batch-encoder.js'
import type { RecordHeader, RecordInput } from '../../src/record/record.js'

/**
 * Encode-then-decode properties of record batch v2. fast-check prints the seed and path of a failing
 * run; replay it with SEGLOG_FC_SEED=<seed> SEGLOG_FC_PATH=<path>.
 */
function replayParameters<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.SEGLOG_FC_SEED
  const path = process.env.SEGLOG_FC_PATH
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  }
}

const CODECS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const MAX_TIMESTAMP = 2 ** 50

const bytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ maxLength }).map((array) => Buffer.from(array)),
    // Compressible runs, so the codecs do real work.
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: maxLength * 4 })).map(([byte, size]) => Buffer.alloc(size, byte)),
  )

/** Full Unicode (astral planes included, no lone surrogates: those cannot round-trip through UTF-8). */
const headerKey = fc.oneof(fc.string({ unit: 'binary', maxLength: 10 }), fc.string({ unit: 'grapheme', maxLength: 4 }))

const header: fc.Arbitrary<RecordHeader> = fc.record({ key: headerKey, value: fc.option(bytes(32)) })

const timestamp = fc.oneof(
  fc.integer({ min: 0, max: MAX_TIMESTAMP }),
  // Far apart, so deltas between records are large in both directions; -1 is "no timestamp".
  fc.constantFrom(-1, 0, MAX_TIMESTAMP),
  fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
)

const recordInput: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.oneof(fc.constant(null), bytes(48)),
    value: fc.oneof(fc.constant(null), bytes(200)),
    headers: fc.array(header, { maxLength: 4 }),
    timestamp,
  },
  { requiredKeys: ['value'] },
)

const batchOptions: fc.Arbitrary<EncodeBatchOptions> = fc.record(
  {
    baseOffset: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 52 })),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
    compression: fc.constantFrom(...CODECS),
    producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
    baseSequence: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fffffff })),
    isTransactional: fc.boolean(),
    isControl: fc.boolean(),
    timestampType: fc.constantFrom('CreateTime' as const, 'LogAppendTime' as const),
    logAppendTime: fc.integer({ min: 0, max: MAX_TIMESTAMP }),
  },
  { requiredKeys: [] },
)

const NOW = 1_700_000_000_000

interface Expectation {
  records: unknown[]
  header: Record<string, unknown>
}

/** What a correct decoder must report for `records` encoded with `options` (the oracle). */
function expectedDecode(records: readonly RecordInput[], options: EncodeBatchOptions): Expectation {
  const now = options.now ?? NOW
  const timestamps = records.map((record) => record.timestamp ?? now)
  const isLogAppendTime = options.timestampType === 'LogAppendTime'
  const logAppendTime = options.logAppendTime ?? now
  const baseOffset = options.baseOffset ?? 0
  const lastOffsetDelta = records.length > 0 ? records.length - 1 : 0
  const baseSequence = options.baseSequence ?? -1
  const compression = options.compression ?? 'none'
  return {
    records: records.map((record, slot) => ({
      offset: baseOffset + slot,
      timestamp: isLogAppendTime ? logAppendTime : timestamps[slot],
      key: record.key ?? null,
      value: record.value,
      headers: record.headers ?? [],
    })),
    header: {
      baseOffset,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
      magic: 2,
      compressionId: COMPRESSION_IDS[compression as CompressionName],
      timestampType: options.timestampType ?? 'CreateTime',
      isTransactional: options.isTransactional ?? false,
      isControl: options.isControl ?? false,
      hasDeleteHorizon: false,
      lastOffsetDelta,
      lastOffset: baseOffset + lastOffsetDelta,
      nextOffset: baseOffset + lastOffsetDelta + 1,
      baseTimestamp: timestamps.length > 0 ? timestamps[0] : -1,
      maxTimestamp: isLogAppendTime ? logAppendTime : Math.max(-1, ...timestamps),
      producerId: options.producerId ?? -1,
      hasProducerId: (options.producerId ?? -1) >= 0,
      producerEpoch: options.producerEpoch ?? -1,
      baseSequence,
      lastSequence: baseSequence < 0 ? -1 : sequenceAfter(baseSequence, lastOffsetDelta),
      recordCount: records.length,
    },
  }
}

function headerOf(batch: RecordBatch): Record<string, unknown> {
  return {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    magic: batch.magic,
    compressionId: batch.compressionId,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    hasDeleteHorizon: batch.hasDeleteHorizon,
    lastOffsetDelta: batch.lastOffsetDelta,
    lastOffset: batch.lastOffset,
    nextOffset: batch.nextOffset,
    baseTimestamp: batch.baseTimestamp,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    hasProducerId: batch.hasProducerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    lastSequence: batch.lastSequence,
    recordCount: batch.recordCount,
  }
}

describe('encodeBatch then RecordBatch', () => {
  it('gives back the same records and header fields for any records, options and codec', () => {
    fc.assert(
      fc.property(fc.array(recordInput, { maxLength: 30 }), batchOptions, (records, options) => {
        const bytes = encodeBatch(records, { now: NOW, ...options })
        const batch = new RecordBatch(bytes)
        expect(batch.isValid()).toBe(true)
        batch.ensureValid()
        expect(batch.crc).toBe(batch.computeCrc())
        expect(batch.sizeInBytes).toBe(bytes.length)
        expect(batch.batchLength).toBe(bytes.length - 12)
        const expected = expectedDecode(records, options)
        expect(headerOf(batch)).toEqual(expected.header)
        expect(batch.toArray()).toEqual(expected.records)
        // The iterator is re-startable from the view: a second pass sees the same records.
        expect(Array.from(batch.records())).toEqual(expected.records)
      }),
      replayParameters(300),
    )
  })

  for (const compression of CODECS) {
    it(`round-trips ${compression} batches of up to 200 records`, () => {
      fc.assert(
        fc.property(fc.array(recordInput, { minLength: 1, maxLength: 200 }), (records) => {
          const options: EncodeBatchOptions = { compression, baseOffset: 7, now: NOW }
          const batch = new RecordBatch(encodeBatch(records, options))
          batch.ensureValid()
          expect(batch.toArray()).toEqual(expectedDecode(records, options).records)
        }),
        replayParameters(40),
      )
    })
  }
})

/** A batch list, one more batch, where to cut that one, and junk before the first batch. */
const scanInput = fc.record({
  batches: fc.array(fc.tuple(fc.array(recordInput, { maxLength: 6 }), batchOptions), { maxLength: 6 }),
  tail: fc.tuple(fc.array(recordInput, { maxLength: 6 }), batchOptions),
  cutFraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  leadingJunk: fc.uint8Array({ maxLength: 20 }),
  verifyCrc: fc.boolean(),
})

describe('BatchScanner', () => {
  it('returns exactly the whole batches of a concatenation and reports the partial tail', () => {
    fc.assert(
      fc.property(scanInput, ({ batches, tail, cutFraction, leadingJunk, verifyCrc }) => {
        const encoded = batches.map(([records, options]) => encodeBatch(records, { now: NOW, ...options }))
        const tailBytes = encodeBatch(tail[0], { now: NOW, ...tail[1] })
        const cut = Math.floor(cutFraction * tailBytes.length)
        const start = leadingJunk.length
        const buf = Buffer.concat([Buffer.from(leadingJunk), ...encoded, tailBytes.subarray(0, cut)])

        const scanner = new BatchScanner(buf, { position: start, verifyCrc })
        const seen: Buffer[] = []
        const positions: number[] = []
        for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
          seen.push(Buffer.from(batch.buffer))
          positions.push(scanner.batchPosition)
        }
        expect(seen).toEqual(encoded)
        let expectedPosition = start
        const expectedPositions = encoded.map((bytes) => {
          const position = expectedPosition
          expectedPosition += bytes.length
          return position
        })
        expect(positions).toEqual(expectedPositions)
        expect(scanner.position).toBe(expectedPosition)
        expect(scanner.trailingBytes).toBe(cut)
        // Done stays done.
        expect(scanner.next()).toBeNull()
        expect(scanner.trailingBytes).toBe(cut)
        // The iterator form agrees.
        expect(Array.from(new BatchScanner(buf, { position: start }), (batch) => batch.sizeInBytes)).toEqual(encoded.map((b) => b.length))
      }),
      replayParameters(200),
    )
  })
})

function thrownBy(step: () => unknown): unknown {
  try {
    step()
  } catch (error) {
    return error
  }
  return undefined
}

describe('RecordBatch view checks', () => {
  it('rejects a buffer shorter than the batch header as bad-length', () => {
    const bytes = encodeBatch([{ value: Buffer.from('x') }], { now: NOW })
    for (let size = 0; size < 61; size++) {
      const error = thrownBy(() => new RecordBatch(bytes.subarray(0, size)))
      expect(error).toBeInstanceOf(CorruptRecordError)
      expect(error).toMatchObject({ reason: 'bad-length', position: 0 })
    }
  })

  it('rejects a batchLength that disagrees with the view, which the CRC cannot see', () => {
    fc.assert(
      fc.property(
        fc.array(recordInput, { maxLength: 5 }),
        batchOptions,
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        (records, options, batchLength) => {
          const bytes = encodeBatch(records, { now: NOW, ...options })
          fc.pre(batchLength !== bytes.length - 12)
          bytes.writeInt32BE(batchLength, 8)
          const batch = new RecordBatch(bytes)
          expect(batch.isValid()).toBe(false)
          expect(thrownBy(() => batch.ensureValid())).toMatchObject({ reason: 'bad-length', position: 8 })
        },
      ),
      replayParameters(100),
    )
  })
})

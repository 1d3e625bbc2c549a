import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CompressionName } from '../../src/compression/codec.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import type { RecordHeader } from '../../src/record/record.js'

/**
 * Compatibility with KafkaJS 2.2.4's own record batch v2 encoder and decoder, in both directions:
 * (a) batches KafkaJS writes read back identically in seglog, (b) batches seglog writes read back
 * identically in KafkaJS, (c) uncompressed encodings are byte-identical.
 *
 * KafkaJS ships only gzip. The LZ4, snappy and zstd codecs registered below are written for this test
 * from the `lz4`, `snappy` and `zstd-napi` packages, in the framings Kafka uses (docs/format/compression.md).
 */

const require = createRequire(import.meta.url)

interface KafkaEncoder {
  buffer: Buffer
}
type KafkaHeaders = Record<string, Buffer | Buffer[]>
interface KafkaRecordInput {
  offsetDelta: number
  timestampDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: KafkaHeaders
}
interface KafkaBatchInput {
  compression: number
  firstOffset: bigint
  firstTimestamp: number
  maxTimestamp: number
  partitionLeaderEpoch: number
  lastOffsetDelta: number
  transactional: boolean
  producerId: bigint
  producerEpoch: number
  firstSequence: number
  records: KafkaEncoder[]
}
interface KafkaDecodedRecord {
  timestamp: string
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | null | Array<Buffer | null>>
  isControlRecord: boolean
}
interface KafkaDecodedBatch {
  firstOffset: string
  firstTimestamp: string
  partitionLeaderEpoch: number
  inTransaction: boolean
  isControlBatch: boolean
  lastOffsetDelta: number
  producerId: string
  producerEpoch: number
  firstSequence: number
  maxTimestamp: string
  timestampType: number
  records: KafkaDecodedRecord[]
}
interface KafkaCodec {
  compress(encoder: KafkaEncoder): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

const { RecordBatch: encodeKafkaBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (input: KafkaBatchInput) => Promise<KafkaEncoder>
}
const decodeKafkaBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<KafkaDecodedBatch>
const encodeKafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: KafkaRecordInput) => KafkaEncoder
const KafkaDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown
const kafkaCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number
const { CompressionTypes, CompressionCodecs } = require('kafkajs') as {
  CompressionTypes: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>
  CompressionCodecs: Record<number, () => KafkaCodec>
}

interface Lz4EncodeOptions {
  blockIndependence?: boolean
  blockChecksum?: boolean
  blockMaxSize?: number
  streamChecksum?: boolean
  highCompression?: boolean
}
const lz4 = require('lz4') as {
  encode(input: Buffer, options?: Lz4EncodeOptions): Buffer
  decode(input: Buffer): Buffer
}
const snappy = require('snappy') as {
  compressSync(input: Buffer): Buffer
  uncompressSync(input: Buffer, options: { asBuffer: true }): Buffer
}
const zstd = require('zstd-napi') as { compress(input: Buffer): Buffer; decompress(input: Buffer): Buffer }

// ---------------------------------------------------------------------------------------------
// KafkaJS codecs for LZ4, snappy and zstd. Per-run settings vary what the writer produces.

/** Options for the next `lz4.encode`; the lz4 package mutates the object it is given, so copy it. */
let lz4Options: Lz4EncodeOptions = {}
/** 'xerial' is what snappy-java writes; 'raw' (one bare snappy block) is what some other clients write. */
let snappyMode: 'xerial' | 'raw' = 'xerial'

const XERIAL_HEADER = Buffer.from('82534e41505059000000000100000001', 'hex')
const XERIAL_MAGIC_SIZE = 8
const XERIAL_BLOCK_SIZE = 32 * 1024

function xerialCompress(input: Buffer): Buffer {
  if (snappyMode === 'raw') return snappy.compressSync(input)
  const parts: Buffer[] = [XERIAL_HEADER]
  for (let position = 0; position < input.length; position += XERIAL_BLOCK_SIZE) {
    const block = snappy.compressSync(input.subarray(position, position + XERIAL_BLOCK_SIZE))
    const length = Buffer.alloc(4)
    length.writeInt32BE(block.length)
    parts.push(length, block)
  }
  return Buffer.concat(parts)
}

function xerialDecompress(input: Buffer): Buffer {
  if (!input.subarray(0, XERIAL_MAGIC_SIZE).equals(XERIAL_HEADER.subarray(0, XERIAL_MAGIC_SIZE))) {
    return snappy.uncompressSync(input, { asBuffer: true })
  }
  const parts: Buffer[] = []
  let position = XERIAL_HEADER.length
  while (position < input.length) {
    const length = input.readInt32BE(position)
    position += 4
    parts.push(snappy.uncompressSync(input.subarray(position, position + length), { asBuffer: true }))
    position += length
  }
  return Buffer.concat(parts)
}

CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder) => lz4.encode(encoder.buffer, { ...lz4Options }),
  decompress: async (buffer) => lz4.decode(buffer),
})
CompressionCodecs[CompressionTypes.Snappy] = () => ({
  compress: async (encoder) => xerialCompress(encoder.buffer),
  decompress: async (buffer) => xerialDecompress(buffer),
})
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder) => zstd.compress(encoder.buffer),
  decompress: async (buffer) => zstd.decompress(buffer),
})

const KAFKAJS_COMPRESSION: Record<CompressionName, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}
const CODECS: readonly CompressionName[] = ['none', 'gzip', 'lz4', 'snappy', 'zstd']

// ---------------------------------------------------------------------------------------------
// Random record sets

interface CompatRecord {
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
  timestamp: number
}
interface CompatBatch {
  records: CompatRecord[]
  baseOffset: number
  partitionLeaderEpoch: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  isTransactional: boolean
}

const MAX_TIMESTAMP = 2 ** 50

const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array))

/** KafkaJS keeps headers in a plain object, so a key that names an Object.prototype member breaks it. */
const headerKey = fc
  .oneof(fc.constantFrom('a', 'b', 'trace-id', '1', '10', 'ключ', '🔑'), fc.string({ unit: 'binary', maxLength: 12 }))
  .filter((key) => !(key in Object.prototype))

/** Header values: `nullable` only where the writer under test can encode a null header value. */
const headers = (nullable: boolean): fc.Arbitrary<RecordHeader[]> =>
  fc.array(fc.record({ key: headerKey, value: nullable ? fc.option(bytes(40)) : bytes(40) }), { maxLength: 5 })

const records = (nullableHeaderValues: boolean): fc.Arbitrary<CompatRecord[]> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: MAX_TIMESTAMP }),
      fc.array(
        fc.record({
          key: fc.option(bytes(32)),
          value: fc.option(
            fc.oneof(
              bytes(300),
              fc.string({ maxLength: 200 }).map((text) => Buffer.from(text.repeat(3))),
            ),
          ),
          headers: headers(nullableHeaderValues),
          timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
        }),
        { maxLength: 25 },
      ),
    )
    .map(([baseTimestamp, list]) =>
      list.map(({ timestampDelta, ...record }) => ({
        ...record,
        timestamp: Math.min(MAX_TIMESTAMP, Math.max(0, baseTimestamp + timestampDelta)),
      })),
    )

const batchFields = {
  baseOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 52 })),
  partitionLeaderEpoch: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fffffff })),
  producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  producerEpoch: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fff })),
  baseSequence: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fffffff })),
  isTransactional: fc.boolean(),
}

const compatBatch = (nullableHeaderValues: boolean): fc.Arbitrary<CompatBatch> =>
  fc.record({ records: records(nullableHeaderValues), ...batchFields })

const lz4WriterOptions: fc.Arbitrary<Lz4EncodeOptions> = fc.record({
  blockMaxSize: fc.constantFrom(64 << 10, 256 << 10, 1 << 20, 4 << 20),
  streamChecksum: fc.boolean(),
  highCompression: fc.boolean(),
})

const NUM_RUNS = 60

// ---------------------------------------------------------------------------------------------
// Model helpers: what each side should report for a CompatBatch

/** KafkaJS takes headers as an object; equal keys become an array, in first-seen order. */
function toKafkaHeaders(list: readonly RecordHeader[]): KafkaHeaders {
  const object: KafkaHeaders = {}
  for (const { key, value } of list) {
    if (value === null) throw new Error('KafkaJS cannot encode a null header value')
    const existing = object[key]
    if (existing === undefined) object[key] = value
    else object[key] = Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return object
}

/** The order KafkaJS writes an object's headers in (Object.keys order: integer-like keys first). */
function kafkaWrittenHeaders(object: KafkaHeaders): RecordHeader[] {
  return Object.keys(object).flatMap((key) => {
    const value = object[key]!
    return Array.isArray(value) ? value.map((item) => ({ key, value: item })) : [{ key, value }]
  })
}

/** How KafkaJS's decoder folds a record's headers into an object. */
function kafkaReadHeaders(list: readonly RecordHeader[]): KafkaDecodedRecord['headers'] {
  const object: KafkaDecodedRecord['headers'] = {}
  for (const { key, value } of list) {
    const existing = object[key]
    if (existing === undefined) object[key] = value
    else object[key] = Array.isArray(existing) ? [...existing, value] : [existing, value]
  }
  return object
}

/** Buffers as hex strings: deep equality walks a Buffer one byte at a time, which is slow for big batches. */
function hexed(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`
  if (Array.isArray(value)) return value.map(hexed)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, hexed(item)]))
  return value
}

function maxTimestampOf(list: readonly CompatRecord[]): number {
  let max = -1
  for (const record of list) if (record.timestamp > max) max = record.timestamp
  return max
}

/**
 * KafkaJS batch whose base timestamp is the first record's (`first`, as seglog writes) or the
 * minimum (`min`, as the KafkaJS producer does).
 */
async function kafkaEncode(batch: CompatBatch, codec: CompressionName, baseRule: 'first' | 'min'): Promise<Buffer> {
  const list = batch.records
  const firstTimestamp = list.length === 0 ? -1 : baseRule === 'first' ? list[0]!.timestamp : Math.min(...list.map((r) => r.timestamp))
  const encoded = await encodeKafkaBatch({
    compression: KAFKAJS_COMPRESSION[codec],
    firstOffset: BigInt(batch.baseOffset),
    firstTimestamp,
    maxTimestamp: maxTimestampOf(list),
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    lastOffsetDelta: list.length > 0 ? list.length - 1 : 0,
    transactional: batch.isTransactional,
    producerId: BigInt(batch.producerId),
    producerEpoch: batch.producerEpoch,
    firstSequence: batch.baseSequence,
    records: list.map((record, slot) =>
      encodeKafkaRecord({
        offsetDelta: slot,
        timestampDelta: record.timestamp - firstTimestamp,
        key: record.key,
        value: record.value,
        headers: toKafkaHeaders(record.headers),
      }),
    ),
  })
  return encoded.buffer
}

function seglogEncode(batch: CompatBatch, codec: CompressionName, extra: { isControl?: boolean; logAppendTime?: number } = {}): Buffer {
  return encodeBatch(batch.records, {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    compression: codec,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
    isControl: extra.isControl ?? false,
    ...(extra.logAppendTime === undefined ? {} : { timestampType: 'LogAppendTime' as const, logAppendTime: extra.logAppendTime }),
  })
}

function headerFieldsOf(batch: RecordBatch): Record<string, unknown> {
  return {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    magic: batch.magic,
    compressionId: batch.compressionId,
    timestampType: batch.timestampType,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    lastOffsetDelta: batch.lastOffsetDelta,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    recordCount: batch.recordCount,
  }
}

function expectSeglogReadsKafkaBatch(bytes: Buffer, batch: CompatBatch, codec: CompressionName): void {
  const view = new RecordBatch(bytes)
  view.ensureValid()
  expect(view.sizeInBytes).toBe(bytes.length)
  expect(view.batchLength).toBe(bytes.length - 12)
  expect(headerFieldsOf(view)).toEqual({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    magic: 2,
    compressionId: KAFKAJS_COMPRESSION[codec],
    timestampType: 'CreateTime',
    isTransactional: batch.isTransactional,
    isControl: false,
    lastOffsetDelta: batch.records.length > 0 ? batch.records.length - 1 : 0,
    maxTimestamp: maxTimestampOf(batch.records),
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    recordCount: batch.records.length,
  })
  expect(hexed(view.toArray())).toEqual(
    hexed(
      batch.records.map((record, slot) => ({
        offset: batch.baseOffset + slot,
        timestamp: record.timestamp,
        key: record.key,
        value: record.value,
        headers: kafkaWrittenHeaders(toKafkaHeaders(record.headers)),
      })),
    ),
  )
}

async function expectKafkaReadsSeglogBatch(
  bytes: Buffer,
  batch: CompatBatch,
  extra: { isControl?: boolean; logAppendTime?: number } = {},
): Promise<void> {
  // KafkaJS's decoder skips the CRC, so check it with KafkaJS's own CRC-32C.
  expect(kafkaCrc32C(bytes.subarray(21))).toBe(bytes.readUInt32BE(17))
  const decoded = await decodeKafkaBatch(new KafkaDecoder(bytes))
  const list = batch.records
  const { records: decodedRecords, ...fields } = decoded
  expect(fields).toEqual({
    firstOffset: String(batch.baseOffset),
    firstTimestamp: String(list.length > 0 ? list[0]!.timestamp : -1),
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    inTransaction: batch.isTransactional,
    isControlBatch: extra.isControl ?? false,
    lastOffsetDelta: list.length > 0 ? list.length - 1 : 0,
    producerId: String(batch.producerId),
    producerEpoch: batch.producerEpoch,
    firstSequence: batch.baseSequence,
    maxTimestamp: String(extra.logAppendTime ?? maxTimestampOf(list)),
    timestampType: extra.logAppendTime === undefined ? 0 : 1,
  })
  expect(
    hexed(
      decodedRecords.map((record) => ({
        offset: record.offset,
        timestamp: record.timestamp,
        key: record.key,
        value: record.value,
        headers: record.headers,
        isControlRecord: record.isControlRecord,
      })),
    ),
  ).toEqual(
    hexed(
      list.map((record, slot) => ({
        offset: String(batch.baseOffset + slot),
        timestamp: String(extra.logAppendTime ?? record.timestamp),
        key: record.key,
        value: record.value,
        headers: kafkaReadHeaders(record.headers),
        isControlRecord: extra.isControl ?? false,
      })),
    ),
  )
}

/** Enough compressible data to span several LZ4 blocks (64 KiB) and snappy chunks (32 KiB). */
function largeBatch(): CompatBatch {
  const records: CompatRecord[] = []
  for (let slot = 0; slot < 300; slot++) {
    const value = Buffer.alloc(1000)
    for (let position = 0; position < value.length; position++) value[position] = (slot * 7 + (position % 97)) & 0xff
    records.push({
      key: Buffer.from(`key-${slot}`),
      value,
      headers: [{ key: 'slot', value: Buffer.from(String(slot)) }],
      timestamp: 1_700_000_000_000 + slot,
    })
  }
  return { records, baseOffset: 5000, partitionLeaderEpoch: 3, producerId: 42, producerEpoch: 1, baseSequence: 17, isTransactional: true }
}

// ---------------------------------------------------------------------------------------------

describe('KafkaJS 2.2.4 writes, seglog reads', () => {
  for (const codec of CODECS) {
    it(`reads random ${codec} batches with the same records and header fields`, async () => {
      await fc.assert(
        fc.asyncProperty(
          compatBatch(false),
          fc.constantFrom('first' as const, 'min' as const),
          lz4WriterOptions,
          fc.constantFrom('xerial' as const, 'raw' as const),
          async (batch, baseRule, lz4Writer, snappyWriter) => {
            lz4Options = lz4Writer
            snappyMode = snappyWriter
            expectSeglogReadsKafkaBatch(await kafkaEncode(batch, codec, baseRule), batch, codec)
          },
        ),
        { numRuns: NUM_RUNS },
      )
    })

    it(`reads a ${codec} batch larger than one compression block`, async () => {
      lz4Options = { blockMaxSize: 64 << 10, streamChecksum: false }
      snappyMode = 'xerial'
      const batch = largeBatch()
      expectSeglogReadsKafkaBatch(await kafkaEncode(batch, codec, 'min'), batch, codec)
    })
  }
})

describe('seglog writes, KafkaJS 2.2.4 reads', () => {
  for (const codec of CODECS) {
    it(`KafkaJS reads random seglog ${codec} batches identically`, async () => {
      await fc.assert(
        fc.asyncProperty(
          compatBatch(true),
          fc.boolean(),
          fc.option(fc.integer({ min: 0, max: MAX_TIMESTAMP })),
          async (batch, isControl, logAppendTime) => {
            const extra = { isControl, ...(logAppendTime === null ? {} : { logAppendTime }) }
            await expectKafkaReadsSeglogBatch(seglogEncode(batch, codec, extra), batch, extra)
          },
        ),
        { numRuns: NUM_RUNS },
      )
    })

    it(`KafkaJS reads a seglog ${codec} batch larger than one compression block`, async () => {
      const batch = largeBatch()
      await expectKafkaReadsSeglogBatch(seglogEncode(batch, codec), batch)
    })
  }
})

describe('uncompressed encodings are byte-identical', () => {
  it('encodes random batches exactly as KafkaJS does', async () => {
    await fc.assert(
      fc.asyncProperty(compatBatch(false), async (batch) => {
        // KafkaJS writes headers in Object.keys order; give seglog the same order.
        const sameOrder = {
          ...batch,
          records: batch.records.map((r) => ({ ...r, headers: kafkaWrittenHeaders(toKafkaHeaders(r.headers)) })),
        }
        const ours = seglogEncode(sameOrder, 'none')
        const theirs = await kafkaEncode(sameOrder, 'none', 'first')
        expect(ours.toString('hex')).toBe(theirs.toString('hex'))
      }),
      { numRuns: 300 },
    )
  })

  it('encodes the large batch exactly as KafkaJS does', async () => {
    const batch = largeBatch()
    expect(seglogEncode(batch, 'none').equals(await kafkaEncode(batch, 'none', 'first'))).toBe(true)
  })
})

describe('the lz4 package as a Kafka LZ4 writer', () => {
  it('writes frames inside the subset Kafka reads (independent blocks, no dictionary, BD 4-7)', () => {
    for (const blockMaxSize of [64 << 10, 256 << 10, 1 << 20, 4 << 20]) {
      for (const streamChecksum of [true, false]) {
        const frame = lz4.encode(Buffer.from('seglog '.repeat(100)), { blockMaxSize, streamChecksum })
        expect(frame.readUInt32LE(0)).toBe(0x184d2204)
        const flg = frame[4]!
        expect(flg >> 6).toBe(1) // version 01
        expect(flg & 0x20).toBe(0x20) // block independence
        expect(flg & 0x03).toBe(0) // reserved bit and dictionary id
        expect((frame[5]! >> 4) & 0x07).toBeGreaterThanOrEqual(4)
      }
    }
  })

  it('writes wrong block checksums when asked for them, which seglog rejects', async () => {
    // lz4 0.6.5 hashes the whole compressBound-sized scratch area instead of the stored block, so
    // its own decoder rejects these frames too. Never use { blockChecksum: true } as a Kafka writer.
    const frame = lz4.encode(Buffer.from('hello world hello world hello world'), { blockChecksum: true })
    expect(() => lz4.decode(frame)).toThrow()
    const records = [{ key: null, value: Buffer.from('checksummed'), headers: [], timestamp: 1 }]
    const batch: CompatBatch = {
      records,
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
    }
    lz4Options = { blockChecksum: true }
    const bytes = await kafkaEncode(batch, 'lz4', 'first')
    lz4Options = {}
    let caught: unknown
    try {
      new RecordBatch(bytes).toArray()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CorruptRecordError)
    expect((caught as CorruptRecordError).reason).toBe('bad-compression-frame')
  })

  it('rejects a frame that declares linked blocks, as Kafka does', async () => {
    const records = [{ key: null, value: Buffer.from('linked'), headers: [], timestamp: 1 }]
    const batch: CompatBatch = {
      records,
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
    }
    lz4Options = { blockIndependence: false }
    const bytes = await kafkaEncode(batch, 'lz4', 'first')
    lz4Options = {}
    const view = new RecordBatch(bytes)
    view.ensureValid()
    let caught: unknown
    try {
      view.toArray()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CorruptRecordError)
    expect((caught as CorruptRecordError).reason).toBe('bad-compression-frame')
  })
})

import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import type { CompressionName } from '../../src/compression/codec.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import type { ProducerRecord, RecordMetadata } from '../../src/producer/producer.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'

/**
 * What the producer writes is what a Kafka client can read: batches read back raw with
 * `readRaw` (the bytes a broker would put in a fetch response) decode in KafkaJS 2.2.4's record
 * batch decoder with the same keys, values, headers, offsets, timestamps and producer id, epoch
 * and sequence fields. KafkaJS ships gzip only; LZ4, snappy and zstd codecs are registered below
 * from the `lz4`, `snappy` and `zstd-napi` packages, decoding the framings Kafka uses.
 */

const require = createRequire(import.meta.url)

interface KafkaDecodedRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | null | (Buffer | null)[]>
  isControlRecord: boolean
}
interface KafkaDecodedBatch {
  firstOffset: string
  firstTimestamp: string
  maxTimestamp: string
  partitionLeaderEpoch: number
  inTransaction: boolean
  isControlBatch: boolean
  lastOffsetDelta: number
  producerId: string
  producerEpoch: number
  firstSequence: number
  timestampType: number
  records: KafkaDecodedRecord[]
}
interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

const KafkaDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown
const decodeKafkaBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<KafkaDecodedBatch>
const decodeFetchMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js') as (
  decoder: unknown,
) => Promise<KafkaDecodedRecord[]>
const kafkaCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number
const { CompressionTypes, CompressionCodecs } = require('kafkajs') as {
  CompressionTypes: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>
  CompressionCodecs: Record<number, () => KafkaCodec>
}
const lz4 = require('lz4') as { decode(input: Buffer): Buffer }
const snappy = require('snappy') as { uncompressSync(input: Buffer, options: { asBuffer: true }): Buffer }
const zstd = require('zstd-napi') as { decompress(input: Buffer): Buffer }

const XERIAL_MAGIC = Buffer.from('82534e415050590000', 'hex').subarray(0, 8)
const XERIAL_HEADER_SIZE = 16

/** snappy-java's stream: a 16-byte header, then (int32 length, snappy block) chunks. */
function xerialDecompress(input: Buffer): Buffer {
  if (!input.subarray(0, 8).equals(XERIAL_MAGIC)) return snappy.uncompressSync(input, { asBuffer: true })
  const parts: Buffer[] = []
  for (let position = XERIAL_HEADER_SIZE; position < input.length;) {
    const length = input.readInt32BE(position)
    parts.push(snappy.uncompressSync(input.subarray(position + 4, position + 4 + length), { asBuffer: true }))
    position += 4 + length
  }
  return Buffer.concat(parts)
}

function decodeOnly(decompress: (buffer: Buffer) => Buffer): () => KafkaCodec {
  return () => ({
    compress: () => Promise.reject(new Error('this test only decodes')),
    decompress: async (buffer) => decompress(buffer),
  })
}

CompressionCodecs[CompressionTypes.LZ4] = decodeOnly((buffer) => lz4.decode(buffer))
CompressionCodecs[CompressionTypes.Snappy] = decodeOnly(xerialDecompress)
CompressionCodecs[CompressionTypes.ZSTD] = decodeOnly((buffer) => zstd.decompress(buffer))

const engines: LogEngine[] = []

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close().catch(() => undefined)
  await removeTmpDirs()
})

/** Records with every shape: null and empty keys and values, several headers, a null header value. */
function sampleRecords(count: number): ProducerRecord[] {
  return Array.from({ length: count }, (_, slot) => ({
    key: slot % 7 === 0 ? null : slot % 11 === 0 ? Buffer.alloc(0) : Buffer.from(`key-${slot % 13}`),
    value: slot % 19 === 0 ? null : Buffer.from(`value ${slot} `.repeat(1 + (slot % 9))),
    headers: [
      { key: 'slot', value: Buffer.from(String(slot)) },
      { key: 'trace-id', value: Buffer.from(`trace-${slot * 31}`) },
      ...(slot % 4 === 0 ? [{ key: 'optional', value: null }] : []),
    ],
    timestamp: 1_700_000_000_000 + slot * 7 - (slot % 3) * 5,
  }))
}

/** KafkaJS's view of a record's headers: an object keyed by header key. */
function kafkaHeaders(record: ProducerRecord): Record<string, Buffer | null> {
  const headers: Record<string, Buffer | null> = {}
  for (const header of record.headers as { key: string; value: Buffer | null }[]) headers[header.key] = header.value
  return headers
}

interface Produced {
  engine: LogEngine
  records: ProducerRecord[]
  metas: RecordMetadata[]
  raw: Buffer
}

async function produce(compression: CompressionName, partitions: number, count: number): Promise<Produced> {
  const engine = await openQuietEngine(await makeTmpDir('seglog-kafkajs-decode-'))
  engines.push(engine)
  await engine.createTopic('t', { partitions })
  const producer = engine.producer({ compression, batchBytes: 4096 })
  const records = sampleRecords(count)
  // Several sends in flight, so batches hold records of more than one call.
  const metas = (
    await Promise.all([0, 1, 2, 3].map((part) => producer.send('t', records.slice((part * count) / 4, ((part + 1) * count) / 4))))
  ).flat()
  await producer.close()
  const log = engine.partition('t', 0)
  const { bytes } = await log.readRaw(0, { maxBytes: 64 * 1024 * 1024 })
  return { engine, records, metas, raw: bytes }
}

function splitBatches(raw: Buffer): Buffer[] {
  const scanner = new BatchScanner(raw)
  const batches: Buffer[] = []
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) batches.push(Buffer.from(batch.buffer))
  expect(scanner.trailingBytes).toBe(0)
  return batches
}

describe('producer batches decode in KafkaJS', () => {
  it.each(['none', 'gzip', 'lz4', 'snappy', 'zstd'] as const)('%s: same records, offsets and producer fields', async (compression) => {
    const { engine, records, metas, raw } = await produce(compression, 1, 400)
    const batches = splitBatches(raw)
    expect(batches.length).toBeGreaterThan(1)
    const byOffset = new Map(metas.map((meta, slot) => [meta.offset, records[slot]!]))
    expect(byOffset.size).toBe(records.length)

    let producerId: string | null = null
    let nextOffset = 0
    let nextSequence = 0
    let decodedCount = 0
    for (const bytes of batches) {
      expect(bytes.readUInt32BE(17)).toBe(kafkaCrc32C(bytes.subarray(21)))
      const decoded = await decodeKafkaBatch(new KafkaDecoder(bytes))
      producerId ??= decoded.producerId
      expect(decoded.producerId).toBe(producerId)
      expect(BigInt(decoded.producerId)).toBeGreaterThanOrEqual(0n)
      expect(decoded.producerEpoch).toBe(0)
      expect(decoded.firstSequence).toBe(nextSequence)
      expect(decoded.firstOffset).toBe(String(nextOffset))
      expect(decoded.lastOffsetDelta).toBe(decoded.records.length - 1)
      expect(decoded.partitionLeaderEpoch).toBe(-1)
      expect(decoded.inTransaction).toBe(false)
      expect(decoded.isControlBatch).toBe(false)
      expect(decoded.timestampType).toBe(0)
      expect(decoded.firstTimestamp).toBe(String(byOffset.get(nextOffset)!.timestamp))
      expect(decoded.maxTimestamp).toBe(String(Math.max(...decoded.records.map((record) => Number(record.timestamp)))))
      expect(decoded.records.map((record) => ({ ...record }))).toEqual(
        decoded.records.map((_, slot) => {
          const input = byOffset.get(nextOffset + slot)!
          return expect.objectContaining({
            offset: String(nextOffset + slot),
            timestamp: String(input.timestamp),
            key: input.key,
            value: input.value,
            headers: kafkaHeaders(input),
            isControlRecord: false,
          })
        }),
      )
      nextOffset += decoded.records.length
      nextSequence += decoded.records.length
      decodedCount += decoded.records.length
    }
    expect(decodedCount).toBe(records.length)
    expect(nextOffset).toBe(engine.partition('t', 0).logEndOffset)
    expect(BigInt(producerId!)).toBeLessThan(2n ** 47n)
  })

  it('decodes a whole readRaw chunk as KafkaJS decodes a fetch response, across partitions', async () => {
    const { engine, records, metas } = await produce('lz4', 3, 300)
    let seen = 0
    for (const log of engine.partitions('t')) {
      const { bytes, firstOffset, nextOffset } = await log.readRaw(0, { maxBytes: 1 << 20 })
      const framed = Buffer.alloc(4 + bytes.length)
      framed.writeInt32BE(bytes.length, 0)
      bytes.copy(framed, 4)
      const decoded = await decodeFetchMessages(new KafkaDecoder(framed))
      const expected = metas.map((meta, slot) => ({ meta, input: records[slot]! })).filter(({ meta }) => meta.partition === log.partition)
      expect(decoded.map((record) => record.offset)).toEqual(expected.map(({ meta }) => String(meta.offset)))
      expect(decoded.map((record) => [record.key, record.value, record.headers])).toEqual(
        expected.map(({ input }) => [input.key, input.value, kafkaHeaders(input)]),
      )
      if (expected.length > 0) {
        expect(firstOffset).toBe(0)
        expect(nextOffset).toBe(log.logEndOffset)
      }
      seen += decoded.length
    }
    expect(seen).toBe(records.length)
  })

  it('cut by maxBytes, a raw read still holds whole batches that KafkaJS decodes', async () => {
    const { engine } = await produce('gzip', 1, 400)
    const log = engine.partition('t', 0)
    let offset = 0
    let reads = 0
    while (offset < log.logEndOffset) {
      const { bytes, firstOffset, nextOffset } = await log.readRaw(offset, { maxBytes: 1500 })
      expect(firstOffset).toBe(offset)
      const batches = splitBatches(bytes)
      expect(batches.length).toBeGreaterThan(0)
      const decoded = await Promise.all(batches.map((batch) => decodeKafkaBatch(new KafkaDecoder(batch))))
      expect(decoded[0]!.firstOffset).toBe(String(offset))
      const last = decoded[decoded.length - 1]!
      expect(Number(last.firstOffset) + last.lastOffsetDelta + 1).toBe(nextOffset)
      offset = nextOffset
      reads++
    }
    expect(reads).toBeGreaterThan(1)
  })
})

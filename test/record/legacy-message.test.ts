import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { crc32, LegacyRecordBatch } from '../../src/record/legacy-message.js'
import { legacyEntry, legacyInputs, legacyWrapper, type LegacyInput } from '../helpers/legacy-messages.js'

const require = createRequire(import.meta.url)
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown
const decodeMessageSet = require('kafkajs/src/protocol/messageSet/decoder') as (
  decoder: unknown,
  size: number,
) => Promise<{ offset: string; key: Buffer | null; value: Buffer | null; timestamp?: string }[]>

/** Every record the scanner reads from `bytes`, legacy entries included. */
function scanRecords(bytes: Buffer): { offset: number; timestamp: number; key: string | null; value: string | null }[] {
  const out = []
  for (const batch of new BatchScanner(bytes, { acceptLegacy: true, verifyCrc: true })) {
    for (const record of batch.records()) {
      out.push({
        offset: record.offset,
        timestamp: record.timestamp,
        key: record.key?.toString() ?? null,
        value: record.value?.toString() ?? null,
      })
    }
  }
  return out
}

function expected(inputs: LegacyInput[], firstOffset: number, magic: 0 | 1): ReturnType<typeof scanRecords> {
  return inputs.map((input, slot) => ({
    offset: firstOffset + slot,
    timestamp: magic === 0 ? -1 : input.timestamp!,
    key: input.key?.toString() ?? null,
    value: input.value?.toString() ?? null,
  }))
}

describe('legacy messages (magic 0 and 1)', () => {
  it('reads the worked example of docs/format/legacy-messages.md', () => {
    const example = Buffer.from('000000000000000a0000001c2b49687801000000018bcfe5680a000000036b313000000003763130', 'hex')
    expect(legacyEntry(1, 10, { key: Buffer.from('k10'), value: Buffer.from('v10'), timestamp: 1_700_000_000_010 }).equals(example)).toBe(
      true,
    )
    const batch = new LegacyRecordBatch(example)
    expect([batch.isValid(), batch.crc, batch.lastOffset, batch.maxTimestamp]).toEqual([true, 0x2b496878, 10, 1_700_000_000_010])
    expect(scanRecords(example)).toEqual([{ offset: 10, timestamp: 1_700_000_000_010, key: 'k10', value: 'v10' }])
  })

  it('computes CRC-32 (IEEE) check values', () => {
    expect(crc32(Buffer.from('123456789'), 0, 9)).toBe(0xcbf43926)
    expect(crc32(Buffer.alloc(0), 0, 0)).toBe(0)
  })

  for (const magic of [0, 1] as const) {
    it(`reads plain magic-${magic} messages written by KafkaJS's encoder, as KafkaJS's decoder reads them`, async () => {
      const inputs = legacyInputs(5)
      const bytes = Buffer.concat(inputs.map((input, slot) => legacyEntry(magic, 10 + slot, input)))
      expect(scanRecords(bytes)).toEqual(expected(inputs, 10, magic))
      const theirs = await decodeMessageSet(new KafkaJsDecoder(bytes), bytes.length)
      expect(theirs.map((message) => Number(message.offset))).toEqual([10, 11, 12, 13, 14])
      const batch = new LegacyRecordBatch(bytes.subarray(0, legacyEntry(magic, 10, inputs[0]!).length))
      expect([batch.magic, batch.baseOffset, batch.lastOffset, batch.recordCount, batch.producerId, batch.isValid()]).toEqual([
        magic,
        10,
        10,
        1,
        -1,
        true,
      ])
    })

    for (const codec of ['gzip', 'snappy', 'lz4'] as const) {
      it(`reads magic-${magic} ${codec} wrappers with absolute offsets`, async () => {
        const first = legacyInputs(4, 0)
        const second = legacyInputs(3, 4)
        const bytes = Buffer.concat([legacyWrapper(magic, 100, first, codec), legacyWrapper(magic, 104, second, codec)])
        expect(scanRecords(bytes)).toEqual([...expected(first, 100, magic), ...expected(second, 104, magic)])
        const batches = [...new BatchScanner(bytes, { acceptLegacy: true })]
        expect(batches.map((batch) => [batch.baseOffset, batch.lastOffset, batch.recordCount])).toEqual([
          [100, 103, 4],
          [104, 106, 3],
        ])
        if (codec === 'gzip') {
          const theirs = await decodeMessageSet(new KafkaJsDecoder(bytes), bytes.length)
          expect(theirs.map((message) => [Number(message.offset), message.value?.toString()])).toEqual(
            scanRecords(bytes).map((record) => [record.offset, record.value]),
          )
        }
      })
    }
  }

  it('gives every message of a LogAppendTime wrapper the wrapper timestamp', () => {
    const bytes = legacyWrapper(1, 0, legacyInputs(3), 'gzip', true)
    const batch = new LegacyRecordBatch(bytes)
    expect(batch.timestampType).toBe('LogAppendTime')
    expect([...batch.records()].map((record) => record.timestamp)).toEqual([1_700_000_999_000, 1_700_000_999_000, 1_700_000_999_000])
  })

  it('checks the header checksum of a magic-1 lz4 frame, and skips the broken one of magic 0 only', () => {
    const inputs = legacyInputs(2)
    const broken = legacyWrapper(1, 0, inputs, 'lz4')
    // Put the magic-0 writer's checksum into a magic-1 frame: that is damage there.
    // The value starts after offset, size, crc, magic, attributes, timestamp, a null key and its length.
    const valueStart = 12 + 4 + 1 + 1 + 8 + 4 + 4
    expect(broken[valueStart + 6]).toBe(0x82)
    broken[valueStart + 6] = 0x1a
    const view = new LegacyRecordBatch(broken)
    expect(() => [...view.records()]).toThrow(CorruptRecordError)
    expect(scanRecords(legacyWrapper(0, 0, inputs, 'lz4'))).toEqual(expected(inputs, 0, 0))
  })

  it('reports a flipped byte as a bad CRC', () => {
    const bytes = legacyEntry(1, 0, { key: null, value: Buffer.from('hello'), timestamp: 5 })
    bytes[bytes.length - 1]! ^= 0xff
    const batch = new LegacyRecordBatch(bytes)
    expect(batch.isValid()).toBe(false)
    expect(() => batch.ensureValid()).toThrow(expect.objectContaining({ reason: 'bad-crc' }))
  })

  it('reads v2 batches after legacy entries in one buffer', () => {
    const legacy = legacyWrapper(1, 0, legacyInputs(3), 'gzip')
    const v2 = encodeBatch([{ key: null, value: Buffer.from('new'), timestamp: 7 }], { baseOffset: 3 })
    const records = scanRecords(Buffer.concat([legacy, v2]))
    expect(records.map((record) => record.offset)).toEqual([0, 1, 2, 3])
    expect(records[3]!.value).toBe('new')
  })

  it('is refused where appends scan (no acceptLegacy)', () => {
    const bytes = legacyEntry(1, 0, { key: null, value: Buffer.alloc(64) })
    expect(() => new BatchScanner(bytes).next()).toThrow(expect.objectContaining({ reason: 'bad-magic' }))
  })

  it('reports a truncated compressed area as corruption with the value position', () => {
    const inputs = legacyInputs(3)
    const plain = Buffer.concat(inputs.map((input, slot) => legacyEntry(1, slot, input)))
    // A wrapper whose "gzip" value is the uncompressed entries: not a gzip member.
    const wrapper = legacyEntry(1, 2, { key: null, value: plain, timestamp: 1 }, 1)
    const batch = new LegacyRecordBatch(wrapper)
    expect(batch.isValid()).toBe(true)
    expect(() => [...batch.records()]).toThrow(expect.objectContaining({ reason: 'bad-compression-frame' }))
  })
})

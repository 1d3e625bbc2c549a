import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readControlRecord, encodeTransactionMarker } from '../../src/record/control-record.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RecordBatch,
} from '../../src/record/record-batch.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { readVarint, readVarlong, writeVarint, writeVarlong } from '../../src/record/varint.js'

/**
 * docs/format/record-batch.md is checked against the code: the hex dumps must be what encodeBatch
 * writes, the varint table what the varint codec writes, and the header table the codec's constants.
 */

const DOC = readFileSync(new URL('../../docs/format/record-batch.md', import.meta.url), 'utf8')

/** Body of the fenced block opened by "```<info>" (the whole info string must match). */
function fencedBlock(info: string): string {
  const opening = '```' + info + '\n'
  const start = DOC.indexOf(opening)
  if (start < 0) throw new Error(`docs/format/record-batch.md has no \`\`\`${info} block`)
  const bodyStart = start + opening.length
  const end = DOC.indexOf('\n```', bodyStart)
  return DOC.slice(bodyStart, end + 1)
}

interface DumpLine {
  bytes: Buffer
  /** The position the annotation claims (the number after '#'). */
  claimedPosition: number
}

/** Lines of "hex bytes   # position  comment"; spaces inside the hex are ignored. */
function parseHexDump(body: string): DumpLine[] {
  return body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const hash = line.indexOf('#')
      const hex = (hash < 0 ? line : line.slice(0, hash)).replace(/\s+/g, '')
      expect(hex).toMatch(/^([0-9a-f]{2})+$/)
      const claimedPosition = Number((hash < 0 ? '' : line.slice(hash + 1)).trim().split(/\s+/)[0])
      return { bytes: Buffer.from(hex, 'hex'), claimedPosition }
    })
}

function dumpBytes(info: string): Buffer {
  const lines = parseHexDump(fencedBlock(info))
  // Each annotation's position must be where its bytes actually start.
  let position = 0
  for (const line of lines) {
    expect(line.claimedPosition).toBe(position)
    position += line.bytes.length
  }
  return Buffer.concat(lines.map((line) => line.bytes))
}

describe('docs/format/record-batch.md', () => {
  it('shows the bytes encodeBatch writes for the "hello" example', () => {
    const documented = dumpBytes('hex hello-batch')
    expect(documented.length).toBe(73)
    const encoded = encodeBatch([{ key: null, value: Buffer.from('hello'), timestamp: 1700000000000 }], {
      baseOffset: 0,
      partitionLeaderEpoch: 0,
    })
    expect(encoded.toString('hex')).toBe(documented.toString('hex'))
  })

  it('reads the documented fields back from the "hello" example', () => {
    const batch = new RecordBatch(dumpBytes('hex hello-batch'))
    batch.ensureValid()
    expect({
      baseOffset: batch.baseOffset,
      batchLength: batch.batchLength,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      magic: batch.magic,
      crc: batch.crc,
      attributes: batch.attributes,
      compressionId: batch.compressionId,
      timestampType: batch.timestampType,
      isTransactional: batch.isTransactional,
      isControl: batch.isControl,
      lastOffsetDelta: batch.lastOffsetDelta,
      lastOffset: batch.lastOffset,
      baseTimestamp: batch.baseTimestamp,
      maxTimestamp: batch.maxTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      recordCount: batch.recordCount,
    }).toEqual({
      baseOffset: 0,
      batchLength: 61,
      partitionLeaderEpoch: 0,
      magic: 2,
      crc: 3863061579,
      attributes: 0,
      compressionId: 0,
      timestampType: 'CreateTime',
      isTransactional: false,
      isControl: false,
      lastOffsetDelta: 0,
      lastOffset: 0,
      baseTimestamp: 1700000000000,
      maxTimestamp: 1700000000000,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 1,
    })
    expect(batch.toArray()).toEqual([{ offset: 0, timestamp: 1700000000000, key: null, value: Buffer.from('hello'), headers: [] }])
  })

  it('shows the bytes of the COMMIT marker example', () => {
    const documented = dumpBytes('hex commit-marker')
    expect(documented.length).toBe(78)
    const marker = encodeTransactionMarker('COMMIT', 5)
    const encoded = encodeBatch([{ ...marker, timestamp: 1700000000000 }], {
      baseOffset: 42,
      partitionLeaderEpoch: 3,
      producerId: 1000,
      producerEpoch: 0,
      isTransactional: true,
      isControl: true,
    })
    expect(encoded.toString('hex')).toBe(documented.toString('hex'))
    const batch = new RecordBatch(documented)
    batch.ensureValid()
    expect([batch.attributes, batch.isControl, batch.isTransactional, batch.producerId, batch.baseOffset]).toEqual([
      0x30,
      true,
      true,
      1000,
      42,
    ])
    expect(readControlRecord(batch.toArray()[0]!)).toEqual({ type: 'COMMIT', typeId: 1, coordinatorEpoch: 5 })
  })

  it('lists varint bytes the codec writes and reads', () => {
    const rows = fencedBlock('zigzag')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => {
        const [value, ...hex] = line.trim().split(/\s+/)
        return { value: Number(value), hex: hex.join('') }
      })
    expect(rows.length).toBeGreaterThan(10)
    const buf = Buffer.alloc(10)
    for (const { value, hex } of rows) {
      const isInt32 = value >= -0x80000000 && value <= 0x7fffffff
      if (isInt32) {
        const end = writeVarint(buf, value, 0)
        expect([value, buf.subarray(0, end).toString('hex')]).toEqual([value, hex])
        expect(readVarint(Buffer.from(hex, 'hex'), { position: 0 }, hex.length / 2)).toBe(value)
      }
      // A varlong of an int32 value has the same bytes as its varint.
      const end = writeVarlong(buf, value, 0)
      expect([value, buf.subarray(0, end).toString('hex')]).toEqual([value, hex])
      expect(readVarlong(Buffer.from(hex, 'hex'), { position: 0 }, hex.length / 2)).toBe(value)
    }
  })

  it('has a header table that matches the codec constants', () => {
    const constants: Record<string, [number, number]> = {
      baseOffset: [BASE_OFFSET_OFFSET, 8],
      batchLength: [BATCH_LENGTH_OFFSET, 4],
      partitionLeaderEpoch: [PARTITION_LEADER_EPOCH_OFFSET, 4],
      magic: [MAGIC_OFFSET, 1],
      crc: [CRC_OFFSET, 4],
      attributes: [ATTRIBUTES_OFFSET, 2],
      lastOffsetDelta: [LAST_OFFSET_DELTA_OFFSET, 4],
      baseTimestamp: [BASE_TIMESTAMP_OFFSET, 8],
      maxTimestamp: [MAX_TIMESTAMP_OFFSET, 8],
      producerId: [PRODUCER_ID_OFFSET, 8],
      producerEpoch: [PRODUCER_EPOCH_OFFSET, 2],
      baseSequence: [BASE_SEQUENCE_OFFSET, 4],
      recordsCount: [RECORDS_COUNT_OFFSET, 4],
      records: [BATCH_HEADER_SIZE, NaN],
    }
    const section = DOC.slice(DOC.indexOf('## Batch header'), DOC.indexOf('### Attributes'))
    const documented: Record<string, [number, number]> = {}
    for (const match of section.matchAll(/^\| (\d+) \| (\d+|…) \| (\w+) \|/gm)) {
      documented[match[3]!] = [Number(match[1]), match[2] === '…' ? NaN : Number(match[2])]
    }
    expect(documented).toEqual(constants)
  })
})

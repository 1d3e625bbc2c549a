import { describe, expect, it } from 'vitest'
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  SNAPSHOT_ENTRY_SIZE,
  SNAPSHOT_HEADER_SIZE,
  type SnapshotEntry,
} from '../../src/format/producer-snapshot.js'
import { CorruptRecordError } from '../../src/record/errors.js'

const entries: SnapshotEntry[] = [
  {
    producerId: 7,
    producerEpoch: 2,
    coordinatorEpoch: -1,
    currentTxnFirstOffset: null,
    lastTimestamp: 1_700_000_000_000,
    batch: { firstSequence: 10, lastSequence: 14, lastOffset: 99, offsetDelta: 4, timestamp: 1_700_000_000_000 },
  },
  { producerId: 2 ** 40, producerEpoch: 0, coordinatorEpoch: 3, currentTxnFirstOffset: 50, lastTimestamp: -1, batch: null },
  // The sequence space wraps: last sequence 1 with 4 records before it started at 2^31 - 3.
  {
    producerId: 9,
    producerEpoch: 1,
    coordinatorEpoch: -1,
    currentTxnFirstOffset: null,
    lastTimestamp: 5,
    batch: { firstSequence: 0x7ffffffe, lastSequence: 1, lastOffset: 20, offsetDelta: 3, timestamp: 5 },
  },
]

function failure(bytes: Buffer): CorruptRecordError {
  try {
    decodeProducerSnapshot(bytes)
  } catch (error) {
    return error as CorruptRecordError
  }
  throw new Error('decoded')
}

describe('producer snapshot format', () => {
  it('round-trips producers, with and without a batch', () => {
    const bytes = encodeProducerSnapshot(entries)
    expect(bytes.length).toBe(SNAPSHOT_HEADER_SIZE + SNAPSHOT_ENTRY_SIZE * entries.length)
    expect(decodeProducerSnapshot(bytes)).toEqual(entries)
  })

  it('pins the header and first entry bytes', () => {
    const bytes = encodeProducerSnapshot(entries.slice(0, 1))
    expect(bytes.readInt16BE(0)).toBe(1)
    expect(bytes.readInt32BE(6)).toBe(1)
    expect(bytes.subarray(10).toString('hex')).toBe(
      '0000000000000007' + '0002' + '0000000e' + '0000000000000063' + '00000004' + '0000018bcfe56800' + 'ffffffff' + 'ffffffffffffffff',
    )
  })

  it('rejects a flipped byte, a wrong version and a wrong length with reason and position', () => {
    const bytes = encodeProducerSnapshot(entries)
    const flipped = Buffer.from(bytes)
    flipped[30]! ^= 0x01
    expect(failure(flipped)).toMatchObject({ code: 'CORRUPT_RECORD', reason: 'bad-crc', position: 2 })
    const version = Buffer.from(bytes)
    version.writeInt16BE(2, 0)
    expect(failure(version)).toMatchObject({ reason: 'bad-magic', position: 0 })
    expect(failure(bytes.subarray(0, 6))).toMatchObject({ reason: 'bad-length', position: 0 })
    expect(failure(bytes.subarray(0, bytes.length - 1))).toMatchObject({ reason: 'bad-crc' })
  })
})

import { describe, expect, it } from 'vitest'
import { decodeTxnIndex, encodeAbortedTxn, encodeTxnIndex, TXN_INDEX_ENTRY_SIZE } from '../../src/format/txn-index.js'
import { CorruptRecordError } from '../../src/record/errors.js'

/**
 * The `.txnindex` entry, byte for byte as Kafka's AbortedTxn lays it out (spec §10): version int16,
 * producerId, firstOffset, lastOffset, lastStableOffset, all int64 big-endian, 34 bytes.
 */
const entry = { producerId: 1000, firstOffset: 42, lastOffset: 57, lastStableOffset: 58 }
const entryHex =
  '0000' + // version 0
  '00000000000003e8' + // producer id 1000
  '000000000000002a' + // first offset 42
  '0000000000000039' + // last offset 57 (the ABORT marker)
  '000000000000003a' // last stable offset 58

function failure(bytes: Buffer, baseOffset: number): CorruptRecordError {
  try {
    decodeTxnIndex(bytes, baseOffset)
  } catch (error) {
    return error as CorruptRecordError
  }
  throw new Error('decoded')
}

describe('.txnindex entries', () => {
  it('encode to the 34 bytes Kafka writes', () => {
    expect(TXN_INDEX_ENTRY_SIZE).toBe(34)
    expect(encodeAbortedTxn(entry).toString('hex')).toBe(entryHex)
  })

  it('decode back, ignoring a torn trailing entry', () => {
    const second = { producerId: 2 ** 40, firstOffset: 60, lastOffset: 90, lastStableOffset: 61 }
    const bytes = encodeTxnIndex([entry, second])
    expect(decodeTxnIndex(bytes, 0)).toEqual([entry, second])
    expect(decodeTxnIndex(bytes.subarray(0, 34 + 20), 0)).toEqual([entry])
  })

  it('fails Kafka sanity check: a marker below the segment base, at the byte of the field', () => {
    const error = failure(encodeTxnIndex([entry]), 100)
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect(error.reason).toBe('bad-offset')
    expect(error.position).toBe(18)
  })

  it('refuses an unknown version and entries out of marker order', () => {
    const versioned = encodeTxnIndex([entry])
    versioned.writeInt16BE(1, 0)
    expect(failure(versioned, 0)).toMatchObject({ reason: 'bad-magic', position: 0 })
    const reversed = encodeTxnIndex([{ ...entry, lastOffset: 80 }, entry])
    expect(failure(reversed, 0)).toMatchObject({ reason: 'bad-offset', position: 34 + 10 })
  })
})

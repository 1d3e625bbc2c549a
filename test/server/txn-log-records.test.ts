import { describe, expect, it } from 'vitest'
import { CorruptMetadataError } from '../../src/index.js'
import { decodeTxnLogKey, decodeTxnLogValue, encodeTxnLogKey, encodeTxnLogValue } from '../../src/server/txn/txn-log-records.js'
import type { TxnMetadata } from '../../src/server/txn/txn-metadata.js'

/**
 * The records of `__transaction_state` against Kafka's TransactionLogKey/TransactionLogValue
 * schemas (transaction-coordinator/src/main/resources/common/message/): bytes assembled by hand
 * from the schema, field by field (docs/format/transaction-state.md).
 */

const hex = (...parts: string[]): Buffer => Buffer.from(parts.join(''), 'hex')

function metadata(overrides: Partial<TxnMetadata> = {}): TxnMetadata {
  return {
    transactionalId: 'tx-1',
    producerId: 1000,
    producerEpoch: 2,
    transactionTimeoutMs: 60_000,
    state: 'Ongoing',
    partitions: new Map([['orders', new Set([2, 0])]]),
    startTimestampMs: 1_700_000_000_000,
    lastUpdateTimestampMs: 1_700_000_000_123,
    ...overrides,
  }
}

const ONGOING_V0 = hex(
  '0000', // value version 0
  '00000000000003e8', // producer id 1000
  '0002', // producer epoch 2
  '0000ea60', // transaction timeout 60000 ms
  '01', // status 1: Ongoing
  '00000001', // one topic
  '0006' + '6f7264657273', // 'orders'
  '00000002' + '00000000' + '00000002', // partitions 0 and 2
  '0000018bcfe5687b', // last update 1700000000123
  '0000018bcfe56800', // start 1700000000000
)

describe('TransactionLogKey', () => {
  it('is version 0 then the transactional id as an int16-length string', () => {
    expect(encodeTxnLogKey('tx-1')).toEqual(hex('0000', '0004', '74782d31'))
    expect(decodeTxnLogKey(hex('0000', '0004', '74782d31'))).toBe('tx-1')
  })

  it('refuses an unknown version and a cut key with CORRUPT_METADATA', () => {
    expect(() => decodeTxnLogKey(hex('0001', '0004', '74782d31'))).toThrow(CorruptMetadataError)
    const cut = (() => {
      try {
        decodeTxnLogKey(hex('0000', '0004', '7478'))
      } catch (error) {
        return error as CorruptMetadataError
      }
    })()
    expect(cut?.code).toBe('CORRUPT_METADATA')
    expect(cut?.position).toBe(2) // the string's length, which runs past the end
  })
})

describe('TransactionLogValue', () => {
  it('writes version 0 as Kafka does, partitions sorted', () => {
    expect(encodeTxnLogValue(metadata())).toEqual(ONGOING_V0)
    expect(decodeTxnLogValue('tx-1', ONGOING_V0)).toEqual({ ...metadata(), partitions: new Map([['orders', new Set([0, 2])]]) })
  })

  it('writes null partitions for Empty, and a null value is a tombstone', () => {
    const empty = metadata({ state: 'Empty', partitions: new Map(), startTimestampMs: -1 })
    const bytes = hex(
      '0000',
      '00000000000003e8',
      '0002',
      '0000ea60',
      '00', // status 0: Empty
      'ffffffff', // partitions: null
      '0000018bcfe5687b',
      'ffffffffffffffff', // start -1
    )
    expect(encodeTxnLogValue(empty)).toEqual(bytes)
    expect(decodeTxnLogValue('tx-1', bytes)).toEqual(empty)
    expect(decodeTxnLogValue('tx-1', null)).toBeNull()
  })

  it('reads version 1, the flexible form with tagged fields', () => {
    const flexible = hex(
      '0001', // value version 1
      '00000000000003e8',
      '0002',
      '0000ea60',
      '02', // status 2: PrepareCommit
      '02', // compact array: one topic (count + 1)
      '07' + '6f7264657273', // compact string 'orders'
      '03' + '00000000' + '00000002', // compact array of two partitions
      '00', // no tagged fields in the topic entry
      '0000018bcfe5687b',
      '0000018bcfe56800',
      '02', // two tagged fields
      '00' + '08' + '0000000000000384', // tag 0 PreviousProducerId = 900
      '02' + '02' + '0002', // tag 2 ClientTransactionVersion = 2
    )
    expect(decodeTxnLogValue('tx-1', flexible)).toEqual({
      ...metadata({ state: 'PrepareCommit' }),
      partitions: new Map([['orders', new Set([0, 2])]]),
    })
  })

  it('refuses an unknown status or version, and cut bytes, with CORRUPT_METADATA', () => {
    const badStatus = Buffer.from(ONGOING_V0)
    badStatus[16] = 9
    expect(() => decodeTxnLogValue('tx-1', badStatus)).toThrow(expect.objectContaining({ code: 'CORRUPT_METADATA', position: 16 }))
    const badVersion = Buffer.from(ONGOING_V0)
    badVersion[1] = 2
    expect(() => decodeTxnLogValue('tx-1', badVersion)).toThrow(CorruptMetadataError)
    expect(() => decodeTxnLogValue('tx-1', ONGOING_V0.subarray(0, 30))).toThrow(CorruptMetadataError)
  })
})

import { decodeMessage, encodeMessage } from '../protocol/index.js'
import { TransactionLogKey, TransactionLogValue } from '../protocol/definitions/txn.js'
import { txnStateId, txnStateOf, type TxnMetadata } from './txn-metadata.js'
import { TxnLogRecordError } from './txn-errors.js'

/**
 * The records of `__transaction_state`, as Kafka's transaction coordinator writes them
 * (kafka.coordinator.transaction.TransactionLog). One record per change of a transactional id;
 * the newest record of a key wins, so the topic can be compacted. docs/format/transaction-state.md
 * has a worked example.
 *
 * Key (version 0):
 * | field           | size      | meaning                                   |
 * |-----------------|-----------|-------------------------------------------|
 * | version         | int16     | 0                                         |
 * | TransactionalId | int16 + n | the id, UTF-8, length-prefixed            |
 *
 * Value (version 0, what Kafka writes until transaction.version 1 is enabled; null = tombstone):
 * | field                             | size  | meaning                                                |
 * |-----------------------------------|-------|--------------------------------------------------------|
 * | version                           | int16 | 0 (1 is the flexible form, read but never written)     |
 * | ProducerId                        | int64 |                                                        |
 * | ProducerEpoch                     | int16 |                                                        |
 * | TransactionTimeoutMs              | int32 |                                                        |
 * | TransactionStatus                 | int8  | a TXN_STATES index: 0 Empty, 1 Ongoing, 2 PrepareCommit, 3 PrepareAbort,  |
 * |                                   |       | 4 CompleteCommit, 5 CompleteAbort, 6 Dead, 7 PrepareEpochFence             |
 * | TransactionPartitions             | array | int32 count (-1: null, when Empty) of { Topic: int16 length + UTF-8,      |
 * |                                   |       | PartitionIds: int32 count of int32 }                                       |
 * | TransactionLastUpdateTimestampMs  | int64 |                                                        |
 * | TransactionStartTimestampMs       | int64 | -1 outside a transaction                               |
 */

const VERSION_SIZE = 2
const KEY_VERSION = 0
const VALUE_VERSION = 0
/** TransactionStatus's byte: after the version, ProducerId, ProducerEpoch and TransactionTimeoutMs. */
const STATUS_POSITION = VERSION_SIZE + 8 + 2 + 4

function withVersion(version: number, chunks: Buffer[]): Buffer {
  const prefix = Buffer.alloc(VERSION_SIZE)
  prefix.writeInt16BE(version, 0)
  return Buffer.concat([prefix, ...chunks])
}

export function encodeTxnLogKey(transactionalId: string): Buffer {
  return withVersion(KEY_VERSION, encodeMessage(TransactionLogKey, KEY_VERSION, { transactionalId }))
}

export function encodeTxnLogValue(meta: TxnMetadata): Buffer {
  const partitions =
    meta.state === 'Empty' ? null : [...meta.partitions].map(([topic, ids]) => ({ topic, partitionIds: [...ids].sort((a, b) => a - b) }))
  return withVersion(
    VALUE_VERSION,
    encodeMessage(TransactionLogValue, VALUE_VERSION, {
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      transactionTimeoutMs: meta.transactionTimeoutMs,
      transactionStatus: txnStateId(meta.state),
      transactionPartitions: partitions,
      transactionLastUpdateTimestampMs: meta.lastUpdateTimestampMs,
      transactionStartTimestampMs: meta.startTimestampMs,
    }),
  )
}

function versionOf(buf: Buffer, what: 'key' | 'value', highest: number): number {
  if (buf.length < VERSION_SIZE) throw new TxnLogRecordError(what, 0, `${buf.length} bytes, too short for a version`)
  const version = buf.readInt16BE(0)
  if (version < 0 || version > highest) throw new TxnLogRecordError(what, 0, `unknown version ${version}`)
  return version
}

export function decodeTxnLogKey(buf: Buffer): string {
  const version = versionOf(buf, 'key', 0)
  try {
    return decodeMessage(TransactionLogKey, version, buf.subarray(VERSION_SIZE)).transactionalId
  } catch (error) {
    throw TxnLogRecordError.wrap('key', error)
  }
}

/** The metadata a value stores for `transactionalId`, or null for a tombstone. */
export function decodeTxnLogValue(transactionalId: string, buf: Buffer | null): TxnMetadata | null {
  if (buf === null) return null
  const version = versionOf(buf, 'value', 1)
  let value
  try {
    value = decodeMessage(TransactionLogValue, version, buf.subarray(VERSION_SIZE))
  } catch (error) {
    throw TxnLogRecordError.wrap('value', error)
  }
  const state = txnStateOf(value.transactionStatus)
  if (state === null) throw new TxnLogRecordError('value', STATUS_POSITION, `unknown transaction status ${value.transactionStatus}`)
  const partitions = new Map<string, Set<number>>()
  if (state !== 'Empty') for (const entry of value.transactionPartitions ?? []) partitions.set(entry.topic, new Set(entry.partitionIds))
  return {
    transactionalId,
    producerId: value.producerId,
    producerEpoch: value.producerEpoch,
    transactionTimeoutMs: value.transactionTimeoutMs,
    state,
    partitions,
    startTimestampMs: value.transactionStartTimestampMs,
    lastUpdateTimestampMs: value.transactionLastUpdateTimestampMs,
  }
}

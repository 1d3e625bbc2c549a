import type { AbortedTxn } from '../format/txn-index.js'
import { encodeTransactionMarker, readControlRecord } from '../record/control-record.js'
import type { EncodeBatchOptions } from '../record/batch-encoder.js'
import { checkCount } from './log-arguments.js'
import type { RecordBatch } from '../record/record-batch.js'
import type { DecodedRecord } from '../record/record.js'
import { InvalidArgumentError } from '../errors.js'
import type { LogReader } from './log-reader.js'
import type { ReadOptions, ReadRawResult } from './partition-types.js'
import type { ProducerState } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import type { AbortedTxnIndex } from './txn-index.js'

/**
 * The read side of transactions (Kafka's READ_COMMITTED): the last stable offset, raw reads that
 * stop there and name the aborted transactions they overlap, and decoded reads that leave out
 * aborted records and control batches. The write side is ProducerState (open transactions,
 * markers) and AbortedTxnIndex (the `.txnindex` files).
 */

export type IsolationLevel = 'read_uncommitted' | 'read_committed'

/** What the transactional reads need of a partition log. */
export interface TransactionalSource {
  readonly list: SegmentList
  readonly producerState: ProducerState
  readonly txnIndex: AbortedTxnIndex
  readonly reader: LogReader
}

/**
 * The last stable offset: below it every transaction is decided. The first offset of the oldest
 * open transaction, or the high watermark when that is lower (or nothing is open).
 */
export function lastStableOffset(source: { list: SegmentList; producerState: ProducerState }): number {
  const unstable = source.producerState.transactions.firstUnstableOffset()
  const highWatermark = source.list.highWatermark
  return unstable === null ? highWatermark : Math.min(unstable, highWatermark)
}

export function checkIsolation(isolation: unknown, where: string): IsolationLevel {
  if (isolation === undefined || isolation === 'read_uncommitted') return 'read_uncommitted'
  if (isolation === 'read_committed') return 'read_committed'
  throw new InvalidArgumentError(`${where}: isolation must be 'read_uncommitted' or 'read_committed', got ${String(isolation)}`)
}

/** PartitionLog.readRaw: at READ_UNCOMMITTED (the default) the reader's, at READ_COMMITTED `readCommitted`. */
export function readIsolated(source: TransactionalSource, offset: number, options: ReadOptions): Promise<ReadRawResult> {
  try {
    if (checkIsolation(options?.isolation, 'readRaw') === 'read_uncommitted') return source.reader.readRaw(offset, options)
  } catch (error) {
    return Promise.reject(error)
  }
  return readCommitted(source, offset, options)
}

/**
 * readRaw at READ_COMMITTED: whole batches below the LSO, and the aborted transactions overlapping
 * [offset, nextOffset), which a Kafka client needs to drop their records (Fetch's aborted_transactions).
 */
export async function readCommitted(source: TransactionalSource, offset: number, options: ReadOptions): Promise<ReadRawResult> {
  const stable = lastStableOffset(source)
  const maxOffset = Math.min(options.maxOffset ?? stable, stable)
  const result = await source.reader.readRaw(offset, {
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.buffer === undefined ? {} : { buffer: options.buffer }),
    maxOffset,
  })
  return { ...result, abortedTransactions: source.txnIndex.collect(offset, result.nextOffset) }
}

/**
 * Filters batches read in offset order the way a READ_COMMITTED Kafka consumer does: a
 * transactional batch is dropped while its producer has an aborted transaction that has begun
 * (first offset reached) and whose ABORT marker has not yet gone by; control batches are dropped.
 * `aborted` must hold the aborted transactions overlapping the range read.
 */
export class CommittedFilter {
  private readonly pending: AbortedTxn[]
  private next = 0
  private readonly abortedProducers = new Set<number>()

  constructor(aborted: readonly AbortedTxn[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** Whether `batch` holds records a READ_COMMITTED reader sees. */
  accepts(batch: RecordBatch): boolean {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= batch.lastOffset) {
      this.abortedProducers.add(this.pending[this.next]!.producerId)
      this.next++
    }
    if (batch.isControl) {
      if (batch.isTransactional && this.abortedProducers.has(batch.producerId)) {
        for (const record of batch.records()) if (readControlRecord(record).type === 'ABORT') this.abortedProducers.delete(batch.producerId)
      }
      return false
    }
    return !(batch.isTransactional && this.abortedProducers.has(batch.producerId))
  }
}

/** PartitionLog.batches at READ_COMMITTED: up to the LSO, aborted and control batches left out. */
export async function* committedBatches(
  source: TransactionalSource,
  options: { from: number; to?: number; maxBytes?: number },
): AsyncGenerator<RecordBatch> {
  const to = Math.min(options.to ?? Infinity, lastStableOffset(source))
  const filter = new CommittedFilter(source.txnIndex.collect(options.from, to))
  for await (const batch of source.reader.batches({ ...options, to })) {
    if (filter.accepts(batch)) yield batch
  }
}

/** PartitionLog.records at READ_COMMITTED. */
export async function* committedRecords(
  source: TransactionalSource,
  options: { from: number; to?: number },
): AsyncGenerator<DecodedRecord> {
  const to = options.to ?? Infinity
  for await (const batch of committedBatches(source, options)) {
    for (const record of batch.records()) {
      if (record.offset < options.from) continue
      if (record.offset >= to) return
      yield record
    }
  }
}

/** The control batch's record and options for writeTxnMarker, its arguments checked. */
export function transactionMarker(
  producerId: number,
  producerEpoch: number,
  result: 'commit' | 'abort',
  coordinatorEpoch: number,
): { records: { key: Buffer; value: Buffer }[]; options: Omit<EncodeBatchOptions, 'compression'> } {
  checkCount(producerId, 'producerId', 'writeTxnMarker')
  checkCount(producerEpoch, 'producerEpoch', 'writeTxnMarker')
  if (!Number.isSafeInteger(coordinatorEpoch)) throw new InvalidArgumentError(`writeTxnMarker: coordinatorEpoch must be an integer`)
  if (result !== 'commit' && result !== 'abort') throw new InvalidArgumentError(`writeTxnMarker: result must be 'commit' or 'abort'`)
  const { key, value } = encodeTransactionMarker(result === 'commit' ? 'COMMIT' : 'ABORT', coordinatorEpoch)
  return { records: [{ key, value }], options: { producerId, producerEpoch, isTransactional: true, isControl: true } }
}

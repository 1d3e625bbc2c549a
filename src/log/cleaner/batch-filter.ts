import type { RecordBatch } from '../../record/record-batch.js'
import { rewriteBatch, storedRecords, type StoredRecord } from './batch-rewrite.js'
import type { CleanedTransactions } from './cleaned-transactions.js'
import type { OffsetMap } from './offset-map.js'

/** What the cleaner knows when it decides a batch's fate. */
export interface FilterContext {
  /** Key → offset of its last record in the dirty section mapped this pass. */
  readonly map: OffsetMap
  /**
   * Where the map ends (a batch boundary). Batches from here on were not mapped: they pass
   * unchanged, tombstones included, so no tombstone loses its horizon before it has been mapped
   * (and the older records of its key removed).
   */
  readonly mapEnd: number
  readonly nowMs: number
  readonly deleteRetentionMs: number
  /**
   * The pass's view of transactions (cleaned-transactions.ts): which data batches belong to
   * aborted transactions and which markers may go. It must see every batch of the cleaned
   * segments in order, which filterBatch does. Null: no transactions considered (tests).
   */
  readonly transactions: CleanedTransactions | null
}

/** The fate of one batch and what it took. */
export interface FilteredBatch {
  /** The bytes to write: the batch itself when unchanged, a rebuilt one, or null to drop it. */
  bytes: Buffer | null
  recordsKept: number
  recordsRemoved: number
}

/**
 * Kafka's cleaning rule for one batch. The records of an aborted transaction go, wherever they
 * lie. Otherwise a record stays when it has a key and no later record of that key lies in the
 * mapped section (the map's offset for it is not above its own); a tombstone (null value) stays
 * until its batch's delete horizon has passed. The pass that first keeps a tombstone sets the
 * horizon to now + deleteRetentionMs. A transaction marker follows the same horizon rule once
 * the transactions say it may go (filterControlBatch). A batch left empty is dropped unless
 * `mustKeep` (the last batch of a producer, or of the cleaned range), when it stays as a 61-byte
 * header with its offsets, producer id, epoch, sequence numbers and transactional bit.
 */
export function filterBatch(batch: RecordBatch, context: FilterContext, mustKeep: boolean): FilteredBatch {
  if (batch.isControl) return filterControlBatch(batch, context, mustKeep)
  const aborted = context.transactions?.onDataBatch(batch) === true
  if (!aborted && batch.baseOffset >= context.mapEnd) return { bytes: batch.buffer, recordsKept: batch.recordCount, recordsRemoved: 0 }
  const records = storedRecords(batch)
  const kept: StoredRecord[] = []
  let hasTombstone = false
  const horizonPassed = batch.hasDeleteHorizon && context.nowMs >= batch.baseTimestamp
  for (const record of records) {
    if (aborted || record.key === null) continue
    const latest = context.map.get(record.key)
    if (latest > batch.baseOffset + record.offsetDelta) continue
    if (record.value === null) {
      if (horizonPassed) continue
      hasTombstone = true
    }
    kept.push(record)
  }
  const removed = records.length - kept.length
  const needsHorizon = hasTombstone && !batch.hasDeleteHorizon
  // An aborted batch emptied by an earlier pass (it was a producer's last) goes once it may.
  if (kept.length === 0 && !mustKeep && (removed > 0 || aborted)) return { bytes: null, recordsKept: 0, recordsRemoved: removed }
  if (removed === 0 && !needsHorizon) return { bytes: batch.buffer, recordsKept: kept.length, recordsRemoved: 0 }
  const horizon = needsHorizon ? context.nowMs + context.deleteRetentionMs : batch.hasDeleteHorizon ? batch.baseTimestamp : null
  return { bytes: rewriteBatch(batch, kept, horizon), recordsKept: kept.length, recordsRemoved: removed }
}

/**
 * A control batch: kept as it is while its transaction still has data in the log; once it may
 * go, the pass that first reaches it stamps the delete horizon (now + deleteRetentionMs, attribute
 * bit 6, as for tombstones), and a pass after the horizon removes it, so a reader that had
 * fetched the transaction's data within deleteRetentionMs still meets its marker. An emptied
 * batch stays when `mustKeep`.
 */
function filterControlBatch(batch: RecordBatch, context: FilterContext, mustKeep: boolean): FilteredBatch {
  const unchanged = { bytes: batch.buffer, recordsKept: batch.recordCount, recordsRemoved: 0 }
  if (context.transactions === null || !context.transactions.onControlBatch(batch)) return unchanged
  if (!batch.hasDeleteHorizon) {
    return { ...unchanged, bytes: rewriteBatch(batch, storedRecords(batch), context.nowMs + context.deleteRetentionMs) }
  }
  if (context.nowMs < batch.baseTimestamp) return unchanged
  if (!mustKeep) return { bytes: null, recordsKept: 0, recordsRemoved: batch.recordCount }
  if (batch.recordCount === 0) return unchanged
  return { bytes: rewriteBatch(batch, [], batch.baseTimestamp), recordsKept: 0, recordsRemoved: batch.recordCount }
}

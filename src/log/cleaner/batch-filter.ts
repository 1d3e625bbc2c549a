import type { RecordBatch } from '../../record/record-batch.js'
import { rewriteBatch, storedRecords, type StoredRecord } from './batch-rewrite.js'
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
   * Transactions hook: whether a transactional batch belongs to an aborted transaction (its data
   * is then dropped, as Kafka's cleaner does). Without transaction support nothing is aborted.
   */
  readonly isAborted?: (batch: RecordBatch) => boolean
}

/** The fate of one batch and what it took. */
export interface FilteredBatch {
  /** The bytes to write: the batch itself when unchanged, a rebuilt one, or null to drop it. */
  bytes: Buffer | null
  recordsKept: number
  recordsRemoved: number
}

/**
 * Kafka's cleaning rule for one batch. A record stays when it has a key and no later record of
 * that key lies in the mapped section (the map's offset for it is not above its own); a tombstone
 * (null value) stays until its batch's delete horizon has passed. The pass that first keeps a
 * tombstone sets the horizon to now + deleteRetentionMs. Control batches are kept as they are
 * (transaction markers are removed only once transactions are known; see the isAborted hook).
 * A batch left empty is dropped unless `mustKeep` (the last batch of a producer, or of the
 * cleaned range), when it stays as a 61-byte header with its offsets and sequence numbers.
 */
export function filterBatch(batch: RecordBatch, context: FilterContext, mustKeep: boolean): FilteredBatch {
  if (batch.isControl || batch.baseOffset >= context.mapEnd)
    return { bytes: batch.buffer, recordsKept: batch.recordCount, recordsRemoved: 0 }
  const records = storedRecords(batch)
  const aborted = batch.isTransactional && context.isAborted?.(batch) === true
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
  if (removed === 0 && !needsHorizon) return { bytes: batch.buffer, recordsKept: kept.length, recordsRemoved: 0 }
  if (kept.length === 0 && !mustKeep) return { bytes: null, recordsKept: 0, recordsRemoved: removed }
  const horizon = needsHorizon ? context.nowMs + context.deleteRetentionMs : batch.hasDeleteHorizon ? batch.baseTimestamp : null
  return { bytes: rewriteBatch(batch, kept, horizon), recordsKept: kept.length, recordsRemoved: removed }
}

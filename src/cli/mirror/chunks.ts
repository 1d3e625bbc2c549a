/**
 * How `seglog mirror` cuts records into batches: at most a number of records, and few enough
 * bytes that the batch fits the topic's limit (Kafka's max.message.bytes, seglog's maxBatchBytes)
 * on the side that appends it. Sizes are upper bounds of the encoded, uncompressed record.
 */

/** Record batch v2 header bytes. */
const BATCH_OVERHEAD_BYTES = 61
/** Bound on a record's own fields besides key, value and headers: length, attributes, deltas, counts. */
const RECORD_OVERHEAD_BYTES = 32
/** Bound on a header's varint lengths. */
const HEADER_OVERHEAD_BYTES = 10

export interface SizedRecord {
  key: Buffer | null
  value: Buffer | null
  headers: readonly { key: string; value: Buffer | null }[]
}

export function recordBytesBound(record: SizedRecord): number {
  let size = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  for (const header of record.headers) size += HEADER_OVERHEAD_BYTES + Buffer.byteLength(header.key) + (header.value?.length ?? 0)
  return size
}

/**
 * How many records from `from` go in the next batch: up to `maxRecords`, and while they fit in
 * `maxBatchBytes`; always at least one (a record too large on its own is the destination's to refuse).
 */
export function nextChunkSize(records: readonly SizedRecord[], from: number, maxRecords: number, maxBatchBytes: number): number {
  let bytes = BATCH_OVERHEAD_BYTES
  let count = 0
  while (from + count < records.length && count < maxRecords) {
    bytes += recordBytesBound(records[from + count]!)
    if (count > 0 && bytes > maxBatchBytes) break
    count++
  }
  return count
}

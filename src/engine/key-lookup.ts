import type { KeyLookupOptions } from '../log/key-lookup.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { DecodedRecord } from '../record/record.js'

/** A record found by key, with the partition it is in. */
export interface KeyedRecord extends DecodedRecord {
  partition: number
}

/**
 * The records of `key` in every partition of a topic (`engine.partitions(topic)`): each
 * partition's newest `limit` (by offset), merged newest first by timestamp (then by partition and
 * offset), at most `limit` in all. Each partition is searched with
 * PartitionLog.lookupKey, a scan: see its cost there.
 */
export async function lookupKeyInTopic(
  partitions: readonly PartitionLog[],
  key: Buffer,
  options: KeyLookupOptions = {},
): Promise<KeyedRecord[]> {
  const perPartition = await Promise.all(
    partitions.map(async (log) => (await log.lookupKey(key, options)).map((record) => ({ ...record, partition: log.partition }))),
  )
  const all = perPartition.flat()
  all.sort((a, b) => b.timestamp - a.timestamp || a.partition - b.partition || b.offset - a.offset)
  return all.slice(0, options.limit ?? all.length)
}

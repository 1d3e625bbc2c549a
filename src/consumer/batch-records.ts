import { InvalidArgumentError } from '../errors.js'
import type { RecordBatch } from '../record/record-batch.js'
import type { RecordFactory } from '../record/record.js'
import type { ConsumerRecord } from './partition-assignment.js'

/** Keeps a record (true) or skips it: the consumer's `tags` option. */
export type TagFilter = (record: ConsumerRecord) => boolean

/**
 * The records of one batch as the consumer hands them out: one object per record, built in one
 * pass over the batch (no iterator step per record), without those before `position` (a read that
 * starts inside a batch) and those the tag filter skips.
 */
export function consumerRecordsOf(
  batch: RecordBatch,
  topic: string,
  partition: number,
  position: number,
  tags: TagFilter | null,
): ConsumerRecord[] {
  const records = batch.recordArrayAs(consumerRecordFactory(topic, partition))
  if (tags === null && isAllFrom(records, position)) return records
  return records.filter((record) => record.offset >= position && (tags === null || tags(record)))
}

/** Builds each decoded record of `topic`/`partition` as a ConsumerRecord, in one allocation. */
export function consumerRecordFactory(topic: string, partition: number): RecordFactory<ConsumerRecord> {
  return (offset, timestamp, key, value, headers) => ({ topic, partition, offset, timestamp, key, value, headers })
}

function isAllFrom(records: readonly ConsumerRecord[], position: number): boolean {
  for (let slot = 0; slot < records.length; slot++) if (records[slot]!.offset < position) return false
  return true
}

/** The consumer's `tags` option as a filter on the `tagHeader` header; null keeps every record. */
export function tagFilter(tags: readonly string[] | undefined, tagHeader = 'tag'): TagFilter | null {
  if (tags === undefined) return null
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))
    throw new InvalidArgumentError('tags must be an array of strings')
  const wanted = new Set(tags)
  return (record) => {
    for (const header of record.headers)
      if (header.key === tagHeader && header.value !== null && wanted.has(header.value.toString())) return true
    return false
  }
}

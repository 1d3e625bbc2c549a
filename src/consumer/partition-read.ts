import { OffsetOutOfRangeError } from '../log/errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import { checkIsolation, CommittedFilter, type IsolationLevel } from '../log/transactions.js'
import { BatchScanner } from '../record/batch-scanner.js'
import { consumerRecordsOf, type TagFilter } from './batch-records.js'
import { deletedError, type Assignment } from './partition-assignment.js'

/**
 * The consumer's read of one partition: fetch the next whole batches into the assignment, decode
 * them one batch at a time, and leave out what the consumer never hands out (control batches,
 * records of other tags, and at read_committed the records of aborted transactions). The Consumer
 * class decides which partition to read next; this module reads it.
 */

/** The consumer's settings a read uses. */
export interface ReadSettings {
  readonly maxBytes: number
  readonly isolation: IsolationLevel
  readonly tags: TagFilter | null
}

export { checkIsolation }

/**
 * Where reading a partition stops for now: the high watermark, or at read_committed the last
 * stable offset (nothing of a transaction still open is handed out, as Kafka's READ_COMMITTED).
 */
export function readableEnd(log: PartitionLog, isolation: IsolationLevel): number {
  return isolation === 'read_committed' ? log.lastStableOffset : log.highWatermark
}

/**
 * Reads the next batches of a partition into `assignment.pending` and decodes the first with
 * records for the consumer. False when the partition is caught up; 'skipped' when the read held
 * nothing to hand out (control records, aborted or compacted records, other tags) but moved the
 * position on. `reset` moves a position that fell outside the log.
 */
export async function readInto(
  assignment: Assignment,
  settings: ReadSettings,
  reset: (assignment: Assignment) => void,
): Promise<boolean | 'skipped'> {
  const log = assignment.log
  if (assignment.position < log.logStartOffset || assignment.position > log.logEndOffset) reset(assignment)
  if (assignment.position >= readableEnd(log, settings.isolation)) return false
  let raw
  try {
    raw = await log.readRaw(assignment.position, { maxBytes: settings.maxBytes, isolation: settings.isolation })
  } catch (error) {
    // The topic was deleted while the read ran: its files closed under it.
    if (assignment.isDeleted) throw deletedError(assignment)
    if (!(error instanceof OffsetOutOfRangeError)) throw error
    reset(assignment)
    return false
  }
  // Bytes read while the topic's files were being closed are not trusted.
  if (assignment.isDeleted) throw deletedError(assignment)
  assignment.pending = new BatchScanner(raw.bytes, { acceptLegacy: true })
  // The aborted transactions overlapping the read: a filter that sees every batch of the read in
  // order drops their records, whatever position the read starts at.
  assignment.pendingFilter = raw.abortedTransactions === undefined ? null : new CommittedFilter(raw.abortedTransactions)
  assignment.pendingEnd = raw.nextOffset
  const before = assignment.position
  if (decodeNext(assignment, settings.tags)) return true
  return assignment.position > before ? 'skipped' : false
}

/**
 * Decodes the next batch of the last read that holds records at or after the position into the
 * partition's buffer. One batch at a time, so what is decoded at once is one batch's records,
 * not a whole read's (a read of lz4 batches can hold tens of thousands of them): fewer live
 * objects for the garbage collector to trace. False once the read is used up; the position then
 * moves past trailing control batches, aborted batches and compacted gaps.
 */
export function decodeNext(assignment: Assignment, tags: TagFilter | null): boolean {
  const scanner = assignment.pending
  if (scanner === null) return false
  const filter = assignment.pendingFilter
  const { topic, partition, position } = assignment
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
    // The committed filter sees every batch, those below the position too: an ABORT marker it
    // passes ends the skipping of its producer's batches.
    const isVisible = filter === null ? !batch.isControl : filter.accepts(batch)
    if (!isVisible || batch.lastOffset < position) continue
    const records = consumerRecordsOf(batch, topic, partition, position, tags)
    if (records.length === 0) continue
    assignment.buffer = records
    assignment.next = 0
    return true
  }
  assignment.pending = null
  assignment.pendingFilter = null
  if (assignment.pendingEnd > assignment.position) assignment.position = assignment.pendingEnd
  return false
}

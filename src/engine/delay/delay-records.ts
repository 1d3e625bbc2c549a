import { InvalidArgumentError } from '../../errors.js'
import type { RecordHeader, RecordInput } from '../../record/record.js'

/**
 * How a delayed record is kept in the delay log, and how it looks once delivered. The delay log
 * record is the original record (key, value, headers, timestamp) with three headers added; the
 * delivered record drops those and carries the due time and the delay id instead.
 */

/** The internal topic holding pending delayed records (one partition). */
export const DELAY_TOPIC = '__delayed'
/** Directory of the due-time index and the scheduler's state, beside the topics. */
export const DELAY_INDEX_DIR = '__delayed-index'

export const HEADER_TARGET_TOPIC = 'seglog-delay-topic'
export const HEADER_TARGET_PARTITION = 'seglog-delay-partition'
/** On a delay log record, when it falls due; on a delivered one, when it was due. */
export const HEADER_DELIVER_AT = 'seglog-deliver-at'
/** On a delivered record: the id `send` returned for it. */
export const HEADER_DELAY_ID = 'seglog-delay-id'
/** On a delay log record without value: it cancels the delay id in the header. */
export const HEADER_CANCEL = 'seglog-delay-cancel'

const OWN_HEADERS = new Set([HEADER_TARGET_TOPIC, HEADER_TARGET_PARTITION, HEADER_DELIVER_AT, HEADER_DELAY_ID, HEADER_CANCEL])

/** A pending record's id: its offset in the delay log and its due time (`123@1767225600000`). */
export function delayId(offset: number, dueMs: number): string {
  return `${offset}@${dueMs}`
}

export function parseDelayId(id: unknown): { offset: number; dueMs: number } {
  const match = typeof id === 'string' ? /^(\d+)@(\d+)$/.exec(id) : null
  const offset = match === null ? NaN : Number(match[1])
  const dueMs = match === null ? NaN : Number(match[2])
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(dueMs))
    throw new InvalidArgumentError(`not a delay id: ${JSON.stringify(id)} (expected "<offset>@<dueMs>", as send returned it)`)
  return { offset, dueMs }
}

/** The delay log record for `record`, to be delivered to `topic` (and `partition`, if fixed) at `dueMs`. */
export function toDelayRecord(record: RecordInput, topic: string, partition: number | undefined, dueMs: number): RecordInput {
  const headers: RecordHeader[] = [...(record.headers ?? [])]
  headers.push({ key: HEADER_TARGET_TOPIC, value: Buffer.from(topic) })
  if (partition !== undefined) headers.push({ key: HEADER_TARGET_PARTITION, value: Buffer.from(String(partition)) })
  headers.push({ key: HEADER_DELIVER_AT, value: Buffer.from(String(dueMs)) })
  return { key: record.key ?? null, value: record.value, headers, timestamp: record.timestamp }
}

/** The cancellation record of a delay id. */
export function cancelRecord(id: string): RecordInput {
  return { key: null, value: null, headers: [{ key: HEADER_CANCEL, value: Buffer.from(id) }] }
}

/** What the scheduler needs of a delay log record. */
export type DelayRecordInfo =
  | { kind: 'delayed'; topic: string; partition: number | null; dueMs: number }
  | { kind: 'cancel'; offset: number; dueMs: number }
  | { kind: 'other' }

export function describeDelayRecord(headers: readonly RecordHeader[]): DelayRecordInfo {
  let topic: string | null = null
  let partition: number | null = null
  let dueMs: number | null = null
  for (const header of headers) {
    const text = header.value?.toString() ?? ''
    if (header.key === HEADER_CANCEL) {
      const parsed = parseDelayId(text)
      return { kind: 'cancel', offset: parsed.offset, dueMs: parsed.dueMs }
    }
    if (header.key === HEADER_TARGET_TOPIC) topic = text
    else if (header.key === HEADER_TARGET_PARTITION) partition = Number(text)
    else if (header.key === HEADER_DELIVER_AT) dueMs = Number(text)
  }
  if (topic === null || dueMs === null || !Number.isSafeInteger(dueMs)) return { kind: 'other' }
  return { kind: 'delayed', topic, partition: partition !== null && Number.isSafeInteger(partition) ? partition : null, dueMs }
}

/** The record as delivered: the original headers, plus when it was due and its delay id. */
export function toDeliveredRecord(
  stored: { key: Buffer | null; value: Buffer | null; headers: readonly RecordHeader[] },
  id: string,
  dueMs: number,
  nowMs: number,
): RecordInput {
  const headers = stored.headers.filter((header) => !OWN_HEADERS.has(header.key))
  headers.push({ key: HEADER_DELIVER_AT, value: Buffer.from(String(dueMs)) }, { key: HEADER_DELAY_ID, value: Buffer.from(id) })
  return { key: stored.key, value: stored.value, headers, timestamp: nowMs }
}

import { InvalidArgumentError } from '../errors.js'
import type { RecordInput } from '../record/record.js'
import { normalizeRecord, type RecordLike } from '../record/record-input.js'
import type { RecordMetadata } from './accumulator.js'

/** What a delayed send takes of a ProducerRecord. */
type DelayableRecord = RecordLike & { partition?: number; deliverAt?: number }

/**
 * Sends with a delay (docs/delayed-delivery.md). The producer hands them to the engine's delayed
 * delivery, which keeps them in its delay log and appends them to the topic when they fall due.
 */

/** What the engine gives a producer for delayed sends. */
export interface DelayedSends {
  /** The engine's clock: `delayMs` counts from it. */
  nowMs(): number
  schedule(
    topic: string,
    records: { record: RecordInput; partition?: number; dueMs: number }[],
  ): Promise<{ delayId: string; dueMs: number }[]>
  cancel(id: string): Promise<boolean>
}

export interface SendOptions {
  /** Deliver the records this many ms from now (each record's `deliverAt` wins over it). */
  delayMs?: number
}

/** Whether a send is a delayed one: a delay is asked for, or a record names its delivery time. */
export function isDelayedSend(records: readonly DelayableRecord[], options: SendOptions | undefined): boolean {
  if (options?.delayMs !== undefined) return true
  for (const record of records) if (record?.deliverAt !== undefined) return true
  return false
}

/**
 * Checks and schedules a delayed send. Every record of it waits: those without `deliverAt` are
 * due `delayMs` (0 if not given) from now. Resolves with a metadata entry per record: the
 * target topic, the partition if the record fixed one (else -1), offset -1 (it has none yet),
 * and the delay id and due time.
 */
export async function sendDelayed(
  sends: DelayedSends | undefined,
  topic: string,
  records: readonly DelayableRecord[],
  options: SendOptions | undefined,
): Promise<RecordMetadata[]> {
  if (sends === undefined) throw new InvalidArgumentError('this producer was not made by an engine: it cannot send with a delay')
  const nowMs = sends.nowMs()
  const delayMs = options?.delayMs ?? 0
  if (!Number.isSafeInteger(delayMs) || delayMs < 0)
    throw new InvalidArgumentError(`delayMs must be an integer >= 0, got ${String(delayMs)}`)
  const scheduled = records.map((record, slot) => {
    const input = normalizeRecord(record, slot)
    const dueMs = record.deliverAt ?? nowMs + delayMs
    if (!Number.isSafeInteger(dueMs) || dueMs < 0)
      throw new InvalidArgumentError(`records[${slot}].deliverAt must be a time in ms since the epoch, got ${String(dueMs)}`)
    return { record: input, ...(record.partition !== undefined && { partition: record.partition }), dueMs }
  })
  const results = await sends.schedule(topic, scheduled)
  return results.map((result, slot) => ({
    topic,
    partition: records[slot]!.partition ?? -1,
    offset: -1,
    timestamp: scheduled[slot]!.record.timestamp ?? nowMs,
    delayId: result.delayId,
    deliverAt: result.dueMs,
  }))
}

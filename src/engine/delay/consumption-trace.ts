import os from 'node:os'
import { InvalidArgumentError } from '../../errors.js'
import type { PartitionLog } from '../../log/partition-log.js'
import type { RecordInput } from '../../record/record.js'

/**
 * The consumption trace: for each record a traced `consumer.run` handled, which group and which
 * consumer (host, process) took it, when, after how many attempts, and how it ended. It answers
 * "who processed order 42, and when?". Events go to the internal topic `__consumer_trace` (one
 * partition), one record per event:
 *
 * - key: `<group>/<topic>/<partition>/<offset>` of the original record, so a compacted trace keeps
 *   the last outcome of every record per group;
 * - value: JSON, a TraceEvent (the original key as text when it is UTF-8, else base64).
 */

export const TRACE_TOPIC = '__consumer_trace'

export type TraceOutcome = 'handled' | 'retried' | 'dead-lettered'

export interface TraceEvent {
  group: string
  topic: string
  partition: number
  offset: number
  /** The original record's key (null: none). */
  key: string | null
  keyEncoding: 'utf8' | 'base64'
  outcome: TraceOutcome
  attempt: number
  /** The error of a failed attempt: class and message. */
  error: string | null
  host: string
  /** `pid <n>` of the consuming process. */
  consumer: string
  /** When the outcome was known (ms since the epoch). */
  at: number
}

export interface TraceQuery {
  topic: string
  key?: string | Buffer
  partition?: number
  offset?: number
  group?: string
  /** At most this many events, the newest (default 1000). */
  limit?: number
}

const HOST = os.hostname()

/** The trace record of one outcome. */
export function traceRecord(
  group: string,
  record: { topic: string; partition: number; offset: number; key: Buffer | null },
  outcome: TraceOutcome,
  attempt: number,
  error: unknown,
): RecordInput {
  const isText = record.key === null || Buffer.from(record.key.toString('utf8')).equals(record.key)
  const event: TraceEvent = {
    group,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key === null ? null : record.key.toString(isText ? 'utf8' : 'base64'),
    keyEncoding: isText ? 'utf8' : 'base64',
    outcome,
    attempt,
    error: error === undefined ? null : error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error),
    host: HOST,
    consumer: `pid ${process.pid}`,
    at: Date.now(),
  }
  return { key: Buffer.from(`${group}/${record.topic}/${record.partition}/${record.offset}`), value: Buffer.from(JSON.stringify(event)) }
}

/**
 * The events matching `query`, oldest first: by original key, or by partition and offset, within
 * a topic (and a group, if given). A scan of the trace topic: its cost grows with the trace.
 */
export async function readTrace(log: PartitionLog, query: TraceQuery): Promise<TraceEvent[]> {
  if (typeof query?.topic !== 'string') throw new InvalidArgumentError('a trace query needs a topic')
  if (query.key === undefined && query.offset === undefined) throw new InvalidArgumentError('a trace query needs a key or an offset')
  const limit = query.limit ?? 1000
  const key = query.key === undefined ? undefined : Buffer.from(query.key)
  const found: TraceEvent[] = []
  for await (const record of log.records({ from: log.logStartOffset })) {
    if (record.value === null) continue
    const event = JSON.parse(record.value.toString()) as TraceEvent
    if (event.topic !== query.topic) continue
    if (query.group !== undefined && event.group !== query.group) continue
    if (query.partition !== undefined && event.partition !== query.partition) continue
    if (query.offset !== undefined && event.offset !== query.offset) continue
    if (key !== undefined && (event.key === null || !Buffer.from(event.key, event.keyEncoding).equals(key))) continue
    found.push(event)
    if (found.length > limit) found.shift()
  }
  return found
}

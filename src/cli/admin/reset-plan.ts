import { CliError } from '../errors.js'
import type { PartitionEnds, PartitionOffset, TopicPartition } from './backend.js'

/**
 * Where `seglog groups reset-offsets` moves a group, as kafka-consumer-groups.sh computes it. Pure:
 * the command fetches the committed offsets, the partitions' ends and (for --to-datetime) the
 * offsets by time, and this turns them into the new offsets.
 *
 * - earliest / latest: the log start / the log end (high watermark).
 * - current: the committed offset; the log end for a partition without one.
 * - offset N and shift-by N: clamped into [log start, log end], as Kafka clamps them.
 * - datetime: the first offset at or after the time; the log end when every record is older.
 */
export type ResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset'; offset: number }
  | { kind: 'shift'; by: number }
  | { kind: 'datetime'; timestamp: number }

export interface ResetInputs {
  committed: ReadonlyMap<string, number>
  /** Per topic, by partition. */
  ends: ReadonlyMap<string, ReadonlyMap<number, PartitionEnds>>
  /** For 'datetime': per topic, partition -> offset found by time. */
  byTime?: ReadonlyMap<string, ReadonlyMap<number, number>>
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`
}

export function planReset(partitions: readonly TopicPartition[], spec: ResetSpec, inputs: ResetInputs): PartitionOffset[] {
  return partitions.map(({ topic, partition }) => {
    const ends = inputs.ends.get(topic)?.get(partition)
    if (ends === undefined) throw new CliError('UNKNOWN_TOPIC', `partition ${partition} of topic '${topic}' does not exist`)
    const committed = inputs.committed.get(partitionKey(topic, partition))
    return { topic, partition, offset: clamp(target(spec, topic, partition, ends, committed, inputs), ends) }
  })
}

function target(
  spec: ResetSpec,
  topic: string,
  partition: number,
  ends: PartitionEnds,
  committed: number | undefined,
  inputs: ResetInputs,
): number {
  switch (spec.kind) {
    case 'earliest':
      return ends.logStartOffset
    case 'latest':
      return ends.logEndOffset
    case 'current':
      return committed ?? ends.logEndOffset
    case 'offset':
      return spec.offset
    case 'shift':
      if (committed === undefined)
        throw new CliError('ADMIN_REQUEST_FAILED', `cannot shift partition ${topic}-${partition}: the group has no committed offset there`)
      return committed + spec.by
    case 'datetime': {
      const found = inputs.byTime?.get(topic)?.get(partition)
      return found === undefined || found < 0 ? ends.logEndOffset : found
    }
  }
}

function clamp(offset: number, ends: PartitionEnds): number {
  return Math.min(Math.max(offset, ends.logStartOffset), ends.logEndOffset)
}

/**
 * Kafka's --to-datetime value: `YYYY-MM-DDTHH:mm:SS.sss`, optionally with a zone (`Z`, `+01:00`);
 * without one it is local time, as Kafka reads it. Null when the text is not such a time.
 */
export function parseDatetime(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/.exec(text)
  if (match === null) return null
  const zone = match[8]
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}${(match[7] ?? '.000').padEnd(4, '0')}`
  const normalizedZone =
    zone === undefined || zone === 'Z' ? (zone ?? '') : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
  const timestamp = Date.parse(iso + normalizedZone)
  if (Number.isNaN(timestamp)) return null
  // Date.parse rolls 2024-02-30 over into March; a date that does not exist is a typo.
  const check = new Date(timestamp)
  if (zone === undefined && (check.getDate() !== Number(match[3]) || check.getMonth() + 1 !== Number(match[2]))) return null
  return timestamp
}

/**
 * `--topic` values: `orders` (every partition) or `orders:0,2` (those partitions), as Kafka's
 * tools take them. Partition numbers are checked by the caller against the topic.
 */
export interface TopicSelection {
  topic: string
  /** Null for every partition of the topic. */
  partitions: number[] | null
}

export function parseTopicSelection(text: string): TopicSelection | null {
  const colon = text.lastIndexOf(':')
  if (colon === -1) return text === '' ? null : { topic: text, partitions: null }
  const topic = text.slice(0, colon)
  const list = text.slice(colon + 1).split(',')
  if (topic === '' || list.some((item) => !/^\d+$/.test(item))) return null
  return { topic, partitions: [...new Set(list.map(Number))].sort((a, b) => a - b) }
}

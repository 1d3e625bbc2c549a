import type { GroupDescription, GroupListing, PartitionEnds, PartitionOffset } from '../admin/backend.js'
import { partitionKey } from '../admin/reset-plan.js'
import type { Output } from '../output.js'
import { formatTable, type Column } from '../table.js'

/**
 * What `seglog groups` prints: Kafka's kafka-consumer-groups.sh tables (same columns, same `-` for
 * an unknown value), or one JSON object per line with --json.
 */

export interface OffsetRow {
  group: string
  topic: string
  partition: number
  currentOffset: number | null
  logEndOffset: number | null
  lag: number | null
  consumerId: string | null
  host: string | null
  clientId: string | null
}

/** One row per partition the group has a commit for or a member assigned, as Kafka's --describe. */
export function offsetRows(
  description: GroupDescription,
  committed: readonly PartitionOffset[],
  ends: ReadonlyMap<string, ReadonlyMap<number, PartitionEnds> | null>,
): OffsetRow[] {
  const owners = new Map<string, GroupDescription['members'][number]>()
  const keys = new Map<string, { topic: string; partition: number }>()
  for (const member of description.members) {
    for (const assigned of member.assignment) {
      owners.set(partitionKey(assigned.topic, assigned.partition), member)
      keys.set(partitionKey(assigned.topic, assigned.partition), assigned)
    }
  }
  const commits = new Map<string, number>()
  for (const entry of committed) {
    commits.set(partitionKey(entry.topic, entry.partition), entry.offset)
    keys.set(partitionKey(entry.topic, entry.partition), entry)
  }
  const rows = [...keys].map(([key, { topic, partition }]) => {
    const currentOffset = commits.get(key) ?? null
    const logEndOffset = ends.get(topic)?.get(partition)?.logEndOffset ?? null
    const owner = owners.get(key)
    return {
      group: description.group,
      topic,
      partition,
      currentOffset,
      logEndOffset,
      lag: currentOffset === null || logEndOffset === null ? null : Math.max(0, logEndOffset - currentOffset),
      consumerId: owner?.memberId ?? null,
      host: owner?.host ?? null,
      clientId: owner?.clientId ?? null,
    }
  })
  return rows.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
}

const OFFSET_COLUMNS: readonly Column[] = [
  { header: 'GROUP' },
  { header: 'TOPIC' },
  { header: 'PARTITION', isNumeric: true },
  { header: 'CURRENT-OFFSET', isNumeric: true },
  { header: 'LOG-END-OFFSET', isNumeric: true },
  { header: 'LAG', isNumeric: true },
  { header: 'CONSUMER-ID' },
  { header: 'HOST' },
  { header: 'CLIENT-ID' },
]

function cell(value: number | string | null): string {
  return value === null ? '-' : String(value)
}

export function printOffsets(description: GroupDescription, rows: readonly OffsetRow[], out: Output): void {
  out.line('')
  if (description.members.length === 0) out.line(`Consumer group '${description.group}' has no active members.`)
  if (rows.length === 0) {
    out.line(`Consumer group '${description.group}' has no committed offsets.`)
    return
  }
  if (description.members.length === 0) out.line('')
  const cells = rows.map((row) => [
    row.group,
    row.topic,
    String(row.partition),
    cell(row.currentOffset),
    cell(row.logEndOffset),
    cell(row.lag),
    cell(row.consumerId),
    cell(row.host),
    cell(row.clientId),
  ])
  for (const line of formatTable(OFFSET_COLUMNS, cells)) out.line(line)
}

export function printMembers(description: GroupDescription, isVerbose: boolean, out: Output): void {
  out.line('')
  if (description.members.length === 0) {
    out.line(`Consumer group '${description.group}' has no active members.`)
    return
  }
  const columns: Column[] = [{ header: 'GROUP' }, { header: 'CONSUMER-ID' }, { header: 'HOST' }, { header: 'CLIENT-ID' }]
  columns.push({ header: '#PARTITIONS', isNumeric: true })
  if (isVerbose) columns.push({ header: 'ASSIGNMENT' })
  const cells = description.members.map((member) => {
    const row = [description.group, member.memberId, member.host, member.clientId, String(member.assignment.length)]
    if (isVerbose) row.push(describeAssignment(member.assignment))
    return row
  })
  for (const line of formatTable(columns, cells)) out.line(line)
}

/** Kafka's `topic(0,1),other(2)`, or `-` for nothing. */
function describeAssignment(assignment: readonly { topic: string; partition: number }[]): string {
  if (assignment.length === 0) return '-'
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of assignment) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
  return [...byTopic].map(([topic, partitions]) => `${topic}(${partitions.sort((a, b) => a - b).join(',')})`).join(',')
}

export function printState(description: GroupDescription, out: Output): void {
  out.line('')
  const columns: Column[] = [
    { header: 'GROUP' },
    { header: 'COORDINATOR' },
    { header: 'ASSIGNMENT-STRATEGY' },
    { header: 'STATE' },
    { header: '#MEMBERS', isNumeric: true },
  ]
  const row = [
    description.group,
    description.coordinator,
    description.protocol || '-',
    description.state,
    String(description.members.length),
  ]
  for (const line of formatTable(columns, [row])) out.line(line)
}

export function printListing(groups: readonly GroupListing[], withState: boolean, out: Output): void {
  if (!withState) {
    for (const group of groups) out.line(group.group)
    return
  }
  const rows = groups.map((group) => [group.group, group.state])
  for (const line of formatTable([{ header: 'GROUP' }, { header: 'STATE' }], rows)) out.line(line)
}

export function printResetPlan(rows: readonly (PartitionOffset & { group: string })[], out: Output): void {
  out.line('')
  const columns: Column[] = [
    { header: 'GROUP' },
    { header: 'TOPIC' },
    { header: 'PARTITION', isNumeric: true },
    { header: 'NEW-OFFSET', isNumeric: true },
  ]
  const cells = rows.map((row) => [row.group, row.topic, String(row.partition), String(row.offset)])
  for (const line of formatTable(columns, cells)) out.line(line)
}

import { InvalidArgumentError } from '../errors.js'
import { encodeGroupMetadataKey, encodeGroupMetadataValue, type GroupMetadata } from '../format/group-metadata.js'
import { encodeOffsetKey, encodeOffsetValue, type CommittedOffset } from '../format/offset-commit.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { RecordInput } from '../record/record.js'

/** The offset store's argument checks and its compaction's records: pure helpers of offset-store.ts. */

/** One offset to commit: the next offset the group will read from the partition. */
export interface OffsetCommit {
  topic: string
  partition: number
  offset: number
  metadata?: string
}

export function checkGroup(group: string): void {
  if (typeof group !== 'string' || group.length === 0 || group.length > 32767)
    throw new InvalidArgumentError('group must be a non-empty string')
}

/** Kafka's int16 string lengths: longer strings cannot be stored. */
const MAX_STRING_BYTES = 0x7fff

function checkString(name: string, value: unknown, isNullable: boolean): void {
  if (value === null && isNullable) return
  if (typeof value !== 'string') throw new InvalidArgumentError(`group metadata: ${name} must be a string${isNullable ? ' or null' : ''}`)
  if (Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES)
    throw new InvalidArgumentError(`group metadata: ${name} is longer than ${MAX_STRING_BYTES} bytes`)
}

function checkInt32(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff)
    throw new InvalidArgumentError(`group metadata: ${name} must be a 32-bit integer`)
}

/** Rejects what the GroupMetadataValue schema cannot hold, before anything is written. */
export function checkGroupMetadata(metadata: GroupMetadata): void {
  if (typeof metadata !== 'object' || metadata === null) throw new InvalidArgumentError('group metadata must be an object')
  checkString('protocolType', metadata.protocolType, false)
  checkInt32('generation', metadata.generation)
  checkString('protocol', metadata.protocol, true)
  checkString('leader', metadata.leader, true)
  if (!Number.isSafeInteger(metadata.currentStateTimestamp))
    throw new InvalidArgumentError('group metadata: currentStateTimestamp must be an integer (-1 when unknown)')
  if (!Array.isArray(metadata.members)) throw new InvalidArgumentError('group metadata: members must be an array')
  for (const member of metadata.members) {
    checkString('memberId', member.memberId, false)
    checkString('groupInstanceId', member.groupInstanceId, true)
    checkString('clientId', member.clientId, false)
    checkString('clientHost', member.clientHost, false)
    checkInt32('rebalanceTimeoutMs', member.rebalanceTimeoutMs)
    checkInt32('sessionTimeoutMs', member.sessionTimeoutMs)
    if (!Buffer.isBuffer(member.subscription) || !Buffer.isBuffer(member.assignment))
      throw new InvalidArgumentError('group metadata: subscription and assignment must be Buffers')
  }
}

/** A copy that shares nothing with the caller's object (and drops fields the schema lacks). */
export function copyGroupMetadata(metadata: GroupMetadata): GroupMetadata {
  return {
    protocolType: metadata.protocolType,
    generation: metadata.generation,
    protocol: metadata.protocol,
    leader: metadata.leader,
    currentStateTimestamp: metadata.currentStateTimestamp,
    members: metadata.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
      subscription: Buffer.from(member.subscription),
      assignment: Buffer.from(member.assignment),
    })),
  }
}

/** Every live value as a record, for compaction to write again: commits, then memberships. */
export function restatedRecords(
  groups: ReadonlyMap<string, ReadonlyMap<string, CommittedOffset & { topic: string; partition: number }>>,
  memberships: ReadonlyMap<string, GroupMetadata>,
): RecordInput[] {
  const records: RecordInput[] = []
  for (const [group, offsets] of groups) {
    for (const value of offsets.values()) {
      records.push({
        key: encodeOffsetKey({ group, topic: value.topic, partition: value.partition }),
        value: encodeOffsetValue(value),
        timestamp: value.commitTimestamp,
      })
    }
  }
  for (const [group, metadata] of memberships) {
    const timestamp = metadata.currentStateTimestamp >= 0 ? metadata.currentStateTimestamp : Date.now()
    records.push({ key: encodeGroupMetadataKey(group), value: encodeGroupMetadataValue(metadata), timestamp })
  }
  return records
}

/** What the store's write appends: records, its transaction marker, or either, decided when the write's turn comes. */
export type WriteRecords = RecordInput[] | 'marker' | (() => RecordInput[] | 'marker')

/** The producer of a transactional write, and the marker a 'marker' write appends. */
export interface WriteTransaction {
  producerId: number
  producerEpoch: number
  isTransactional?: boolean
  marker?: 'commit' | 'abort'
}

/** Offset-commit records of one group, all with one commit time. */
export function offsetRecords(group: string, entries: readonly OffsetCommit[], commitTimestamp: number): RecordInput[] {
  return entries.map((entry) => ({
    key: encodeOffsetKey({ group, topic: entry.topic, partition: entry.partition }),
    value: encodeOffsetValue({ offset: entry.offset, metadata: entry.metadata ?? '', commitTimestamp }),
    timestamp: commitTimestamp,
  }))
}

/**
 * Compaction's rewrite: `records` (the live values) go into a fresh segment, made durable, then
 * every older segment is deleted. Until the deletion the old records are still there and the new
 * ones follow them, so a crash at any moment replays to the same state.
 */
export async function rewriteLog(log: PartitionLog, records: RecordInput[]): Promise<void> {
  await log.rollNow()
  const start = log.logEndOffset
  const chunk = 4096
  for (let slot = 0; slot < records.length; slot += chunk)
    await log.appendRecords(records.slice(slot, slot + chunk), { compression: 'none' })
  await log.flush()
  await log.deleteRecordsBefore(start)
}

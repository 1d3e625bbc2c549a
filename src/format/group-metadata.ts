import { CorruptRecordError } from '../record/errors.js'
import { writeInt64BE } from '../record/int64.js'
import { FieldReader, sizeOfString, writeBytes, writeString } from './coordinator-fields.js'

/**
 * Group-metadata records of the offsets log: Kafka's GroupMetadataKey (key version 2) and
 * GroupMetadataValue (versions 0-4; 3 written, the version Kafka brokers write). One record per
 * group, rewritten after each completed rebalance and when the group empties; a null value (a
 * tombstone) when the group is deleted. Field layouts are coordinator-fields.ts'.
 *
 * Key:
 * | field   | type   |
 * |---------|--------|
 * | version | int16  | 2 (the record type: group metadata)
 * | group   | string |
 *
 * Value:
 * | field                 | type              | versions | meaning |
 * |-----------------------|-------------------|----------|---------|
 * | version               | int16             | 0-4      | 4 is flexible (compact fields, tagged fields) |
 * | protocolType          | string            | 0-4      | "consumer" for Kafka consumers; '' for a group with offsets only |
 * | generation            | int32             | 0-4      | |
 * | protocol              | nullable string   | 0-4      | the selected assignor, null when empty |
 * | leader                | nullable string   | 0-4      | the leader's member id, null when empty |
 * | currentStateTimestamp | int64             | 2-4      | ms when the group entered its state; -1 when unknown |
 * | members               | array of Member   | 0-4      | |
 * | tagged fields         |                   | 4        | skipped |
 *
 * Member:
 * | field            | type            | versions |
 * |------------------|-----------------|----------|
 * | memberId         | string          | 0-4      |
 * | groupInstanceId  | nullable string | 3-4      | static membership; null for dynamic members
 * | clientId         | string          | 0-4      |
 * | clientHost       | string          | 0-4      |
 * | rebalanceTimeout | int32           | 1-4      | ms; version 0 has only the session timeout, used for both
 * | sessionTimeout   | int32           | 0-4      | ms
 * | subscription     | bytes           | 0-4      | the member's metadata for the selected protocol
 * | assignment       | bytes           | 0-4      | what the leader assigned it
 * | tagged fields    |                 | 4        | skipped
 *
 * Pure; see docs/format/offsets-topic.md.
 */
export const GROUP_METADATA_KEY_VERSION = 2
export const GROUP_METADATA_VALUE_VERSION = 3
export const GROUP_METADATA_VALUE_MAX_VERSION = 4
const GROUP_METADATA_VALUE_FLEXIBLE_VERSION = 4

export interface GroupMetadataMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  subscription: Buffer
  assignment: Buffer
}

/** A consumer group's membership as the group coordinator stores it. */
export interface GroupMetadata {
  protocolType: string
  generation: number
  protocol: string | null
  leader: string | null
  /** ms since the epoch when the group entered its current state; -1 when not known (versions 0-1). */
  currentStateTimestamp: number
  members: GroupMetadataMember[]
}

/** A decoded value: its fields and the version that wrote them. */
export interface GroupMetadataValue extends GroupMetadata {
  version: number
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const buf = Buffer.allocUnsafe(2 + sizeOfString(group))
  writeString(buf, group, buf.writeInt16BE(GROUP_METADATA_KEY_VERSION, 0))
  return buf
}

/** The group id of a key of version 2; CorruptRecordError for another version or bad bytes. */
export function decodeGroupMetadataKey(buf: Buffer): string {
  const reader = new FieldReader(buf, false, 'group metadata key')
  const version = reader.int16()
  if (version !== GROUP_METADATA_KEY_VERSION)
    throw new CorruptRecordError('unknown-version', 0, `key version ${version} is not group metadata (${GROUP_METADATA_KEY_VERSION})`)
  return reader.string()
}

function sizeOfMember(member: GroupMetadataMember): number {
  return (
    sizeOfString(member.memberId) +
    sizeOfString(member.groupInstanceId) +
    sizeOfString(member.clientId) +
    sizeOfString(member.clientHost) +
    4 +
    4 +
    4 +
    member.subscription.length +
    4 +
    member.assignment.length
  )
}

/** GroupMetadataValue version 3, sized first and written into one buffer. */
export function encodeGroupMetadataValue(metadata: GroupMetadata): Buffer {
  let size = 2 + sizeOfString(metadata.protocolType) + 4 + sizeOfString(metadata.protocol) + sizeOfString(metadata.leader) + 8 + 4
  for (const member of metadata.members) size += sizeOfMember(member)
  const buf = Buffer.allocUnsafe(size)
  let at = buf.writeInt16BE(GROUP_METADATA_VALUE_VERSION, 0)
  at = writeString(buf, metadata.protocolType, at)
  at = buf.writeInt32BE(metadata.generation, at)
  at = writeString(buf, metadata.protocol, at)
  at = writeString(buf, metadata.leader, at)
  writeInt64BE(buf, metadata.currentStateTimestamp, at)
  at = buf.writeInt32BE(metadata.members.length, at + 8)
  for (const member of metadata.members) {
    at = writeString(buf, member.memberId, at)
    at = writeString(buf, member.groupInstanceId, at)
    at = writeString(buf, member.clientId, at)
    at = writeString(buf, member.clientHost, at)
    at = buf.writeInt32BE(member.rebalanceTimeoutMs, at)
    at = buf.writeInt32BE(member.sessionTimeoutMs, at)
    at = writeBytes(buf, member.subscription, at)
    at = writeBytes(buf, member.assignment, at)
  }
  return buf
}

/**
 * Reads value versions 0-4. Fields a version lacks get Kafka's defaults: currentStateTimestamp -1,
 * groupInstanceId null, rebalanceTimeout = sessionTimeout (as Kafka loads a version 0 member).
 * A version outside 0-4 is CorruptRecordError 'unknown-version' at byte 0.
 */
export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const version = new FieldReader(buf, false, 'group metadata value').int16()
  if (version < 0 || version > GROUP_METADATA_VALUE_MAX_VERSION)
    throw new CorruptRecordError(
      'unknown-version',
      0,
      `group metadata value version ${version}; Kafka's schema defines 0-${GROUP_METADATA_VALUE_MAX_VERSION}`,
    )
  const reader = new FieldReader(buf, version >= GROUP_METADATA_VALUE_FLEXIBLE_VERSION, 'group metadata value')
  reader.position = 2
  const protocolType = reader.string()
  const generation = reader.int32()
  const protocol = reader.nullableString()
  const leader = reader.nullableString()
  const currentStateTimestamp = version >= 2 ? reader.int64() : -1
  const count = reader.arrayCount()
  const members: GroupMetadataMember[] = []
  for (let slot = 0; slot < count; slot++) {
    const memberId = reader.string()
    const groupInstanceId = version >= 3 ? reader.nullableString() : null
    const clientId = reader.string()
    const clientHost = reader.string()
    const rebalanceTimeout = version >= 1 ? reader.int32() : null
    const sessionTimeoutMs = reader.int32()
    const subscription = reader.bytes()
    const assignment = reader.bytes()
    reader.skipTaggedFields()
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeout ?? sessionTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    })
  }
  reader.skipTaggedFields()
  return { version, protocolType, generation, protocol, leader, currentStateTimestamp, members }
}

import {
  decodeOffsetCommitValue,
  decodeOffsetKey,
  offsetsKeyVersion,
  type CommittedOffset,
  type OffsetKey,
} from '../../format/offset-commit.js'
import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  GROUP_METADATA_KEY_VERSION,
  type GroupMetadataValue,
} from '../../format/group-metadata.js'
import { SeglogError } from '../../errors.js'
import { CorruptRecordError } from '../../record/errors.js'
import { groupMetadataJson } from './group-metadata-json.js'

/**
 * One record of the offsets log (`__consumer_offsets-0`) as `seglog dump --offsets-decoder` shows
 * it, in the shapes of Kafka's DumpLogSegments OffsetsMessageParser: the key as
 * `{"type":"<key version>","data":{...}}`, the value as `{"version":"<value version>","data":{...}}`
 * with the fields of Kafka's schema for that version (OffsetCommitValue, or GroupMetadataValue
 * with a consumer group's subscriptions and assignments decoded), `<DELETE>` for a tombstone, and
 * a one-line message in the key's place for a record that does not decode. Pure: the bytes come
 * from the caller; nothing here throws for bad bytes.
 */

export type OffsetsRecord =
  | {
      kind: 'commit'
      keyVersion: number
      key: OffsetKey
      valueVersion: number
      value: CommittedOffset
      leaderEpoch: number | null
      expireTimestamp: number | null
    }
  | { kind: 'delete'; keyVersion: number; key: OffsetKey }
  | { kind: 'group'; group: string; value: GroupMetadataValue }
  | { kind: 'group-delete'; group: string }
  /** A key version other than 0, 1 and 2: a later record type, which seglog does not decode. */
  | { kind: 'unknown-type'; keyVersion: number }
  /** The key, when it was the value that did not decode. */
  | { kind: 'error'; key: OffsetKey | null; message: string; unknownVersion: string | null }

export function decodeOffsetsRecord(key: Buffer | null, value: Buffer | null): OffsetsRecord {
  if (key === null) return { kind: 'error', key: null, message: 'the record has no key', unknownVersion: null }
  let offsetKey: OffsetKey | null
  let keyVersion: number
  try {
    keyVersion = offsetsKeyVersion(key)
    if (keyVersion === GROUP_METADATA_KEY_VERSION) return decodeGroupRecord(decodeGroupMetadataKey(key), value)
    offsetKey = decodeOffsetKey(key)
  } catch (error) {
    return undecodable(null, 'key', error, -1)
  }
  if (offsetKey === null) return { kind: 'unknown-type', keyVersion }
  if (value === null) return { kind: 'delete', keyVersion, key: offsetKey }
  try {
    const { version, leaderEpoch, expireTimestamp, offset, metadata, commitTimestamp } = decodeOffsetCommitValue(value)
    return {
      kind: 'commit',
      keyVersion,
      key: offsetKey,
      valueVersion: version,
      value: { offset, metadata, commitTimestamp },
      leaderEpoch,
      expireTimestamp,
    }
  } catch (error) {
    return undecodable(offsetKey, 'value', error, keyVersion)
  }
}

function decodeGroupRecord(group: string, value: Buffer | null): OffsetsRecord {
  if (value === null) return { kind: 'group-delete', group }
  try {
    return { kind: 'group', group, value: decodeGroupMetadataValue(value) }
  } catch (error) {
    return undecodable(null, 'value', error, GROUP_METADATA_KEY_VERSION)
  }
}

/**
 * The record that did not decode, with Kafka's words for a value of a version its schema lacks
 * (`Found an unknown record version 9 for 1 type`), else `the value does not decode
 * (truncated-record at byte 14: ...)`; rethrows anything but bad data.
 */
function undecodable(key: OffsetKey | null, part: 'key' | 'value', error: unknown, recordType: number): OffsetsRecord {
  if (error instanceof CorruptRecordError && error.reason === 'unknown-version' && part === 'value') {
    const version = /version (-?\d+)/.exec(error.detail)?.[1] ?? '?'
    const message = `Found an unknown record version ${version} for ${recordType} type`
    return { kind: 'error', key, message, unknownVersion: error.detail }
  }
  let message: string
  if (error instanceof CorruptRecordError)
    message = `the ${part} does not decode (${error.reason} at byte ${error.position}: ${error.detail})`
  else if (error instanceof SeglogError) message = `the ${part} does not decode (${error.message})`
  else throw error
  return { kind: 'error', key, message, unknownVersion: null }
}

/** What Kafka prints after ` key: `, or the message that takes its place. */
export function offsetsKeyText(record: OffsetsRecord, offset: number): string {
  switch (record.kind) {
    case 'unknown-type':
      return `Unknown record type ${record.keyVersion} at offset ${offset}, skipping.`
    case 'error':
      return `Error at offset ${offset}, skipping. ${record.message}`
    case 'group':
    case 'group-delete':
      return JSON.stringify({ type: String(GROUP_METADATA_KEY_VERSION), data: { group: record.group } })
    default:
      return JSON.stringify({
        type: String(record.keyVersion),
        data: { group: record.key.group, topic: record.key.topic, partition: record.key.partition },
      })
  }
}

/** What Kafka prints after ` payload: `, or null when it prints no payload (records that did not decode). */
export function offsetsPayloadText(record: OffsetsRecord): string | null {
  if (record.kind === 'delete' || record.kind === 'group-delete') return '<DELETE>'
  if (record.kind === 'group') return JSON.stringify({ version: String(record.value.version), data: groupMetadataJson(record.value) })
  if (record.kind !== 'commit') return null
  const { value, leaderEpoch, expireTimestamp } = record
  // Field order and presence follow Kafka's OffsetCommitValue schema for the version.
  const data = {
    offset: value.offset,
    ...(leaderEpoch !== null && { leaderEpoch }),
    metadata: value.metadata,
    commitTimestamp: value.commitTimestamp,
    ...(expireTimestamp !== null && { expireTimestamp }),
  }
  return JSON.stringify({ version: String(record.valueVersion), data })
}

/** The extra fields of a `--json` record line. */
export function offsetsJson(
  record: OffsetsRecord,
  offset: number,
): {
  offsetKey: OffsetKey | null
  offsetCommit: (OffsetKey & CommittedOffset) | null
  groupMetadata: { group: string; value: Record<string, unknown> | null } | null
  offsetsError: string | null
} {
  const isOffset = record.kind === 'commit' || record.kind === 'delete' || (record.kind === 'error' && record.key !== null)
  return {
    offsetKey: isOffset ? record.key : null,
    offsetCommit: record.kind === 'commit' ? { ...record.key, ...record.value } : null,
    groupMetadata:
      record.kind === 'group'
        ? { group: record.group, value: { version: record.value.version, ...groupMetadataJson(record.value) } }
        : record.kind === 'group-delete'
          ? { group: record.group, value: null }
          : null,
    offsetsError: record.kind === 'unknown-type' || record.kind === 'error' ? offsetsKeyText(record, offset) : null,
  }
}

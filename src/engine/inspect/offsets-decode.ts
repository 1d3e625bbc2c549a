import {
  decodeOffsetCommitValue,
  decodeOffsetKey,
  offsetsKeyVersion,
  type CommittedOffset,
  type OffsetKey,
} from '../../format/offset-commit.js'
import { SeglogError } from '../../errors.js'
import { CorruptRecordError } from '../../record/errors.js'

/**
 * One record of the offsets log (`__consumer_offsets-0`) as `seglog dump --offsets-decoder` shows
 * it, in the shapes of Kafka's DumpLogSegments OffsetsMessageParser: the key as
 * `{"type":"<key version>","data":{...}}`, the value as `{"version":"<value version>","data":{...}}`
 * with the fields of Kafka's OffsetCommitValue schema for that version, `<DELETE>` for a
 * tombstone, and a one-line message in the key's place for a record that does not decode. Pure:
 * the bytes come from the caller; nothing here throws for bad bytes.
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
  /** A key version other than 0 and 1: group metadata (2) or a later record type, which seglog does not decode. */
  | { kind: 'unknown-type'; keyVersion: number }
  /** The key, when it was the value that did not decode. */
  | { kind: 'error'; key: OffsetKey | null; message: string }

export function decodeOffsetsRecord(key: Buffer | null, value: Buffer | null): OffsetsRecord {
  if (key === null) return { kind: 'error', key: null, message: 'the record has no key' }
  let offsetKey: OffsetKey | null
  let keyVersion: number
  try {
    keyVersion = offsetsKeyVersion(key)
    offsetKey = decodeOffsetKey(key)
  } catch (error) {
    return { kind: 'error', key: null, message: undecodable('key', error) }
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
    return { kind: 'error', key: offsetKey, message: undecodable('value', error) }
  }
}

/** `the value does not decode (truncated-record at byte 14: ...)`; rethrows anything but bad data. */
function undecodable(part: 'key' | 'value', error: unknown): string {
  if (error instanceof CorruptRecordError) return `the ${part} does not decode (${error.reason} at byte ${error.position}: ${error.detail})`
  if (error instanceof SeglogError) return `the ${part} does not decode (${error.message})`
  throw error
}

/** What Kafka prints after ` key: `, or the message that takes its place. */
export function offsetsKeyText(record: OffsetsRecord, offset: number): string {
  switch (record.kind) {
    case 'unknown-type':
      return `Unknown record type ${record.keyVersion} at offset ${offset}, skipping.`
    case 'error':
      return `Error at offset ${offset}, skipping. ${record.message}`
    default:
      return JSON.stringify({
        type: String(record.keyVersion),
        data: { group: record.key.group, topic: record.key.topic, partition: record.key.partition },
      })
  }
}

/** What Kafka prints after ` payload: `, or null when it prints no payload (records that did not decode). */
export function offsetsPayloadText(record: OffsetsRecord): string | null {
  if (record.kind === 'delete') return '<DELETE>'
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
): { offsetKey: OffsetKey | null; offsetCommit: (OffsetKey & CommittedOffset) | null; offsetsError: string | null } {
  return {
    offsetKey: record.kind === 'unknown-type' ? null : record.key,
    offsetCommit: record.kind === 'commit' ? { ...record.key, ...record.value } : null,
    offsetsError: record.kind === 'unknown-type' || record.kind === 'error' ? offsetsKeyText(record, offset) : null,
  }
}

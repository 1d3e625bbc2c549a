import { CorruptRecordError } from '../record/errors.js'
import { writeInt64BE } from '../record/int64.js'
import { FieldReader, sizeOfString, writeString } from './coordinator-fields.js'

/**
 * The offset-commit records of the offsets log use Kafka's `__consumer_offsets` schemas, so
 * Kafka's tooling (kafka-dump-log --offsets-decoder) can read them. The key starts with an int16
 * that says which record type it is (0 and 1: an offset commit, 2: group metadata, see
 * group-metadata.ts); the value starts with an int16 version. Field layouts are those of
 * coordinator-fields.ts (classic: int16-length strings; flexible: compact strings, tagged fields).
 *
 * Key (OffsetCommitKey, key versions 0 and 1, one layout; 1 written):
 * | field     | type   |
 * |-----------|--------|
 * | version   | int16  | 0 or 1
 * | group     | string |
 * | topic     | string |
 * | partition | int32  |
 *
 * Value (OffsetCommitValue, versions 0-4; 3 written, as Kafka writes it), or null (a tombstone):
 * | field           | type   | versions |
 * |-----------------|--------|----------|
 * | version         | int16  | 0-4      | 4 is flexible: compact metadata string, tagged fields at the end
 * | offset          | int64  | 0-4      | the next offset the group will read
 * | leaderEpoch     | int32  | 3-4      | -1 when seglog writes it
 * | metadata        | string | 0-4      | the committer's note, '' if none
 * | commitTimestamp | int64  | 0-4      | ms since the epoch
 * | expireTimestamp | int64  | 1        | Kafka 2.0 and before; read, never written
 * | tagged fields   |        | 4        | skipped (Kafka defines none yet)
 *
 * Pure, and the only place these bytes are read: the offset store, `seglog dump --offsets-decoder`
 * and `seglog inspect` all decode through it. See docs/format/offsets-topic.md.
 */
export const OFFSET_COMMIT_KEY_VERSION = 1
export const OFFSET_COMMIT_VALUE_VERSION = 3
/** The newest value version Kafka's schema defines (and this file reads). */
export const OFFSET_COMMIT_VALUE_MAX_VERSION = 4
/** The first flexible value version. */
const OFFSET_COMMIT_VALUE_FLEXIBLE_VERSION = 4

export interface OffsetKey {
  group: string
  topic: string
  partition: number
}

export interface CommittedOffset {
  offset: number
  metadata: string
  commitTimestamp: number
}

export function encodeOffsetKey(key: OffsetKey): Buffer {
  const buf = Buffer.allocUnsafe(2 + sizeOfString(key.group) + sizeOfString(key.topic) + 4)
  let at = buf.writeInt16BE(OFFSET_COMMIT_KEY_VERSION, 0)
  at = writeString(buf, key.group, at)
  at = writeString(buf, key.topic, at)
  buf.writeInt32BE(key.partition, at)
  return buf
}

export function encodeOffsetValue(value: CommittedOffset): Buffer {
  const buf = Buffer.allocUnsafe(2 + 8 + 4 + sizeOfString(value.metadata) + 8)
  let at = buf.writeInt16BE(OFFSET_COMMIT_VALUE_VERSION, 0)
  writeInt64BE(buf, value.offset, at)
  at = buf.writeInt32BE(-1, at + 8)
  at = writeString(buf, value.metadata, at)
  writeInt64BE(buf, value.commitTimestamp, at)
  return buf
}

/** The key's version: 0 and 1 are offset commits, 2 group metadata, later ones other record types. */
export function offsetsKeyVersion(buf: Buffer): number {
  return new FieldReader(buf, false, 'offsets key').int16()
}

/** Null for keys of other record types (group metadata), which the offsets log may carry. */
export function decodeOffsetKey(buf: Buffer): OffsetKey | null {
  const reader = new FieldReader(buf, false, 'offset commit key')
  const version = reader.int16()
  if (version !== 0 && version !== 1) return null
  const group = reader.string()
  const topic = reader.string()
  const partition = reader.int32()
  return { group, topic, partition }
}

/** Every field of a value, as the version that wrote it has them (null where it has not). */
export interface OffsetCommitValue extends CommittedOffset {
  version: number
  leaderEpoch: number | null
  expireTimestamp: number | null
}

/**
 * Reads value versions 0-4 (every version Kafka's schema defines). Bytes after the version's last
 * field are ignored, as Kafka ignores them. A version outside 0-4 is CorruptRecordError with
 * reason 'unknown-version' at byte 0: a layout this code does not know is never guessed at.
 */
export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const version = new FieldReader(buf, false, 'offset commit value').int16()
  if (version < 0 || version > OFFSET_COMMIT_VALUE_MAX_VERSION)
    throw new CorruptRecordError(
      'unknown-version',
      0,
      `offset commit value version ${version}; Kafka's schema defines 0-${OFFSET_COMMIT_VALUE_MAX_VERSION}`,
    )
  const reader = new FieldReader(buf, version >= OFFSET_COMMIT_VALUE_FLEXIBLE_VERSION, 'offset commit value')
  reader.position = 2
  const offset = reader.int64()
  const leaderEpoch = version >= 3 ? reader.int32() : null
  const metadata = reader.string()
  const commitTimestamp = reader.int64()
  const expireTimestamp = version === 1 ? reader.int64() : null
  reader.skipTaggedFields()
  return { version, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp }
}

/** The committed offset of a value (any version). */
export function decodeOffsetValue(buf: Buffer): CommittedOffset {
  const { offset, metadata, commitTimestamp } = decodeOffsetCommitValue(buf)
  return { offset, metadata, commitTimestamp }
}

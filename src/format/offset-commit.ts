import { CorruptRecordError } from '../record/errors.js'
import { readSafeInt64BE, writeInt64BE } from '../record/int64.js'

/**
 * The records of the offsets log use Kafka's `__consumer_offsets` schemas, so Kafka's tooling
 * (kafka-dump-log --offsets-decoder) can read them. Big-endian; strings are int16 length + UTF-8.
 *
 * Key (OffsetCommitKey, key version 1):
 * | field     | type   |
 * |-----------|--------|
 * | version   | int16  | 1 (0 and 1 are offset-commit keys; 2 would be group metadata)
 * | group     | string |
 * | topic     | string |
 * | partition | int32  |
 *
 * Value (OffsetCommitValue version 3, written), or null (a tombstone: the offset was deleted):
 * | field           | type   | versions |
 * |-----------------|--------|----------|
 * | version         | int16  | 0-3      | 3 when seglog writes it
 * | offset          | int64  | 0-3      | the next offset the group will read
 * | leaderEpoch     | int32  | 3        | -1
 * | metadata        | string | 0-3      | the committer's note, '' if none
 * | commitTimestamp | int64  | 0-3      | ms since the epoch
 * | expireTimestamp | int64  | 1        | Kafka 2.0 and before; read, never written
 *
 * Pure, and the only place these bytes are read: the offset store, `seglog dump --offsets-decoder`
 * and `seglog inspect` all decode through it.
 * See docs/format/offsets-topic.md.
 */
export const OFFSET_COMMIT_KEY_VERSION = 1
export const OFFSET_COMMIT_VALUE_VERSION = 3

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
  const group = Buffer.from(key.group, 'utf8')
  const topic = Buffer.from(key.topic, 'utf8')
  const buf = Buffer.allocUnsafe(2 + 2 + group.length + 2 + topic.length + 4)
  let at = buf.writeInt16BE(OFFSET_COMMIT_KEY_VERSION, 0)
  at = writeString(buf, group, at)
  at = writeString(buf, topic, at)
  buf.writeInt32BE(key.partition, at)
  return buf
}

export function encodeOffsetValue(value: CommittedOffset): Buffer {
  const metadata = Buffer.from(value.metadata, 'utf8')
  const buf = Buffer.allocUnsafe(2 + 8 + 4 + 2 + metadata.length + 8)
  let at = buf.writeInt16BE(OFFSET_COMMIT_VALUE_VERSION, 0)
  writeInt64BE(buf, value.offset, at)
  at = buf.writeInt32BE(-1, at + 8)
  at = writeString(buf, metadata, at)
  writeInt64BE(buf, value.commitTimestamp, at)
  return buf
}

/** The key's version: 0 and 1 are offset commits, 2 group metadata, later ones other record types. */
export function offsetsKeyVersion(buf: Buffer): number {
  return readInt16(buf, { at: 0 })
}

/** Null for keys of other record types (group metadata), which the offsets log may carry. */
export function decodeOffsetKey(buf: Buffer): OffsetKey | null {
  const cursor = { at: 0 }
  const version = readInt16(buf, cursor)
  if (version !== 0 && version !== 1) return null
  const group = readString(buf, cursor)
  const topic = readString(buf, cursor)
  const partition = readInt32(buf, cursor)
  return { group, topic, partition }
}

/** Every field of a value, as the version that wrote it has them (null where it has not). */
export interface OffsetCommitValue extends CommittedOffset {
  version: number
  leaderEpoch: number | null
  expireTimestamp: number | null
}

/**
 * Reads value versions 0-3 (Kafka's history); fields after the version's last are ignored.
 * Version 4 is Kafka's first flexible version (compact strings, tagged fields), a different
 * layout, so it is rejected rather than misread.
 */
export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const cursor = { at: 0 }
  const version = readInt16(buf, cursor)
  if (version < 0 || version > OFFSET_COMMIT_VALUE_VERSION)
    throw new CorruptRecordError('truncated-record', 0, `unknown offset commit value version ${version}`)
  const offset = readInt64(buf, cursor)
  const leaderEpoch = version >= 3 ? readInt32(buf, cursor) : null
  const metadata = readString(buf, cursor)
  const commitTimestamp = readInt64(buf, cursor)
  const expireTimestamp = version === 1 ? readInt64(buf, cursor) : null
  return { version, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp }
}

/** The committed offset of a value (versions 0-3). */
export function decodeOffsetValue(buf: Buffer): CommittedOffset {
  const { offset, metadata, commitTimestamp } = decodeOffsetCommitValue(buf)
  return { offset, metadata, commitTimestamp }
}

function writeString(buf: Buffer, bytes: Buffer, at: number): number {
  at = buf.writeInt16BE(bytes.length, at)
  bytes.copy(buf, at)
  return at + bytes.length
}

function need(buf: Buffer, at: number, bytes: number): void {
  if (at + bytes > buf.length) throw new CorruptRecordError('truncated-record', at, `offsets record needs ${bytes} more bytes`)
}

function readInt16(buf: Buffer, cursor: { at: number }): number {
  need(buf, cursor.at, 2)
  const value = buf.readInt16BE(cursor.at)
  cursor.at += 2
  return value
}

function readInt32(buf: Buffer, cursor: { at: number }): number {
  need(buf, cursor.at, 4)
  const value = buf.readInt32BE(cursor.at)
  cursor.at += 4
  return value
}

function readInt64(buf: Buffer, cursor: { at: number }): number {
  need(buf, cursor.at, 8)
  const value = readSafeInt64BE(buf, cursor.at)
  cursor.at += 8
  return value
}

function readString(buf: Buffer, cursor: { at: number }): string {
  const length = readInt16(buf, cursor)
  if (length < 0) throw new CorruptRecordError('truncated-record', cursor.at - 2, `negative string length ${length}`)
  need(buf, cursor.at, length)
  const text = buf.toString('utf8', cursor.at, cursor.at + length)
  cursor.at += length
  return text
}

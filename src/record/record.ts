import { CorruptRecordError } from './errors.js'
import { readVarint, readVarlong, sizeOfVarlong, writeVarint, writeVarlong, type VarintCursor } from './varint.js'

/**
 * One record inside a v2 batch. All lengths are zigzag varints; deltas are relative to the batch's
 * baseOffset and baseTimestamp.
 *
 * | field          | encoding | notes                                            |
 * |----------------|----------|--------------------------------------------------|
 * | length         | varint   | bytes from attributes to the end of the headers  |
 * | attributes     | int8     | unused, 0                                        |
 * | timestampDelta | varlong  | record timestamp - batch baseTimestamp           |
 * | offsetDelta    | varint   | record offset - batch baseOffset                 |
 * | keyLength      | varint   | -1 for a null key                                |
 * | key            | bytes    |                                                  |
 * | valueLength    | varint   | -1 for a null value (a tombstone)                |
 * | value          | bytes    |                                                  |
 * | headersCount   | varint   |                                                  |
 * | headerKeyLen   | varint   | >= 0: header keys are never null                 |
 * | headerKey      | UTF-8    |                                                  |
 * | headerValueLen | varint   | -1 for a null header value                       |
 * | headerValue    | bytes    |                                                  |
 *
 * See docs/format/record-batch.md.
 */

export interface RecordHeader {
  key: string
  value: Buffer | null
}

/** What a caller appends. A missing timestamp means "now" at encode time. */
export interface RecordInput {
  key?: Buffer | null
  value: Buffer | null
  headers?: readonly RecordHeader[]
  timestamp?: number
}

/** A record read back from a batch; key, value and header values are views into the batch bytes. */
export interface DecodedRecord {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/**
 * Builds the object for one decoded record. The default makes a DecodedRecord; a reader that wants
 * another shape (the consumer adds topic and partition) passes its own, so each record costs one
 * allocation rather than two.
 */
export type RecordFactory<T> = (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: RecordHeader[]) => T

export const makeDecodedRecord: RecordFactory<DecodedRecord> = (offset, timestamp, key, value, headers) => ({
  offset,
  timestamp,
  key,
  value,
  headers,
})

/**
 * Records without headers share this empty array (frozen, so a caller cannot add to the list of
 * every other record by mistake): most records have no headers, and an array each adds up.
 */
const EMPTY_HEADERS = Object.freeze([]) as unknown as RecordHeader[]

/**
 * Inputs up to this many bytes are copied with a JavaScript loop; longer ones with
 * Uint8Array#set. Buffer#copy crosses into C++ on every call (a fixed 60–90 ns), set is a V8
 * builtin with a smaller fixed cost, and a loop of a few bytes costs less than either (measured
 * with bench/micro/copy.bench.ts; keys are usually this short).
 */
export const LOOP_COPY_MAX_BYTES = 8

/** Bytes of a zigzag varint of `value` (an int32): branches instead of a loop. */
function varintBytes(value: number): number {
  const v = ((value << 1) ^ (value >> 31)) >>> 0
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5
}

/** Bytes of a record after its length varint. */
export function sizeOfRecordBody(record: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const key = record.key
  const value = record.value
  let size = 1 + sizeOfVarlong(timestampDelta) + varintBytes(offsetDelta)
  size += key == null ? 1 : varintBytes(key.length) + key.length
  size += value === null ? 1 : varintBytes(value.length) + value.length
  const headers = record.headers
  size += headers === undefined || headers.length === 0 ? 1 : sizeOfHeaders(headers)
  return size
}

function sizeOfHeaders(headers: readonly RecordHeader[]): number {
  let size = varintBytes(headers.length)
  for (let slot = 0; slot < headers.length; slot++) {
    const header = headers[slot] as RecordHeader
    const keyBytes = Buffer.byteLength(header.key, 'utf8')
    size += varintBytes(keyBytes) + keyBytes
    size += header.value === null ? 1 : varintBytes(header.value.length) + header.value.length
  }
  return size
}

/**
 * Writes one record (length varint first) at `position`; returns the position after it. Varints
 * of one byte, the usual case for every field but the length, are stored without a call.
 */
export function writeRecord(
  buf: Buffer,
  position: number,
  record: RecordInput,
  bodySize: number,
  offsetDelta: number,
  timestampDelta: number,
): number {
  position = writeVarint(buf, bodySize, position)
  buf[position++] = 0
  position = writeVarlong(buf, timestampDelta, position)
  if (offsetDelta < 0x40) buf[position++] = offsetDelta << 1
  else position = writeVarint(buf, offsetDelta, position)
  const key = record.key
  if (key == null) buf[position++] = 1
  else position = writeBytes(buf, position, key)
  const value = record.value
  if (value === null) buf[position++] = 1
  else position = writeBytes(buf, position, value)
  const headers = record.headers
  if (headers === undefined || headers.length === 0) {
    buf[position++] = 0
    return position
  }
  position = writeVarint(buf, headers.length, position)
  for (let slot = 0; slot < headers.length; slot++) {
    const header = headers[slot] as RecordHeader
    const keyBytes = Buffer.byteLength(header.key, 'utf8')
    position = writeVarint(buf, keyBytes, position)
    position += buf.write(header.key, position, keyBytes, 'utf8')
    if (header.value === null) buf[position++] = 1
    else position = writeBytes(buf, position, header.value)
  }
  return position
}

/** A length varint and the bytes (a null is the caller's one byte, zigzag -1). */
function writeBytes(buf: Buffer, position: number, bytes: Buffer): number {
  const length = bytes.length
  if (length < 0x40) buf[position++] = length << 1
  else position = writeVarint(buf, length, position)
  if (length <= LOOP_COPY_MAX_BYTES) {
    for (let at = 0; at < length; at++) buf[position + at] = bytes[at]!
  } else {
    buf.set(bytes, position)
  }
  return position + length
}

/**
 * Reads the record at `cursor.position` (its length varint first), which must end by `end`.
 * Advances the cursor past it. Every length is checked against the bytes that remain before any
 * slice is taken, so a lying length is a CorruptRecordError, never a RangeError.
 */
export function readRecord<T = DecodedRecord>(
  buf: Buffer,
  cursor: VarintCursor,
  end: number,
  baseOffset: number,
  baseTimestamp: number,
  /** For LogAppendTime batches every record reports this; -1 otherwise. */
  timestampOverride = -1,
  make: RecordFactory<T> = makeDecodedRecord as unknown as RecordFactory<T>,
): T {
  const start = cursor.position
  const bodySize = readVarint(buf, cursor, end)
  const bodyStart = cursor.position
  const bodyEnd = bodyStart + bodySize
  if (bodySize < 1 || bodyEnd > end) {
    throw new CorruptRecordError('truncated-record', start, `record length ${bodySize} does not fit the ${end - bodyStart} bytes left`)
  }
  cursor.position++ // attributes: unused
  const timestampDelta = readVarlong(buf, cursor, bodyEnd)
  const offsetDelta = readVarint(buf, cursor, bodyEnd)
  const key = readBytes(buf, cursor, bodyEnd)
  const value = readBytes(buf, cursor, bodyEnd)
  const headerCount = readVarint(buf, cursor, bodyEnd)
  if (headerCount < 0 || headerCount > bodyEnd - cursor.position) {
    throw new CorruptRecordError('truncated-record', cursor.position, `header count ${headerCount} is impossible here`)
  }
  const headers: RecordHeader[] = headerCount === 0 ? EMPTY_HEADERS : []
  for (let slot = 0; slot < headerCount; slot++) {
    const keyPosition = cursor.position
    const keyBytes = readBytes(buf, cursor, bodyEnd)
    if (keyBytes === null) throw new CorruptRecordError('truncated-record', keyPosition, 'null header key')
    headers.push({ key: keyBytes.toString('utf8'), value: readBytes(buf, cursor, bodyEnd) })
  }
  if (cursor.position !== bodyEnd) {
    throw new CorruptRecordError('truncated-record', start, `record declared ${bodySize} bytes but used ${cursor.position - bodyStart}`)
  }
  return make(baseOffset + offsetDelta, timestampOverride >= 0 ? timestampOverride : baseTimestamp + timestampDelta, key, value, headers)
}

function readBytes(buf: Buffer, cursor: VarintCursor, end: number): Buffer | null {
  const lengthPosition = cursor.position
  const length = readVarint(buf, cursor, end)
  if (length === -1) return null
  const start = cursor.position
  if (length < 0 || length > end - start) {
    throw new CorruptRecordError('truncated-record', lengthPosition, `length ${length} does not fit the ${end - start} bytes left`)
  }
  cursor.position = start + length
  return buf.subarray(start, start + length)
}

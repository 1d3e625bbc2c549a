import { CorruptRecordError } from './errors.js'
import { bufferViews } from './buffer-view.js'
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
export const LOOP_COPY_MAX_BYTES = 16

/** Bytes of a zigzag varint of `value` (an int32): branches instead of a loop. */
function varintBytes(value: number): number {
  const v = ((value << 1) ^ (value >> 31)) >>> 0
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5
}

/** Bytes of a record after its length varint. */
export function sizeOfRecordBody(record: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const key = record.key
  const value = record.value
  // Timestamp deltas are almost always int32: the branchy count, not the varlong loop.
  const timestampBytes =
    timestampDelta >= -0x40000000 && timestampDelta < 0x40000000 ? varintBytes(timestampDelta) : sizeOfVarlong(timestampDelta)
  let size = 1 + timestampBytes + varintBytes(offsetDelta)
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
  // The length of a small record takes two bytes, its deltas one: written without a call.
  if (bodySize < 0x40) buf[position++] = bodySize << 1
  else if (bodySize < 0x2000) {
    buf[position++] = ((bodySize << 1) & 0x7f) | 0x80
    buf[position++] = bodySize >>> 6
  } else position = writeVarint(buf, bodySize, position)
  buf[position++] = 0
  if (timestampDelta >= -0x40 && timestampDelta < 0x40) buf[position++] = (timestampDelta << 1) ^ (timestampDelta >> 31)
  else position = writeVarlong(buf, timestampDelta, position)
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
    let at = 0
    for (; at + 4 <= length; at += 4) {
      buf[position + at] = bytes[at]!
      buf[position + at + 1] = bytes[at + 1]!
      buf[position + at + 2] = bytes[at + 2]!
      buf[position + at + 3] = bytes[at + 3]!
    }
    for (; at < length; at++) buf[position + at] = bytes[at]!
  } else {
    buf.set(bytes, position)
  }
  return position + length
}

const EMPTY_BUFFER = Buffer.alloc(0)

/**
 * One record's fields as positions into the buffer it was parsed from: what `parseRecord` fills.
 * Readers that want objects (`readRecord`) and readers that want positions (`visitRecords`) share
 * the one parser and every check in it, and this one class, so the parser's stores stay
 * monomorphic. A view is valid until it is parsed into again.
 */
export class RecordView {
  /** The buffer the positions point into: the batch, or its decompressed records area. */
  buffer: Buffer = EMPTY_BUFFER
  offset = 0
  timestamp = 0
  /** Position of the key in `buffer`, and its length; -1 for a null key. */
  keyStart = 0
  keyLength = -1
  /** Position of the value in `buffer`, and its length; -1 for a null value (a tombstone). */
  valueStart = 0
  valueLength = -1
  headerCount = 0
  /** Position of the first header (after the count); the headers were checked by the parse. */
  headersStart = 0

  /** The key as a view of the buffer (a new Buffer object, the bytes shared). */
  key(): Buffer | null {
    return this.keyLength < 0 ? null : bufferViews.view(this.buffer, this.keyStart, this.keyLength)
  }

  /** The value as a view of the buffer (a new Buffer object, the bytes shared). */
  value(): Buffer | null {
    return this.valueLength < 0 ? null : bufferViews.view(this.buffer, this.valueStart, this.valueLength)
  }

  /** The headers, decoded (header values are views of the buffer). */
  headers(): RecordHeader[] {
    return readHeaders(this.buffer, this)
  }
}

/**
 * Parses the record at `cursor.position` (its length varint first), which must end by `end`, into
 * `into`, and advances the cursor past it. Every length is checked against the bytes that remain,
 * so a lying length is a CorruptRecordError, never a RangeError, and never a slice past the record.
 * `timestampOverride` (LogAppendTime batches: their maxTimestamp) replaces every record's
 * timestamp when >= 0.
 */
export function parseRecord(
  buf: Buffer,
  cursor: VarintCursor,
  end: number,
  baseOffset: number,
  baseTimestamp: number,
  timestampOverride: number,
  into: RecordView,
): void {
  // Kept small enough for V8 to inline into its callers (under 460 bytes of bytecode): the error
  // messages and the rare header walk live in functions of their own.
  const start = cursor.position
  const bodySize = readVarint(buf, cursor, end)
  const bodyStart = cursor.position
  const bodyEnd = bodyStart + bodySize
  if (bodySize < 1 || bodyEnd > end) throw recordTooLong(start, bodySize, end - bodyStart)
  cursor.position++ // attributes: unused
  const timestampDelta = readVarlong(buf, cursor, bodyEnd)
  const offsetDelta = readVarint(buf, cursor, bodyEnd)
  const keyLength = readLength(buf, cursor, bodyEnd)
  into.keyLength = keyLength
  into.keyStart = cursor.position
  if (keyLength > 0) cursor.position += keyLength
  const valueLength = readLength(buf, cursor, bodyEnd)
  into.valueLength = valueLength
  into.valueStart = cursor.position
  if (valueLength > 0) cursor.position += valueLength
  const headerCount = readVarint(buf, cursor, bodyEnd)
  into.headerCount = headerCount
  into.headersStart = cursor.position
  if (headerCount !== 0) skipHeaders(buf, cursor, bodyEnd, headerCount)
  if (cursor.position !== bodyEnd) throw recordLengthMismatch(start, bodySize, cursor.position - bodyStart)
  into.offset = baseOffset + offsetDelta
  into.timestamp = timestampOverride >= 0 ? timestampOverride : baseTimestamp + timestampDelta
}

/** Checks and steps over `headerCount` headers (keys are never null). */
function skipHeaders(buf: Buffer, cursor: VarintCursor, bodyEnd: number, headerCount: number): void {
  if (headerCount < 0 || headerCount > bodyEnd - cursor.position) {
    throw new CorruptRecordError('truncated-record', cursor.position, `header count ${headerCount} is impossible here`)
  }
  for (let slot = 0; slot < headerCount; slot++) {
    const keyPosition = cursor.position
    const keyLength = readLength(buf, cursor, bodyEnd)
    if (keyLength < 0) throw new CorruptRecordError('truncated-record', keyPosition, 'null header key')
    cursor.position += keyLength
    const valueLength = readLength(buf, cursor, bodyEnd)
    if (valueLength > 0) cursor.position += valueLength
  }
}

/** A bytes field's length varint, checked against what is left: -1 (null) or a length that fits. */
function readLength(buf: Buffer, cursor: VarintCursor, end: number): number {
  const lengthPosition = cursor.position
  const length = readVarint(buf, cursor, end)
  if (length === -1) return -1
  if (length < 0 || length > end - cursor.position) throw fieldTooLong(lengthPosition, length, end - cursor.position)
  return length
}

function recordTooLong(position: number, bodySize: number, left: number): CorruptRecordError {
  return new CorruptRecordError('truncated-record', position, `record length ${bodySize} does not fit the ${left} bytes left`)
}

function recordLengthMismatch(position: number, bodySize: number, used: number): CorruptRecordError {
  return new CorruptRecordError('truncated-record', position, `record declared ${bodySize} bytes but used ${used}`)
}

function fieldTooLong(position: number, length: number, left: number): CorruptRecordError {
  return new CorruptRecordError('truncated-record', position, `length ${length} does not fit the ${left} bytes left`)
}

/**
 * The headers of a record `parseRecord` has checked, decoded (values are views of `buf`). Only
 * called for records that have headers; the walk needs no checks, the parse made them.
 */
export function readHeaders(buf: Buffer, fields: RecordView): RecordHeader[] {
  const headers: RecordHeader[] = []
  const cursor = { position: fields.headersStart }
  const end = buf.length
  for (let slot = 0; slot < fields.headerCount; slot++) {
    const keyLength = readVarint(buf, cursor, end)
    const key = buf.toString('utf8', cursor.position, cursor.position + keyLength)
    cursor.position += keyLength
    const valueLength = readVarint(buf, cursor, end)
    const value = valueLength < 0 ? null : bufferViews.view(buf, cursor.position, valueLength)
    if (valueLength > 0) cursor.position += valueLength
    headers.push({ key, value })
  }
  return headers
}

/** What `readRecord` parses into: it is read back at once, so one instance serves every call. */
const scratchFields = new RecordView()

/**
 * Reads the record at `cursor.position` (see `parseRecord`) as an object built by `make`, with key,
 * value and header values as views of `buf`. Advances the cursor past it.
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
  const fields = scratchFields
  parseRecord(buf, cursor, end, baseOffset, baseTimestamp, timestampOverride, fields)
  const keyStart = fields.keyStart
  const keyLength = fields.keyLength
  const valueStart = fields.valueStart
  const valueLength = fields.valueLength
  return make(
    fields.offset,
    fields.timestamp,
    keyLength < 0 ? null : bufferViews.view(buf, keyStart, keyLength),
    valueLength < 0 ? null : bufferViews.view(buf, valueStart, valueLength),
    fields.headerCount === 0 ? EMPTY_HEADERS : readHeaders(buf, fields),
  )
}

import type { RecordHeader, RecordInput } from '../../src/record/record.js'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../src/record/varint.js'

/**
 * The record encoder as it was before the encoder's fast paths (one varint call per field,
 * Buffer#copy for every key and value), kept as the reference the property tests compare the
 * encoder in src/record/record.ts with: the bytes must be identical.
 */

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([])

export function referenceSizeOfRecordBody(record: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const key = record.key
  const value = record.value
  let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta)
  size += key == null ? 1 : sizeOfVarint(key.length) + key.length
  size += value === null ? 1 : sizeOfVarint(value.length) + value.length
  const headers = record.headers ?? NO_HEADERS
  size += sizeOfVarint(headers.length)
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key, 'utf8')
    size += sizeOfVarint(keyBytes) + keyBytes
    size += header.value === null ? 1 : sizeOfVarint(header.value.length) + header.value.length
  }
  return size
}

export function referenceWriteRecord(
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
  position = writeVarint(buf, offsetDelta, position)
  position = writeBytes(buf, position, record.key ?? null)
  position = writeBytes(buf, position, record.value)
  const headers = record.headers ?? NO_HEADERS
  position = writeVarint(buf, headers.length, position)
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key, 'utf8')
    position = writeVarint(buf, keyBytes, position)
    position += buf.write(header.key, position, keyBytes, 'utf8')
    position = writeBytes(buf, position, header.value)
  }
  return position
}

function writeBytes(buf: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buf, -1, position)
  position = writeVarint(buf, bytes.length, position)
  bytes.copy(buf, position)
  return position + bytes.length
}

/** The records area of an uncompressed batch, record by record, with the reference encoder. */
export function referenceRecordsArea(records: readonly RecordInput[], baseTimestamp: number, now: number): Buffer {
  const parts: Buffer[] = []
  records.forEach((record, slot) => {
    const timestampDelta = (record.timestamp ?? now) - baseTimestamp
    const bodySize = referenceSizeOfRecordBody(record, slot, timestampDelta)
    const part = Buffer.alloc(sizeOfVarint(bodySize) + bodySize)
    const end = referenceWriteRecord(part, 0, record, bodySize, slot, timestampDelta)
    if (end !== part.length) throw new Error(`reference encoder wrote ${end} of ${part.length} bytes`)
    parts.push(part)
  })
  return Buffer.concat(parts)
}

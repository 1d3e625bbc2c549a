import { CorruptRecordError } from '../record/errors.js'

/**
 * seglog's key index (`<base offset>.keyindex`, docs/format/key-index.md): which offsets of one
 * segment hold a record with a given key hash. A 24-byte header, then one 12-byte entry per keyed
 * record, in offset order. Big-endian.
 *
 * Header:
 * | pos | size | field                                                                  |
 * |----:|-----:|------------------------------------------------------------------------|
 * |   0 |    4 | magic: the ASCII bytes `SGKI`                                          |
 * |   4 |    2 | version (0)                                                            |
 * |   6 |    2 | reserved (0)                                                           |
 * |   8 |    4 | covered: the segment's offsets below base + this are indexed (relative) |
 * |  12 |    4 | relative base offset of the last batch indexed (0xffffffff: none)      |
 * |  16 |    4 | CRC-32C field of that batch, as stored in its header (0 when none)     |
 * |  20 |    4 | entry count                                                            |
 *
 * Entry:
 * | pos | size | field                                                     |
 * |----:|-----:|-----------------------------------------------------------|
 * |   0 |    4 | key hash: 32-bit FNV-1a of the key bytes (`keyHash`)       |
 * |   4 |    4 | relative offset of the record (offset - segment base)      |
 * |   8 |    4 | relative base offset of the batch holding the record        |
 *
 * No checksum of its own: the file is derived data. The last batch's base offset and CRC let the
 * reader tell whether the file still describes the log (a truncation followed by new appends, or a
 * compaction, changes that batch), and a reader verifies the key bytes of every record it finds,
 * so a stale or colliding entry can cost a read but never return a wrong record.
 */
export const KEY_INDEX_MAGIC = 0x53474b49 // 'SGKI'
export const KEY_INDEX_VERSION = 0
export const KEY_INDEX_HEADER_SIZE = 24
export const KEY_INDEX_ENTRY_SIZE = 12
/** Written for "no batch indexed yet" in the last-batch field. */
export const KEY_INDEX_NO_BATCH = 0xffffffff
const MAGIC_OFFSET = 0
const VERSION_OFFSET = 4
const RESERVED_OFFSET = 6
const COVERED_OFFSET = 8
const LAST_BATCH_OFFSET = 12
const LAST_BATCH_CRC_OFFSET = 16
const COUNT_OFFSET = 20
const HASH_OFFSET = 0
const RELATIVE_OFFSET_OFFSET = 4
const BATCH_RELATIVE_OFFSET_OFFSET = 8

export interface KeyIndexHeader {
  /** Relative offsets below this are indexed. */
  coveredRelativeOffset: number
  /** Relative base offset of the last batch indexed, or -1 when none. */
  lastBatchRelativeOffset: number
  /** The stored CRC field of that batch (unsigned), 0 when none. */
  lastBatchCrc: number
}

/** The entries as three columns (one slot per keyed record, offset order). */
export interface KeyIndexColumns {
  hashes: Uint32Array
  relativeOffsets: Uint32Array
  batchRelativeOffsets: Uint32Array
  count: number
}

const FNV_OFFSET_BASIS = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** 32-bit FNV-1a of the key bytes, unsigned: the hash the key index stores. */
export function keyHash(key: Uint8Array): number {
  return keyHashAt(key, 0, key.length)
}

/** `keyHash` of the key at bytes [start, end) of `buffer`, so an append hashes keys in place. */
export function keyHashAt(buffer: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET_BASIS
  for (let at = start; at < end; at++) hash = Math.imul(hash ^ buffer[at]!, FNV_PRIME)
  return hash >>> 0
}

export function encodeKeyIndex(header: KeyIndexHeader, columns: KeyIndexColumns): Buffer {
  const buf = Buffer.alloc(KEY_INDEX_HEADER_SIZE + columns.count * KEY_INDEX_ENTRY_SIZE)
  buf.writeUInt32BE(KEY_INDEX_MAGIC, MAGIC_OFFSET)
  buf.writeUInt16BE(KEY_INDEX_VERSION, VERSION_OFFSET)
  buf.writeUInt16BE(0, RESERVED_OFFSET)
  buf.writeUInt32BE(header.coveredRelativeOffset, COVERED_OFFSET)
  buf.writeUInt32BE(header.lastBatchRelativeOffset < 0 ? KEY_INDEX_NO_BATCH : header.lastBatchRelativeOffset, LAST_BATCH_OFFSET)
  buf.writeUInt32BE(header.lastBatchCrc >>> 0, LAST_BATCH_CRC_OFFSET)
  buf.writeUInt32BE(columns.count, COUNT_OFFSET)
  for (let slot = 0; slot < columns.count; slot++) {
    const at = KEY_INDEX_HEADER_SIZE + slot * KEY_INDEX_ENTRY_SIZE
    buf.writeUInt32BE(columns.hashes[slot]!, at + HASH_OFFSET)
    buf.writeUInt32BE(columns.relativeOffsets[slot]!, at + RELATIVE_OFFSET_OFFSET)
    buf.writeUInt32BE(columns.batchRelativeOffsets[slot]!, at + BATCH_RELATIVE_OFFSET_OFFSET)
  }
  return buf
}

/**
 * Reads a whole `.keyindex` file. Throws CorruptRecordError (with the byte position) for a wrong
 * magic or version, a length that disagrees with the entry count, or entries out of offset order
 * or at or past the covered offset.
 */
export function decodeKeyIndex(bytes: Buffer): { header: KeyIndexHeader; columns: KeyIndexColumns } {
  if (bytes.length < KEY_INDEX_HEADER_SIZE)
    throw new CorruptRecordError('bad-length', 0, `key index of ${bytes.length} bytes, header is 24`)
  if (bytes.readUInt32BE(MAGIC_OFFSET) !== KEY_INDEX_MAGIC)
    throw new CorruptRecordError('bad-magic', MAGIC_OFFSET, 'not a key index (magic)')
  const version = bytes.readUInt16BE(VERSION_OFFSET)
  if (version !== KEY_INDEX_VERSION) throw new CorruptRecordError('bad-magic', VERSION_OFFSET, `key index version ${version}, expected 0`)
  const count = bytes.readUInt32BE(COUNT_OFFSET)
  if (bytes.length !== KEY_INDEX_HEADER_SIZE + count * KEY_INDEX_ENTRY_SIZE)
    throw new CorruptRecordError(
      'bad-length',
      COUNT_OFFSET,
      `${count} entries need ${KEY_INDEX_HEADER_SIZE + count * KEY_INDEX_ENTRY_SIZE} bytes, file has ${bytes.length}`,
    )
  const lastBatch = bytes.readUInt32BE(LAST_BATCH_OFFSET)
  const header: KeyIndexHeader = {
    coveredRelativeOffset: bytes.readUInt32BE(COVERED_OFFSET),
    lastBatchRelativeOffset: lastBatch === KEY_INDEX_NO_BATCH ? -1 : lastBatch,
    lastBatchCrc: bytes.readUInt32BE(LAST_BATCH_CRC_OFFSET),
  }
  const columns: KeyIndexColumns = {
    hashes: new Uint32Array(count),
    relativeOffsets: new Uint32Array(count),
    batchRelativeOffsets: new Uint32Array(count),
    count,
  }
  let previous = -1
  for (let slot = 0; slot < count; slot++) {
    const at = KEY_INDEX_HEADER_SIZE + slot * KEY_INDEX_ENTRY_SIZE
    const relativeOffset = bytes.readUInt32BE(at + RELATIVE_OFFSET_OFFSET)
    const batchRelativeOffset = bytes.readUInt32BE(at + BATCH_RELATIVE_OFFSET_OFFSET)
    if (relativeOffset <= previous || relativeOffset >= header.coveredRelativeOffset || batchRelativeOffset > relativeOffset)
      throw new CorruptRecordError(
        'bad-offset',
        at + RELATIVE_OFFSET_OFFSET,
        `entry ${slot} at relative offset ${relativeOffset} out of order`,
      )
    previous = relativeOffset
    columns.hashes[slot] = bytes.readUInt32BE(at + HASH_OFFSET)
    columns.relativeOffsets[slot] = relativeOffset
    columns.batchRelativeOffsets[slot] = batchRelativeOffset
  }
  return { header, columns }
}

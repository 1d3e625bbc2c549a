import { writeInt64BE } from '../record/int64.js'

/**
 * The entries of a segment's two sparse indexes, byte-compatible with Kafka's (see
 * docs/format/offset-index.md and docs/format/time-index.md). Both files are a plain array of
 * fixed-size big-endian entries: no header, no CRC (an index is rebuilt from its log when in doubt).
 *
 * Offset index (`.index`), 8 bytes an entry:
 *
 * | pos | size | field          | meaning                                                    |
 * |----:|-----:|----------------|------------------------------------------------------------|
 * |   0 |    4 | relativeOffset | int32: an offset of the batch minus the segment base       |
 * |   4 |    4 | position       | int32: byte position of that batch in the `.log` file      |
 *
 * Time index (`.timeindex`), 12 bytes an entry:
 *
 * | pos | size | field          | meaning                                                    |
 * |----:|-----:|----------------|------------------------------------------------------------|
 * |   0 |    8 | timestamp      | int64: largest timestamp up to and including the offset    |
 * |   8 |    4 | relativeOffset | int32: last offset of that batch minus the segment base    |
 *
 * Invariants both readers check (the engine when loading, verify when checking): the entry count
 * is the file size divided by the entry size (a remainder is a partial entry); offset-index entries
 * strictly ascend in relative offset and position; time-index entries strictly ascend in timestamp
 * and never descend in relative offset. Pure: the log/ shell and the inspect readers do the I/O.
 */
export const OFFSET_ENTRY_SIZE = 8
export const OFFSET_ENTRY_RELATIVE_OFFSET_OFFSET = 0
export const OFFSET_ENTRY_POSITION_OFFSET = 4
export const TIME_ENTRY_SIZE = 12
export const TIME_ENTRY_TIMESTAMP_OFFSET = 0
export const TIME_ENTRY_RELATIVE_OFFSET_OFFSET = 8
/** A relative offset is an int32. */
export const MAX_RELATIVE_OFFSET = 0x7fffffff

/** Whole entries in `byteLength` bytes, and the bytes of a partial entry after them. */
export function countEntries(byteLength: number, entrySize: number): { count: number; partialBytes: number } {
  const count = Math.floor(byteLength / entrySize)
  return { count, partialBytes: byteLength - count * entrySize }
}

export function readOffsetEntryRelativeOffset(buf: Buffer, slot: number): number {
  return buf.readInt32BE(slot * OFFSET_ENTRY_SIZE + OFFSET_ENTRY_RELATIVE_OFFSET_OFFSET)
}

export function readOffsetEntryPosition(buf: Buffer, slot: number): number {
  return buf.readInt32BE(slot * OFFSET_ENTRY_SIZE + OFFSET_ENTRY_POSITION_OFFSET)
}

/** Writes one offset-index entry at byte `at` of `buf`. */
export function writeOffsetEntry(buf: Buffer, at: number, relativeOffset: number, position: number): void {
  buf.writeInt32BE(relativeOffset, at + OFFSET_ENTRY_RELATIVE_OFFSET_OFFSET)
  buf.writeInt32BE(position, at + OFFSET_ENTRY_POSITION_OFFSET)
}

/**
 * The timestamp of time-index entry `slot`. Beyond 2^53 the number is approximate: such an entry
 * is garbage, and callers reject it with Number.isSafeInteger or fail it on the ascending check.
 */
export function readTimeEntryTimestamp(buf: Buffer, slot: number): number {
  const at = slot * TIME_ENTRY_SIZE + TIME_ENTRY_TIMESTAMP_OFFSET
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4)
}

export function readTimeEntryRelativeOffset(buf: Buffer, slot: number): number {
  return buf.readInt32BE(slot * TIME_ENTRY_SIZE + TIME_ENTRY_RELATIVE_OFFSET_OFFSET)
}

/** Writes one time-index entry at byte `at` of `buf`. */
export function writeTimeEntry(buf: Buffer, at: number, timestamp: number, relativeOffset: number): void {
  writeInt64BE(buf, timestamp, at + TIME_ENTRY_TIMESTAMP_OFFSET)
  buf.writeInt32BE(relativeOffset, at + TIME_ENTRY_RELATIVE_OFFSET_OFFSET)
}

/** Whether an offset-index entry follows the one before it: both keys strictly ascend. */
export function isOffsetEntryAscending(
  relativeOffset: number,
  position: number,
  previousRelativeOffset: number,
  previousPosition: number,
): boolean {
  return relativeOffset > previousRelativeOffset && position > previousPosition
}

/** Whether a time-index entry follows the one before it: timestamps strictly ascend, offsets never descend. */
export function isTimeEntryAscending(
  timestamp: number,
  relativeOffset: number,
  previousTimestamp: number,
  previousRelativeOffset: number,
): boolean {
  return timestamp > previousTimestamp && relativeOffset >= previousRelativeOffset
}

import { describe, expect, it } from 'vitest'
import {
  countEntries,
  isOffsetEntryAscending,
  isTimeEntryAscending,
  OFFSET_ENTRY_SIZE,
  readOffsetEntryPosition,
  readOffsetEntryRelativeOffset,
  readTimeEntryRelativeOffset,
  readTimeEntryTimestamp,
  TIME_ENTRY_SIZE,
  writeOffsetEntry,
  writeTimeEntry,
} from '../../src/format/index-entry.js'

describe('index entries: the bytes', () => {
  it('lays out an offset-index entry as relative offset int32 then position int32, big-endian', () => {
    const buf = Buffer.alloc(2 * OFFSET_ENTRY_SIZE)
    writeOffsetEntry(buf, OFFSET_ENTRY_SIZE, 0x01020304, 0x0a0b0c0d)
    expect(buf.toString('hex')).toBe('0000000000000000' + '01020304' + '0a0b0c0d')
    expect(readOffsetEntryRelativeOffset(buf, 1)).toBe(0x01020304)
    expect(readOffsetEntryPosition(buf, 1)).toBe(0x0a0b0c0d)
  })

  it('lays out a time-index entry as timestamp int64 then relative offset int32, big-endian', () => {
    const buf = Buffer.alloc(2 * TIME_ENTRY_SIZE)
    writeTimeEntry(buf, TIME_ENTRY_SIZE, 1_700_000_000_123, 42)
    // 1_700_000_000_123 = 0x18bcfe5687b
    expect(buf.subarray(TIME_ENTRY_SIZE).toString('hex')).toBe('0000018bcfe5687b' + '0000002a')
    expect(readTimeEntryTimestamp(buf, 1)).toBe(1_700_000_000_123)
    expect(readTimeEntryRelativeOffset(buf, 1)).toBe(42)
  })

  it('reads a negative timestamp (Kafka writes -1 for none) as a number', () => {
    const buf = Buffer.from('ffffffffffffffff00000000', 'hex')
    expect(readTimeEntryTimestamp(buf, 0)).toBe(-1)
  })
})

describe('index entries: the invariants', () => {
  it('counts whole entries and the bytes of a partial one', () => {
    expect(countEntries(0, OFFSET_ENTRY_SIZE)).toEqual({ count: 0, partialBytes: 0 })
    expect(countEntries(24, OFFSET_ENTRY_SIZE)).toEqual({ count: 3, partialBytes: 0 })
    expect(countEntries(29, TIME_ENTRY_SIZE)).toEqual({ count: 2, partialBytes: 5 })
  })

  it('wants offset-index entries strictly ascending in both keys', () => {
    expect(isOffsetEntryAscending(5, 100, 4, 50)).toBe(true)
    expect(isOffsetEntryAscending(5, 100, 5, 50)).toBe(false)
    expect(isOffsetEntryAscending(5, 50, 4, 50)).toBe(false)
  })

  it('wants time-index timestamps strictly ascending and offsets not descending', () => {
    expect(isTimeEntryAscending(10, 5, 9, 5)).toBe(true)
    expect(isTimeEntryAscending(10, 5, 10, 4)).toBe(false)
    expect(isTimeEntryAscending(10, 4, 9, 5)).toBe(false)
  })
})

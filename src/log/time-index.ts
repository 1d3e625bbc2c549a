import assert from 'node:assert'
import {
  countEntries,
  isTimeEntryAscending,
  MAX_RELATIVE_OFFSET,
  readTimeEntryRelativeOffset,
  readTimeEntryTimestamp,
  TIME_ENTRY_RELATIVE_OFFSET_OFFSET,
  TIME_ENTRY_SIZE,
  writeTimeEntry,
} from '../format/index-entry.js'
import { CorruptIndexError } from './errors.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'
import { growColumn, IndexFile } from './index-file.js'
import { floorSlot } from './index-search.js'

/**
 * The sparse time index of one segment (`.timeindex`), byte-compatible with Kafka's.
 *
 * | pos | size | field          | meaning                                                       |
 * |----:|-----:|----------------|---------------------------------------------------------------|
 * |   0 |    8 | timestamp      | largest timestamp in the segment up to and including `offset` |
 * |   8 |    4 | relativeOffset | last offset of the batch holding it, minus the segment base   |
 *
 * An entry (T, O) says: every record with a timestamp above T comes
 * after offset O. The index stores the running maximum, not each batch's timestamp, so it stays
 * monotonic when producers send timestamps out of order: timestamps strictly ascend and offsets
 * never descend. The last slot is kept for the entry written when the segment closes, so that the
 * last entry of every inactive segment carries the segment's largest timestamp (Kafka derives
 * retention and time lookups from it). See docs/format/time-index.md.
 */
/** Shared by every index without entries; never written (growColumn copies them into new arrays). */
const NO_TIMESTAMPS = new Float64Array(0)
const NO_OFFSETS = new Int32Array(0)

export class TimeIndex extends IndexFile {
  static readonly ENTRY_SIZE = TIME_ENTRY_SIZE
  // Grown on the first entry (growColumn): a partition of thousands of segments allocates nothing per index at open.
  private timestamps = NO_TIMESTAMPS
  private relativeOffsets = NO_OFFSETS

  constructor(file: string, baseOffset: number, maxIndexBytes: number, isNew: boolean, fileSystem: LogFileSystem = nodeFileSystem) {
    super(file, baseOffset, TimeIndex.ENTRY_SIZE, maxIndexBytes, isNew, fileSystem)
  }

  /** Full one entry early: the last slot is reserved for the closing entry. */
  isFull(): boolean {
    return this.entries >= this.maxEntries - 1
  }

  lastEntry(): { timestamp: number; offset: number } | null {
    const count = this.entries
    if (count === 0) return null
    return { timestamp: this.timestamps[count - 1]!, offset: this.baseOffset + this.relativeOffsets[count - 1]! }
  }

  /**
   * Adds (timestamp, offset) if the timestamp is larger than the last entry's; an equal one is
   * skipped, as Kafka does. `isClosing` may use the reserved last slot.
   */
  maybeAppend(timestamp: number, offset: number, isClosing = false): void {
    this.ensureLoaded()
    const count = this.count
    if (count > 0 && timestamp <= this.timestamps[count - 1]!) return
    if (timestamp < 0) return
    assert(count < (isClosing ? this.maxEntries : this.maxEntries - 1), 'time index must not be appended to when full')
    const relativeOffset = offset - this.baseOffset
    assert(relativeOffset >= 0 && relativeOffset <= MAX_RELATIVE_OFFSET, 'time index relative offset must fit int32')
    assert(count === 0 || relativeOffset >= this.relativeOffsets[count - 1]!, 'time index offsets must not descend')
    if (count === this.timestamps.length) {
      this.timestamps = growColumn(this.timestamps, count, this.maxEntries)
      this.relativeOffsets = growColumn(this.relativeOffsets, count, this.maxEntries)
    }
    this.timestamps[count] = timestamp
    this.relativeOffsets[count] = relativeOffset
    this.count = count + 1
    const at = this.stagedPosition()
    writeTimeEntry(this.pending, at, timestamp, relativeOffset)
  }

  /**
   * The largest entry with timestamp <= `timestamp`: an offset from which a forward scan finds
   * the first record at or after the timestamp. (-1, base offset) when there is none.
   */
  lookup(timestamp: number): { timestamp: number; offset: number } {
    this.ensureLoaded()
    const slot = floorSlot(this.timestamps, this.count, timestamp)
    if (slot < 0) return { timestamp: -1, offset: this.baseOffset }
    return { timestamp: this.timestamps[slot]!, offset: this.baseOffset + this.relativeOffsets[slot]! }
  }

  /** Drops entries for offsets >= `offset`. */
  truncateTo(offset: number): void {
    this.ensureLoaded()
    let keep = this.count
    while (keep > 0 && this.baseOffset + this.relativeOffsets[keep - 1]! >= offset) keep--
    this.truncateToSlot(keep)
  }

  *entriesInOrder(): Generator<{ timestamp: number; offset: number }> {
    this.ensureLoaded()
    for (let slot = 0; slot < this.count; slot++)
      yield { timestamp: this.timestamps[slot]!, offset: this.baseOffset + this.relativeOffsets[slot]! }
  }

  /** Kafka's checks plus one: the last offset must lie below the segment's next offset. */
  sanityCheck(nextOffset: number | null): void {
    this.ensureLoaded()
    const last = this.lastEntry()
    if (last === null) return
    if (nextOffset !== null && last.offset >= nextOffset) {
      throw new CorruptIndexError(
        this.file,
        (this.count - 1) * TIME_ENTRY_SIZE + TIME_ENTRY_RELATIVE_OFFSET_OFFSET,
        `last entry offset ${last.offset} is not below the segment's next offset ${nextOffset}`,
      )
    }
  }

  protected loadEntries(bytes: Buffer): void {
    const { count, partialBytes } = countEntries(bytes.length, TIME_ENTRY_SIZE)
    if (partialBytes !== 0) {
      throw new CorruptIndexError(this.file, bytes.length, `size ${bytes.length} is not a multiple of ${TIME_ENTRY_SIZE}`)
    }
    if (count > this.maxEntries)
      throw new CorruptIndexError(this.file, this.maxEntries * TIME_ENTRY_SIZE, `${count} entries exceed the maximum ${this.maxEntries}`)
    const timestamps = new Float64Array(Math.max(16, count))
    const relativeOffsets = new Int32Array(Math.max(16, count))
    for (let slot = 0; slot < count; slot++) {
      const timestamp = readTimeEntryTimestamp(bytes, slot)
      const relativeOffset = readTimeEntryRelativeOffset(bytes, slot)
      const ascending =
        slot === 0
          ? timestamp >= 0 && relativeOffset >= 0
          : isTimeEntryAscending(timestamp, relativeOffset, timestamps[slot - 1]!, relativeOffsets[slot - 1]!)
      if (!ascending || !Number.isSafeInteger(timestamp)) {
        throw new CorruptIndexError(this.file, slot * TIME_ENTRY_SIZE, `entry ${slot} (${timestamp}, ${relativeOffset}) does not ascend`)
      }
      timestamps[slot] = timestamp
      relativeOffsets[slot] = relativeOffset
    }
    this.timestamps = timestamps
    this.relativeOffsets = relativeOffsets
    this.count = count
  }
}

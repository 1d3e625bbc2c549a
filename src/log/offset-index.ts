import assert from 'node:assert'
import {
  countEntries,
  isOffsetEntryAscending,
  MAX_RELATIVE_OFFSET,
  OFFSET_ENTRY_POSITION_OFFSET,
  OFFSET_ENTRY_SIZE,
  readOffsetEntryPosition,
  readOffsetEntryRelativeOffset,
  writeOffsetEntry,
} from '../format/index-entry.js'
import { CorruptIndexError } from './errors.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'
import { growColumn, IndexFile } from './index-file.js'
import { floorSlot } from './index-search.js'

/**
 * The sparse offset index of one segment (`.index`), byte-compatible with Kafka's.
 *
 * | pos | size | field          | meaning                                                  |
 * |----:|-----:|----------------|----------------------------------------------------------|
 * |   0 |    4 | relativeOffset | last offset of the indexed batch minus the segment base |
 * |   4 |    4 | position       | byte position in the .log where that batch starts        |
 *
 * Entries strictly ascend in both columns. An entry is added for a batch when more than
 * `indexIntervalBytes` of log lie between the previous entry (or the segment start) and the
 * batch, so the first batch of a segment never has one: lookups below the first entry fall back
 * to position 0. In memory the entries are two Int32Array columns; a lookup allocates nothing but
 * its result. See docs/format/offset-index.md.
 */
/** Shared by every index without entries; never written (growColumn copies it into a new array). */
const NO_ENTRIES = new Int32Array(0)

export class OffsetIndex extends IndexFile {
  static readonly ENTRY_SIZE = OFFSET_ENTRY_SIZE
  // Grown on the first entry (growColumn): a partition of thousands of segments allocates nothing per index at open.
  private relativeOffsets = NO_ENTRIES
  private positions = NO_ENTRIES

  constructor(file: string, baseOffset: number, maxIndexBytes: number, isNew: boolean, fileSystem: LogFileSystem = nodeFileSystem) {
    super(file, baseOffset, OffsetIndex.ENTRY_SIZE, maxIndexBytes, isNew, fileSystem)
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries
  }

  /** The last entry, or null for an empty index. */
  lastEntry(): { offset: number; position: number } | null {
    const count = this.entries
    if (count === 0) return null
    return { offset: this.baseOffset + this.relativeOffsets[count - 1]!, position: this.positions[count - 1]! }
  }

  append(offset: number, position: number): void {
    this.ensureLoaded()
    const relativeOffset = offset - this.baseOffset
    const count = this.count
    assert(count < this.maxEntries, 'offset index must not be appended to when full')
    assert(relativeOffset >= 0 && relativeOffset <= MAX_RELATIVE_OFFSET, 'offset index relative offset must fit int32')
    assert(
      count === 0 || (relativeOffset > this.relativeOffsets[count - 1]! && position > this.positions[count - 1]!),
      'offset index entries must ascend',
    )
    if (count === this.relativeOffsets.length) {
      this.relativeOffsets = growColumn(this.relativeOffsets, count, this.maxEntries)
      this.positions = growColumn(this.positions, count, this.maxEntries)
    }
    this.relativeOffsets[count] = relativeOffset
    this.positions[count] = position
    this.count = count + 1
    const at = this.stagedPosition()
    writeOffsetEntry(this.pending, at, relativeOffset, position)
  }

  /** Position of the largest indexed offset <= `offset`, or 0 when none is (Kafka's lookup). */
  lookup(offset: number): { offset: number; position: number } {
    this.ensureLoaded()
    const slot = floorSlot(this.relativeOffsets, this.count, offset - this.baseOffset)
    if (slot < 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.baseOffset + this.relativeOffsets[slot]!, position: this.positions[slot]! }
  }

  /** Drops entries for offsets >= `offset` (the log is being cut there). */
  truncateTo(offset: number): void {
    this.ensureLoaded()
    const slot = floorSlot(this.relativeOffsets, this.count, offset - this.baseOffset)
    // An entry keyed exactly at `offset` describes a batch that is going away too.
    const keep = slot >= 0 && this.relativeOffsets[slot]! === offset - this.baseOffset ? slot : slot + 1
    this.truncateToSlot(keep)
  }

  /** Drops entries whose position is at or after `position`. */
  truncateToPosition(position: number): void {
    this.ensureLoaded()
    let keep = this.count
    while (keep > 0 && this.positions[keep - 1]! >= position) keep--
    this.truncateToSlot(keep)
  }

  /** Every entry, for dumps and verification. */
  *entriesInOrder(): Generator<{ offset: number; position: number }> {
    this.ensureLoaded()
    for (let slot = 0; slot < this.count; slot++)
      yield { offset: this.baseOffset + this.relativeOffsets[slot]!, position: this.positions[slot]! }
  }

  /**
   * Checks the entries against the log they index: ascending, within the file, and below the
   * segment's next offset. Throws CorruptIndexError, upon which the segment rebuilds the index.
   */
  sanityCheck(logSize: number, nextOffset: number | null): void {
    this.ensureLoaded()
    const last = this.lastEntry()
    if (last === null) return
    if (last.position >= logSize) {
      throw new CorruptIndexError(
        this.file,
        (this.count - 1) * OFFSET_ENTRY_SIZE + OFFSET_ENTRY_POSITION_OFFSET,
        `last entry points at byte ${last.position}, beyond the ${logSize}-byte log`,
      )
    }
    if (nextOffset !== null && last.offset >= nextOffset) {
      throw new CorruptIndexError(
        this.file,
        (this.count - 1) * OFFSET_ENTRY_SIZE,
        `last entry offset ${last.offset} is not below the segment's next offset ${nextOffset}`,
      )
    }
  }

  protected loadEntries(bytes: Buffer): void {
    const { count, partialBytes } = countEntries(bytes.length, OFFSET_ENTRY_SIZE)
    if (partialBytes !== 0) {
      throw new CorruptIndexError(this.file, bytes.length, `size ${bytes.length} is not a multiple of ${OFFSET_ENTRY_SIZE}`)
    }
    if (count > this.maxEntries)
      throw new CorruptIndexError(this.file, this.maxEntries * OFFSET_ENTRY_SIZE, `${count} entries exceed the maximum ${this.maxEntries}`)
    const relativeOffsets = new Int32Array(Math.max(16, count))
    const positions = new Int32Array(Math.max(16, count))
    for (let slot = 0; slot < count; slot++) {
      const relativeOffset = readOffsetEntryRelativeOffset(bytes, slot)
      const position = readOffsetEntryPosition(bytes, slot)
      const ascending =
        slot === 0
          ? relativeOffset >= 0 && position >= 0
          : isOffsetEntryAscending(relativeOffset, position, relativeOffsets[slot - 1]!, positions[slot - 1]!)
      if (!ascending)
        throw new CorruptIndexError(this.file, slot * OFFSET_ENTRY_SIZE, `entry ${slot} (${relativeOffset}, ${position}) does not ascend`)
      relativeOffsets[slot] = relativeOffset
      positions[slot] = position
    }
    this.relativeOffsets = relativeOffsets
    this.positions = positions
    this.count = count
  }
}

import path from 'node:path'
import { decodeTxnIndex, encodeAbortedTxn, TXN_INDEX_ENTRY_SIZE, type AbortedTxn } from '../format/txn-index.js'
import { CorruptRecordError } from '../record/errors.js'
import { wrapIo } from './errors.js'
import { fsyncDirSync } from './file-io.js'
import type { LogFileSystem } from './file-system.js'
import { offsetFileName, TXN_INDEX_SUFFIX } from './segment-files.js'

/** Where the index finds its segments. */
export interface TxnIndexSegments {
  /** Base offset of the segment holding `offset`. */
  baseOffsetFor(offset: number): number
  /** Base offset of the oldest segment: entries of deleted segments below it are forgotten. */
  firstBaseOffset(): number
}

/**
 * The aborted transactions of one partition, kept in memory in marker order and on disk in one
 * `.txnindex` per segment (src/format/txn-index.ts), holding the aborts whose ABORT marker lies in
 * that segment. Derived data: an entry is written (and fdatasynced) when an abort is appended or
 * replayed, and entries from the replay start on are rebuilt at every open and truncation. A
 * segment's file goes with its segment (retention, truncation, quarantine). Single writer: the
 * partition's queue; reads (`collect`) see whole entries only.
 */
export class AbortedTxnIndex {
  private readonly dir: string
  private readonly fileSystem: LogFileSystem
  private readonly segments: TxnIndexSegments
  /** Every entry of the live segments, ascending by last offset (the marker). */
  private entries: AbortedTxn[] = []

  constructor(dir: string, fileSystem: LogFileSystem, segments: TxnIndexSegments) {
    this.dir = dir
    this.fileSystem = fileSystem
    this.segments = segments
  }

  fileFor(baseOffset: number): string {
    return path.join(this.dir, offsetFileName(baseOffset, TXN_INDEX_SUFFIX))
  }

  /**
   * Reads the `.txnindex` of each segment. A damaged file is removed; the lowest base offset whose
   * file was damaged is returned (the replay must start at or below it), or null.
   */
  load(baseOffsets: readonly number[]): number | null {
    this.entries = []
    let damagedFrom: number | null = null
    for (const baseOffset of baseOffsets) {
      const file = this.fileFor(baseOffset)
      if (!this.fileSystem.existsSync(file)) continue
      try {
        this.entries.push(
          ...decodeTxnIndex(
            wrapIo('read', file, () => this.fileSystem.readFileSync(file)),
            baseOffset,
          ),
        )
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error
        wrapIo('unlink', file, () => this.fileSystem.unlinkSync(file))
        damagedFrom ??= baseOffset
      }
    }
    this.entries.sort((a, b) => a.lastOffset - b.lastOffset)
    if (damagedFrom !== null) this.truncateFrom(damagedFrom)
    return damagedFrom
  }

  /** Adds an abort whose marker was just appended (or replayed): one 34-byte write to its segment's file. */
  append(entry: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1]
    // A replay after a truncation may meet an abort the index kept: never twice.
    if (last !== undefined && entry.lastOffset <= last.lastOffset) return
    const baseOffset = this.segments.baseOffsetFor(entry.lastOffset)
    const count = this.countIn(baseOffset)
    this.entries.push({ ...entry })
    const file = this.fileFor(baseOffset)
    const isNew = count === 0
    const handle = wrapIo('open', file, () => this.fileSystem.openSync(file, 'create-or-update'))
    try {
      const bytes = encodeAbortedTxn(entry)
      wrapIo('write', file, () => {
        if (isNew) handle.truncateSync(0)
        handle.writeSync(bytes, 0, bytes.length, count * TXN_INDEX_ENTRY_SIZE)
        handle.datasyncSync()
      })
    } finally {
      handle.closeSync()
    }
    if (isNew) fsyncDirSync(this.dir, this.fileSystem)
  }

  /** Drops the entries whose marker is at or after `offset` (truncation, or before a replay from it). */
  truncateFrom(offset: number): void {
    const keep = this.entries.filter((entry) => entry.lastOffset < offset)
    if (keep.length === this.entries.length) return
    const touched = new Set<number>()
    for (const entry of this.entries.slice(keep.length)) touched.add(this.segments.baseOffsetFor(entry.lastOffset))
    this.entries = keep
    for (const baseOffset of touched) {
      const file = this.fileFor(baseOffset)
      if (!this.fileSystem.existsSync(file)) continue
      const count = this.countIn(baseOffset)
      if (count === 0) {
        wrapIo('unlink', file, () => this.fileSystem.unlinkSync(file))
        continue
      }
      const handle = wrapIo('open', file, () => this.fileSystem.openSync(file, 'update'))
      try {
        wrapIo('truncate', file, () => {
          handle.truncateSync(count * TXN_INDEX_ENTRY_SIZE)
          handle.datasyncSync()
        })
      } finally {
        handle.closeSync()
      }
    }
  }

  /**
   * After a cleaning pass swapped in a segment for [from, to): the entries whose markers lie
   * there become `entries` (those whose markers the cleaner kept; its `.txnindex` holds them).
   */
  replaceEntries(from: number, to: number, entries: readonly AbortedTxn[]): void {
    const before = this.entries.filter((entry) => entry.lastOffset < from)
    const after = this.entries.filter((entry) => entry.lastOffset >= to)
    this.entries = [...before, ...entries.map((entry) => ({ ...entry })), ...after]
  }

  /**
   * The aborted transactions overlapping [from, upperBound): marker at or after `from`, first
   * record before `upperBound` (what a read_committed fetch returns beside the records).
   */
  collect(from: number, upperBound: number): AbortedTxn[] {
    this.forgetDeletedSegments()
    const found: AbortedTxn[] = []
    for (let slot = firstSlotAtOrAfter(this.entries, from); slot < this.entries.length; slot++) {
      const entry = this.entries[slot]!
      if (entry.firstOffset < upperBound) found.push({ ...entry })
    }
    return found
  }

  /** Every entry, in marker order (inspection and tests). */
  all(): AbortedTxn[] {
    this.forgetDeletedSegments()
    return this.entries.map((entry) => ({ ...entry }))
  }

  private countIn(baseOffset: number): number {
    let count = 0
    for (const entry of this.entries) if (this.segments.baseOffsetFor(entry.lastOffset) === baseOffset) count++
    return count
  }

  /** Entries of segments retention deleted: their files went with the segments. */
  private forgetDeletedSegments(): void {
    const first = this.segments.firstBaseOffset()
    if (this.entries.length > 0 && this.entries[0]!.lastOffset < first)
      this.entries = this.entries.filter((entry) => entry.lastOffset >= first)
  }
}

/** First slot whose marker is at or after `offset` (entries ascend by last offset). */
function firstSlotAtOrAfter(entries: readonly AbortedTxn[], offset: number): number {
  let low = 0
  let high = entries.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (entries[middle]!.lastOffset < offset) low = middle + 1
    else high = middle
  }
  return low
}

import fs from 'node:fs'
import path from 'node:path'
import { CorruptMetadataError } from '../../errors.js'
import { wrapIo } from '../../log/errors.js'
import { fsyncDirSync } from '../../log/file-io.js'

/**
 * The due-time index of delayed records: which offsets of the delay log fall due when. It lives on
 * disk, in bucket files of fixed-size entries, so memory does not grow with the number of pending
 * records: the scheduler reads one bucket at a time, when it falls due.
 *
 * Buckets: a record due within FINE_HORIZON_MS of now goes to a fine bucket (one per second of
 * due time, `f-<startMs>.due`); one due later goes to a coarse bucket (one per 15 minutes,
 * `c-<startMs>.due`). When a coarse bucket comes within the horizon its entries are moved into
 * fine buckets and it is removed (a hierarchical timing wheel, with files as slots). A burst of
 * records all due at one moment is one fine bucket, read and delivered in chunks.
 *
 * Entry (16 bytes, big-endian), appended in arrival order, never rewritten:
 *
 * | bytes | field      | meaning                                                             |
 * |-------|------------|---------------------------------------------------------------------|
 * | 0-7   | dueMs      | int64: when the record falls due (ms since the epoch)               |
 * | 8-15  | offset     | int64: its offset in the delay log; -(offset + 1) cancels that one  |
 *
 * The index is derived data: the delay log is the truth, and the scheduler re-adds the entries of
 * every record after its checkpointed `indexedUpTo` at start. An entry may therefore be written
 * twice; readers drop duplicates (same offset) and cancelled offsets.
 */

export const ENTRY_BYTES = 16
export const FINE_BUCKET_MS = 1000
export const COARSE_BUCKET_MS = 15 * 60 * 1000
export const FINE_HORIZON_MS = COARSE_BUCKET_MS

export interface DueEntry {
  dueMs: number
  offset: number
}

export interface Bucket {
  readonly kind: 'f' | 'c'
  readonly startMs: number
  readonly file: string
}

const BUCKET_NAME = /^([fc])-(\d+)\.due$/

export class DueIndex {
  readonly dir: string
  /** Every bucket file, ordered by start time (fine before coarse at equal starts). */
  private buckets: Bucket[] = []
  /** Buckets written to since the last `sync`. */
  private readonly dirty = new Set<string>()
  /** Writes per bucket file since open, so a reader can tell its copy of a bucket is current. */
  private readonly versions = new Map<string, number>()

  /** Whether `sync` and removals fsync (see DelayScheduler.isDurable). */
  private readonly isDurable: () => boolean

  constructor(dir: string, isDurable: () => boolean = () => true) {
    this.dir = dir
    this.isDurable = isDurable
    wrapIo('mkdir', dir, () => fs.mkdirSync(dir, { recursive: true }))
    for (const name of wrapIo('list', dir, () => fs.readdirSync(dir))) {
      const match = BUCKET_NAME.exec(name)
      if (match !== null) this.buckets.push({ kind: match[1] as 'f' | 'c', startMs: Number(match[2]), file: path.join(dir, name) })
    }
    this.buckets.sort(compareBuckets)
  }

  /** Adds entries (and cancellations, with a negative offset) to the bucket each falls in. */
  add(entries: readonly DueEntry[], nowMs: number): void {
    const byBucket = new Map<string, { bucket: Bucket; entries: DueEntry[] }>()
    for (const entry of entries) {
      const bucket = this.bucketFor(entry.dueMs, nowMs)
      let group = byBucket.get(bucket.file)
      if (group === undefined) byBucket.set(bucket.file, (group = { bucket, entries: [] }))
      group.entries.push(entry)
    }
    for (const { bucket, entries: group } of byBucket.values()) {
      const bytes = Buffer.allocUnsafe(group.length * ENTRY_BYTES)
      group.forEach((entry, slot) => {
        bytes.writeBigInt64BE(BigInt(entry.dueMs), slot * ENTRY_BYTES)
        bytes.writeBigInt64BE(BigInt(entry.offset), slot * ENTRY_BYTES + 8)
      })
      wrapIo('write', bucket.file, () => fs.appendFileSync(bucket.file, bytes))
      this.versions.set(bucket.file, this.versionOf(bucket.file) + 1)
      if (!this.buckets.some((known) => known.file === bucket.file)) {
        this.buckets.push(bucket)
        this.buckets.sort(compareBuckets)
      }
      this.dirty.add(bucket.file)
    }
  }

  /**
   * The earliest fine bucket starting at or before `nowMs`, after moving every coarse bucket that
   * came within the horizon into fine ones. Null when nothing is due yet.
   */
  dueBucket(nowMs: number): Bucket | null {
    for (let coarse = this.firstCoarseWithin(nowMs); coarse !== null; coarse = this.firstCoarseWithin(nowMs)) this.refine(coarse, nowMs)
    const first = this.buckets[0]
    return first !== undefined && first.kind === 'f' && first.startMs <= nowMs ? first : null
  }

  /** When the index next needs attention: the earliest fine bucket's start, or a coarse one's refinement. */
  nextWakeMs(): number {
    let wake = Infinity
    for (const bucket of this.buckets) wake = Math.min(wake, bucket.kind === 'f' ? bucket.startMs : bucket.startMs - FINE_HORIZON_MS)
    return wake
  }

  /** Whether a bucket holds `entry` live (not cancelled). */
  holds(entry: DueEntry): boolean {
    const names = [`f-${floorTo(entry.dueMs, FINE_BUCKET_MS)}.due`, `c-${floorTo(entry.dueMs, COARSE_BUCKET_MS)}.due`]
    return this.buckets.some(
      (bucket) => names.includes(path.basename(bucket.file)) && this.read(bucket).some((live) => live.offset === entry.offset),
    )
  }

  /** Changes with every write to `file` (see `versions`). */
  versionOf(file: string): number {
    return this.versions.get(file) ?? 0
  }

  /** A bucket's live entries: duplicates and cancelled offsets dropped, by due time then offset. */
  read(bucket: Bucket): DueEntry[] {
    return liveEntries(readBucketFile(bucket.file))
  }

  /** Removes a bucket whose entries were all delivered (the caller synced the index first). */
  remove(bucket: Bucket): void {
    wrapIo('unlink', bucket.file, () => fs.rmSync(bucket.file, { force: true }))
    this.buckets = this.buckets.filter((known) => known.file !== bucket.file)
    this.dirty.delete(bucket.file)
    if (this.isDurable()) fsyncDirSync(this.dir)
  }

  /** fsyncs the buckets written since the last call, and the directory when one was created. */
  sync(): void {
    if (this.dirty.size === 0) return
    if (!this.isDurable()) return this.dirty.clear()
    for (const file of this.dirty) {
      const fd = wrapIo('open', file, () => fs.openSync(file, 'r'))
      try {
        wrapIo('fsync', file, () => fs.fsyncSync(fd))
      } finally {
        fs.closeSync(fd)
      }
    }
    this.dirty.clear()
    fsyncDirSync(this.dir)
  }

  /** Pending records (cancelled ones excluded) and the earliest due time, reading every bucket. */
  stats(): { pending: number; earliestDueMs: number | null; lowestOffset: number | null } {
    return scanDueIndex(this.dir)
  }

  private bucketFor(dueMs: number, nowMs: number): Bucket {
    const isFine = dueMs - nowMs < FINE_HORIZON_MS
    const width = isFine ? FINE_BUCKET_MS : COARSE_BUCKET_MS
    const startMs = Math.max(0, floorTo(dueMs, width))
    const kind = isFine ? 'f' : 'c'
    return { kind, startMs, file: path.join(this.dir, `${kind}-${startMs}.due`) }
  }

  private firstCoarseWithin(nowMs: number): Bucket | null {
    return this.buckets.find((bucket) => bucket.kind === 'c' && bucket.startMs - nowMs < FINE_HORIZON_MS) ?? null
  }

  /** Moves a coarse bucket's entries (cancellations too) into fine buckets, then removes it. */
  private refine(coarse: Bucket, nowMs: number): void {
    const entries = readBucketFile(coarse.file)
    // Fine buckets for all of them: the coarse bucket starts within the horizon.
    this.add(
      entries.map((entry) => ({ dueMs: entry.dueMs, offset: entry.offset })),
      Math.max(nowMs, coarse.startMs),
    )
    this.sync()
    this.remove(coarse)
  }
}

function floorTo(value: number, width: number): number {
  return Math.floor(value / width) * width
}

function compareBuckets(a: Bucket, b: Bucket): number {
  return a.startMs - b.startMs || (a.kind === b.kind ? 0 : a.kind === 'f' ? -1 : 1)
}

/** Every entry of a bucket file in file order; a torn last entry (a crash mid-append) is ignored. */
export function readBucketFile(file: string): DueEntry[] {
  const bytes = wrapIo('read', file, () => fs.readFileSync(file))
  const entries: DueEntry[] = []
  const whole = bytes.length - (bytes.length % ENTRY_BYTES)
  for (let position = 0; position < whole; position += ENTRY_BYTES) {
    const dueMs = Number(bytes.readBigInt64BE(position))
    const offset = Number(bytes.readBigInt64BE(position + 8))
    if (!Number.isSafeInteger(dueMs) || !Number.isSafeInteger(offset))
      throw new CorruptMetadataError(file, `entry out of range (due ${dueMs}, offset ${offset})`, { position })
    entries.push({ dueMs, offset })
  }
  return entries
}

/** Drops duplicates and cancelled offsets; orders by due time, then offset. */
export function liveEntries(entries: readonly DueEntry[]): DueEntry[] {
  const cancelled = new Set<number>()
  for (const entry of entries) if (entry.offset < 0) cancelled.add(-entry.offset - 1)
  const seen = new Set<number>()
  const live: DueEntry[] = []
  for (const entry of entries) {
    if (entry.offset < 0 || cancelled.has(entry.offset) || seen.has(entry.offset)) continue
    seen.add(entry.offset)
    live.push(entry)
  }
  return live.sort((a, b) => a.dueMs - b.dueMs || a.offset - b.offset)
}

/**
 * Counts what a due index directory holds without keeping it in memory (one bucket at a time):
 * for `seglog inspect` and for the delay log's retention (its lowest pending offset).
 */
export function scanDueIndex(dir: string): { pending: number; earliestDueMs: number | null; lowestOffset: number | null } {
  let pending = 0
  let earliestDueMs: number | null = null
  let lowestOffset: number | null = null
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => BUCKET_NAME.test(name)) : []
  for (const name of names) {
    const live = liveEntries(readBucketFile(path.join(dir, name)))
    pending += live.length
    for (const entry of live) {
      if (earliestDueMs === null || entry.dueMs < earliestDueMs) earliestDueMs = entry.dueMs
      if (lowestOffset === null || entry.offset < lowestOffset) lowestOffset = entry.offset
    }
  }
  return { pending, earliestDueMs, lowestOffset }
}

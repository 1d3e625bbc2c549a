import { decodeKeyIndex, encodeKeyIndex, keyHash, type KeyIndexColumns } from '../format/key-index.js'
import { RecordBatch } from '../record/record-batch.js'
import type { DecodedRecord } from '../record/record.js'
import { writeFileAtomic } from './atomic-file.js'
import type { LogFileSystem } from './file-system.js'
import type { Segment } from './segment.js'

/** Hash of a key: `keyHash` (FNV-1a) unless a test injects a colliding one. */
export type KeyHasher = (key: Uint8Array) => number

/**
 * The key index of one segment in memory: hash -> relative offsets (ascending) of the keyed
 * records with that hash, plus the entry columns as written to `<base>.keyindex`. It covers the
 * segment's offsets below `base + coveredRelativeOffset`; the rest (new appends to the active
 * segment) is indexed on the next lookup by reading just those batches.
 *
 * Memory: a Map entry per distinct hash in the segment (about 80 bytes with its array) plus
 * 8 bytes per keyed record in the offset arrays and 3 numbers per record in the columns.
 */
export class SegmentKeyIndex {
  readonly offsetsByHash = new Map<number, number[]>()
  readonly hashes: number[] = []
  readonly relativeOffsets: number[] = []
  readonly batchRelativeOffsets: number[] = []
  coveredRelativeOffset = 0
  lastBatchRelativeOffset = -1
  lastBatchCrc = 0
  /** The `.keyindex` file holds what this index holds. */
  isWritten = false

  /** `hash`: what the entries were hashed with (keyHash, the only one written to files). */
  constructor(readonly hash: KeyHasher) {}

  add(hash: number, relativeOffset: number, batchRelativeOffset: number): void {
    this.hashes.push(hash)
    this.relativeOffsets.push(relativeOffset)
    this.batchRelativeOffsets.push(batchRelativeOffset)
    const offsets = this.offsetsByHash.get(hash)
    if (offsets === undefined) this.offsetsByHash.set(hash, [relativeOffset])
    else offsets.push(relativeOffset)
  }

  static fromColumns(columns: KeyIndexColumns, hash: KeyHasher): SegmentKeyIndex {
    const index = new SegmentKeyIndex(hash)
    for (let slot = 0; slot < columns.count; slot++)
      index.add(columns.hashes[slot]!, columns.relativeOffsets[slot]!, columns.batchRelativeOffsets[slot]!)
    return index
  }

  encode(): Buffer {
    const count = this.hashes.length
    return encodeKeyIndex(this, {
      hashes: Uint32Array.from(this.hashes),
      relativeOffsets: Uint32Array.from(this.relativeOffsets),
      batchRelativeOffsets: Uint32Array.from(this.batchRelativeOffsets),
      count,
    })
  }
}

/** Where the key indexes of a partition live and how keys are hashed. */
export interface KeyIndexContext {
  fileSystem: LogFileSystem
  hash: KeyHasher
}

/** The context for a partition whose topic has keyIndex: true, else null (lookups scan). */
export function keyIndexContextOf(parts: { config: { keyIndex?: boolean }; fileSystem: LogFileSystem }): KeyIndexContext | null {
  return parts.config.keyIndex === true ? { fileSystem: parts.fileSystem, hash: keyHash } : null
}

/** One index per live Segment object: a replaced segment (cleaner, truncation, reopen) starts afresh. */
const loaded = new WeakMap<Segment, SegmentKeyIndex>()

/** Forgets the in-memory index of a segment whose tail was cut (truncateTo): it is rebuilt from the file or the log. */
export function forgetKeyIndex(segment: Segment): void {
  loaded.delete(segment)
}

/**
 * The up-to-date key index of `segment` (the caller holds it): from memory, else from its
 * `.keyindex` file when that still matches the log, else rebuilt by reading the segment; then
 * the batches appended since are added. A segment that is no longer active gets its file
 * (re)written when anything was added, so the next open reads it instead of the log.
 */
export async function keyIndexOf(segment: Segment, isActive: boolean, context: KeyIndexContext): Promise<SegmentKeyIndex> {
  let index = loaded.get(segment) ?? null
  // An injected hash (tests) never shares an index with the standard one, nor writes files.
  if (index !== null && index.hash !== context.hash) index = null
  // An index in memory followed every batch of this Segment object, and a cut forgets it
  // (forgetKeyIndex): only one reaching past the end would be stale.
  if (index !== null && segment.baseOffset + index.coveredRelativeOffset > segment.nextOffset) index = null
  if (index === null) {
    // The active segment's file may predate a truncation into it: only closed segments read theirs.
    const fromFile = isActive || context.hash !== keyHash ? null : readIndexFile(segment, context)
    index = fromFile !== null && stillMatches(segment, fromFile) ? fromFile : null
    if (index === null) index = new SegmentKeyIndex(context.hash)
    loaded.set(segment, index)
  }
  if (segment.baseOffset + index.coveredRelativeOffset < segment.nextOffset && indexTail(segment, index, context.hash))
    index.isWritten = false
  if (!index.isWritten && !isActive && !segment.isRetired && context.hash === keyHash) {
    index.isWritten = true
    await writeFileAtomic(segment.paths.keyIndex, index.encode(), context.fileSystem)
  }
  return index
}

function readIndexFile(segment: Segment, context: KeyIndexContext): SegmentKeyIndex | null {
  let bytes: Buffer
  try {
    bytes = context.fileSystem.readFileSync(segment.paths.keyIndex)
  } catch {
    return null // missing (new, or deleted by hand): rebuilt from the log
  }
  try {
    const { header, columns } = decodeKeyIndex(bytes)
    const index = SegmentKeyIndex.fromColumns(columns, keyHash)
    index.coveredRelativeOffset = header.coveredRelativeOffset
    index.lastBatchRelativeOffset = header.lastBatchRelativeOffset
    index.lastBatchCrc = header.lastBatchCrc
    index.isWritten = true
    return index
  } catch {
    return null // derived data: a damaged file is rebuilt, never trusted
  }
}

/** True when the last batch the index saw is still in the segment, unchanged (same base offset and CRC). */
function stillMatches(segment: Segment, index: SegmentKeyIndex): boolean {
  const covered = segment.baseOffset + index.coveredRelativeOffset
  if (covered > segment.nextOffset) return false
  if (index.lastBatchRelativeOffset < 0) return index.coveredRelativeOffset === 0
  const location = segment.findBatch(segment.baseOffset + index.lastBatchRelativeOffset)
  if (location === null || location.baseOffset !== segment.baseOffset + index.lastBatchRelativeOffset) return false
  if (location.lastOffset + 1 !== covered) return false
  return segment.readBatchSync(location).crc >>> 0 === index.lastBatchCrc
}

/** Adds the keyed records of the batches past the covered offset; true if any batch was read. */
function indexTail(segment: Segment, index: SegmentKeyIndex, hash: KeyHasher): boolean {
  const base = segment.baseOffset
  let read = false
  for (;;) {
    const location = segment.findBatch(base + index.coveredRelativeOffset)
    if (location === null) return read
    const batch = segment.readBatchSync(location)
    const batchRelative = batch.baseOffset - base
    if (!batch.isControl) {
      for (const record of batch.records()) {
        if (record.key !== null) index.add(hash(record.key), record.offset - base, batchRelative)
      }
    }
    index.coveredRelativeOffset = batch.lastOffset + 1 - base
    index.lastBatchRelativeOffset = batchRelative
    index.lastBatchCrc = batch.crc >>> 0
    read = true
  }
}

/**
 * The records of `key` in `segment` whose offsets lie in [from, to), oldest first, read through
 * the index and compared by key bytes (a colliding hash costs a read, never a wrong answer).
 */
export async function lookupInSegment(
  segment: Segment,
  isActive: boolean,
  key: Buffer,
  range: { from: number; to: number },
  context: KeyIndexContext,
): Promise<DecodedRecord[]> {
  const index = await keyIndexOf(segment, isActive, context)
  const offsets = index.offsetsByHash.get(context.hash(key))
  const found: DecodedRecord[] = []
  if (offsets === undefined) return found
  let batch: RecordBatch | null = null
  let records: Iterator<DecodedRecord> | null = null
  let record: DecodedRecord | undefined
  for (const relativeOffset of offsets) {
    const offset = segment.baseOffset + relativeOffset
    if (offset < range.from || offset >= range.to) continue
    if (batch === null || batch.lastOffset < offset) {
      const location = segment.findBatch(offset)
      if (location === null) break
      // A copy: the read buffer is shared, and the records handed out keep slices of it.
      batch = new RecordBatch(Buffer.from(segment.readBatchSync(location).buffer))
      records = batch.isControl ? null : batch.records()
      record = records?.next().value
    }
    // Offsets ascend, and so do a batch's records: decoded once each, and only up to the last wanted.
    while (record !== undefined && record.offset < offset) record = records!.next().value
    if (record !== undefined && record.offset === offset && record.key !== null && record.key.equals(key)) found.push(record)
  }
  return found
}

export { keyHash }

import { decodeKeyIndex, encodeKeyIndex, keyHash, keyHashAt } from '../format/key-index.js'
import { CorruptRecordError } from '../record/errors.js'
import type { RecordBatch } from '../record/record-batch.js'
import { visitKeys } from '../record/record-keys.js'
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js'
import type { LogFileSystem } from './file-system.js'
import { KeyIndexTable } from './key-index-table.js'
import type { BatchMeta, Segment } from './segment.js'

/** Hash of a key: `keyHash` (FNV-1a) unless a test injects a colliding one. */
export type KeyHasher = (key: Uint8Array) => number

/**
 * The key index of one segment in memory (a KeyIndexTable) and how far it reaches: it covers the
 * segment's offsets below `base + coveredRelativeOffset`, and names the last batch it indexed by
 * relative base offset and CRC, which is how a `.keyindex` file is checked against the log
 * (docs/format/key-index.md).
 */
export class SegmentKeyIndex {
  readonly table: KeyIndexTable
  coveredRelativeOffset = 0
  lastBatchRelativeOffset = -1
  lastBatchCrc = 0
  /** The `.keyindex` file holds what this index holds. */
  isWritten = false

  /** `hash`: what the entries were hashed with (keyHash, the only one written to files). */
  constructor(
    readonly hash: KeyHasher,
    table = new KeyIndexTable(),
  ) {
    this.table = table
  }

  add(hash: number, relativeOffset: number, batchRelativeOffset: number): void {
    this.table.add(hash, relativeOffset, batchRelativeOffset)
  }

  /** Moves the covered end past `batch` (base offset `base` for the segment). */
  coverBatch(batch: RecordBatch, lastOffset: number, base: number): void {
    this.coveredRelativeOffset = lastOffset + 1 - base
    this.lastBatchRelativeOffset = batch.baseOffset - base
    this.lastBatchCrc = batch.crc >>> 0
    this.isWritten = false
  }

  encode(): Buffer {
    return encodeKeyIndex(this, this.table.columns())
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

/**
 * One index per live Segment object (a replaced segment, after the cleaner, a truncation or a
 * reopen, starts afresh), hashed with keyHash. Indexes built with an injected hash (tests) are
 * never kept: they would be mixed with the appends', which use keyHash.
 */
const loaded = new WeakMap<Segment, SegmentKeyIndex>()

/** Background writes of just-sealed segments' files, which lookups and a clean close wait for. */
const pendingWrites = new WeakMap<Segment, Promise<void>>()

/** Forgets the in-memory index of a segment whose tail was cut (truncateTo): it is rebuilt from the file or the log. */
export function forgetKeyIndex(segment: Segment): void {
  loaded.delete(segment)
}

/**
 * Before a truncation cuts into `segment`: its index and `.keyindex` file go (the file could
 * otherwise match a new history that ends in a batch like the old one); it is rebuilt from the log.
 */
export function dropKeyIndex(segment: Segment, fileSystem: LogFileSystem): void {
  loaded.delete(segment)
  cachedEntries -= recentlyUsed.get(segment) ?? 0
  recentlyUsed.delete(segment)
  try {
    fileSystem.unlinkSync(segment.paths.keyIndex)
  } catch {
    // Not written yet (or already gone): nothing to remove.
  }
}

/** Hashes the keys of appended batches in place (record-keys.ts): one bound visitor for all. */
class AppendIndexer {
  private index: SegmentKeyIndex | null = null
  private batchRelativeOffset = 0
  private readonly visit = (buffer: Buffer, offsetDelta: number, keyStart: number, keyLength: number): void => {
    if (keyLength < 0) return
    const relativeOffset = this.batchRelativeOffset + offsetDelta
    this.index!.add(keyHashAt(buffer, keyStart, keyStart + keyLength), relativeOffset, this.batchRelativeOffset)
  }

  addBatch(index: SegmentKeyIndex, batch: RecordBatch, lastOffset: number, base: number): void {
    if (!batch.isControl) {
      this.index = index
      this.batchRelativeOffset = batch.baseOffset - base
      try {
        visitKeys(batch, this.visit)
      } catch (error) {
        // A batch whose CRC holds but whose records do not parse keeps the entries before the
        // damage; lookups that reach it meet the damage themselves. Appends go on.
        if (!(error instanceof CorruptRecordError)) throw error
      } finally {
        this.index = null
      }
    }
    index.coverBatch(batch, lastOffset, base)
  }
}

const appendIndexer = new AppendIndexer()

/**
 * The append hook (topics with keyIndex: true): adds the keyed records of `batches`, just written
 * to the active `segment`, to its index in memory. If the index is not in memory, or does not end
 * where these batches start (keyIndex switched on meanwhile), it is loaded or rebuilt from the
 * log instead, which reads these batches too.
 */
export function indexAppended(
  segment: Segment,
  batches: readonly RecordBatch[],
  metas: readonly BatchMeta[],
  fileSystem: LogFileSystem,
): void {
  const index = loaded.get(segment)
  const base = segment.baseOffset
  if (index === undefined || base + index.coveredRelativeOffset !== metas[0]!.baseOffset) {
    currentIndex(segment, { fileSystem, hash: keyHash })
    return
  }
  for (let slot = 0; slot < batches.length; slot++) appendIndexer.addBatch(index, batches[slot]!, metas[slot]!.lastOffset, base)
}

/**
 * The up-to-date key index of `segment` (the caller holds it): from memory, else from its
 * `.keyindex` file when that still matches the log, else rebuilt by reading the segment; then the
 * batches past its covered end are added. Synchronous: files and batches are read with preads.
 */
function currentIndex(segment: Segment, context: KeyIndexContext): SegmentKeyIndex {
  const isStandard = context.hash === keyHash
  let index = isStandard ? (loaded.get(segment) ?? null) : null
  // An index in memory followed every batch of this Segment object, and a cut forgets it: only
  // one reaching past the end would be stale.
  if (index !== null && segment.baseOffset + index.coveredRelativeOffset > segment.nextOffset) index = null
  if (index === null) {
    const fromFile = isStandard ? readIndexFile(segment, context.fileSystem) : null
    index = fromFile !== null && stillMatches(segment, fromFile) ? fromFile : new SegmentKeyIndex(context.hash)
    if (isStandard) loaded.set(segment, index)
  }
  if (segment.baseOffset + index.coveredRelativeOffset < segment.nextOffset) indexTail(segment, index)
  return index
}

/**
 * The index a lookup searches: `currentIndex`, whose file is (re)written for a segment that is no
 * longer active when anything changed, so the next open reads it instead of the log.
 */
export async function keyIndexOf(segment: Segment, isActive: boolean, context: KeyIndexContext): Promise<SegmentKeyIndex> {
  // Just rolled: its file is being written; wait, rather than find it marked written but absent.
  const pending = pendingWrites.get(segment)
  if (pending !== undefined) await pending
  const index = currentIndex(segment, context)
  if (!index.isWritten && !isActive && !segment.isRetired && context.hash === keyHash) {
    // A failed write (a full disk) fails no lookup: the index in memory answers, and the file
    // is tried again by the next lookup or close.
    await writeIndexFile(segment, index, context.fileSystem).catch(() => {
      index.isWritten = false
    })
  }
  if (!isActive && context.hash === keyHash) touchClosed(segment, index)
  return index
}

/** Entries of closed segments' indexes kept in memory by default, process-wide (about 20 bytes each). */
export const DEFAULT_KEY_INDEX_CACHE_ENTRIES = 16 * 1024 * 1024

/**
 * Closed segments whose index a lookup used, least recently used first, with their entry counts.
 * Past the budget the oldest are dropped from memory (a later lookup loads the file again); an
 * index whose file does not hold it yet stays. The active segments' indexes are not counted: they
 * follow the appends.
 */
const recentlyUsed = new Map<Segment, number>()
let cachedEntries = 0
let cacheBudget = DEFAULT_KEY_INDEX_CACHE_ENTRIES

/** Sets how many entries of closed segments' indexes stay in memory (process-wide). */
export function setKeyIndexCacheEntries(entries: number): void {
  cacheBudget = entries
  evictLeastRecentlyUsed()
}

function touchClosed(segment: Segment, index: SegmentKeyIndex): void {
  const previous = recentlyUsed.get(segment)
  if (previous !== undefined) {
    recentlyUsed.delete(segment)
    cachedEntries -= previous
  }
  recentlyUsed.set(segment, index.table.count)
  cachedEntries += index.table.count
  evictLeastRecentlyUsed()
}

function evictLeastRecentlyUsed(): void {
  for (const [segment, entries] of recentlyUsed) {
    if (cachedEntries <= cacheBudget) return
    const index = loaded.get(segment)
    if (index !== undefined && !index.isWritten && !segment.isRetired) continue
    recentlyUsed.delete(segment)
    cachedEntries -= entries
    loaded.delete(segment)
  }
}

/**
 * The roll hook, just before `segment` is sealed: if it has an index in memory (its topic has
 * keyIndex), its `.keyindex` is written in the background (through a `.tmp`, fsynced), off the
 * append path. A failed write leaves the file to the next lookup or close: it is derived data.
 */
export function writeKeyIndexOnRoll(segment: Segment, fileSystem: LogFileSystem): void {
  if (!loaded.has(segment)) return
  const write: Promise<void> = writeIndex(segment, fileSystem).finally(() => {
    if (pendingWrites.get(segment) === write) pendingWrites.delete(segment)
  })
  pendingWrites.set(segment, write)
}

/**
 * The clean-close hook, once every segment is sealed and before their files close: waits for
 * background writes and writes every index in memory that its file does not hold yet.
 */
export async function writeKeyIndexesOnClose(segments: readonly Segment[], fileSystem: LogFileSystem): Promise<void> {
  for (const segment of segments) {
    await pendingWrites.get(segment)
    await writeIndex(segment, fileSystem)
  }
}

/**
 * Brings the segment's index in memory, if it has one, up to the segment's end and writes it,
 * unless the file holds it already or the segment is gone. Never rejects: a failed write leaves
 * the file to be written later or rebuilt (it is derived data).
 */
async function writeIndex(segment: Segment, fileSystem: LogFileSystem): Promise<void> {
  if (segment.isRetired || !loaded.has(segment)) return
  let index: SegmentKeyIndex | null = null
  try {
    index = currentIndex(segment, { fileSystem, hash: keyHash })
    if (index.isWritten) return
    await writeIndexFile(segment, index, fileSystem)
  } catch {
    if (index !== null) index.isWritten = false
  }
}

/**
 * Writes `index` as the segment's `.keyindex`, marking it written first (a lookup meanwhile must
 * not start a second write of the same `.tmp`). If the segment was deleted, or its index dropped
 * (a truncation into it), while the write ran, the file it renamed into place describes a history
 * that is gone: it is removed again, so it never stands beside another segment of that name.
 */
async function writeIndexFile(segment: Segment, index: SegmentKeyIndex, fileSystem: LogFileSystem): Promise<void> {
  const file = segment.paths.keyIndex
  index.isWritten = true
  await writeFileAtomic(file, index.encode(), fileSystem)
  if (!segment.isRetired && loaded.get(segment) === index) return
  index.isWritten = false
  try {
    fileSystem.unlinkSync(file)
  } catch {
    // Already gone.
  }
}

/**
 * At open, for topics with keyIndex: the indexes of the active segment and of every segment
 * recovery scanned (those reaching past `recoveryPoint` after an unclean shutdown) are loaded and
 * checked against the log, and rebuilt when their file is missing, damaged or stale; the rebuilt
 * files of closed segments are written now. Older closed segments are checked on first use.
 */
export function openKeyIndexes(segments: readonly Segment[], recoveryPoint: number, fileSystem: LogFileSystem): void {
  const context = { fileSystem, hash: keyHash }
  for (let slot = 0; slot < segments.length; slot++) {
    const segment = segments[slot]!
    const isActive = slot === segments.length - 1
    if (!isActive && segment.nextOffset <= recoveryPoint) continue
    try {
      const index = currentIndex(segment, context)
      if (isActive || index.isWritten) continue
      index.isWritten = true
      writeFileAtomicSync(segment.paths.keyIndex, index.encode(), fileSystem)
    } catch {
      // Damage the open let through (reads meet it) or a failed write: the index is derived
      // data and never keeps a partition from opening; it is built again on first use.
      loaded.delete(segment)
    }
  }
}

function readIndexFile(segment: Segment, fileSystem: LogFileSystem): SegmentKeyIndex | null {
  let bytes: Buffer
  try {
    bytes = fileSystem.readFileSync(segment.paths.keyIndex)
  } catch {
    return null // missing (new, or deleted by hand): rebuilt from the log
  }
  try {
    const { header, columns } = decodeKeyIndex(bytes)
    const index = new SegmentKeyIndex(keyHash, new KeyIndexTable(columns))
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

/** Adds the keyed records of the batches past the covered offset, read from the log. */
function indexTail(segment: Segment, index: SegmentKeyIndex): void {
  const base = segment.baseOffset
  for (;;) {
    const location = segment.findBatch(base + index.coveredRelativeOffset)
    if (location === null) return
    const batch = segment.readBatchSync(location)
    if (index.hash === keyHash) {
      appendIndexer.addBatch(index, batch, location.lastOffset, base)
      continue
    }
    if (!batch.isControl)
      for (const record of batch.records())
        if (record.key !== null) index.add(index.hash(record.key), record.offset - base, batch.baseOffset - base)
    index.coverBatch(batch, location.lastOffset, base)
  }
}

export { keyHash }

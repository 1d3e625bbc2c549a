import { CorruptRecordError } from '../record/errors.js'
import { CURRENT_MAGIC, MAGIC_OFFSET, type RecordBatch } from '../record/record-batch.js'
import { batchView } from '../record/batch-scanner.js'
import { checkBatchCrcAt, readBatchHeaderAt, type BatchHeaderFields } from '../record/batch-header-at.js'
import { wrapIo } from './errors.js'
import { FileBatchReader } from './file-batch-reader.js'
import { openFile, readAtSync, writeAllSync } from './file-io.js'
import type { LogFileSystem, SegmentFile } from './file-system.js'
import { quarantineFileName, type SegmentPaths } from './segment-files.js'
import type { BatchMeta, SegmentIndexer } from './segment-indexer.js'
import { MAX_RELATIVE_OFFSET } from '../format/index-entry.js'

/**
 * Recovery of one segment: the scan that revalidates every batch and rebuilds the indexes (Kafka's
 * LogSegment.recover), and the quarantine that keeps the bytes a cut removes instead of dropping
 * them. Synchronous: it runs while a partition opens, bound by the CRC rate.
 */

export interface RecoverResult {
  /** Bytes of whole, valid batches kept. */
  validBytes: number
  /** Bytes after them (torn tail or corruption) that recovery did not keep. */
  invalidBytes: number
  /** Why the scan stopped early, if it did. */
  error: CorruptRecordError | null
}

/**
 * Recovery's check of one batch at `position` of `name`: framing and CRC, then offsets that follow
 * `nextOffset` and stay within 2^31-1 of the segment's base. Returns the batch's last offset;
 * throws CorruptRecordError positioned in the file. Shared with the read-only damage finder
 * (engine/segment-damage.ts), so verify and repair judge bytes exactly as an open does.
 */
export function checkRecoveredBatch(
  batch: RecordBatch,
  position: number,
  name: string,
  nextOffset: number,
  segmentBaseOffset: number,
): number {
  try {
    batch.ensureValid()
  } catch (cause) {
    throw cause instanceof CorruptRecordError ? cause.inFile(name, position) : cause
  }
  const baseOffset = batch.baseOffset
  const lastOffset = baseOffset + batch.lastOffsetDelta
  if (baseOffset < nextOffset || lastOffset < baseOffset || lastOffset - segmentBaseOffset > MAX_RELATIVE_OFFSET) {
    throw new CorruptRecordError(
      'bad-offset',
      position,
      `batch offsets ${baseOffset}..${lastOffset} do not follow ${nextOffset - 1} in a segment based at ${segmentBaseOffset}`,
      name,
    )
  }
  return lastOffset
}
/**
 * Read size of a recovery scan: 2–4 MiB read 5–10 % faster than 8 MiB here (the chunk just read is
 * still in the CPU's cache when its CRCs run), and a larger batch grows the buffer anyway.
 */
const RECOVERY_CHUNK_BYTES = 4 * 1024 * 1024

/**
 * Scans every batch of the log from the start, checking framing, CRC and ascending offsets, and
 * rebuilds both indexes through `indexer`. Stops at the first bad byte; the file keeps its bytes
 * (the caller decides whether to cut them). Bound by the CRC and the read's copy: batches are
 * judged by their position in the reader's one buffer, so a scan of small batches makes no object
 * per batch (legacy entries, rare, go through their view).
 */
export function scanAndIndex(file: SegmentFile, name: string, indexer: SegmentIndexer): RecoverResult {
  indexer.reset()
  const fileSize = wrapIo('stat', name, () => file.statSync().size)
  const reader = new FileBatchReader(file, name, { end: fileSize, chunkBytes: RECOVERY_CHUNK_BYTES })
  const header: BatchHeaderFields = { baseOffset: 0, lastOffsetDelta: 0, maxTimestamp: 0 }
  const meta: BatchMeta = { baseOffset: 0, lastOffset: 0, maxTimestamp: 0, size: 0 }
  let validBytes = 0
  let error: CorruptRecordError | null = null
  try {
    for (let start = reader.nextStart(); start >= 0; start = reader.nextStart()) {
      const position = reader.batchPosition
      const size = reader.position - position
      const chunk = reader.chunk
      if (chunk[start + MAGIC_OFFSET] === CURRENT_MAGIC) {
        checkBatchAt(chunk, start, size, position, name, indexer, header)
        meta.baseOffset = header.baseOffset
        meta.lastOffset = header.baseOffset + header.lastOffsetDelta
        meta.maxTimestamp = header.maxTimestamp
      } else {
        const batch = batchView(chunk.subarray(start, start + size))
        meta.lastOffset = checkRecoveredBatch(batch, position, name, indexer.nextOffset, indexer.baseOffset)
        meta.baseOffset = batch.baseOffset
        meta.maxTimestamp = batch.maxTimestamp
      }
      meta.size = size
      indexer.indexBatch(meta, position)
      validBytes = reader.position
    }
    if (reader.trailingBytes > 0) {
      error = new CorruptRecordError('truncated-record', validBytes, `${reader.trailingBytes} bytes of a partial batch at the end`, name)
    }
  } catch (cause) {
    if (!(cause instanceof CorruptRecordError)) throw cause
    error = cause
  }
  indexer.appendClosingEntry()
  indexer.flush()
  return { validBytes, invalidBytes: fileSize - validBytes, error }
}

/**
 * `checkRecoveredBatch` for a v2 batch at `start` of `chunk` (file position `position`), reading
 * its header into `header`: the same checks and errors, without a view.
 */
function checkBatchAt(
  chunk: Buffer,
  start: number,
  size: number,
  position: number,
  name: string,
  indexer: SegmentIndexer,
  header: BatchHeaderFields,
): void {
  try {
    checkBatchCrcAt(chunk, start, size)
    readBatchHeaderAt(chunk, start, header)
  } catch (cause) {
    throw cause instanceof CorruptRecordError ? cause.inFile(name, position - start) : cause
  }
  const { baseOffset } = header
  const lastOffset = baseOffset + header.lastOffsetDelta
  if (baseOffset < indexer.nextOffset || lastOffset < baseOffset || lastOffset - indexer.baseOffset > MAX_RELATIVE_OFFSET) {
    throw new CorruptRecordError(
      'bad-offset',
      position,
      `batch offsets ${baseOffset}..${lastOffset} do not follow ${indexer.nextOffset - 1} in a segment based at ${indexer.baseOffset}`,
      name,
    )
  }
}

/**
 * Cuts the log at `size` (after a scan found a bad tail) and fsyncs the cut, first copying the
 * cut bytes into a quarantine file when asked. Returns the quarantine file, if one was written.
 */
export function cutTail(fileSystem: LogFileSystem, file: SegmentFile, name: string, size: number, quarantine: boolean): string | null {
  const fileSize = wrapIo('stat', name, () => file.statSync().size)
  if (fileSize <= size) return null
  const quarantineFile = quarantine ? copyToQuarantine(fileSystem, file, name, size, fileSize) : null
  wrapIo('truncate', name, () => file.truncateSync(size))
  wrapIo('fsync', name, () => file.datasyncSync())
  return quarantineFile
}

/** Copies bytes [from, to) of the log into `<log>.<from>.quarantine` and fsyncs it. */
function copyToQuarantine(fileSystem: LogFileSystem, file: SegmentFile, name: string, from: number, to: number): string {
  const target = uniqueFile(fileSystem, quarantineFileName(name, from))
  const bytes = Buffer.allocUnsafe(to - from)
  const got = readAtSync(file, name, bytes, 0, bytes.length, from)
  const copy = openFile(fileSystem, target, 'replace', 'write')
  try {
    writeAllSync(copy, target, bytes, got, 0)
    wrapIo('fsync', target, () => copy.datasyncSync())
  } finally {
    copy.closeSync()
  }
  return target
}

/** Moves a whole log into quarantine (a segment after a cut one) and removes its indexes. */
export function moveToQuarantine(fileSystem: LogFileSystem, paths: SegmentPaths): string {
  const target = uniqueFile(fileSystem, quarantineFileName(paths.log, 0))
  wrapIo('rename', paths.log, () => fileSystem.renameSync(paths.log, target))
  for (const index of [paths.index, paths.timeIndex, paths.txnIndex, paths.keyIndex])
    wrapIo('unlink', index, () => fileSystem.unlinkSync(index))
  return target
}

/** `file`, or `file` with `-1`, `-2`, … before its suffix if it exists already (a second recovery). */
function uniqueFile(fileSystem: LogFileSystem, file: string): string {
  if (!fileSystem.existsSync(file)) return file
  const dot = file.lastIndexOf('.')
  for (let attempt = 1; ; attempt++) {
    const candidate = `${file.slice(0, dot)}-${attempt}${file.slice(dot)}`
    if (!fileSystem.existsSync(candidate)) return candidate
  }
}

import { CorruptRecordError } from '../record/errors.js'
import type { RecordBatch } from '../record/record-batch.js'
import { wrapIo } from './errors.js'
import { FileBatchReader } from './file-batch-reader.js'
import { openFile, readAtSync, writeAllSync } from './file-io.js'
import type { LogFileSystem, SegmentFile } from './file-system.js'
import { quarantineFileName, type SegmentPaths } from './segment-files.js'
import type { SegmentIndexer } from './segment-indexer.js'
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
const RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024

/**
 * Scans every batch of the log from the start, checking framing, CRC and ascending offsets, and
 * rebuilds both indexes through `indexer`. Stops at the first bad byte; the file keeps its bytes
 * (the caller decides whether to cut them).
 */
export function scanAndIndex(file: SegmentFile, name: string, indexer: SegmentIndexer): RecoverResult {
  indexer.reset()
  const fileSize = wrapIo('stat', name, () => file.statSync().size)
  const reader = new FileBatchReader(file, name, { end: fileSize, chunkBytes: RECOVERY_CHUNK_BYTES })
  let validBytes = 0
  let error: CorruptRecordError | null = null
  try {
    for (let batch = reader.next(); batch !== null; batch = reader.next()) {
      const position = reader.batchPosition
      const lastOffset = checkRecoveredBatch(batch, position, name, indexer.nextOffset, indexer.baseOffset)
      indexer.indexBatch({ baseOffset: batch.baseOffset, lastOffset, maxTimestamp: batch.maxTimestamp, size: batch.sizeInBytes }, position)
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

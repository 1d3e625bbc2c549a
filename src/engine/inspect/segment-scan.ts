import fs from 'node:fs'
import { SeglogError } from '../../errors.js'
import { wrapIo } from '../../log/errors.js'
import { FileBatchReader } from '../../log/file-batch-reader.js'
import { CorruptRecordError } from '../../record/errors.js'
import { BATCH_HEADER_SIZE, compressionNameOf, NO_TIMESTAMP, type RecordBatch } from '../../record/record-batch.js'
import type { IndexProbe } from './index-check.js'
import { MAX_RELATIVE_OFFSET } from '../../format/index-entry.js'

/**
 * One front-to-back pass over a `.log` file for `seglog inspect` and `seglog verify`: batch
 * headers are read through FileBatchReader (one reused buffer, so any segment size scans in
 * constant memory) and summed into the figures both commands print. Verifying adds the CRC of every
 * batch and the offset rules; `decodeRecords` decodes every record; `measureCompression`
 * decompresses compressed batches to measure their ratio; `onBatch` hands each batch to the caller
 * (inspect replays the offsets log from the same pass). Problems go to `onProblem` as one line
 * each, naming the file and byte position; the scan itself never throws for bad data, only for an
 * unreadable file (IoError).
 */

export interface ScanOptions {
  /** Check every batch's CRC and that offsets ascend (verify). Inspect reads headers only. */
  isVerifying: boolean
  /** Decode every record (verify --deep). */
  decodeRecords: boolean
  /** Decompress compressed batches to measure the ratio (inspect --deep). */
  measureCompression: boolean
  /** Offset no batch may go below: the segment's base offset, or the previous segment's next offset. */
  minOffset: number
  /** Base offset of the segment (from its file name), for the int32 relative-offset rule. */
  baseOffset: number
  /** Told about every whole batch, for the index checks. */
  probe?: IndexProbe
  /**
   * Given every whole batch, at its file position (inspect replays the offsets log this way). The
   * batch is a view of the reader's buffer: use it before returning, copy what must outlive it.
   */
  onBatch?: (batch: RecordBatch, position: number) => void
  onProblem: (message: string) => void
  /**
   * Told about the first damage by the engine's recovery checks (see `firstDamage`); returns what
   * to add to that problem's line (what the engine does about it), or ''.
   */
  describeDamage?: (damage: SegmentDamageAt) => string
  /** Called with the file position reached, after each batch. */
  onProgress?: (position: number) => void
}

/**
 * Where recovery would cut the segment (src/engine/segment-damage.ts has the rule): the first batch
 * with bad framing, a bad CRC or offsets that do not ascend from the base offset, or a partial
 * batch at the end. CRCs are only checked when verifying.
 */
export interface SegmentDamageAt {
  /** File position of the damaged batch (where recovery cuts). */
  position: number
  /** Offset after the last batch before it that passed (the base offset if none did). */
  nextOffset: number
}

/** Batches and bytes of one compression codec within a segment. */
export interface CodecFigures {
  batches: number
  records: number
  /** Whole batch sizes. */
  bytes: number
  /** Bytes of the records areas as stored (after the 61-byte headers). */
  storedRecordsBytes: number
  /** Bytes of the records areas after decompression; only measured with `measureCompression`. */
  decodedRecordsBytes: number
}

export interface SegmentScan {
  file: string
  /** Size of the file when the scan started. */
  fileSize: number
  batches: number
  /** Sum of the batch headers' record counts. */
  records: number
  /** Bytes of whole batches read before the scan ended. */
  validBytes: number
  /** Base offset of the first batch, or null for an empty segment. */
  firstOffset: number | null
  /** Last offset of the last batch, or null. */
  lastOffset: number | null
  /** Earliest timestamp the headers show (each batch's base timestamp), or null if none has one. */
  minTimestamp: number | null
  /** Largest batch max timestamp, or -1 when no batch has a timestamp. */
  maxTimestamp: number
  /** Last offset of the first batch that reached `maxTimestamp` (what the time index records). */
  maxTimestampOffset: number
  codecs: Map<string, CodecFigures>
  /** Bytes of a partial batch at the end (a torn write), 0 if the file ends on a batch boundary. */
  trailingBytes: number
  /** The framing error that ended the scan early, if one did. */
  framingError: CorruptRecordError | null
  /** Batches whose CRC does not match (only counted when verifying). */
  badCrcBatches: number
  /** Problems reported through onProblem. */
  problems: number
  /** The first damage by the engine's recovery checks, or null. */
  firstDamage: SegmentDamageAt | null
}

/** The engine's view while scanning: the offset the next batch must reach, until the first damage. */
interface DamageTracker {
  nextOffset: number
  /** Records the first damage and returns the text describeDamage gives it ('' for later ones). */
  mark(position: number): string
}

export function scanSegment(file: string, options: ScanOptions): SegmentScan {
  const scan: SegmentScan = {
    file,
    fileSize: 0,
    batches: 0,
    records: 0,
    validBytes: 0,
    firstOffset: null,
    lastOffset: null,
    minTimestamp: null,
    maxTimestamp: NO_TIMESTAMP,
    maxTimestampOffset: -1,
    codecs: new Map(),
    trailingBytes: 0,
    framingError: null,
    badCrcBatches: 0,
    problems: 0,
    firstDamage: null,
  }
  const problem = (message: string): void => {
    scan.problems++
    options.onProblem(message)
  }
  const damage: DamageTracker = {
    nextOffset: options.baseOffset,
    mark(position) {
      if (scan.firstDamage !== null) return ''
      scan.firstDamage = { position, nextOffset: this.nextOffset }
      return options.describeDamage?.(scan.firstDamage) ?? ''
    },
  }
  const reader = FileBatchReader.openSync(file)
  try {
    scan.fileSize = reader.end
    let nextOffset = options.minOffset
    for (;;) {
      let batch: RecordBatch | null
      try {
        batch = reader.next()
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error
        scan.framingError = error
        problem(
          `${error.message}; the batch at byte ${reader.position} and everything after it could not be read${damage.mark(reader.position)}`,
        )
        break
      }
      if (batch === null) break
      const position = reader.batchPosition
      try {
        nextOffset = checkBatch(batch, position, nextOffset, scan, options, problem, damage)
        options.onBatch?.(batch, position)
      } catch (error) {
        // A header field beyond 2^53 (an unsafe int64): the framing held, so go on with the next batch.
        if (!(error instanceof CorruptRecordError)) throw error
        problem(`${error.inFile(file, position).message}, in the batch at byte ${position}`)
      }
      scan.validBytes = reader.position
      options.onProgress?.(reader.position)
    }
    if (scan.framingError === null && reader.trailingBytes > 0) {
      scan.trailingBytes = reader.trailingBytes
      const what = damage.mark(reader.position)
      if (options.isVerifying)
        problem(`${file} at byte ${reader.position}: ${reader.trailingBytes} bytes of a partial batch at the end of the file${what}`)
    }
    if (options.probe !== undefined) {
      options.probe.scannedBytes = scan.validBytes
      options.probe.logSize = scan.fileSize
    }
  } finally {
    reader.close()
  }
  return scan
}

/** Adds one batch to the figures and checks it; returns the offset the next batch must reach. */
function checkBatch(
  batch: RecordBatch,
  position: number,
  nextOffset: number,
  scan: SegmentScan,
  options: ScanOptions,
  problem: (message: string) => void,
  damage: DamageTracker,
): number {
  const { file } = scan
  const baseOffset = batch.baseOffset
  const lastOffsetDelta = batch.lastOffsetDelta
  const lastOffset = baseOffset + lastOffsetDelta
  const recordCount = batch.recordCount
  const maxTimestamp = batch.maxTimestamp
  if (options.isVerifying) {
    const lines: string[] = []
    const isValid = batch.isValid()
    if (!isValid) {
      scan.badCrcBatches++
      lines.push(
        `${file} at byte ${position}: bad-crc (stored crc ${batch.crc} but the batch computes to ${batch.computeCrc()}), in the batch of offsets ${baseOffset}..${lastOffset}`,
      )
    }
    if (lastOffsetDelta < 0 || recordCount < 0 || recordCount > lastOffsetDelta + 1) {
      lines.push(`${file} at byte ${position}: the batch holds ${recordCount} records but its last offset delta is ${lastOffsetDelta}`)
    } else if (baseOffset < nextOffset) {
      const rule =
        scan.batches === 0 && nextOffset === options.baseOffset
          ? `lie below the segment's base offset ${options.baseOffset}`
          : `do not follow offset ${nextOffset - 1}`
      lines.push(`${file} at byte ${position}: batch offsets ${baseOffset}..${lastOffset} ${rule}`)
    } else if (lastOffset - options.baseOffset > MAX_RELATIVE_OFFSET) {
      lines.push(
        `${file} at byte ${position}: offset ${lastOffset} is more than 2^31-1 above the segment's base offset ${options.baseOffset}`,
      )
    }
    // Segment.recover's checks: the record count is not one of them.
    if (!isValid || lastOffsetDelta < 0 || baseOffset < damage.nextOffset || lastOffset - options.baseOffset > MAX_RELATIVE_OFFSET) {
      const what = damage.mark(position)
      if (lines.length > 0) lines[0] += what
    } else if (scan.firstDamage === null) {
      damage.nextOffset = lastOffset + 1
    }
    for (const line of lines) problem(line)
    if (options.decodeRecords) decodeRecords(batch, position, lastOffset, file, problem)
  }
  options.probe?.observe(position, lastOffset, maxTimestamp)

  if (scan.firstOffset === null) scan.firstOffset = baseOffset
  scan.lastOffset = lastOffset
  scan.batches++
  scan.records += Math.max(0, recordCount)
  if (maxTimestamp > scan.maxTimestamp) {
    scan.maxTimestamp = maxTimestamp
    scan.maxTimestampOffset = lastOffset
  }
  const earliest = earliestTimestamp(batch)
  if (earliest >= 0 && (scan.minTimestamp === null || earliest < scan.minTimestamp)) scan.minTimestamp = earliest
  countCodec(batch, position, scan, options, problem)
  return Math.max(nextOffset, lastOffset + 1)
}

/**
 * The earliest timestamp a header shows without decoding records: the base timestamp (the first
 * record's), except for LogAppendTime batches (every record carries the max timestamp) and batches
 * whose base timestamp field holds a delete horizon instead.
 */
function earliestTimestamp(batch: RecordBatch): number {
  if (batch.timestampType === 'LogAppendTime' || batch.hasDeleteHorizon) return batch.maxTimestamp
  return batch.baseTimestamp
}

function countCodec(
  batch: RecordBatch,
  position: number,
  scan: SegmentScan,
  options: ScanOptions,
  problem: (message: string) => void,
): void {
  const name = compressionNameOf(batch.compressionId)
  let figures = scan.codecs.get(name)
  if (figures === undefined) {
    figures = { batches: 0, records: 0, bytes: 0, storedRecordsBytes: 0, decodedRecordsBytes: 0 }
    scan.codecs.set(name, figures)
  }
  const storedRecordsBytes = batch.sizeInBytes - BATCH_HEADER_SIZE
  figures.batches++
  figures.records += Math.max(0, batch.recordCount)
  figures.bytes += batch.sizeInBytes
  figures.storedRecordsBytes += storedRecordsBytes
  if (!options.measureCompression) return
  if (name === 'none') {
    figures.decodedRecordsBytes += storedRecordsBytes
    return
  }
  try {
    figures.decodedRecordsBytes += batch.recordsArea().length
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    const message = error instanceof CorruptRecordError ? error.inFile(scan.file, position).message : error.message
    problem(`${message}, in the batch at byte ${position}`)
  }
}

function decodeRecords(batch: RecordBatch, position: number, lastOffset: number, file: string, problem: (message: string) => void): void {
  try {
    let previous = batch.baseOffset - 1
    for (const record of batch.records()) {
      if (record.offset <= previous || record.offset > lastOffset) {
        problem(
          `${file} at byte ${position}: record offset ${record.offset} is outside the batch's offsets ${batch.baseOffset}..${lastOffset} or does not ascend`,
        )
        return
      }
      previous = record.offset
    }
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    const message = error instanceof CorruptRecordError ? error.inFile(file, position).message : error.message
    problem(`${message}, in the batch at byte ${position}`)
  }
}

/**
 * The problem when a segment at `baseOffset` does not start right after `previous`, the segment
 * before it (the offsets between are gone, as when a segment file is deleted), or null. Only a
 * segment read whole and holding batches has a known end to compare with.
 */
export function describeOffsetGap(previous: SegmentScan, logFile: string, baseOffset: number): string | null {
  const last = previous.lastOffset
  if (last === null || previous.framingError !== null || previous.trailingBytes > 0 || baseOffset <= last + 1) return null
  return `${logFile}: base offset ${baseOffset} does not follow ${previous.file}, whose last offset is ${last}: offsets ${last + 1}..${baseOffset - 1} are missing (a deleted or lost segment)`
}

/** Size of a file, or null if it does not exist. */
export function fileSizeOrNull(file: string): number | null {
  return wrapIo('stat', file, () => {
    try {
      return fs.statSync(file).size
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  })
}

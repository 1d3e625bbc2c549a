import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { wrapIo } from '../../log/errors.js'
import { describeOpenFailure } from '../../engine/inspect/open-failure.js'
import { FileBatchReader } from '../../log/file-batch-reader.js'
import { CorruptRecordError } from '../../record/errors.js'
import type { RecordBatch } from '../../record/record-batch.js'
import type { DecodedRecord } from '../../record/record.js'
import { damageOutcome } from '../../engine/segment-damage.js'
import { parseQuarantineName } from '../../engine/inspect/file-names.js'
import { findValidBatchAfter } from '../../engine/inspect/find-valid-batch.js'
import { decodeOffsetsRecord, type OffsetsRecord } from '../../engine/inspect/offsets-decode.js'
import type { Output } from '../output.js'
import { batchJson, batchLine, legacyBatchLine, legacyRecordLine, RecordShape, recordJson, recordLine } from './dump-log-lines.js'
import { LegacyRecordBatch } from '../../record/legacy-message.js'
import { describeDamageOutcome, segmentContextOf } from '../../engine/inspect/recovery-state.js'

/**
 * `seglog dump` for `.log` files: every batch in the line shape of Kafka's kafka-dump-log.sh
 * (DumpLogSegments, magic 2), or as JSON lines. The file is streamed with FileBatchReader, so a
 * multi-gigabyte segment takes one read buffer, not its size in memory.
 */

export interface DumpOptions {
  deepIteration: boolean
  printDataLog: boolean
  /** Decode keys and values as `__consumer_offsets` records (Kafka's --offsets-decoder); implies printDataLog. */
  offsetsDecoder: boolean
  /** Read only the first maxBytes bytes of each file (a cut batch there is not reported). */
  maxBytes: number | undefined
  json: boolean
  /** Index files: run the engine's sanity checks only (Kafka's --index-sanity-check). */
  indexSanityCheck: boolean
  /** Index files: print only the entries that disagree with the log (Kafka's --verify-index-only). */
  verifyIndexOnly: boolean
}

export type FileOutcome = 'clean' | 'problems'

/** Dumps one file of the suffix it is registered for; reports problems through `out`. */
export type FileDumper = (file: string, options: DumpOptions, out: Output) => Promise<FileOutcome>

const BASE_OFFSET_NAME = /^(\d{20})\./
/** A compacted segment can have a gap per batch; list this many (Kafka lists all). */
const MAX_GAPS_LISTED = 1000

/** The base offset in a segment file name, or null when the name does not start with 20 digits. */
export function baseOffsetOfFileName(file: string): number | null {
  const match = BASE_OFFSET_NAME.exec(path.basename(file))
  return match === null ? null : Number(match[1])
}

export const dumpLogFile: FileDumper = async (file, options, out) => {
  const logStartOffset = baseOffsetOfFileName(file)
  if (options.json) {
    out.line(JSON.stringify({ type: 'file', file, logStartOffset }))
  } else {
    out.line(`Dumping ${file}`)
    out.line(
      logStartOffset === null
        ? 'Log starting offset: 0 (the file name does not start with a 20-digit offset)'
        : `Log starting offset: ${logStartOffset}`,
    )
  }
  return dumpBatches(file, 'log', options, out)
}

/**
 * `seglog dump` for the bytes recovery cut from a log (`<segment>.log.<position>.quarantine`). They
 * may begin with a damaged or partial batch, so whatever whole batches parse from the start are
 * printed (positions within the quarantine file) and everything from the first unreadable byte on
 * is reported as invalid bytes. The contents are known to be bad: a bad CRC or unreadable bytes do
 * not fail the dump; only an unreadable file does.
 */
export const dumpQuarantineFile: FileDumper = async (file, options, out) => {
  const origin = parseQuarantineName(path.basename(file))
  if (options.json) {
    out.line(
      JSON.stringify({
        type: 'file',
        file,
        logStartOffset: baseOffsetOfFileName(file),
        quarantinedFrom: origin?.logName ?? null,
        quarantinedAt: origin?.position ?? null,
      }),
    )
  } else {
    out.line(`Dumping ${file}`)
    out.line(
      origin === null
        ? 'Quarantined bytes (the name does not say where they were cut from)'
        : `Quarantined bytes of ${origin.logName} from byte ${origin.position} (positions below are within this file)`,
    )
  }
  return dumpBatches(file, 'quarantine', options, out)
}

async function dumpBatches(file: string, kind: 'log' | 'quarantine', options: DumpOptions, out: Output): Promise<FileOutcome> {
  let reader: FileBatchReader
  try {
    reader = FileBatchReader.openSync(file, options.maxBytes === undefined ? {} : { end: options.maxBytes })
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  try {
    // The reader's end may be a --max-bytes cut; the tail report needs the real size.
    const fileSize = wrapIo('stat', file, () => fs.statSync(file).size)
    return await new LogFileDump(file, kind, fileSize, reader, options, out).run()
  } finally {
    reader.close()
  }
}

/** The state of one file's dump: counters for the end-of-file report. */
class LogFileDump {
  private readonly file: string
  private readonly isQuarantine: boolean
  private readonly fileSize: number
  private readonly reader: FileBatchReader
  private readonly options: DumpOptions
  private readonly out: Output
  private readonly isDeep: boolean
  private problemCount = 0
  /** Corrupt framing ended the scan early: the bytes after it are not a tail to report. */
  private isStoppedByCorruption = false
  /** Quarantine files: why the batches stopped parsing (reported with the invalid bytes). */
  private stopReason: string | null = null
  private badCrcCount = 0
  private firstBadCrcPosition = -1
  /** Offset after the last batch read (the base offset from the file name before any). */
  private nextOffset: number
  /** Offset of the record printed last, for Kafka's non-consecutive-offsets report. */
  private lastRecordOffset = -1
  private readonly gaps: string[] = []
  private gapCount = 0
  /** --offsets-decoder: the first record of an unknown version has been named on stderr. */
  private hasReportedUnknownVersion = false
  /** --offsets-decoder: records whose key or value did not decode, and the first one's offset. */
  private undecodableCount = 0
  private firstUndecodableOffset = -1

  constructor(file: string, kind: 'log' | 'quarantine', fileSize: number, reader: FileBatchReader, options: DumpOptions, out: Output) {
    this.file = file
    this.isQuarantine = kind === 'quarantine'
    this.fileSize = fileSize
    this.reader = reader
    this.options = options
    this.out = out
    this.isDeep = options.deepIteration || options.printDataLog || options.offsetsDecoder
    this.nextOffset = baseOffsetOfFileName(file) ?? 0
  }

  async run(): Promise<FileOutcome> {
    const { reader, out } = this
    const progress = out.progress(path.basename(this.file), reader.end)
    try {
      for (let batch = this.nextBatch(); batch !== null; batch = this.nextBatch()) {
        this.dumpBatch(batch, reader.batchPosition)
        if (out.isFull) await out.flush()
        progress.update(reader.position)
      }
    } finally {
      progress.finish()
    }
    this.reportEnd()
    return this.problemCount === 0 || this.isQuarantine ? 'clean' : 'problems'
  }

  /** The next batch, or null at the end or at corrupt framing (reported here: nothing after it can be read). */
  private nextBatch(): RecordBatch | null {
    try {
      return this.reader.next()
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      if (this.isQuarantine && error instanceof CorruptRecordError) {
        this.stopReason = `${error.reason} at byte ${error.position}: ${error.detail}`
        return null
      }
      const where =
        error instanceof CorruptRecordError ? `; the batch at byte ${this.reader.position} and everything after it were not dumped` : ''
      this.out.problem(error.message + where)
      this.problemCount++
      this.isStoppedByCorruption = true
      return null
    }
  }

  private dumpBatch(batch: RecordBatch, position: number): void {
    const isValid = batch.isValid()
    // Where recovery would stop: after the last batch before the first one with a bad CRC.
    if (isValid && this.badCrcCount === 0) this.nextOffset = Math.max(this.nextOffset, batch.nextOffset)
    if (!isValid) {
      if (this.badCrcCount === 0) this.firstBadCrcPosition = position
      this.badCrcCount++
      this.problemCount++
    }
    try {
      const isLegacy = batch instanceof LegacyRecordBatch
      if (this.options.json) this.out.line(batchJson(batch, position, isValid))
      else this.out.line(isLegacy ? legacyBatchLine(batch, position, isValid) : batchLine(batch, position, isValid))
      if (this.isDeep && isLegacy && !this.options.json) return this.dumpLegacyMessages(batch)
      if (this.isDeep) this.dumpRecords(batch)
    } catch (error) {
      // The framing is sound, so the next batch can still be read: report this one and go on.
      if (!(error instanceof CorruptRecordError)) throw error
      this.out.problem(`${error.inFile(this.file, position).message}, in the batch at byte ${position}`)
      this.problemCount++
    }
  }

  private dumpRecords(batch: RecordBatch): void {
    const shape = new RecordShape(batch)
    const { json, printDataLog, offsetsDecoder } = this.options
    for (const record of batch.records()) {
      this.trackOffset(record.offset)
      const decoded = offsetsDecoder && !shape.isControl ? this.decodeOffsets(record) : null
      this.out.line(json ? recordJson(shape, record, decoded) : recordLine(shape, record, printDataLog, decoded))
    }
  }

  private dumpLegacyMessages(batch: LegacyRecordBatch): void {
    const shape = new RecordShape(batch)
    const { printDataLog, offsetsDecoder } = this.options
    for (const message of batch.messages()) {
      this.trackOffset(message.offset)
      const decoded = offsetsDecoder ? this.decodeOffsets(message) : null
      this.out.line(legacyRecordLine(shape, message, printDataLog, decoded))
    }
  }

  private decodeOffsets(record: Pick<DecodedRecord, 'key' | 'value' | 'offset'>): OffsetsRecord {
    const decoded = decodeOffsetsRecord(record.key, record.value)
    if (decoded.kind === 'error') {
      // A version no schema defines is named as such (a newer Kafka wrote it), not as damage.
      if (decoded.unknownVersion !== null && !this.hasReportedUnknownVersion) {
        this.out.problem(`${this.file}: the record at offset ${record.offset} has an unknown version: ${decoded.unknownVersion}`)
        this.hasReportedUnknownVersion = true
      }
      if (this.undecodableCount === 0) this.firstUndecodableOffset = record.offset
      this.undecodableCount++
      this.problemCount++
    }
    return decoded
  }

  private trackOffset(offset: number): void {
    if (this.lastRecordOffset !== -1 && offset !== this.lastRecordOffset + 1) {
      if (this.gaps.length < MAX_GAPS_LISTED) this.gaps.push(`  ${this.lastRecordOffset} is followed by ${offset}`)
      this.gapCount++
    }
    this.lastRecordOffset = offset
  }

  private reportEnd(): void {
    const { reader, out } = this
    // A cut made by --max-bytes is not the file's tail; only report bytes the file really ends with.
    // In a quarantine file everything from the first unreadable batch on is such a tail.
    const trailingBytes = this.stopReason !== null ? reader.end - reader.position : reader.trailingBytes
    if (!this.isStoppedByCorruption && trailingBytes > 0 && reader.end >= this.fileSize) {
      const position = reader.end - trailingBytes
      const reason = this.stopReason ?? 'partial batch'
      out.line(
        this.options.json
          ? JSON.stringify({ type: 'trailing', position, bytes: trailingBytes, ...(this.isQuarantine && { reason }) })
          : `Found ${trailingBytes} invalid bytes at the end of ${path.basename(this.file)}${this.isQuarantine ? ` (from byte ${position}: ${reason})` : ''}`,
      )
      const damage = this.isQuarantine ? null : this.describeTailDamage(position, trailingBytes)
      if (damage !== null) {
        out.problem(damage)
        this.problemCount++
      }
    }
    if (this.badCrcCount > 0 && !this.isQuarantine) {
      const batches = this.badCrcCount === 1 ? '1 batch' : `${this.badCrcCount} batches`
      out.problem(`${this.file}: ${batches} failed the CRC check (isvalid: false), the first at byte ${this.firstBadCrcPosition}`)
    }
    if (this.undecodableCount > 0) {
      const records = this.undecodableCount === 1 ? '1 record' : `${this.undecodableCount} records`
      out.problem(`${this.file}: ${records} did not decode with --offsets-decoder, the first at offset ${this.firstUndecodableOffset}`)
    }
    if (this.gaps.length > 0) {
      // Expected on compacted topics; Kafka reports it on stderr the same way, without failing.
      out.notice(`Non-consecutive offsets in ${path.resolve(this.file)}`)
      for (const gap of this.gaps) out.notice(gap)
      if (this.gapCount > this.gaps.length) out.notice(`  ... and ${this.gapCount - this.gaps.length} more`)
    }
  }

  /**
   * Why bytes at the end of a log that are not a whole batch are damage rather than the torn tail
   * a crash mid-append leaves, or null for a torn tail. They are damage when a segment follows this
   * one in its directory, when the engine would not cut them (below the recovery point, or after a
   * clean shutdown: see segment-damage.ts), or when a valid batch follows them.
   */
  private describeTailDamage(position: number, trailingBytes: number): string | null {
    const head = `${this.file} at byte ${position}: ${trailingBytes} bytes of a partial batch at the end of the file`
    const context = segmentContextOf(this.file)
    if (context !== null) {
      const { baseOffsets, slot, recoveryState } = context
      const isCutByRecovery = recoveryState === null || damageOutcome(recoveryState, baseOffsets, slot, this.nextOffset) === 'recovery-cuts'
      if (slot < baseOffsets.length - 1 || !isCutByRecovery)
        return head + describeDamageOutcome(recoveryState, baseOffsets, slot, { position, nextOffset: this.nextOffset })
    }
    const validAt = findValidBatchAfter(this.file, position, this.reader.end, baseOffsetOfFileName(this.file) ?? 0)
    return validAt === null ? null : `${head}; not a torn write: a valid batch follows at byte ${validAt}`
  }
}

export { describeOpenFailure }

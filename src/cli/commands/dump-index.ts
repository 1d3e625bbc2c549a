import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { wrapIo } from '../../log/errors.js'
import {
  checkOffsetIndex,
  checkTimeIndex,
  decodeOffsetIndex,
  decodeTimeIndex,
  ENTRY_SIZE,
  IndexProbe,
  kafkaFindingLines,
  sanityCheckIndex,
  tailFindings,
  type DecodedIndex,
  type IndexKind,
  type OffsetIndexEntry,
  type TimeIndexEntry,
} from '../../engine/inspect/index-check.js'
import { logFileBeside } from '../../engine/inspect/file-names.js'
import type { Output } from '../output.js'
import { fileSizeOrNull, scanSegment } from '../../engine/inspect/segment-scan.js'
import { baseOffsetOfFileName, describeOpenFailure, type DumpOptions, type FileDumper, type FileOutcome } from './dump-log.js'

/**
 * `seglog dump` for `.index` and `.timeindex` files, in the shapes of Kafka's DumpLogSegments:
 * `offset: O position: P` and `timestamp: T offset: O` per entry, `<file> is empty.`,
 * `<file> passed sanity check.` with --index-sanity-check, and after the entries the mismatches
 * against the `.log` beside the file on stderr (`Mismatches in :<path>` ...). --verify-index-only
 * prints only the mismatches. The checks are index-check.ts, shared with `seglog verify`.
 */

export const dumpOffsetIndexFile: FileDumper = (file, options, out) => dumpIndexFile(file, 'offset', options, out)
export const dumpTimeIndexFile: FileDumper = (file, options, out) => dumpIndexFile(file, 'time', options, out)

async function dumpIndexFile(file: string, kind: IndexKind, options: DumpOptions, out: Output): Promise<FileOutcome> {
  const namedBase = baseOffsetOfFileName(file)
  const baseOffset = namedBase ?? 0
  let bytes: Buffer
  try {
    bytes = wrapIo('read', file, () => fs.readFileSync(file))
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    if (!options.json) out.line(`Dumping ${file}`)
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  if (options.json) {
    out.line(JSON.stringify({ type: 'file', file, baseOffset: namedBase, entries: Math.floor(bytes.length / ENTRY_SIZE[kind]) }))
  } else {
    out.line(`Dumping ${file}`)
  }
  if (namedBase === null) out.notice(`${file}: the file name does not start with a 20-digit offset; entries are read with base offset 0`)
  if (bytes.length === 0) {
    if (!options.json) out.line(`${file} is empty.`)
    return 'clean'
  }
  const logFile = logFileBeside(file)
  const logSize = fileSizeOrNull(logFile)
  if (options.indexSanityCheck) return reportSanity(file, kind, baseOffset, logSize, options, out)

  const index = kind === 'offset' ? decodeOffsetIndex(bytes, baseOffset) : decodeTimeIndex(bytes, baseOffset)
  if (!options.verifyIndexOnly) await printEntries(index, kind, options, out)

  if (logSize === null) {
    const findings = tailFindings(index)
    for (const line of kafkaFindingLines(file, kind, findings, null).problems) out.problem(line)
    if (options.verifyIndexOnly) {
      out.problem(`${file}: cannot verify the index: there is no ${path.basename(logFile)} beside it`)
      return 'problems'
    }
    out.notice(`No ${path.basename(logFile)} beside ${file}: the entries were not checked against the log`)
    return findings.length === 0 ? 'clean' : 'problems'
  }
  const probe =
    kind === 'offset' ? new IndexProbe(index.entries as OffsetIndexEntry[], []) : new IndexProbe([], index.entries as TimeIndexEntry[])
  let hasProblems = false
  try {
    scanSegment(logFile, {
      isVerifying: false,
      decodeRecords: false,
      measureCompression: false,
      minOffset: baseOffset,
      baseOffset,
      probe,
      onProblem: (message) => {
        hasProblems = true
        out.problem(message)
      },
    })
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    out.problem(`${file}: cannot verify the index: ${describeOpenFailure(logFile, error)}`)
    return 'problems'
  }
  const findings =
    kind === 'offset'
      ? checkOffsetIndex(index as DecodedIndex<OffsetIndexEntry>, probe)
      : checkTimeIndex(index as DecodedIndex<TimeIndexEntry>, probe)
  await out.flush()
  const { blocks, problems } = kafkaFindingLines(file, kind, findings, probe)
  for (const line of blocks) out.notice(line)
  for (const line of problems) out.problem(line)
  return findings.length === 0 && !hasProblems ? 'clean' : 'problems'
}

async function printEntries(
  index: DecodedIndex<OffsetIndexEntry> | DecodedIndex<TimeIndexEntry>,
  kind: IndexKind,
  options: DumpOptions,
  out: Output,
): Promise<void> {
  for (let slot = 0; slot < index.listedCount; slot++) {
    const entry = index.entries[slot]!
    if (kind === 'offset') {
      const { offset, position } = entry as OffsetIndexEntry
      out.line(options.json ? JSON.stringify({ type: 'index-entry', offset, position }) : `offset: ${offset} position: ${position}`)
    } else {
      const { timestamp, offset } = entry as TimeIndexEntry
      out.line(options.json ? JSON.stringify({ type: 'time-index-entry', timestamp, offset }) : `timestamp: ${timestamp} offset: ${offset}`)
    }
    if (out.isFull) await out.flush()
  }
}

function reportSanity(
  file: string,
  kind: IndexKind,
  baseOffset: number,
  logSize: number | null,
  options: DumpOptions,
  out: Output,
): FileOutcome {
  const failure = sanityCheckIndex(file, kind, baseOffset, logSize)
  if (options.json) out.line(JSON.stringify({ type: 'sanity-check', file, passed: failure === null }))
  if (failure !== null) {
    out.problem(`${failure} (failed the sanity check)`)
    return 'problems'
  }
  if (!options.json) out.line(`${file} passed sanity check.`)
  return 'clean'
}

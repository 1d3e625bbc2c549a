import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { decodeProducerSnapshot } from '../../format/producer-snapshot.js'
import { wrapIo } from '../../log/errors.js'
import { SNAPSHOT_SUFFIX } from '../../log/producer-state.js'
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseOffsetFileName,
  QUARANTINE_SUFFIX,
  segmentPaths,
  TIME_INDEX_SUFFIX,
} from '../../log/segment-files.js'
import { CorruptRecordError } from '../../record/errors.js'
import { checkpointKey, RECOVERY_POINT_CHECKPOINT } from '../checkpoint-file.js'
import type { RecoveryState } from '../segment-damage.js'
import {
  listDeletedTopicDirs,
  listDir,
  listPartitionFiles,
  listPartitions,
  readCheckpoint,
  readShutdownState,
  readTopicsFile,
  type PartitionFiles,
} from './data-dir.js'
import { checkCheckpoints, type PartitionExtent } from './checkpoint-check.js'
import type { DirKind } from './dir-kind.js'
import {
  checkClosingTimeEntry,
  checkOffsetIndex,
  checkTimeIndex,
  decodeOffsetIndex,
  decodeTimeIndex,
  describeFinding,
  IndexProbe,
  type DecodedIndex,
  type IndexKind,
  type OffsetIndexEntry,
  type TimeIndexEntry,
} from './index-check.js'
import { describeOpenFailure } from './open-failure.js'
import { describeDamageOutcome, recoveryStateOf } from './recovery-state.js'
import { describeOffsetGap, fileSizeOrNull, scanSegment, type SegmentDamageAt, type SegmentScan } from './segment-scan.js'
import { locateProblem, type VerifyProblem } from './verify-problem.js'

/** Where a Verifier's findings go, as it finds them. */
export interface VerifySink {
  onProblem(problem: VerifyProblem): void
  onNote(message: string): void
  /** Bytes of `.log` files read so far by this Verifier. */
  onProgress(doneBytes: number): void
}

/**
 * The checks behind `seglog verify` and verifyDirectory: reads, never writes, takes no lock. One
 * Verifier adds up the figures of everything it is asked to verify; findings go to the sink as
 * they are found, in file order.
 */
export class Verifier {
  segments = 0
  batches = 0
  records = 0
  bytes = 0
  readonly problems: VerifyProblem[] = []
  readonly notes: string[] = []
  private readonly sink: VerifySink
  private readonly isDeep: boolean
  private doneBytes = 0

  constructor(sink: VerifySink, isDeep: boolean) {
    this.sink = sink
    this.isDeep = isDeep
  }

  private problem(file: string, message: string): void {
    const problem = locateProblem(file, message)
    this.problems.push(problem)
    this.sink.onProblem(problem)
  }

  private note(message: string): void {
    this.notes.push(message)
    this.sink.onNote(message)
  }

  /** A data directory or a partition directory, which classifyDir must have recognised. */
  verifyDirectory(dir: string, kind: DirKind): void {
    if (kind === 'data') this.verifyDataDir(dir)
    else this.verifyPartitionDir(dir, recoveryStateOf(dir))
  }

  private verifyDataDir(dir: string): void {
    const topicsFile = readTopicsFile(dir)
    if (topicsFile.error !== null) this.problem(topicsFile.file, topicsFile.error)
    const partitions = listPartitions(dir, topicsFile.topics)
    if (!topicsFile.exists && partitions.length > 0) {
      this.problem(
        topicsFile.file,
        `${topicsFile.file}: missing, but the directory holds partition directories (the engine ignores them without it)`,
      )
    }
    const isClean = readShutdownState(dir).isClean
    const recoveryPoints = readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT).entries
    const extents = new Map<string, PartitionExtent | null>()
    for (const entry of partitions) {
      if (!entry.exists) {
        const topic = topicsFile.topics.find((candidate) => candidate.name === entry.topic)
        this.problem(
          entry.dir,
          `${entry.dir}: missing: topics.json gives topic '${entry.topic}' ${topic?.config.partitions ?? '?'} partitions`,
        )
        continue
      }
      if (!entry.isKnown && topicsFile.error === null) {
        const topic = topicsFile.topics.find((candidate) => candidate.name === entry.topic)
        this.problem(
          entry.dir,
          topic === undefined
            ? `${entry.dir}: topics.json has no topic '${entry.topic}' (the engine leaves this directory alone)`
            : `${entry.dir}: topics.json gives topic '${entry.topic}' only ${topic.config.partitions} partitions (the engine leaves this directory alone)`,
        )
      }
      const key = checkpointKey(entry.topic, entry.partition)
      extents.set(key, this.verifyPartitionDir(entry.dir, { isClean, recoveryPoint: recoveryPoints.get(key) ?? 0 }))
    }
    checkCheckpoints(
      dir,
      extents,
      partitions.map((entry) => entry.name),
      (file, message) => this.problem(file, message),
    )
    for (const name of listDeletedTopicDirs(dir))
      this.note(`${path.join(dir, name)}: an unfinished topic deletion (the engine finishes it on open)`)
  }

  /** Verifies a partition's segments in order, and its snapshots; returns what the segments span. */
  private verifyPartitionDir(dir: string, recoveryState: RecoveryState | null): PartitionExtent | null {
    let files: PartitionFiles
    try {
      files = listPartitionFiles(dir)
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      this.problem(dir, describeOpenFailure(dir, error))
      return null
    }
    if (files.segments.length === 0) {
      this.problem(dir, `${dir}: no segment (.log) files`)
      return null
    }
    const extent = this.verifySegmentChain(dir, files.segments, { recoveryState, requireIndexes: true, allBaseOffsets: files.segments })
    for (const snapshot of files.snapshots) this.verifySnapshot(path.join(dir, snapshot.name))
    for (const file of files.quarantine) {
      this.note(
        `${path.join(dir, file.name)}: ${file.size} bytes recovery cut from ${file.logName || 'a log'} at byte ${file.position} (seglog dump shows them)`,
      )
    }
    for (const file of files.leftovers) this.note(`${path.join(dir, file.name)}: ${file.why}`)
    return extent
  }

  /**
   * Segments of one directory in base-offset order: each must start at or after the end of the one
   * before it, and right at it when that one holds batches (the offsets between would be lost). The
   * last segment of a directory is the active one; unless the directory was shut down cleanly its
   * time index lacks the closing entry, so that check is skipped for it. The first damage of the
   * partition is described as the engine's next open will treat it (segment-damage.ts).
   */
  private verifySegmentChain(
    dir: string,
    baseOffsets: readonly number[],
    options: { recoveryState: RecoveryState | null; requireIndexes: boolean; allBaseOffsets: readonly number[] },
  ): PartitionExtent | null {
    const { allBaseOffsets, recoveryState } = options
    const lastBase = allBaseOffsets[allBaseOffsets.length - 1]!
    let nextOffset: number | null = null
    let previous: { baseOffset: number; scan: SegmentScan } | null = null
    let isDamaged = false
    for (const baseOffset of baseOffsets) {
      const logFile = segmentPaths(dir, baseOffset).log
      const slot = allBaseOffsets.indexOf(baseOffset)
      if (nextOffset !== null && baseOffset < nextOffset) {
        this.problem(
          logFile,
          `${logFile}: base offset ${baseOffset} lies below the end of the segment before it (its last offset is ${nextOffset - 1})`,
        )
      } else if (previous !== null && allBaseOffsets[slot - 1] === previous.baseOffset) {
        const gap = describeOffsetGap(previous.scan, logFile, baseOffset)
        if (gap !== null) this.problem(logFile, gap)
      }
      const describeDamage = (damage: SegmentDamageAt): string =>
        isDamaged ? '' : describeDamageOutcome(recoveryState, allBaseOffsets, slot, damage)
      const scan = this.verifySegment(dir, baseOffset, {
        isClosed: baseOffset !== lastBase || recoveryState?.isClean === true,
        requireIndexes: options.requireIndexes,
        describeDamage,
      })
      if (scan?.firstDamage != null) isDamaged = true
      if (scan !== null) nextOffset = Math.max(nextOffset ?? 0, scan.lastOffset === null ? baseOffset : scan.lastOffset + 1)
      previous = scan === null ? null : { baseOffset, scan }
    }
    return nextOffset === null ? null : { firstBaseOffset: baseOffsets[0]!, logEndOffset: nextOffset }
  }

  private verifySegment(
    dir: string,
    baseOffset: number,
    options: { isClosed: boolean; requireIndexes: boolean; describeDamage: (damage: SegmentDamageAt) => string },
  ): SegmentScan | null {
    const paths = segmentPaths(dir, baseOffset)
    const offsetIndex = this.readIndex(paths.index, 'offset', baseOffset, options.requireIndexes)
    const timeIndex = this.readIndex(paths.timeIndex, 'time', baseOffset, options.requireIndexes)
    const probe = new IndexProbe(offsetIndex?.entries ?? [], timeIndex?.entries ?? [])
    let scan: SegmentScan
    try {
      scan = scanSegment(paths.log, {
        isVerifying: true,
        decodeRecords: this.isDeep,
        measureCompression: false,
        minOffset: baseOffset,
        baseOffset,
        probe,
        onProblem: (message) => this.problem(paths.log, message),
        describeDamage: options.describeDamage,
        onProgress: (position) => this.sink.onProgress(this.doneBytes + position),
      })
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      // Gone since the directory was listed: a running engine's retention deleted the segment.
      if (fileSizeOrNull(paths.log) === null && fs.existsSync(paths.log + DELETED_SUFFIX))
        this.note(`${paths.log}: deleted by the engine while being verified`)
      else this.problem(paths.log, describeOpenFailure(paths.log, error))
      return null
    }
    this.doneBytes += scan.fileSize
    this.segments++
    this.batches += scan.batches
    this.records += scan.records
    this.bytes += scan.fileSize
    const findings: Array<[string, string]> = []
    if (offsetIndex !== null)
      findings.push(
        ...checkOffsetIndex(offsetIndex, probe).map((finding): [string, string] => [
          paths.index,
          describeFinding(paths.index, 'offset', finding, probe),
        ]),
      )
    if (timeIndex !== null) {
      findings.push(
        ...checkTimeIndex(timeIndex, probe).map((finding): [string, string] => [
          paths.timeIndex,
          describeFinding(paths.timeIndex, 'time', finding, probe),
        ]),
      )
      // The segment's largest timestamp is only known when every byte of it was read.
      if (options.isClosed && scan.framingError === null && scan.trailingBytes === 0) {
        findings.push(
          ...checkClosingTimeEntry(timeIndex, scan.maxTimestamp).map((finding): [string, string] => [
            paths.timeIndex,
            describeFinding(paths.timeIndex, 'time', finding, probe),
          ]),
        )
      }
    }
    for (const [file, finding] of findings) this.problem(file, finding)
    return scan
  }

  /** An index file's entries, or null if it is missing (a problem, or a note for a lone file). */
  private readIndex<K extends IndexKind>(
    file: string,
    kind: K,
    baseOffset: number,
    isRequired: boolean,
  ): (K extends 'offset' ? DecodedIndex<OffsetIndexEntry> : DecodedIndex<TimeIndexEntry>) | null {
    let bytes: Buffer
    try {
      bytes = wrapIo('read', file, () => fs.readFileSync(file))
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      if (fileSizeOrNull(file) !== null) this.problem(file, describeOpenFailure(file, error))
      else if (isRequired) this.problem(file, `${file}: missing (the engine rebuilds it from the log on open)`)
      else this.note(`${file}: missing, so not checked`)
      return null
    }
    const decoded = kind === 'offset' ? decodeOffsetIndex(bytes, baseOffset) : decodeTimeIndex(bytes, baseOffset)
    return decoded as K extends 'offset' ? DecodedIndex<OffsetIndexEntry> : DecodedIndex<TimeIndexEntry>
  }

  private verifySnapshot(file: string): void {
    try {
      decodeProducerSnapshot(wrapIo('read', file, () => fs.readFileSync(file)))
    } catch (error) {
      if (error instanceof CorruptRecordError)
        return this.problem(
          file,
          `${error.inFile(file, 0).message}: the engine ignores this producer snapshot and rebuilds the state from the log`,
        )
      if (!(error instanceof SeglogError)) throw error
      // Removed meanwhile: the engine keeps only the newest snapshots.
      if (fileSizeOrNull(file) !== null) this.problem(file, describeOpenFailure(file, error))
    }
  }

  /**
   * Files named directly: `.log`, `.index` and `.timeindex` name their segment, which is verified
   * once with the segments named beside it (in offset order); `.snapshot` files are checked alone.
   * A missing index beside a named `.log` is a note: the file may have been copied on its own.
   */
  verifyFiles(files: readonly string[]): void {
    const segmentsByDir = new Map<string, Set<number>>()
    for (const file of files) {
      const name = path.basename(file)
      const parsed = parseOffsetFileName(name)
      if (name.endsWith(QUARANTINE_SUFFIX)) {
        this.note(`${file}: a quarantine file holds bytes recovery cut off; it is not verified (seglog dump shows it)`)
      } else if (parsed !== null && parsed.suffix === SNAPSHOT_SUFFIX) {
        if (fileSizeOrNull(file) === null) this.problem(file, `cannot read ${file}: no such file or directory`)
        else this.verifySnapshot(file)
      } else if (parsed !== null && [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].includes(parsed.suffix)) {
        const dir = path.dirname(file)
        if (
          fileSizeOrNull(path.join(dir, parsed.suffix === LOG_SUFFIX ? name : name.slice(0, -parsed.suffix.length) + LOG_SUFFIX)) === null
        ) {
          this.problem(
            file,
            `cannot read ${parsed.suffix === LOG_SUFFIX ? file : `${file}: its log ${name.slice(0, -parsed.suffix.length) + LOG_SUFFIX}`}: no such file or directory`,
          )
          continue
        }
        const bases = segmentsByDir.get(dir) ?? new Set()
        bases.add(parsed.offset)
        segmentsByDir.set(dir, bases)
      } else {
        this.problem(
          file,
          `${file}: seglog verify reads directories and .log, .index, .timeindex and .snapshot files named <20-digit offset>.<suffix>`,
        )
      }
    }
    for (const [dir, bases] of segmentsByDir) {
      const allBases = listDir(dir)
        .map((name) => parseOffsetFileName(name))
        .filter((parsed) => parsed?.suffix === LOG_SUFFIX)
        .map((parsed) => parsed!.offset)
        .sort((a, b) => a - b)
      this.verifySegmentChain(
        dir,
        [...bases].sort((a, b) => a - b),
        { recoveryState: recoveryStateOf(dir), requireIndexes: false, allBaseOffsets: allBases },
      )
    }
  }
}

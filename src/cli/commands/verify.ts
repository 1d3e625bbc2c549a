import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { checkpointKey, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../engine/checkpoint-file.js'
import type { RecoveryState } from '../../engine/segment-damage.js'
import { wrapIo } from '../../log/errors.js'
import { SNAPSHOT_SUFFIX } from '../../log/producer-state.js'
import { DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, parseOffsetFileName, QUARANTINE_SUFFIX, segmentPaths, TIME_INDEX_SUFFIX } from '../../log/segment-files.js'
import { CorruptRecordError } from '../../record/errors.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import {
  checkpointLine,
  classifyDir,
  describeDirArgument,
  describeNeitherKind,
  listDeletedTopicDirs,
  listDir,
  listPartitionFiles,
  listPartitions,
  readCheckpoint,
  readShutdownState,
  readTopicsFile,
  totalLogBytes,
  type CheckpointFile,
  type PartitionFiles,
} from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js'
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
} from '../../engine/inspect/index-check.js'
import { Output, type Progress } from '../output.js'
import { describeOffsetGap, fileSizeOrNull, scanSegment, type SegmentDamageAt, type SegmentScan } from '../../engine/inspect/segment-scan.js'
import { describeDamageOutcome, recoveryStateOf } from '../../engine/inspect/recovery-state.js'
import { describeOpenFailure } from './dump-log.js'
import { decodeProducerSnapshot } from '../../format/producer-snapshot.js'

/**
 * `seglog verify DIR|FILE...`: checks everything that can be checked without writing: every
 * batch's framing and CRC (with --deep every record), offsets ascending within and across the
 * segments of a partition, every index entry against its log (index-check.ts, the code behind
 * `seglog dump --verify-index-only` too), the checkpoints against the partitions, topics.json
 * against the partition directories, and producer snapshots. One line per problem on stderr, one
 * summary line on stdout. No lock is taken, so a directory a running engine owns can be verified.
 */

const OPTIONS = {
  deep: { type: 'boolean', description: 'also decode every record of every batch (decompresses; slower)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog verify [options] DIR|FILE...',
  description: [
    'Check seglog data read-only: a data directory, partition directories, or segment files (.log,',
    'and .index/.timeindex/.snapshot). Checks every batch\'s framing and CRC, that offsets ascend',
    'within and across segments, every offset- and time-index entry against the log, that the',
    'checkpoints point inside their partitions, and that topics.json matches the partition',
    'directories. With --deep every record is decoded too. Prints each problem on its own line',
    '(file and byte position) on stderr and one summary line on stdout. Takes no lock.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog verify data',
    'seglog verify --deep data/orders-0',
    'seglog verify data/orders-0/00000000000000000000.log',
  ],
  notes: [
    'Summary line: verified N segments, N batches, N records, N bytes: N problems',
    'Quarantine files and leftovers of interrupted operations are mentioned as notes (stderr),',
    'not counted as problems: they are not damage to the log. The first damage of a partition says',
    'what the engine\'s next open does: cut it (a torn write past the recovery point), or refuse',
    '(damage below the recovery point, or after a clean shutdown), which seglog repair resolves.',
    '',
    'Exit status: 0 everything checks; 1 problems were found (or an argument is missing or',
    'unreadable); 2 a usage error.',
  ].join('\n'),
})

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check every batch, index, checkpoint and topics.json of a data directory',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('verify', argv, OPTIONS)
    checkPositionals('verify', positionals, 'DIR|FILE', 1)
    const out = new Output()
    const progress = out.progress('verify', plannedBytes(positionals))
    const verifier = new Verifier(out, values.deep, progress)
    const files: string[] = []
    for (const target of positionals) {
      if (isFileArgument(target)) files.push(target)
      else verifier.verifyDirectory(target)
      await out.flush()
    }
    verifier.verifyFiles(files)
    progress.finish()
    const { segments, batches, records, bytes, problems } = verifier
    out.line(`verified ${segments} segments, ${batches} batches, ${records} records, ${bytes} bytes: ${problems} problems`)
    await out.flush()
    return problems === 0 ? EXIT_OK : EXIT_PROBLEMS
  },
}

function isFileArgument(target: string): boolean {
  try {
    return !fs.statSync(target).isDirectory()
  } catch {
    return /\.(log|index|timeindex|snapshot|quarantine)$/.test(target)
  }
}

function plannedBytes(targets: readonly string[]): number {
  let total = 0
  for (const target of targets) {
    try {
      if (isFileArgument(target)) total += target.endsWith(LOG_SUFFIX) ? fs.statSync(target).size : 0
      else total += totalLogBytes(target, classifyDir(target) ?? 'partition')
    } catch {
      // reported when verified
    }
  }
  return total
}

/** What a partition's segments span, for the checkpoint checks. */
interface PartitionExtent {
  firstBaseOffset: number
  logEndOffset: number
}

class Verifier {
  segments = 0
  batches = 0
  records = 0
  bytes = 0
  problems = 0
  private readonly out: Output
  private readonly isDeep: boolean
  private readonly progress: Progress
  private doneBytes = 0

  constructor(out: Output, isDeep: boolean, progress: Progress) {
    this.out = out
    this.isDeep = isDeep
    this.progress = progress
  }

  private problem(message: string): void {
    this.problems++
    this.out.problem(message)
  }

  private note(message: string): void {
    this.out.notice(`note: ${message}`)
  }

  verifyDirectory(dir: string): void {
    const unusable = describeDirArgument(dir)
    if (unusable !== null) return this.problem(unusable)
    const kind = classifyDir(dir)
    if (kind === 'data') return this.verifyDataDir(dir)
    if (kind === 'partition') {
      this.verifyPartitionDir(dir, recoveryStateOf(dir))
      return
    }
    this.problem(describeNeitherKind(dir))
  }

  private verifyDataDir(dir: string): void {
    const topicsFile = readTopicsFile(dir)
    if (topicsFile.error !== null) this.problem(topicsFile.error)
    const partitions = listPartitions(dir, topicsFile.topics)
    if (!topicsFile.exists && partitions.length > 0) {
      this.problem(`${topicsFile.file}: missing, but the directory holds partition directories (the engine ignores them without it)`)
    }
    const isClean = readShutdownState(dir).isClean
    const recoveryPoints = readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT).entries
    const extents = new Map<string, PartitionExtent | null>()
    for (const entry of partitions) {
      if (!entry.exists) {
        const topic = topicsFile.topics.find((candidate) => candidate.name === entry.topic)
        this.problem(`${entry.dir}: missing: topics.json gives topic '${entry.topic}' ${topic?.config.partitions ?? '?'} partitions`)
        continue
      }
      if (!entry.isKnown && topicsFile.error === null) {
        const topic = topicsFile.topics.find((candidate) => candidate.name === entry.topic)
        this.problem(topic === undefined
          ? `${entry.dir}: topics.json has no topic '${entry.topic}' (the engine leaves this directory alone)`
          : `${entry.dir}: topics.json gives topic '${entry.topic}' only ${topic.config.partitions} partitions (the engine leaves this directory alone)`)
      }
      const key = checkpointKey(entry.topic, entry.partition)
      extents.set(key, this.verifyPartitionDir(entry.dir, { isClean, recoveryPoint: recoveryPoints.get(key) ?? 0 }))
    }
    this.verifyCheckpoints(dir, extents, partitions.map((entry) => entry.name))
    for (const name of listDeletedTopicDirs(dir)) this.note(`${path.join(dir, name)}: an unfinished topic deletion (the engine finishes it on open)`)
  }

  private verifyCheckpoints(dir: string, extents: ReadonlyMap<string, PartitionExtent | null>, names: readonly string[]): void {
    const recoveryPoints = readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT)
    const logStarts = readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT)
    for (const checkpoint of [recoveryPoints, logStarts]) {
      if (checkpoint.error !== null) this.problem(checkpoint.error)
    }
    const known = new Set(names)
    this.forEachCheckpointEntry(recoveryPoints, known, extents, (offset, extent, where) => {
      if (offset > extent.logEndOffset) this.problem(`${where}: recovery point ${offset} is past the log end offset ${extent.logEndOffset}`)
    })
    this.forEachCheckpointEntry(logStarts, known, extents, (offset, extent, where) => {
      if (offset < extent.firstBaseOffset || offset > extent.logEndOffset) {
        this.problem(`${where}: log start offset ${offset} is outside the partition's offsets [${extent.firstBaseOffset}, ${extent.logEndOffset}] (first segment base, log end)`)
      }
    })
  }

  private forEachCheckpointEntry(
    checkpoint: CheckpointFile,
    known: ReadonlySet<string>,
    extents: ReadonlyMap<string, PartitionExtent | null>,
    check: (offset: number, extent: PartitionExtent, where: string) => void,
  ): void {
    for (const [key, offset] of checkpoint.entries) {
      const where = `${checkpoint.file} line ${checkpointLine(checkpoint, key)} (${key})`
      const [topic, partition] = key.split(' ')
      if (!known.has(`${topic}-${partition}`)) {
        this.problem(`${where}: names a partition that has no directory`)
        continue
      }
      const extent = extents.get(key)
      if (extent !== undefined && extent !== null) check(offset, extent, where)
    }
  }

  /** Verifies a partition's segments in order, and its snapshots; returns what the segments span. */
  private verifyPartitionDir(dir: string, recoveryState: RecoveryState | null): PartitionExtent | null {
    let files: PartitionFiles
    try {
      files = listPartitionFiles(dir)
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      this.problem(describeOpenFailure(dir, error))
      return null
    }
    if (files.segments.length === 0) {
      this.problem(`${dir}: no segment (.log) files`)
      return null
    }
    const extent = this.verifySegmentChain(dir, files.segments, { recoveryState, requireIndexes: true, allBaseOffsets: files.segments })
    for (const snapshot of files.snapshots) this.verifySnapshot(path.join(dir, snapshot.name))
    for (const file of files.quarantine) {
      this.note(`${path.join(dir, file.name)}: ${file.size} bytes recovery cut from ${file.logName || 'a log'} at byte ${file.position} (seglog dump shows them)`)
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
  private verifySegmentChain(dir: string, baseOffsets: readonly number[], options: { recoveryState: RecoveryState | null; requireIndexes: boolean; allBaseOffsets: readonly number[] }): PartitionExtent | null {
    const { allBaseOffsets, recoveryState } = options
    const lastBase = allBaseOffsets[allBaseOffsets.length - 1]!
    let nextOffset: number | null = null
    let previous: { baseOffset: number; scan: SegmentScan } | null = null
    let isDamaged = false
    for (const baseOffset of baseOffsets) {
      const logFile = segmentPaths(dir, baseOffset).log
      const slot = allBaseOffsets.indexOf(baseOffset)
      if (nextOffset !== null && baseOffset < nextOffset) {
        this.problem(`${logFile}: base offset ${baseOffset} lies below the end of the segment before it (its last offset is ${nextOffset - 1})`)
      } else if (previous !== null && allBaseOffsets[slot - 1] === previous.baseOffset) {
        const gap = describeOffsetGap(previous.scan, logFile, baseOffset)
        if (gap !== null) this.problem(gap)
      }
      const describeDamage = (damage: SegmentDamageAt): string => (isDamaged ? '' : describeDamageOutcome(recoveryState, allBaseOffsets, slot, damage))
      const scan = this.verifySegment(dir, baseOffset, { isClosed: baseOffset !== lastBase || recoveryState?.isClean === true, requireIndexes: options.requireIndexes, describeDamage })
      if (scan?.firstDamage != null) isDamaged = true
      if (scan !== null) nextOffset = Math.max(nextOffset ?? 0, scan.lastOffset === null ? baseOffset : scan.lastOffset + 1)
      previous = scan === null ? null : { baseOffset, scan }
    }
    return nextOffset === null ? null : { firstBaseOffset: baseOffsets[0]!, logEndOffset: nextOffset }
  }

  private verifySegment(dir: string, baseOffset: number, options: { isClosed: boolean; requireIndexes: boolean; describeDamage: (damage: SegmentDamageAt) => string }): SegmentScan | null {
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
        onProblem: (message) => this.problem(message),
        describeDamage: options.describeDamage,
        onProgress: (position) => this.progress.update(this.doneBytes + position),
      })
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      // Gone since the directory was listed: a running engine's retention deleted the segment.
      if (fileSizeOrNull(paths.log) === null && fs.existsSync(paths.log + DELETED_SUFFIX)) this.note(`${paths.log}: deleted by the engine while being verified`)
      else this.problem(describeOpenFailure(paths.log, error))
      return null
    }
    this.doneBytes += scan.fileSize
    this.segments++
    this.batches += scan.batches
    this.records += scan.records
    this.bytes += scan.fileSize
    const findings: string[] = []
    if (offsetIndex !== null) findings.push(...checkOffsetIndex(offsetIndex, probe).map((finding) => describeFinding(paths.index, 'offset', finding, probe)))
    if (timeIndex !== null) {
      findings.push(...checkTimeIndex(timeIndex, probe).map((finding) => describeFinding(paths.timeIndex, 'time', finding, probe)))
      // The segment's largest timestamp is only known when every byte of it was read.
      if (options.isClosed && scan.framingError === null && scan.trailingBytes === 0) {
        findings.push(...checkClosingTimeEntry(timeIndex, scan.maxTimestamp).map((finding) => describeFinding(paths.timeIndex, 'time', finding, probe)))
      }
    }
    for (const finding of findings) this.problem(finding)
    return scan
  }

  /** An index file's entries, or null if it is missing (a problem, or a note for a lone file). */
  private readIndex<K extends IndexKind>(file: string, kind: K, baseOffset: number, isRequired: boolean): (K extends 'offset' ? DecodedIndex<OffsetIndexEntry> : DecodedIndex<TimeIndexEntry>) | null {
    let bytes: Buffer
    try {
      bytes = wrapIo('read', file, () => fs.readFileSync(file))
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      if (fileSizeOrNull(file) !== null) this.problem(describeOpenFailure(file, error))
      else if (isRequired) this.problem(`${file}: missing (the engine rebuilds it from the log on open)`)
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
      if (error instanceof CorruptRecordError) return this.problem(`${error.inFile(file, 0).message}: the engine ignores this producer snapshot and rebuilds the state from the log`)
      if (!(error instanceof SeglogError)) throw error
      // Removed meanwhile: the engine keeps only the newest snapshots.
      if (fileSizeOrNull(file) !== null) this.problem(describeOpenFailure(file, error))
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
        if (fileSizeOrNull(file) === null) this.problem(`cannot read ${file}: no such file or directory`)
        else this.verifySnapshot(file)
      } else if (parsed !== null && [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].includes(parsed.suffix)) {
        const dir = path.dirname(file)
        if (fileSizeOrNull(path.join(dir, parsed.suffix === LOG_SUFFIX ? name : name.slice(0, -parsed.suffix.length) + LOG_SUFFIX)) === null) {
          this.problem(`cannot read ${parsed.suffix === LOG_SUFFIX ? file : `${file}: its log ${name.slice(0, -parsed.suffix.length) + LOG_SUFFIX}`}: no such file or directory`)
          continue
        }
        const bases = segmentsByDir.get(dir) ?? new Set()
        bases.add(parsed.offset)
        segmentsByDir.set(dir, bases)
      } else {
        this.problem(`${file}: seglog verify reads directories and .log, .index, .timeindex and .snapshot files named <20-digit offset>.<suffix>`)
      }
    }
    for (const [dir, bases] of segmentsByDir) {
      const allBases = listDir(dir).map((name) => parseOffsetFileName(name)).filter((parsed) => parsed?.suffix === LOG_SUFFIX).map((parsed) => parsed!.offset).sort((a, b) => a - b)
      this.verifySegmentChain(dir, [...bases].sort((a, b) => a - b), { recoveryState: recoveryStateOf(dir), requireIndexes: false, allBaseOffsets: allBases })
    }
  }
}

import fs from 'node:fs'
import path from 'node:path'
import { OFFSETS_TOPIC } from '../../consumer/offset-store.js'
import { SeglogError } from '../../errors.js'
import { checkpointKey, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../engine/checkpoint-file.js'
import { parsePartitionDirName } from '../../engine/topic-config.js'
import {
  countEntries,
  OFFSET_ENTRY_SIZE,
  readTimeEntryRelativeOffset,
  readTimeEntryTimestamp,
  TIME_ENTRY_SIZE,
} from '../../format/index-entry.js'
import { segmentPaths } from '../../log/segment-files.js'
import type { RecordBatch } from '../../record/record-batch.js'
import {
  classifyDirOrNull,
  listDeletedTopicDirs,
  listDir,
  listPartitionFiles,
  listPartitions,
  readCheckpoint,
  readLockState,
  readShutdownState,
  readTopicsFile,
  type CheckpointFile,
  type LockState,
  type ShutdownState,
} from './data-dir.js'
import { describeOpenFailure } from './open-failure.js'
import { OffsetsReplay, type GroupCommit } from './offsets-replay.js'
import { fileSizeOrNull, scanSegment, type CodecFigures, type SegmentScan } from './segment-scan.js'
import { DELAY_INDEX_DIR } from '../delay/delay-records.js'
import { scanDueIndex } from '../delay/due-index.js'

import type {
  CheckpointReport,
  CodecReport,
  DataDirReport,
  GroupReport,
  InspectOptions,
  PartitionDirReport,
  PartitionReport,
  SegmentReport,
} from './report-types.js'
export type {
  CheckpointReport,
  CodecReport,
  DataDirReport,
  GroupReport,
  InspectOptions,
  PartitionDirReport,
  PartitionReport,
  SegmentReport,
  TopicReport,
} from './report-types.js'

export function inspectDataDir(dir: string, options: InspectOptions): DataDirReport {
  const topicsFile = readTopicsFile(dir)
  if (topicsFile.error !== null) options.onProblem(topicsFile.error)
  const recoveryPoints = readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT)
  const logStarts = readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT)
  for (const checkpoint of [recoveryPoints, logStarts]) if (checkpoint.error !== null) options.onProblem(checkpoint.error)
  // The offsets log is replayed from the same scan that sums up its segments.
  const replay = new OffsetsReplay(logStarts.entries.get(checkpointKey(OFFSETS_TOPIC, 0)) ?? 0, options.onProblem)
  const partitions = listPartitions(path.resolve(dir), topicsFile.topics).map((entry) => {
    const key = checkpointKey(entry.topic, entry.partition)
    const checkpoint = { recoveryPoint: recoveryPoints.entries.get(key) ?? null, logStartOffset: logStarts.entries.get(key) ?? null }
    const isOffsetsLog = entry.topic === OFFSETS_TOPIC && entry.partition === 0
    return inspectPartition(entry, checkpoint, options, isOffsetsLog ? replay.applyBatch.bind(replay) : undefined)
  })
  const leftovers = [
    ...listDeletedTopicDirs(dir).map((name) => ({ file: name, why: 'an unfinished topic deletion (the engine finishes it on open)' })),
    ...listDir(dir)
      .filter((name) => name.endsWith('.tmp'))
      .map((name) => ({ file: name, why: 'an unfinished atomic write (a crash mid-write, or one under way)' })),
  ]
  return {
    type: 'data-dir',
    dir: path.resolve(dir),
    shutdown: shutdownJson(readShutdownState(dir)),
    lock: lockJson(readLockState(dir)),
    topicsFile: { exists: topicsFile.exists, error: topicsFile.error },
    topics: topicsFile.topics.map(({ name, config }) => {
      const { partitions, flush, ...settings } = config
      return { name, partitions, settings, flush: flush ?? null }
    }),
    checkpoints: { recoveryPoint: checkpointJson(recoveryPoints), logStart: checkpointJson(logStarts) },
    partitions,
    groups: groupReports(replay.commitsInOrder(), partitions),
    delayed: delayedReport(dir),
    leftovers,
    totals: {
      partitions: partitions.length,
      segments: sum(partitions, (partition) => partition.segments),
      batches: sum(partitions, (partition) => partition.batches),
      records: sum(partitions, (partition) => partition.records),
      bytes: sum(partitions, (partition) => partition.bytes),
    },
  }
}

/** One partition directory on its own; the checkpoints come from the data directory around it, if any. */
export function inspectPartitionDir(dir: string, options: InspectOptions): PartitionDirReport {
  const absolute = path.resolve(dir)
  const name = path.basename(absolute)
  const parent = path.dirname(absolute)
  const parsed = parsePartitionDirName(name)
  const topic = parsed?.topic ?? name
  const partitionNumber = parsed?.partition ?? -1
  let dataDir: string | null = null
  let isKnown = false
  let checkpoint: PartitionReport['checkpoint'] = { recoveryPoint: null, logStartOffset: null }
  if (parsed !== null && classifyDirOrNull(parent) === 'data') {
    dataDir = parent
    isKnown = readTopicsFile(parent).topics.some((entry) => entry.name === topic && partitionNumber < entry.config.partitions)
    const key = checkpointKey(topic, partitionNumber)
    checkpoint = {
      recoveryPoint: readCheckpoint(parent, RECOVERY_POINT_CHECKPOINT).entries.get(key) ?? null,
      logStartOffset: readCheckpoint(parent, LOG_START_OFFSET_CHECKPOINT).entries.get(key) ?? null,
    }
  }
  const entry = { name, topic, partition: partitionNumber, dir: absolute, exists: true, isKnown }
  return { type: 'partition-dir', dir: absolute, dataDir, partition: inspectPartition(entry, checkpoint, options) }
}

/** Receives every whole batch of a partition's segments, in file order. */
type BatchSink = (file: string, batch: RecordBatch, position: number) => void

function inspectPartition(
  entry: { name: string; topic: string; partition: number; dir: string; exists: boolean; isKnown: boolean },
  checkpoint: PartitionReport['checkpoint'],
  options: InspectOptions,
  onBatch?: BatchSink,
): PartitionReport {
  const report: PartitionReport = {
    ...entry,
    segments: 0,
    logStartOffset: null,
    logEndOffset: null,
    checkpoint,
    records: 0,
    batches: 0,
    bytes: 0,
    firstTimestamp: null,
    maxTimestamp: null,
    compression: {},
    indexEntries: { offset: 0, time: 0 },
    quarantine: [],
    leftovers: [],
    snapshots: [],
    segmentList: [],
  }
  if (!entry.exists) return report
  const files = listPartitionFiles(entry.dir)
  report.quarantine = files.quarantine.map((file) => ({
    file: file.name,
    bytes: file.size,
    cutFrom: file.logName,
    position: file.position,
  }))
  report.leftovers = files.leftovers.map((file) => ({ file: file.name, bytes: file.size, why: file.why }))
  report.snapshots = files.snapshots.map((file) => ({ file: file.name, offset: file.offset, bytes: file.size }))
  const codecs = new Map<string, CodecFigures>()
  for (const baseOffset of files.segments) {
    const segment = inspectSegment(entry.dir, baseOffset, codecs, options, onBatch)
    if (segment === null) continue
    report.segmentList.push(segment)
    report.segments++
    report.records += segment.records
    report.batches += segment.batches
    report.bytes += segment.bytes
    report.indexEntries.offset += segment.indexEntries.offset
    report.indexEntries.time += segment.indexEntries.time
    report.firstTimestamp = minOrNull(report.firstTimestamp, segment.firstTimestamp)
    report.maxTimestamp = maxOrNull(report.maxTimestamp, segment.maxTimestamp)
  }
  report.compression = codecReports(codecs, options.isDeep)
  const first = report.segmentList[0]
  const last = report.segmentList[report.segmentList.length - 1]
  if (first !== undefined && last !== undefined) {
    report.logEndOffset = last.lastOffset === null ? last.baseOffset : last.lastOffset + 1
    // As the engine computes it: the checkpoint, but never below the first segment or past the end.
    report.logStartOffset = Math.min(Math.max(checkpoint.logStartOffset ?? 0, first.baseOffset), report.logEndOffset)
  }
  return report
}

function inspectSegment(
  dir: string,
  baseOffset: number,
  partitionCodecs: Map<string, CodecFigures>,
  options: InspectOptions,
  onBatch?: BatchSink,
): SegmentReport | null {
  const paths = segmentPaths(dir, baseOffset)
  let scan: SegmentScan
  try {
    scan = scanSegment(paths.log, {
      isVerifying: false,
      decodeRecords: false,
      measureCompression: options.isDeep,
      minOffset: baseOffset,
      baseOffset,
      onProblem: options.onProblem,
      ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
      ...(onBatch !== undefined && { onBatch: (batch: RecordBatch, position: number) => onBatch(paths.log, batch, position) }),
    })
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    // Gone since the directory was listed: a running engine deleted the segment.
    if (fileSizeOrNull(paths.log) === null) return null
    options.onProblem(describeOpenFailure(paths.log, error))
    return null
  }
  for (const [name, figures] of scan.codecs) addCodec(partitionCodecs, name, figures)
  const indexSize = fileSizeOrNull(paths.index)
  const timeIndexSize = fileSizeOrNull(paths.timeIndex)
  return {
    file: path.basename(paths.log),
    baseOffset,
    bytes: scan.fileSize,
    batches: scan.batches,
    records: scan.records,
    firstOffset: scan.firstOffset,
    lastOffset: scan.lastOffset,
    firstTimestamp: scan.minTimestamp,
    maxTimestamp: scan.maxTimestamp < 0 ? null : scan.maxTimestamp,
    compression: codecReports(scan.codecs, options.isDeep),
    indexEntries: {
      offset: countEntries(indexSize ?? 0, OFFSET_ENTRY_SIZE).count,
      time: countEntries(timeIndexSize ?? 0, TIME_ENTRY_SIZE).count,
    },
    timeIndexLastEntry: lastTimeEntry(paths.timeIndex, baseOffset),
    missingFiles: [
      indexSize === null ? path.basename(paths.index) : null,
      timeIndexSize === null ? path.basename(paths.timeIndex) : null,
    ].filter((name) => name !== null),
    trailingBytes: scan.trailingBytes,
    readError: scan.framingError?.message ?? null,
  }
}

/** Each commit against its partition's log end; lag as OffsetStore.describeGroup counts it. */
function groupReports(commits: readonly GroupCommit[], partitions: readonly PartitionReport[]): GroupReport[] {
  const byName = new Map(partitions.map((partition) => [`${partition.topic}-${partition.partition}`, partition]))
  return commits.map((commit) => {
    const partition = byName.get(`${commit.topic}-${commit.partition}`)
    const logEndOffset = partition?.logEndOffset ?? null
    const logStartOffset = partition?.logStartOffset ?? 0
    return {
      group: commit.group,
      topic: commit.topic,
      partition: commit.partition,
      committedOffset: commit.offset,
      logEndOffset,
      lag: logEndOffset === null ? null : Math.max(0, logEndOffset - Math.max(commit.offset, logStartOffset)),
      metadata: commit.metadata,
      commitTimestamp: commit.commitTimestamp,
    }
  })
}

/** The last whole entry of a time index, read from its last TIME_ENTRY_SIZE bytes (a lazy TimeIndex would read all). */
function lastTimeEntry(file: string, baseOffset: number): { timestamp: number; offset: number } | null {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch {
    return null
  }
  try {
    const size = fs.fstatSync(fd).size
    const { count } = countEntries(size, TIME_ENTRY_SIZE)
    if (count === 0) return null
    const entry = Buffer.alloc(TIME_ENTRY_SIZE)
    fs.readSync(fd, entry, 0, entry.length, (count - 1) * TIME_ENTRY_SIZE)
    return { timestamp: readTimeEntryTimestamp(entry, 0), offset: baseOffset + readTimeEntryRelativeOffset(entry, 0) }
  } finally {
    fs.closeSync(fd)
  }
}

function addCodec(codecs: Map<string, CodecFigures>, name: string, figures: CodecFigures): void {
  const total = codecs.get(name) ?? { batches: 0, records: 0, bytes: 0, storedRecordsBytes: 0, decodedRecordsBytes: 0 }
  total.batches += figures.batches
  total.records += figures.records
  total.bytes += figures.bytes
  total.storedRecordsBytes += figures.storedRecordsBytes
  total.decodedRecordsBytes += figures.decodedRecordsBytes
  codecs.set(name, total)
}

function codecReports(codecs: ReadonlyMap<string, CodecFigures>, isDeep: boolean): Record<string, CodecReport> {
  const reports: Record<string, CodecReport> = {}
  const ordered = [...codecs].sort(([, a], [, b]) => b.batches - a.batches)
  for (const [name, figures] of ordered) {
    const ratio = isDeep && figures.storedRecordsBytes > 0 ? figures.decodedRecordsBytes / figures.storedRecordsBytes : null
    reports[name] = {
      batches: figures.batches,
      records: figures.records,
      bytes: figures.bytes,
      ratio: ratio === null ? null : Math.round(ratio * 100) / 100,
    }
  }
  return reports
}

function shutdownJson(state: ShutdownState): DataDirReport['shutdown'] {
  return { isClean: state.isClean, closedAt: state.closedAtMs }
}

function lockJson(state: LockState): DataDirReport['lock'] {
  return { hasLockFile: state.hasLockFile, heldByPid: state.holderPid === undefined ? 'unknown' : state.holderPid }
}

function checkpointJson(checkpoint: CheckpointFile): CheckpointReport {
  return {
    file: path.basename(checkpoint.file),
    exists: checkpoint.exists,
    error: checkpoint.error,
    entries: Object.fromEntries(checkpoint.entries),
  }
}

function sum<T>(items: readonly T[], figure: (item: T) => number): number {
  let total = 0
  for (const item of items) total += figure(item)
  return total
}

function minOrNull(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b)
}

function maxOrNull(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b)
}

/** Pending delayed records from the due-time index (read one bucket file at a time). */
function delayedReport(dir: string): DataDirReport['delayed'] {
  const indexDir = path.join(dir, DELAY_INDEX_DIR)
  if (!fs.existsSync(indexDir)) return null
  const { pending, earliestDueMs } = scanDueIndex(indexDir)
  return { pending, earliestDueMs }
}

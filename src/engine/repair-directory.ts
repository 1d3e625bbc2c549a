import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError } from '../errors.js'
import { wrapIo } from '../log/errors.js'
import { fsyncDirSync } from '../log/file-io.js'
import { LOG_SUFFIX, parseOffsetFileName, quarantineFileName, segmentPaths } from '../log/segment-files.js'
import { Segment } from '../log/segment.js'
import type { CorruptReason } from '../record/errors.js'
import {
  checkpointKey,
  LOG_START_OFFSET_CHECKPOINT,
  readCheckpointFile,
  RECOVERY_POINT_CHECKPOINT,
  writeCheckpointFile,
} from './checkpoint-file.js'
import { DirLock } from './dir-lock.js'
import { CLEAN_SHUTDOWN_FILE } from './log-engine.js'
import { readTopicsText, TOPICS_FILE } from './topics-file.js'
import { parseTopicsJson } from '../format/topics-file.js'
import { damageOutcome, findSegmentDamage, framedEndOffset, type DamageOutcome, type RecoveryState } from './segment-damage.js'
import { resolveTopicConfig, type TopicConfig } from './topic-config.js'

/**
 * The way out when the engine refuses to open a directory because durable data went bad:
 * `repairDirectory` (and `seglog repair`) does by hand what recovery does for a torn tail, for the
 * damage recovery will not touch (see segment-damage.ts for the rule). For each partition whose
 * first damage lies below the recovery point, or anywhere after a clean shutdown, it moves the
 * bytes from the first bad batch to the end of that segment, and every later segment of the
 * partition, into quarantine files named as recovery names them; cuts the segment at its last valid
 * batch and rebuilds its indexes; lowers the partition's recovery point (and log start, if above)
 * in the checkpoints to the new log end; and fsyncs. Nothing is deleted but derived files: the
 * indexes of the segments moved whole. Damage recovery cuts by itself is left to it.
 *
 * It holds the directory's lock throughout, so it refuses (LogLockedError) while an engine owns
 * the directory, and the plan it reports is the one it carries out.
 */

export interface RepairOptions {
  /** Only this topic's partitions (default: every partition of topics.json). */
  topic?: string
  /** Only this partition of `topic`. */
  partition?: number
  /** Report what would be done; change nothing. */
  dryRun?: boolean
  /**
   * Called with the plan (applied: false) while the lock is held, before anything changes, when
   * there is something to repair. Resolving to false leaves everything as it is.
   */
  confirm?: (plan: RepairReport) => boolean | Promise<boolean>
}

/** Bytes moved out of a log into a quarantine file. */
export interface QuarantineMove {
  /** The log file the bytes came from. */
  file: string
  /** Their position in it (0 for a whole segment). */
  position: number
  bytes: number
  /** Where they are kept; in a plan, the name they will get. */
  quarantineFile: string
  isWholeSegment: boolean
  /** The offsets their batch headers show, [firstOffset, endOffset) (endOffset = firstOffset if none can be framed). */
  firstOffset: number
  endOffset: number
}

export interface PartitionRepair {
  topic: string
  partition: number
  dir: string
  /** The first damage: `position` is the start of the batch where the log is cut. */
  damage: { file: string; position: number; reason: CorruptReason; detail: string; message: string }
  /** Why the engine does not cut it itself. */
  cause: Exclude<DamageOutcome, 'recovery-cuts'>
  /** The checkpointed recovery point before the repair. */
  recoveryPoint: number
  /** The log end offset after the repair: the offset after the last valid batch. */
  newLogEndOffset: number
  /** Offsets no longer in the log, [from, to): `to` is the highest end known (headers, recovery point). */
  offsetsLost: { from: number; to: number }
  quarantined: QuarantineMove[]
}

/** Damage that recovery cuts by itself on the next open (a torn write past the recovery point). */
export interface RecoveryCut {
  topic: string
  partition: number
  file: string
  position: number
  bytes: number
  reason: CorruptReason
}

export interface RepairReport {
  dir: string
  dryRun: boolean
  /** The repairs were carried out (false for a dry run, a declined confirmation or nothing to do). */
  applied: boolean
  partitionsChecked: number
  repairs: PartitionRepair[]
  /** Left alone: the engine's recovery cuts these itself. */
  recoveryCuts: RecoveryCut[]
}

interface PartitionTarget {
  topic: string
  partition: number
  config: TopicConfig
}

export async function repairDirectory(dir: string, options: RepairOptions = {}): Promise<RepairReport> {
  const dataDir = path.resolve(checkDir(dir))
  const targets = selectPartitions(readTopicConfigs(dataDir), options)
  const lock = DirLock.acquire(dataDir)
  try {
    const state = readDirectoryState(dataDir)
    const report: RepairReport = {
      dir: dataDir,
      dryRun: options.dryRun === true,
      applied: false,
      partitionsChecked: 0,
      repairs: [],
      recoveryCuts: [],
    }
    for (const target of targets) {
      const partitionDir = path.join(dataDir, `${target.topic}-${target.partition}`)
      if (!isDirectory(partitionDir)) continue
      report.partitionsChecked++
      const recoveryState = {
        isClean: state.isClean,
        recoveryPoint: state.recoveryPoints.get(checkpointKey(target.topic, target.partition)) ?? 0,
      }
      planPartition(partitionDir, target, recoveryState, report)
    }
    if (report.repairs.length === 0 || report.dryRun) return report
    if (options.confirm !== undefined && !(await options.confirm(report))) return report
    for (const repair of report.repairs)
      applyRepair(repair, targets.find((target) => target.topic === repair.topic && target.partition === repair.partition)!.config)
    lowerCheckpoints(dataDir, state, report.repairs)
    report.applied = true
    return report
  } finally {
    lock.release()
  }
}

function checkDir(dir: string): string {
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidArgumentError('repairDirectory needs a directory')
  const stats = wrapIo('stat', dir, () => fs.statSync(dir))
  if (!stats.isDirectory()) throw new InvalidArgumentError(`${dir} is not a directory`)
  return dir
}

/** topics.json as the engine reads it: the partitions it opens and the settings of their segments. */
function readTopicConfigs(dir: string): Map<string, TopicConfig> {
  const text = readTopicsText(dir)
  if (text === null) throw new InvalidArgumentError(`${dir} has no ${TOPICS_FILE}: it is not a seglog data directory`)
  const topics = new Map<string, TopicConfig>()
  for (const [name, config] of Object.entries(parseTopicsJson(text, path.join(dir, TOPICS_FILE))))
    topics.set(name, resolveTopicConfig(config as Partial<TopicConfig>))
  return topics
}

function selectPartitions(topics: ReadonlyMap<string, TopicConfig>, options: RepairOptions): PartitionTarget[] {
  const { topic, partition } = options
  if (partition !== undefined) {
    if (topic === undefined) throw new InvalidArgumentError('a partition can only be named together with its topic')
    if (!Number.isSafeInteger(partition) || partition < 0)
      throw new InvalidArgumentError(`partition must be a non-negative integer, got ${partition}`)
  }
  if (topic !== undefined && !topics.has(topic))
    throw new InvalidArgumentError(`unknown topic '${topic}' (topics.json has ${[...topics.keys()].join(', ') || 'none'})`)
  const targets: PartitionTarget[] = []
  for (const [name, config] of topics) {
    if (topic !== undefined && name !== topic) continue
    if (partition !== undefined && partition >= config.partitions)
      throw new InvalidArgumentError(`topic '${name}' has partitions 0..${config.partitions - 1}; there is no partition ${partition}`)
    for (let slot = 0; slot < config.partitions; slot++) {
      if (partition === undefined || slot === partition) targets.push({ topic: name, partition: slot, config })
    }
  }
  return targets
}

interface DirectoryState {
  isClean: boolean
  recoveryPoints: Map<string, number>
  logStartOffsets: Map<string, number>
}

function readDirectoryState(dir: string): DirectoryState {
  return {
    isClean: fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE)),
    recoveryPoints: readCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT)),
    logStartOffsets: readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)),
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory()
  } catch {
    return false
  }
}

function listBaseOffsets(dir: string): number[] {
  const offsets: number[] = []
  for (const name of wrapIo('list', dir, () => fs.readdirSync(dir))) {
    const parsed = parseOffsetFileName(name)
    if (parsed !== null && parsed.suffix === LOG_SUFFIX) offsets.push(parsed.offset)
  }
  return offsets.sort((a, b) => a - b)
}

/** Finds the partition's first damage and, unless recovery cuts it, adds the repair to `report`. */
function planPartition(dir: string, target: PartitionTarget, state: RecoveryState, report: RepairReport): void {
  const baseOffsets = listBaseOffsets(dir)
  for (const [slot, baseOffset] of baseOffsets.entries()) {
    const damage = findSegmentDamage(segmentPaths(dir, baseOffset).log, baseOffset)
    if (damage === null) continue
    const outcome = damageOutcome(state, baseOffsets, slot, damage.nextOffset)
    if (outcome === 'recovery-cuts') {
      report.recoveryCuts.push({
        topic: target.topic,
        partition: target.partition,
        file: damage.file,
        position: damage.validBytes,
        bytes: damage.fileSize - damage.validBytes,
        reason: damage.error.reason,
      })
      return
    }
    const names = new Set<string>()
    const cut: QuarantineMove = {
      file: damage.file,
      position: damage.validBytes,
      bytes: damage.fileSize - damage.validBytes,
      quarantineFile: freeName(quarantineFileName(damage.file, damage.validBytes), names),
      isWholeSegment: false,
      firstOffset: damage.nextOffset,
      endOffset: framedEndOffset(damage.file, damage.validBytes, damage.nextOffset),
    }
    const later = baseOffsets.slice(slot + 1).map((laterBase): QuarantineMove => {
      const file = segmentPaths(dir, laterBase).log
      return {
        file,
        position: 0,
        bytes: wrapIo('stat', file, () => fs.statSync(file).size),
        quarantineFile: freeName(quarantineFileName(file, 0), names),
        isWholeSegment: true,
        firstOffset: laterBase,
        endOffset: framedEndOffset(file, 0, laterBase),
      }
    })
    const quarantined = [cut, ...later]
    const lostTo = Math.max(state.recoveryPoint, ...quarantined.map((move) => move.endOffset))
    report.repairs.push({
      topic: target.topic,
      partition: target.partition,
      dir,
      damage: {
        file: damage.file,
        position: damage.validBytes,
        reason: damage.error.reason,
        detail: damage.error.detail,
        message: damage.error.message,
      },
      cause: outcome,
      recoveryPoint: state.recoveryPoint,
      newLogEndOffset: damage.nextOffset,
      offsetsLost: { from: damage.nextOffset, to: lostTo },
      quarantined,
    })
    return
  }
}

/**
 * The name recovery would give (segment.ts uniqueFile): `name`, or `-1`, `-2`, … before the suffix
 * when a file of that name exists (an earlier recovery) or is already planned.
 */
function freeName(name: string, planned: Set<string>): string {
  const dot = name.lastIndexOf('.')
  let candidate = name
  for (let attempt = 1; fs.existsSync(candidate) || planned.has(candidate); attempt++)
    candidate = `${name.slice(0, dot)}-${attempt}${name.slice(dot)}`
  planned.add(candidate)
  return candidate
}

/**
 * Later segments go first, the damaged segment's tail last: a crash part way leaves the damage in
 * place (now at the end), so running the repair again finishes the job.
 */
function applyRepair(repair: PartitionRepair, config: TopicConfig): void {
  const [cut, ...later] = repair.quarantined
  for (const move of [...later].reverse()) {
    const baseOffset = parseOffsetFileName(path.basename(move.file))!.offset
    move.quarantineFile = Segment.open(repair.dir, baseOffset, config).quarantineWhole()
  }
  fsyncDirSync(repair.dir)
  const segment = Segment.open(repair.dir, parseOffsetFileName(path.basename(cut!.file))!.offset, config)
  try {
    // The engine's own recovery scan: it rebuilds both indexes and finds where to cut.
    const result = segment.recover()
    assert.equal(result.validBytes, cut!.position, `recovery must cut ${cut!.file} where the read-only scan found the damage`)
    const quarantineFile = segment.cutTail({ quarantine: true })
    assert(quarantineFile !== null, 'a damaged segment has bytes to quarantine')
    cut!.quarantineFile = quarantineFile
    segment.offsetIndex.sync()
    segment.timeIndex.sync()
  } finally {
    segment.close()
  }
  fsyncDirSync(repair.dir)
}

/** The recovery point (and a log start above it) of each repaired partition moves down to its new log end. */
function lowerCheckpoints(dir: string, state: DirectoryState, repairs: readonly PartitionRepair[]): void {
  let isLogStartChanged = false
  let isRecoveryPointChanged = false
  for (const repair of repairs) {
    const key = checkpointKey(repair.topic, repair.partition)
    const end = repair.newLogEndOffset
    if ((state.recoveryPoints.get(key) ?? 0) > end) {
      state.recoveryPoints.set(key, end)
      isRecoveryPointChanged = true
    }
    if ((state.logStartOffsets.get(key) ?? 0) > end) {
      state.logStartOffsets.set(key, end)
      isLogStartChanged = true
    }
  }
  if (isRecoveryPointChanged) writeCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT), state.recoveryPoints)
  if (isLogStartChanged) writeCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT), state.logStartOffsets)
}

import fs from 'node:fs'
import path from 'node:path'
import { CorruptMetadataError, SeglogError } from '../../errors.js'
import { parseCheckpoint } from '../../engine/checkpoint-file.js'
import { CLEAN_SHUTDOWN_FILE } from '../../engine/log-engine.js'
import { readTopicsText } from '../../engine/topics-file.js'
import { checkpointEntryLine } from '../../format/checkpoint.js'
import { parseTopicsJson, TOPICS_FILE, type StoredTopics } from '../../format/topics-file.js'
import type { DirKind } from './dir-kind.js'
import { parsePartitionDirName, resolveTopicConfig, type TopicConfig } from '../../engine/topic-config.js'
import { IoError, wrapIo } from '../../log/errors.js'
import { parseQuarantineName } from './file-names.js'
import { SNAPSHOT_SUFFIX } from '../../log/producer-state.js'
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseOffsetFileName,
  QUARANTINE_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
} from '../../log/segment-files.js'

/**
 * Reads the layout of a seglog data directory without touching it: no lock is taken, nothing is
 * created, renamed or removed, so `inspect` and `verify` work while an engine owns the directory.
 * This is the engine's layout (src/engine/log-engine.ts): topics.json, .lock, .clean-shutdown, the
 * two checkpoint files and one TOPIC-PARTITION directory per partition. Bad contents are returned
 * as `error` strings, not thrown: the commands report them and go on.
 */

export {
  classifyDir,
  classifyDirOrNull,
  describeDataDirProblem,
  describeDirArgument,
  describeNeitherKind,
  type DirKind,
} from './dir-kind.js'

/** Bytes of every `.log` file under a data or partition directory (for a progress bar). */
export function totalLogBytes(dir: string, kind: DirKind): number {
  const partitionDirs =
    kind === 'partition'
      ? [dir]
      : listDir(dir)
          .filter((name) => parsePartitionDirName(name) !== null)
          .map((name) => path.join(dir, name))
  let total = 0
  for (const partitionDir of partitionDirs) {
    let names: string[]
    try {
      names = fs.readdirSync(partitionDir)
    } catch {
      continue
    }
    for (const name of names) {
      if (!name.endsWith(LOG_SUFFIX)) continue
      try {
        total += fs.statSync(path.join(partitionDir, name)).size
      } catch {
        // removed meanwhile
      }
    }
  }
  return total
}

export function listDir(dir: string): string[] {
  return wrapIo('list', dir, () => fs.readdirSync(dir)).sort()
}

export function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory()
  } catch {
    return false
  }
}

export interface TopicEntry {
  name: string
  config: TopicConfig
}

export interface TopicsFile {
  file: string
  exists: boolean
  topics: TopicEntry[]
  /** Why the file could not be used, or null. */
  error: string | null
}

/** Reads topics.json with the engine's parser, validating each topic's settings. */
export function readTopicsFile(dir: string): TopicsFile {
  const file = path.join(dir, TOPICS_FILE)
  const result: TopicsFile = { file, exists: false, topics: [], error: null }
  const text = readTopicsText(dir)
  if (text === null) return result
  result.exists = true
  let stored: StoredTopics
  try {
    stored = parseTopicsJson(text, file)
  } catch (error) {
    if (!(error instanceof CorruptMetadataError)) throw error
    result.error = error.message
    return result
  }
  for (const [name, config] of Object.entries(stored)) {
    try {
      result.topics.push({ name, config: resolveTopicConfig(config as Partial<TopicConfig>) })
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      result.error = `${file}: topic '${name}': ${error.message}`
    }
  }
  return result
}

export interface CheckpointFile {
  file: string
  exists: boolean
  /** `topic partition` -> offset. */
  entries: Map<string, number>
  error: string | null
}

/** Reads a checkpoint file; a missing one is empty, as the engine treats it. */
export function readCheckpoint(dir: string, name: string): CheckpointFile {
  const file = path.join(dir, name)
  const result: CheckpointFile = { file, exists: false, entries: new Map(), error: null }
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return result
    throw new IoError('read', file, error)
  }
  result.exists = true
  try {
    result.entries = parseCheckpoint(text, file)
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    result.error = error.message
  }
  return result
}

/** The line of `key` in a checkpoint file (for problem reports), counting from 1. */
export function checkpointLine(checkpoint: CheckpointFile, key: string): number {
  return checkpointEntryLine(checkpoint.entries, key)
}

export interface ShutdownState {
  /** `.clean-shutdown` is present: the last owner closed the directory cleanly and none owns it now. */
  isClean: boolean
  /** When it closed (from the marker's `closedAt`), if the marker says. */
  closedAtMs: number | null
}

export function readShutdownState(dir: string): ShutdownState {
  const file = path.join(dir, CLEAN_SHUTDOWN_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { isClean: false, closedAtMs: null }
    throw new IoError('read', file, error)
  }
  try {
    const closedAt = (JSON.parse(text) as { closedAt?: unknown }).closedAt
    return { isClean: true, closedAtMs: typeof closedAt === 'number' ? closedAt : null }
  } catch {
    return { isClean: true, closedAtMs: null }
  }
}

export { readLockState, type LockState } from '../../engine/dir-lock.js'

export interface PartitionDirEntry {
  name: string
  topic: string
  partition: number
  dir: string
  /** The directory exists (a topic in topics.json may lack one). */
  exists: boolean
  /** Its topic and partition number are in topics.json. */
  isKnown: boolean
}

/**
 * Every partition of a data directory: those topics.json names (in its order) and then any other
 * TOPIC-PARTITION directory, so an orphan is seen too.
 */
export function listPartitions(dir: string, topics: readonly TopicEntry[]): PartitionDirEntry[] {
  const partitions: PartitionDirEntry[] = []
  const seen = new Set<string>()
  for (const { name, config } of topics) {
    for (let partition = 0; partition < config.partitions; partition++) {
      const dirName = `${name}-${partition}`
      seen.add(dirName)
      const partitionDir = path.join(dir, dirName)
      partitions.push({ name: dirName, topic: name, partition, dir: partitionDir, exists: isDirectory(partitionDir), isKnown: true })
    }
  }
  for (const name of listDir(dir)) {
    const parsed = parsePartitionDirName(name)
    if (parsed === null || seen.has(name) || !isDirectory(path.join(dir, name))) continue
    partitions.push({ name, topic: parsed.topic, partition: parsed.partition, dir: path.join(dir, name), exists: true, isKnown: false })
  }
  return partitions
}

/** Directories a topic deletion left behind (`orders-0.18c2f-delete`); the engine removes them on open. */
export function listDeletedTopicDirs(dir: string): string[] {
  return listDir(dir).filter((name) => name.endsWith('-delete') && isDirectory(path.join(dir, name)))
}

export interface FileEntry {
  name: string
  size: number
}

export interface QuarantineEntry extends FileEntry {
  /** The log the bytes were cut from, and where. */
  logName: string
  position: number
}

export interface LeftoverEntry extends FileEntry {
  why: string
}

/** The files of one partition directory, sorted into what they are. */
export interface PartitionFiles {
  dir: string
  /** Base offsets of the segments (files `<offset>.log`), ascending. */
  segments: number[]
  /** Names present in the directory. */
  names: Set<string>
  quarantine: QuarantineEntry[]
  /** Files an interrupted operation left, which the engine removes or completes on open. */
  leftovers: LeftoverEntry[]
  /** Producer snapshots by offset, ascending. */
  snapshots: (FileEntry & { offset: number })[]
}

export function listPartitionFiles(dir: string): PartitionFiles {
  const names = listDir(dir)
  const files: PartitionFiles = { dir, segments: [], names: new Set(names), quarantine: [], leftovers: [], snapshots: [] }
  const size = (name: string): number => {
    try {
      return fs.statSync(path.join(dir, name)).size
    } catch {
      return 0 // removed while we looked (a running engine deleting a segment)
    }
  }
  for (const name of names) {
    const quarantined = parseQuarantineName(name)
    if (quarantined !== null || name.endsWith(QUARANTINE_SUFFIX)) {
      files.quarantine.push({ name, size: size(name), logName: quarantined?.logName ?? '', position: quarantined?.position ?? 0 })
      continue
    }
    const leftover = leftoverReason(name)
    if (leftover !== null) {
      files.leftovers.push({ name, size: size(name), why: leftover })
      continue
    }
    const parsed = parseOffsetFileName(name)
    if (parsed === null) continue
    if (parsed.suffix === LOG_SUFFIX) files.segments.push(parsed.offset)
    else if (parsed.suffix === SNAPSHOT_SUFFIX) files.snapshots.push({ name, size: size(name), offset: parsed.offset })
  }
  files.segments.sort((a, b) => a - b)
  files.snapshots.sort((a, b) => a.offset - b.offset)
  // Index files without their log: the engine deletes these orphans on open.
  for (const name of names) {
    const parsed = parseOffsetFileName(name)
    if (parsed === null || (parsed.suffix !== INDEX_SUFFIX && parsed.suffix !== TIME_INDEX_SUFFIX)) continue
    if (!files.names.has(name.slice(0, -parsed.suffix.length) + LOG_SUFFIX))
      files.leftovers.push({ name, size: size(name), why: 'an index without its .log (the engine deletes it on open)' })
  }
  return files
}

function leftoverReason(name: string): string | null {
  if (name.endsWith(DELETED_SUFFIX)) return 'a deleted segment waiting for in-flight reads (the engine removes it)'
  if (name.endsWith(CLEANED_SUFFIX)) return 'an unfinished cleaning (the engine removes it on open)'
  if (name.endsWith(SWAP_SUFFIX)) return 'a swap ready to replace its original (the engine completes it on open)'
  if (name.endsWith('.tmp')) return 'an unfinished atomic write (the engine removes it on open)'
  return null
}

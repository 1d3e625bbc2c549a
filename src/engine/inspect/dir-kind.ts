import fs from 'node:fs'
import path from 'node:path'
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../engine/checkpoint-file.js'
import { CLEAN_SHUTDOWN_FILE, TOPICS_FILE } from '../../engine/log-engine.js'
import { parsePartitionDirName } from '../../engine/topic-config.js'
import { wrapIo } from '../../log/errors.js'
import { INDEX_SUFFIX, LOG_SUFFIX, parseOffsetFileName, TIME_INDEX_SUFFIX } from '../../log/segment-files.js'

/**
 * What a directory named on the command line is, decided by one rule that every command uses:
 *
 * - a **data directory** holds `topics.json`, a checkpoint file or `.clean-shutdown` (every engine
 *   writes the first two when it opens a directory), or a TOPIC-PARTITION subdirectory that holds
 *   segment files;
 * - a **partition directory** holds segment files (`<20 digits>.log`, `.index`, `.timeindex`), or is
 *   named TOPIC-PARTITION inside a data directory;
 * - anything else is neither. `/etc` has `dbus-1`, a name that parses as a partition, but no
 *   segment files in it, so it is not a data directory. `.lock` alone does not count: the name is
 *   too common.
 *
 * Commands that only read never create a directory: they check this before anything else.
 */

export type DirKind = 'data' | 'partition'

const DATA_DIR_MARKERS: readonly string[] = [TOPICS_FILE, RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, CLEAN_SHUTDOWN_FILE]

/** Why `dir` cannot be read as a directory (one line), or null if it can. */
export function describeDirArgument(dir: string): string | null {
  let stats: fs.Stats
  try {
    stats = fs.statSync(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return `cannot read ${dir}: no such file or directory`
    if (code === 'EACCES' || code === 'EPERM') return `cannot read ${dir}: permission denied`
    return `cannot read ${dir}: ${(error as Error).message}`
  }
  return stats.isDirectory() ? null : `${dir} is not a directory`
}

/** What DIR is: a data directory, a partition directory, or neither (null). Throws IoError if unreadable. */
export function classifyDir(dir: string): DirKind | null {
  const names = listNames(dir)
  if (isDataDirListing(dir, names)) return 'data'
  if (names.some(isSegmentFileName)) return 'partition'
  const absolute = path.resolve(dir)
  if (parsePartitionDirName(path.basename(absolute)) !== null && isDataDirOrFalse(path.dirname(absolute))) return 'partition'
  return null
}

/** classifyDir, or null when `dir` cannot be read (the parent of a partition directory, say). */
export function classifyDirOrNull(dir: string): DirKind | null {
  try {
    return classifyDir(dir)
  } catch {
    return null
  }
}

/** The one line for a directory that is neither kind, for commands that take both (inspect, verify). */
export function describeNeitherKind(dir: string): string {
  return `${dir} is neither a seglog data directory (topics.json, checkpoint files, TOPIC-PARTITION directories with segment files) nor a partition directory (segment files)`
}

/**
 * Why DIR cannot be opened as a data directory by a command that reads it (one line), or null if
 * it can. With `mayCreate` (produce --create) a missing or empty directory is fine too, since the
 * engine creates it; a non-empty directory of something else is refused either way, so seglog
 * never adds its files to a directory that is not its own.
 */
export function describeDataDirProblem(dir: string, options: { mayCreate: boolean }): string | null {
  if (options.mayCreate && !fs.existsSync(dir)) return null
  const unusable = describeDirArgument(dir)
  if (unusable !== null) return unusable
  const names = listNames(dir)
  if (options.mayCreate && names.length === 0) return null
  if (isDataDirListing(dir, names)) return null
  if (classifyDirOrNull(dir) === 'partition')
    return `${dir} is a partition directory; give the data directory that holds it (${path.dirname(path.resolve(dir))})`
  return `${dir} is not a seglog data directory (no topics.json, no checkpoint files, no TOPIC-PARTITION directories with segment files)`
}

function isDataDirListing(dir: string, names: readonly string[]): boolean {
  if (names.some((name) => DATA_DIR_MARKERS.includes(name))) return true
  return names.some((name) => parsePartitionDirName(name) !== null && holdsSegmentFiles(path.join(dir, name)))
}

function isDataDirOrFalse(dir: string): boolean {
  try {
    return isDataDirListing(dir, listNames(dir))
  } catch {
    return false
  }
}

function holdsSegmentFiles(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory() && fs.readdirSync(dir).some(isSegmentFileName)
  } catch {
    return false
  }
}

function isSegmentFileName(name: string): boolean {
  const parsed = parseOffsetFileName(name)
  return parsed !== null && (parsed.suffix === LOG_SUFFIX || parsed.suffix === INDEX_SUFFIX || parsed.suffix === TIME_INDEX_SUFFIX)
}

function listNames(dir: string): string[] {
  return wrapIo('list', dir, () => fs.readdirSync(dir))
}

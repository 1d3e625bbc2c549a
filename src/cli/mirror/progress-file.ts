import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { writeFileAtomicSync } from '../../log/atomic-file.js'
import { decodeProgress, newProgress, progressJson, type PartitionProgress } from './mirror-progress.js'

/**
 * Where `seglog mirror DIR --to HOST:PORT` keeps its progress: `DIR/.mirror-progress-HOST_PORT.json`,
 * one entry per partition (mirror-progress.ts), replaced atomically (temp file, fsync, rename)
 * after chunks the destination acknowledged, at most every PROGRESS_SAVE_MS, and at the end. It needs no lock, so the mirror reads a
 * directory that `seglog serve` or an application owns and still resumes after SIGKILL: the file
 * holds the old progress or the new, and records acknowledged after the last save are found on
 * the destination and skipped (mirror-out.ts). The owning engine ignores the file.
 *
 * ```json
 * { "version": 1, "target": "kafka-1:9092", "partitions": { "orders/0": { "next": 120, "dest": 120, "copied": [[0, 120, 0]] } } }
 * ```
 */

const PROGRESS_VERSION = 1
/**
 * Saves while copying are at least this far apart: each costs two fsyncs, and one after every
 * chunk took a tenth of a mirror's time. A save missed by a crash costs nothing but a longer skip.
 */
export const PROGRESS_SAVE_MS = 250

export class MirrorProgressFile {
  readonly file: string
  private readonly target: string
  private readonly partitions = new Map<string, PartitionProgress>()
  private lastSaveMs = 0

  private constructor(file: string, target: string) {
    this.file = file
    this.target = target
  }

  static fileFor(dir: string, target: string): string {
    return path.join(dir, `.mirror-progress-${target.replace(/[^A-Za-z0-9.-]/g, '_')}.json`)
  }

  /** The progress saved for `target` in `dir`, or an empty one. */
  static load(dir: string, target: string): MirrorProgressFile {
    const progress = new MirrorProgressFile(MirrorProgressFile.fileFor(dir, target), target)
    let text: string
    try {
      text = fs.readFileSync(progress.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return progress
      throw new SeglogError('IO_FAILED', `${progress.file}: ${(error as Error).message}`, { cause: error })
    }
    let parsed: { version?: unknown; partitions?: Record<string, unknown> }
    try {
      parsed = JSON.parse(text) as typeof parsed
    } catch (error) {
      throw new SeglogError(
        'INVALID_ARGUMENT',
        `${progress.file} is not a mirror progress file (${(error as Error).message}); move it away to start over`,
      )
    }
    if (parsed.version !== PROGRESS_VERSION || typeof parsed.partitions !== 'object' || parsed.partitions === null)
      throw new SeglogError(
        'INVALID_ARGUMENT',
        `${progress.file} is not a mirror progress file of version ${PROGRESS_VERSION}; move it away to start over`,
      )
    for (const [key, entry] of Object.entries(parsed.partitions)) {
      const decoded = decodeProgress(0, entry)
      if (decoded === null) throw new SeglogError('INVALID_ARGUMENT', `${progress.file}: the entry of ${key} is not mirror progress`)
      progress.partitions.set(key, decoded)
    }
    return progress
  }

  /** The partition's progress, created (at `sourceNext`, `dest`) when none was saved. */
  of(
    topic: string,
    partition: number,
    fresh: () => PartitionProgress = () => newProgress(0, 0),
  ): { progress: PartitionProgress; isResumed: boolean } {
    const key = `${topic}/${partition}`
    const saved = this.partitions.get(key)
    if (saved !== undefined) return { progress: saved, isResumed: true }
    const progress = fresh()
    this.partitions.set(key, progress)
    return { progress, isResumed: false }
  }

  /** Saves unless the last save was less than PROGRESS_SAVE_MS ago. */
  saveIfDue(): void {
    if (Date.now() - this.lastSaveMs >= PROGRESS_SAVE_MS) this.save()
  }

  /** Writes every partition's progress (the objects `of` handed out, as they are now). */
  save(): void {
    this.lastSaveMs = Date.now()
    const partitions: Record<string, unknown> = {}
    for (const [key, progress] of this.partitions) partitions[key] = progressJson(progress)
    writeFileAtomicSync(this.file, JSON.stringify({ version: PROGRESS_VERSION, target: this.target, partitions }))
  }
}

import { createHash, type Hash } from 'node:crypto'
import type { DecodedRecord } from '../../record/record.js'

/**
 * What `seglog mirror` remembers per partition between runs, so an interrupted mirror resumes
 * where its last acknowledged chunk ended and a consumer group's committed offset can be
 * translated to the other side at any time (also while `--follow` keeps copying). Going out it is
 * kept in a progress file beside the data (progress-file.ts), coming in as the metadata of a
 * commit in the local offset store (group `MIRROR_GROUP_PREFIX` + the other side's address). JSON:
 *
 * | field    | meaning                                                                   |
 * |----------|---------------------------------------------------------------------------|
 * | `next`   | the next source offset to copy                                            |
 * | `dest`   | the destination's next offset once everything up to `next` is there       |
 * | `copied` | runs of copied records, oldest first: `[sourceStart, sourceEnd, destStart]`, end exclusive |
 *
 * A run holds consecutive source offsets that landed on consecutive destination offsets.
 *
 * A partition copied without gaps is one run. Gaps (compacted or control records on the source)
 * start new runs; past MAX_RUNS the oldest are dropped, and a commit below the runs kept then
 * translates to the first one's start.
 */

export const MIRROR_GROUP_PREFIX = 'seglog-mirror:'
/** Runs kept per partition: enough for any log but a heavily compacted one, small enough to rewrite after every chunk. */
export const MAX_RUNS = 4096

export type CopiedRun = [sourceStart: number, sourceEnd: number, destStart: number]

export interface PartitionProgress {
  /** Next source offset to copy. */
  sourceNext: number
  /** The destination's next offset once everything below `sourceNext` is there. */
  dest: number
  copied: CopiedRun[]
}

export function newProgress(sourceNext: number, dest: number): PartitionProgress {
  return { sourceNext, dest, copied: [] }
}

export function encodeProgress(progress: PartitionProgress): string {
  return JSON.stringify(progressJson(progress))
}

export function progressJson(progress: PartitionProgress): { next: number; dest: number; copied: CopiedRun[] } {
  return { next: progress.sourceNext, dest: progress.dest, copied: progress.copied }
}

/**
 * The progress a commit's metadata (or a progress file's entry) holds, or null when there is none
 * or it is not ours. `offset` is the commit's offset, used when the JSON has no `next`. The layout
 * of earlier releases (`from`, `start`, `dest`) is read as one run.
 */
export function decodeProgress(offset: number, metadata: string | unknown): PartitionProgress | null {
  let parsed: Record<string, unknown>
  try {
    parsed = (typeof metadata === 'string' ? JSON.parse(metadata) : metadata) as Record<string, unknown>
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.dest !== 'number') return null
  const sourceNext = typeof parsed.next === 'number' ? parsed.next : offset
  if (Array.isArray(parsed.copied) && parsed.copied.every(isRun))
    return { sourceNext, dest: parsed.dest, copied: parsed.copied.map((run) => [...run] as CopiedRun) }
  if (typeof parsed.from === 'number' && typeof parsed.start === 'number') {
    const copied: CopiedRun[] = sourceNext > parsed.from ? [[parsed.from, sourceNext, parsed.start]] : []
    return { sourceNext, dest: parsed.dest, copied }
  }
  return null
}

function isRun(value: unknown): value is CopiedRun {
  return Array.isArray(value) && value.length === 3 && value.every((item) => Number.isSafeInteger(item))
}

/**
 * Records that the records at `sourceOffsets` (ascending) landed at `destBase`, `destBase + 1`, …,
 * and moves `sourceNext` and `dest` past them.
 */
export function recordCopied(progress: PartitionProgress, sourceOffsets: readonly number[], destBase: number): void {
  const runs = progress.copied
  for (let slot = 0; slot < sourceOffsets.length; slot++) {
    const source = sourceOffsets[slot]!
    const destination = destBase + slot
    const last = runs[runs.length - 1]
    if (last !== undefined && last[1] === source && last[2] + (last[1] - last[0]) === destination) last[1] = source + 1
    else runs.push([source, source + 1, destination])
  }
  if (runs.length > MAX_RUNS) runs.splice(0, runs.length - MAX_RUNS)
  if (sourceOffsets.length > 0) {
    progress.sourceNext = sourceOffsets[sourceOffsets.length - 1]! + 1
    progress.dest = destBase + sourceOffsets.length
  }
}

/**
 * Where a group that committed source offset `committed` resumes on the destination: at the
 * destination offset of the first copied record at or after it, or at `dest` when none is.
 */
export function destinationOffsetOf(progress: PartitionProgress, committed: number): number {
  for (const [sourceStart, sourceEnd, destStart] of progress.copied) {
    if (committed <= sourceStart) return destStart
    if (committed < sourceEnd) return destStart + (committed - sourceStart)
  }
  return progress.dest
}

/**
 * The count and checksum `seglog mirror` prints: SHA-256 over every copied record's partition,
 * timestamp, key, value and headers, in partition order, so the two sides can be compared with
 * the same digest of what a reader gets.
 */
export class MirrorChecksum {
  count = 0
  bytes = 0
  private readonly hash: Hash = createHash('sha256')

  add(topic: string, partition: number, record: Pick<DecodedRecord, 'timestamp' | 'key' | 'value' | 'headers'>): void {
    this.count++
    const hash = this.hash
    hash.update(`${topic}/${partition} ${record.timestamp} `)
    this.field(record.key)
    this.field(record.value)
    for (const header of record.headers) {
      hash.update(header.key)
      this.field(header.value)
    }
    this.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0)
  }

  digest(): string {
    return this.hash.digest('hex')
  }

  private field(bytes: Buffer | null): void {
    if (bytes === null) {
      this.hash.update('-1;')
      return
    }
    this.hash.update(`${bytes.length};`)
    this.hash.update(bytes)
  }
}

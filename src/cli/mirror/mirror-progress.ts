import { createHash, type Hash } from 'node:crypto'
import type { DecodedRecord } from '../../record/record.js'

/**
 * What `seglog mirror` remembers per partition between runs, kept as the metadata string of a
 * commit in seglog's offset store (group `MIRROR_GROUP_PREFIX` + the other side's address), so an
 * interrupted mirror resumes where its last acknowledged chunk ended. The committed offset is the
 * next source offset to copy; the metadata is JSON:
 *
 * | field    | meaning                                                                   |
 * |----------|---------------------------------------------------------------------------|
 * | `dest`   | the destination's next offset once everything up to the commit is there   |
 * | `from`   | the source offset the copy began at                                       |
 * | `start`  | the destination offset it began at (groups committed at or below `from` map here) |
 * | `groups` | group -> destination offset, for the groups whose commit fell inside copied records |
 */

export const MIRROR_GROUP_PREFIX = 'seglog-mirror:'

export interface PartitionProgress {
  /** Next source offset to copy. */
  sourceNext: number
  from: number
  dest: number
  start: number
  groups: Record<string, number>
}

export function encodeProgress(progress: PartitionProgress): string {
  return JSON.stringify({ from: progress.from, dest: progress.dest, start: progress.start, groups: progress.groups })
}

/** The progress a commit holds, or null when there is none (or it is not ours). */
export function decodeProgress(offset: number, metadata: string): PartitionProgress | null {
  try {
    const parsed = JSON.parse(metadata) as Partial<PartitionProgress>
    if (
      typeof parsed.from !== 'number' ||
      typeof parsed.dest !== 'number' ||
      typeof parsed.start !== 'number' ||
      typeof parsed.groups !== 'object' ||
      parsed.groups === null
    )
      return null
    return { sourceNext: offset, from: parsed.from, dest: parsed.dest, start: parsed.start, groups: { ...parsed.groups } }
  } catch {
    return null
  }
}

/**
 * Records the destination offset of every group commit that falls on a record being copied: a
 * group committed at source offset C resumes at the first record at or after C, which lands at
 * destination offset `destBase + slot`. `commits` is group -> committed source offset.
 */
export function translateChunk(
  progress: PartitionProgress,
  commits: ReadonlyMap<string, number>,
  sourceOffsets: readonly number[],
  destBase: number,
): void {
  if (sourceOffsets.length === 0) return
  const first = sourceOffsets[0]!
  const last = sourceOffsets[sourceOffsets.length - 1]!
  for (const [group, committed] of commits) {
    if (group in progress.groups || committed > last || committed < progress.sourceNext) continue
    let slot = 0
    while (committed > first && sourceOffsets[slot]! < committed) slot++
    progress.groups[group] = destBase + slot
  }
}

/** Where a group committed at `committed` resumes on the destination once the copy is done. */
export function destinationOffsetOf(progress: PartitionProgress, group: string, committed: number): number {
  const translated = progress.groups[group]
  if (translated !== undefined) return translated
  return committed <= progress.from ? progress.start : progress.dest
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

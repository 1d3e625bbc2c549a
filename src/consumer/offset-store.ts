import { InvalidArgumentError, UnknownTopicOrPartitionError } from '../errors.js'
import { OffsetOutOfRangeError } from '../log/errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { RecordInput } from '../record/record.js'
import { encodeOffsetKey, encodeOffsetValue, type CommittedOffset } from '../format/offset-commit.js'
import { encodeGroupMetadataKey, encodeGroupMetadataValue, type GroupMetadata } from '../format/group-metadata.js'
import { replayOffsets } from './offset-replay.js'
import { checkGroup, checkGroupMetadata, copyGroupMetadata, restatedRecords } from './offset-store-checks.js'
import { resolveTarget, type ResetTarget } from './reset-target.js'

export const OFFSETS_TOPIC = '__consumer_offsets'

export type { ResetTarget } from './reset-target.js'

export interface OffsetCommit {
  topic: string
  partition: number
  offset: number
  metadata?: string
}

export interface PartitionLag {
  topic: string
  partition: number
  committedOffset: number | null
  logEndOffset: number
  /** Records between the commit (or the log start, without one) and the high watermark. */
  lag: number
  metadata: string | null
  commitTimestamp: number | null
}

export interface OffsetStoreOptions {
  /** Compact when the offsets log is larger than this… */
  compactMinBytes?: number
  /** …and holds more than this many records per live offset. */
  compactMinRatio?: number
  /** Told about offsets clamped at open and compactions that failed. */
  onWarning?: (message: string) => void
}

/** Topic and partition packed into one map key. */
function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/**
 * The consumer-offset store: per group, topic and partition, the next offset to read. Commits are
 * records in an internal log (`__consumer_offsets-0`) using Kafka's schemas; the current values are
 * held in memory, rebuilt on open by replaying the log (the last value per key wins). Durability is
 * the engine's flush mode: under 'sync' a resolved commit survives kill -9 and power loss.
 *
 * The log is compacted by appending the live values as a fresh segment and then deleting every
 * older segment. Until the deletion the old records are still there and the new ones follow
 * them, so a crash at any moment replays to the same state.
 */
export class OffsetStore {
  private readonly log: PartitionLog
  private readonly partitionsOf: (topic: string) => readonly PartitionLog[]
  private readonly groups = new Map<string, Map<string, CommittedOffset & { topic: string; partition: number }>>()
  /** Per group, its last stored membership (group-metadata records). */
  private readonly memberships = new Map<string, GroupMetadata>()
  private readonly compactMinBytes: number
  private readonly compactMinRatio: number
  private readonly warn: (message: string) => void
  /** Commits are serialized so the in-memory map follows log order. */
  private tail: Promise<unknown> = Promise.resolve()
  private compacting = false
  /** Compactions done (for inspection and tests). */
  compactions = 0

  private constructor(log: PartitionLog, partitionsOf: (topic: string) => readonly PartitionLog[], options: OffsetStoreOptions) {
    this.log = log
    this.partitionsOf = partitionsOf
    this.compactMinBytes = options.compactMinBytes ?? 16 * 1024 * 1024
    this.compactMinRatio = options.compactMinRatio ?? 2
    this.warn = options.onWarning ?? ((message) => console.warn(`seglog: ${message}`))
  }

  /** Loads the store by replaying its log (offset-replay.ts). */
  static async open(
    log: PartitionLog,
    partitionsOf: (topic: string) => readonly PartitionLog[],
    options: OffsetStoreOptions = {},
  ): Promise<OffsetStore> {
    const store = new OffsetStore(log, partitionsOf, options)
    // Arrow functions, not the methods themselves: set and remove stay private to the store.
    await replayOffsets(log, {
      set: (group, topic, partition, value) => store.set(group, topic, partition, value),
      remove: (group, topic, partition) => store.remove(group, topic, partition),
      setGroupMetadata: (group, metadata) => store.memberships.set(group, copyGroupMetadata(metadata)),
      removeGroupMetadata: (group) => store.memberships.delete(group),
    })
    store.clampToLogEnds()
    return store
  }

  private set(group: string, topic: string, partition: number, value: CommittedOffset): void {
    let offsets = this.groups.get(group)
    if (offsets === undefined) {
      offsets = new Map()
      this.groups.set(group, offsets)
    }
    // A literal, not `{ ...value, topic, partition }`: replay calls this once per record, and the
    // spread was most of the time of opening a store with 1 M offsets.
    offsets.set(partitionKey(topic, partition), {
      offset: value.offset,
      metadata: value.metadata,
      commitTimestamp: value.commitTimestamp,
      topic,
      partition,
    })
  }

  private remove(group: string, topic: string, partition: number): void {
    const offsets = this.groups.get(group)
    if (offsets === undefined) return
    offsets.delete(partitionKey(topic, partition))
    if (offsets.size === 0) this.groups.delete(group)
  }

  /** Commits one offset: the next offset `group` will read from `topic`/`partition`. */
  commit(group: string, topic: string, partition: number, offset: number, metadata = ''): Promise<void> {
    return this.commitMany(group, [{ topic, partition, offset, metadata }])
  }

  /** Commits several offsets as one batch: on disk all of them or none. */
  commitMany(group: string, entries: readonly OffsetCommit[]): Promise<void> {
    try {
      checkGroup(group)
      if (entries.length === 0) throw new InvalidArgumentError('commitMany needs at least one offset')
      for (const entry of entries) this.checkCommit(entry)
    } catch (error) {
      return Promise.reject(error)
    }
    const commitTimestamp = Date.now()
    const records: RecordInput[] = entries.map((entry) => ({
      key: encodeOffsetKey({ group, topic: entry.topic, partition: entry.partition }),
      value: encodeOffsetValue({ offset: entry.offset, metadata: entry.metadata ?? '', commitTimestamp }),
      timestamp: commitTimestamp,
    }))
    return this.write(records, () => {
      for (const entry of entries)
        this.set(group, entry.topic, entry.partition, { offset: entry.offset, metadata: entry.metadata ?? '', commitTimestamp })
    })
  }

  private checkCommit(entry: OffsetCommit): void {
    const log = this.partitionLog(entry.topic, entry.partition)
    if (!Number.isSafeInteger(entry.offset)) throw new InvalidArgumentError(`offset must be an integer, got ${entry.offset}`)
    if (entry.offset < log.logStartOffset || entry.offset > log.logEndOffset) {
      throw new OffsetOutOfRangeError(
        entry.offset,
        log.logStartOffset,
        log.logEndOffset,
        `cannot commit to ${entry.topic}-${entry.partition}`,
      )
    }
    if (entry.metadata !== undefined && typeof entry.metadata !== 'string')
      throw new InvalidArgumentError('commit metadata must be a string')
  }

  private partitionLog(topic: string, partition: number): PartitionLog {
    const logs = this.partitionsOf(topic)
    const log = Number.isInteger(partition) ? logs[partition] : undefined
    if (log === undefined) throw new UnknownTopicOrPartitionError(topic, partition, false, `topic '${topic}' has no partition ${partition}`)
    return log
  }

  /**
   * Appends records and applies them to the map once the append resolved (durable under 'sync'),
   * serialized with other writes. `records` may be a function, called when the write's turn comes;
   * when it returns none, nothing is written or applied.
   */
  private write(records: RecordInput[] | (() => RecordInput[]), apply: () => void): Promise<void> {
    const run = this.tail.then(async () => {
      const list = typeof records === 'function' ? records() : records
      if (list.length === 0) return
      await this.log.appendRecords(list, { compression: 'none' })
      apply()
    })
    // A failed commit rejects its caller only; a failed compaction is reported, and the old
    // segments simply stay until the next try.
    this.tail = run
      .then(() =>
        this.maybeCompact().catch((error: unknown) => this.warn(`compaction of the offsets log failed: ${(error as Error).message}`)),
      )
      .catch(() => undefined)
    return run
  }

  /** The committed offset, or null when the group has none for that partition. */
  fetch(group: string, topic: string, partition: number): CommittedOffset | null {
    const value = this.groups.get(group)?.get(partitionKey(topic, partition))
    return value === undefined ? null : { offset: value.offset, metadata: value.metadata, commitTimestamp: value.commitTimestamp }
  }

  listGroups(): string[] {
    return [...this.groups.keys()].sort()
  }

  /** Per committed partition of the group: its commit, the log end and the lag. */
  describeGroup(group: string): PartitionLag[] {
    const offsets = this.groups.get(group)
    if (offsets === undefined) return []
    const rows: PartitionLag[] = []
    for (const value of offsets.values()) {
      let end = -1
      let start = 0
      try {
        const log = this.partitionLog(value.topic, value.partition)
        end = log.highWatermark
        start = log.logStartOffset
      } catch {
        // The topic was deleted since the commit: report the commit without a lag.
      }
      rows.push({
        topic: value.topic,
        partition: value.partition,
        committedOffset: value.offset,
        logEndOffset: end,
        lag: end < 0 ? 0 : Math.max(0, end - Math.max(value.offset, start)),
        metadata: value.metadata,
        commitTimestamp: value.commitTimestamp,
      })
    }
    return rows.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }

  /** Moves the group's offsets for every partition of `topic` (one batch). */
  async reset(group: string, topic: string, to: ResetTarget): Promise<OffsetCommit[]> {
    const entries: OffsetCommit[] = []
    for (const log of this.partitionsOf(topic)) entries.push({ topic, partition: log.partition, offset: await resolveTarget(log, to) })
    await this.commitMany(group, entries)
    return entries
  }

  /**
   * Forgets every offset of a group and its stored membership (tombstones in one batch). The
   * offsets are listed when the write's turn comes, after the commits queued before it, so every
   * one of them gets a tombstone and the state a reopen replays is the state in memory.
   */
  async deleteGroup(group: string): Promise<boolean> {
    checkGroup(group)
    let deleted = false
    await this.write(
      () => {
        const offsets = this.groups.get(group)
        const records: RecordInput[] = [...(offsets?.values() ?? [])].map((value) => ({
          key: encodeOffsetKey({ group, topic: value.topic, partition: value.partition }),
          value: null,
        }))
        if (this.memberships.has(group)) records.push({ key: encodeGroupMetadataKey(group), value: null })
        return records
      },
      () => {
        deleted = this.groups.delete(group)
        deleted = this.memberships.delete(group) || deleted
      },
    )
    return deleted
  }

  /**
   * Stores a consumer group's membership as one group-metadata record (Kafka's GroupMetadataValue
   * version 3): what a group coordinator writes after each completed rebalance, so that it knows
   * its groups after a restart. The last one stored per group wins; durable as a commit is.
   */
  storeGroupMetadata(group: string, metadata: GroupMetadata): Promise<void> {
    let copy: GroupMetadata
    try {
      checkGroup(group)
      checkGroupMetadata(metadata)
      copy = copyGroupMetadata(metadata)
    } catch (error) {
      return Promise.reject(error)
    }
    const record = { key: encodeGroupMetadataKey(group), value: encodeGroupMetadataValue(copy), timestamp: Date.now() }
    return this.write([record], () => void this.memberships.set(group, copy))
  }

  /** The group's last stored membership (a copy), or null. */
  groupMetadata(group: string): GroupMetadata | null {
    const metadata = this.memberships.get(group)
    return metadata === undefined ? null : copyGroupMetadata(metadata)
  }

  /** Groups with a stored membership, sorted. */
  listGroupMetadata(): string[] {
    return [...this.memberships.keys()].sort()
  }

  /** Forgets a group's stored membership (a tombstone), keeping its offsets; false if it had none. */
  async deleteGroupMetadata(group: string): Promise<boolean> {
    checkGroup(group)
    let deleted = false
    await this.write(
      () => (this.memberships.has(group) ? [{ key: encodeGroupMetadataKey(group), value: null }] : []),
      () => {
        deleted = this.memberships.delete(group)
      },
    )
    return deleted
  }

  /**
   * Forgets the group's offsets of some partitions (tombstones in one batch); partitions without a
   * commit are skipped. Returns how many offsets were removed.
   */
  async deleteOffsets(group: string, partitions: readonly { topic: string; partition: number }[]): Promise<number> {
    checkGroup(group)
    let removed: { topic: string; partition: number }[] = []
    await this.write(
      () => {
        const offsets = this.groups.get(group)
        const keys = new Map(partitions.map((entry) => [partitionKey(entry.topic, entry.partition), entry]))
        removed = offsets === undefined ? [] : [...keys].filter(([key]) => offsets.has(key)).map(([, entry]) => entry)
        return removed.map((entry) => ({ key: encodeOffsetKey({ group, topic: entry.topic, partition: entry.partition }), value: null }))
      },
      () => {
        for (const entry of removed) this.remove(group, entry.topic, entry.partition)
      },
    )
    return removed.length
  }

  /** Number of live offsets. */
  get size(): number {
    let count = 0
    for (const offsets of this.groups.values()) count += offsets.size
    return count
  }

  /**
   * A committed offset past its partition's log end (the partition was truncated, or lost an
   * unflushed tail in a crash) is lowered to the log end, and reported: a commit must never point
   * beyond what exists. The lowered value is written by the next commit of that partition.
   */
  private clampToLogEnds(): void {
    for (const [group, offsets] of this.groups) {
      for (const value of offsets.values()) {
        let end: number
        try {
          end = this.partitionLog(value.topic, value.partition).logEndOffset
        } catch {
          continue // the topic is gone; describeGroup reports the commit without a lag
        }
        if (value.offset > end) {
          this.warn(
            `group ${group}: committed offset ${value.offset} of ${value.topic}-${value.partition} is past its log end ${end}; using ${end}`,
          )
          value.offset = end
        }
      }
    }
  }

  /**
   * Compacts when the log holds much more than the live offsets. Runs inside the write chain
   * (`tail`), so it calls compactNow directly: going through compact() would queue behind the
   * chain it is part of and never start.
   */
  private async maybeCompact(): Promise<void> {
    if (this.compacting) return
    const records = this.log.logEndOffset - this.log.logStartOffset
    // The size check first: counting the live values walks every group, too slow for every commit.
    if (this.log.sizeInBytes < this.compactMinBytes) return
    if (records < this.compactMinRatio * Math.max(1, this.size + this.memberships.size)) return
    await this.compactNow()
  }

  /**
   * Writes every live offset into a new segment, makes it durable, then deletes all older
   * segments. Exposed for tests and for operators who want it now.
   */
  compact(): Promise<void> {
    const run = this.tail.then(() => this.compactNow())
    this.tail = run.catch(() => undefined)
    return run
  }

  private async compactNow(): Promise<void> {
    this.compacting = true
    try {
      await this.log.rollNow()
      const start = this.log.logEndOffset
      const records = restatedRecords(this.groups, this.memberships)
      const chunk = 4096
      for (let slot = 0; slot < records.length; slot += chunk)
        await this.log.appendRecords(records.slice(slot, slot + chunk), { compression: 'none' })
      await this.log.flush()
      await this.log.deleteRecordsBefore(start)
      this.compactions++
    } finally {
      this.compacting = false
    }
  }
}

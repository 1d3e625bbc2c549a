import { InvalidArgumentError, UnknownTopicOrPartitionError } from '../errors.js'
import { OffsetOutOfRangeError } from '../log/errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { RecordInput } from '../record/record.js'
import { encodeOffsetKey, type CommittedOffset } from '../format/offset-commit.js'
import { encodeGroupMetadataKey, encodeGroupMetadataValue, type GroupMetadata } from '../format/group-metadata.js'
import { replayOffsets } from './offset-replay.js'
import { clampToLogEnds, lagRows, type PartitionLag } from './offset-lag.js'
import { TransactionalOffsets, type PendingTransaction, type StoredOffset, type TransactionResult } from './transactional-offsets.js'
import {
  checkGroup,
  checkGroupMetadata,
  copyGroupMetadata,
  offsetRecords,
  restatedRecords,
  rewriteLog,
  type OffsetCommit,
  type WriteRecords,
  type WriteTransaction,
} from './offset-store-checks.js'
import { resolveTarget, type ResetTarget } from './reset-target.js'

export const OFFSETS_TOPIC = '__consumer_offsets'

export type { ResetTarget } from './reset-target.js'
export type { PartitionLag } from './offset-lag.js'
export type { PendingTransaction, TransactionResult } from './transactional-offsets.js'

export type { OffsetCommit } from './offset-store-checks.js'

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
  private readonly groups = new Map<string, Map<string, StoredOffset>>()
  /** Offsets of open transactions, waiting for their producer's marker. */
  private readonly transactions = new TransactionalOffsets({
    write: (records, apply, txn) => this.write(records, apply, txn),
    check: (group, entries) => this.checkCommits('commitInTransaction', group, entries),
    current: (group, topic, partition) => this.groups.get(group)?.get(partitionKey(topic, partition)),
    set: (offset) => this.set(offset.group, offset.topic, offset.partition, offset, offset.logOffset),
  })
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
      set: (group, topic, partition, value, logOffset) => store.set(group, topic, partition, value, logOffset),
      remove: (group, topic, partition) => store.remove(group, topic, partition),
      stage: (producerId, epoch, group, topic, partition, value, logOffset) =>
        store.transactions.stage(producerId, epoch, { ...value, group, topic, partition, logOffset }),
      complete: (producerId, result) => store.transactions.applyMarker(producerId, result),
      setGroupMetadata: (group, metadata) => store.memberships.set(group, copyGroupMetadata(metadata)),
      removeGroupMetadata: (group) => store.memberships.delete(group),
    })
    clampToLogEnds(store.groups, (topic, partition) => store.partitionLog(topic, partition), store.warn)
    return store
  }

  private set(group: string, topic: string, partition: number, value: CommittedOffset, logOffset: number): void {
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
      logOffset,
    })
  }

  private remove(group: string, topic: string, partition: number): void {
    this.transactions.drop(group, topic, partition)
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
      this.checkCommits('commitMany', group, entries)
    } catch (error) {
      return Promise.reject(error)
    }
    const commitTimestamp = Date.now()
    return this.write(offsetRecords(group, entries, commitTimestamp), (base) => {
      entries.forEach((entry, slot) =>
        this.set(
          group,
          entry.topic,
          entry.partition,
          { offset: entry.offset, metadata: entry.metadata ?? '', commitTimestamp },
          base + slot,
        ),
      )
    })
  }

  /**
   * Commits offsets inside producer `producerId`'s transaction (Kafka's TxnOffsetCommit): written
   * at once as a transactional batch, visible only once completeTransaction writes the COMMIT
   * marker, dropped by an ABORT. A crash in between leaves them pending (transactional-offsets.ts).
   */
  commitInTransaction(producerId: number, producerEpoch: number, group: string, entries: readonly OffsetCommit[]): Promise<void> {
    return this.transactions.commit(producerId, producerEpoch, group, entries)
  }

  /**
   * Writes producer `producerId`'s COMMIT or ABORT marker on the offsets log, applying or dropping
   * its pending offsets; false, and nothing written, when it has none (so repeating it is harmless).
   */
  completeTransaction(producerId: number, producerEpoch: number, result: TransactionResult): Promise<boolean> {
    return this.transactions.end(producerId, producerEpoch, result)
  }

  /** Producers whose transaction holds offsets and has no marker yet (what a restart must complete). */
  pendingTransactions(): PendingTransaction[] {
    return this.transactions.list()
  }

  private checkCommits(where: string, group: string, entries: readonly OffsetCommit[]): void {
    checkGroup(group)
    if (entries.length === 0) throw new InvalidArgumentError(`${where} needs at least one offset`)
    for (const entry of entries) this.checkCommit(entry)
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
   * when it returns none, nothing is written or applied; 'marker' writes the transaction marker
   * `txn` names. `apply` gets the first record's offset.
   */
  private write(records: WriteRecords, apply: (baseOffset: number) => void, txn?: WriteTransaction): Promise<void> {
    const run = this.tail.then(async () => {
      const list = typeof records === 'function' ? records() : records
      if (list.length === 0) return
      const info =
        list === 'marker'
          ? await this.log.writeTxnMarker(txn!.producerId, txn!.producerEpoch, txn!.marker!, 0)
          : await this.log.appendRecords(list, { compression: 'none', ...txn })
      apply(info.baseOffset)
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
    return offsets === undefined ? [] : lagRows(offsets.values(), (topic, partition) => this.partitionLog(topic, partition))
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
    let listed: StoredOffset[] = []
    await this.write(
      () => {
        listed = [...(this.groups.get(group)?.values() ?? [])]
        const records: RecordInput[] = listed.map((value) => ({
          key: encodeOffsetKey({ group, topic: value.topic, partition: value.partition }),
          value: null,
        }))
        if (this.memberships.has(group)) records.push({ key: encodeGroupMetadataKey(group), value: null })
        return records
      },
      () => {
        deleted = listed.length > 0
        for (const value of listed) this.remove(group, value.topic, value.partition)
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
   * Compacts when the log holds much more than the live offsets. Runs inside the write chain
   * (`tail`), so it calls compactNow directly: going through compact() would queue behind the
   * chain it is part of and never start.
   */
  private async maybeCompact(): Promise<void> {
    // An open transaction's records must stay, and restating them would reorder them against later
    // plain commits: compaction waits until every transaction on the log has its marker.
    if (this.compacting || this.transactions.size > 0) return
    const records = this.log.logEndOffset - this.log.logStartOffset
    // The size check first: counting the live values walks every group, too slow for every commit.
    if (this.log.sizeInBytes < this.compactMinBytes) return
    if (records < this.compactMinRatio * Math.max(1, this.size + this.memberships.size)) return
    await this.compactNow()
  }

  /**
   * Writes every live offset into a new segment, makes it durable, then deletes all older
   * segments. Exposed for tests and for operators who want it now. Skipped while a transaction
   * holds offsets (see maybeCompact).
   */
  compact(): Promise<void> {
    const run = this.tail.then(() => this.compactNow())
    this.tail = run.catch(() => undefined)
    return run
  }

  private async compactNow(): Promise<void> {
    if (this.transactions.size > 0) return
    this.compacting = true
    try {
      await rewriteLog(this.log, restatedRecords(this.groups, this.memberships))
      this.compactions++
    } finally {
      this.compacting = false
    }
  }
}

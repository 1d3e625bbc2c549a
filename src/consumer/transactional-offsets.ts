import { InvalidArgumentError } from '../errors.js'
import { InvalidProducerEpochError } from '../log/producer-state.js'
import type { CommittedOffset } from '../format/offset-commit.js'
import { offsetRecords, type OffsetCommit, type WriteRecords, type WriteTransaction } from './offset-store-checks.js'

/** A commit as the offset store holds it: with the log offset of the record that wrote it. */
export interface StoredOffset extends CommittedOffset {
  topic: string
  partition: number
  /** Offset of the record in the offsets log: between two values of one key, the later one wins. */
  logOffset: number
}

/** An offset committed inside a transaction whose marker has not been written yet. */
export interface PendingOffset extends StoredOffset {
  group: string
}

/** How an open transaction ends on the offsets log: its marker. */
export type TransactionResult = 'commit' | 'abort'

/** A producer with offsets waiting for its transaction's marker. */
export interface PendingTransaction {
  producerId: number
  producerEpoch: number
}

/** What the transactional offsets need of their offset store. */
export interface OffsetStoreAccess {
  /** The store's serialized append; `apply` runs once it resolved, with the first record's offset. */
  write(records: WriteRecords, apply: (baseOffset: number) => void, txn?: WriteTransaction): Promise<void>
  /** The store's checks of a commit (group, partitions, offset ranges). */
  check(group: string, entries: readonly OffsetCommit[]): void
  current(group: string, topic: string, partition: number): StoredOffset | undefined
  set(offset: PendingOffset): void
}

/**
 * Offsets committed inside a transaction (Kafka's TxnOffsetCommit): written at once to the offsets
 * log in a transactional batch, but held here, per producer id, until that producer's COMMIT
 * marker applies them or its ABORT marker drops them. The same rules serve the replay at open and
 * the live store, so a reopen rebuilds exactly the state in memory.
 *
 * Applying follows Kafka (GroupMetadata.completePendingTxnOffsetCommit): a pending value replaces
 * the key's current one only when its record comes later in the log, so a plain commit written
 * after the transactional one wins whichever order the marker arrives in. A tombstone of the key
 * (deleteOffsets, deleteGroup) also drops the pending values of that key, as Kafka's removeOffsets.
 */
export class TransactionalOffsets {
  private readonly byProducer = new Map<number, { epoch: number; offsets: Map<string, PendingOffset> }>()

  constructor(private readonly store: OffsetStoreAccess) {}

  /** The store's commitInTransaction: one transactional batch, staged once it is in the log. */
  commit(producerId: number, producerEpoch: number, group: string, entries: readonly OffsetCommit[]): Promise<void> {
    try {
      this.checkProducer(producerId, producerEpoch)
      this.store.check(group, entries)
    } catch (error) {
      return Promise.reject(error)
    }
    const commitTimestamp = Date.now()
    const stage = (entry: OffsetCommit, logOffset: number) =>
      this.stage(producerId, producerEpoch, { ...entry, group, metadata: entry.metadata ?? '', commitTimestamp, logOffset })
    const txn = { producerId, producerEpoch, isTransactional: true }
    return this.store.write(
      offsetRecords(group, entries, commitTimestamp),
      (base) => entries.forEach((entry, slot) => stage(entry, base + slot)),
      txn,
    )
  }

  /**
   * The store's completeTransaction: the marker, decided when the write's turn comes (after every
   * commit queued before it), then applied. Nothing is written when the producer has nothing pending.
   */
  async end(producerId: number, producerEpoch: number, result: TransactionResult): Promise<boolean> {
    this.checkProducer(producerId, producerEpoch)
    let isPending = false
    await this.store.write(
      () => {
        isPending = this.has(producerId)
        return isPending ? 'marker' : []
      },
      () => this.applyMarker(producerId, result),
      { producerId, producerEpoch, marker: result },
    )
    return isPending
  }

  /** A marker of `producerId` is in the log (written, or met by the replay): applies or drops its offsets. */
  applyMarker(producerId: number, result: TransactionResult): void {
    this.complete(producerId, result, (pending) => {
      if (isNewer(this.store.current(pending.group, pending.topic, pending.partition), pending)) this.store.set(pending)
    })
  }

  /** Holds one offset of producer `producerId`'s open transaction (a later one of the same key replaces it). */
  stage(producerId: number, producerEpoch: number, offset: PendingOffset): void {
    let pending = this.byProducer.get(producerId)
    if (pending === undefined) this.byProducer.set(producerId, (pending = { epoch: producerEpoch, offsets: new Map() }))
    pending.epoch = Math.max(pending.epoch, producerEpoch)
    const key = offsetKey(offset.group, offset.topic, offset.partition)
    // Deleted first so the map's order stays the log order.
    pending.offsets.delete(key)
    pending.offsets.set(key, offset)
  }

  /**
   * The marker of `producerId` arrived: its pending offsets are removed and, for a commit, handed
   * to `apply` in log order; an abort drops them.
   */
  private complete(producerId: number, result: TransactionResult, apply: (offset: PendingOffset) => void): void {
    const pending = this.byProducer.get(producerId)
    if (pending === undefined) return
    this.byProducer.delete(producerId)
    if (result === 'commit') for (const offset of pending.offsets.values()) apply(offset)
  }

  /** A tombstone of the key: no transaction may bring the deleted offset back. */
  drop(group: string, topic: string, partition: number): void {
    const key = offsetKey(group, topic, partition)
    for (const [producerId, pending] of this.byProducer) {
      pending.offsets.delete(key)
      if (pending.offsets.size === 0) this.byProducer.delete(producerId)
    }
  }

  has(producerId: number): boolean {
    return this.byProducer.has(producerId)
  }

  /** Producers with an open transaction holding offsets. */
  list(): PendingTransaction[] {
    return [...this.byProducer].map(([producerId, pending]) => ({ producerId, producerEpoch: pending.epoch }))
  }

  /** The pending offsets of one producer, in log order (copies). */
  offsetsOf(producerId: number): PendingOffset[] {
    return [...(this.byProducer.get(producerId)?.offsets.values() ?? [])].map((offset) => ({ ...offset }))
  }

  get size(): number {
    return this.byProducer.size
  }

  /** Refuses a producer id or epoch out of range, or an epoch older than one already seen for the producer. */
  checkProducer(producerId: number, producerEpoch: number): void {
    if (!Number.isSafeInteger(producerId) || producerId < 0)
      throw new InvalidArgumentError(`producerId must be a non-negative integer, got ${producerId}`)
    if (!Number.isInteger(producerEpoch) || producerEpoch < 0 || producerEpoch > 0x7fff)
      throw new InvalidArgumentError(`producerEpoch must be an integer in [0, 32767], got ${producerEpoch}`)
    const pending = this.byProducer.get(producerId)
    if (pending !== undefined && producerEpoch < pending.epoch)
      throw new InvalidProducerEpochError(producerId, pending.epoch, producerEpoch)
  }
}

/** Whether a pending value replaces the key's current one: only when written later in the log. */
export function isNewer(current: StoredOffset | undefined, pending: StoredOffset): boolean {
  return current === undefined || current.logOffset < pending.logOffset
}

function offsetKey(group: string, topic: string, partition: number): string {
  return `${group}\u0000${topic}\u0000${partition}`
}

import type { AbortedTxn } from '../format/txn-index.js'

/** A transaction with records in the log and no COMMIT or ABORT marker yet. */
export interface OpenTransaction {
  producerId: number
  producerEpoch: number
  /** Offset of the transaction's first record in this partition: the LSO cannot pass it. */
  firstOffset: number
  /**
   * Max timestamp of the transaction's first batch (the producer's clock), or, after a reopen from
   * a snapshot, of the producer's last batch: what a coordinator measures a timeout from.
   */
  startTimestamp: number
}

/** What a COMMIT or ABORT marker ended. */
export interface CompletedTxn {
  producerId: number
  firstOffset: number
  /** The marker's offset. */
  lastOffset: number
  isAborted: boolean
}

/**
 * The open transactions of one partition (Kafka's ProducerStateManager.ongoingTxns) and the last
 * coordinator epoch each producer's markers carried. Pure bookkeeping: ProducerState feeds it every
 * appended or replayed batch, in offset order. A transaction opens with its producer's first
 * transactional data batch and ends with the marker; the first offset of the oldest open one is
 * the first unstable offset, which bounds the last stable offset (LSO).
 */
export class OngoingTransactions {
  private readonly open = new Map<number, OpenTransaction>()
  private readonly coordinatorEpochs = new Map<number, number>()

  get size(): number {
    return this.open.size
  }

  /** A transactional data batch: opens the producer's transaction unless one is open. */
  onDataBatch(producerId: number, producerEpoch: number, baseOffset: number, timestamp: number): void {
    const current = this.open.get(producerId)
    if (current !== undefined) {
      current.producerEpoch = producerEpoch
      return
    }
    this.open.set(producerId, { producerId, producerEpoch, firstOffset: baseOffset, startTimestamp: timestamp })
  }

  /**
   * A COMMIT or ABORT marker at `offset`. A marker with nothing open (an empty transaction, or one
   * whose records lie below where the state was rebuilt from) ends a transaction of the marker alone,
   * as Kafka's does.
   */
  onMarker(producerId: number, isAborted: boolean, coordinatorEpoch: number, offset: number): CompletedTxn {
    const current = this.open.get(producerId)
    this.open.delete(producerId)
    this.coordinatorEpochs.set(producerId, coordinatorEpoch)
    return { producerId, firstOffset: current?.firstOffset ?? offset, lastOffset: offset, isAborted }
  }

  /** The entry for the `.txnindex` of an abort just completed: the LSO is what the other open transactions allow. */
  abortedEntry(completed: CompletedTxn): AbortedTxn {
    const unstable = this.firstUnstableOffset()
    return {
      producerId: completed.producerId,
      firstOffset: completed.firstOffset,
      lastOffset: completed.lastOffset,
      lastStableOffset: unstable ?? completed.lastOffset + 1,
    }
  }

  /** First offset of the oldest open transaction, or null when none is open. */
  firstUnstableOffset(): number | null {
    let first: number | null = null
    for (const txn of this.open.values()) if (first === null || txn.firstOffset < first) first = txn.firstOffset
    return first
  }

  get(producerId: number): OpenTransaction | undefined {
    return this.open.get(producerId)
  }

  coordinatorEpochOf(producerId: number): number {
    return this.coordinatorEpochs.get(producerId) ?? -1
  }

  /** The open transactions, oldest first. */
  list(): OpenTransaction[] {
    return [...this.open.values()].map((txn) => ({ ...txn })).sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** Restores one producer from a snapshot entry. */
  restore(producerId: number, producerEpoch: number, coordinatorEpoch: number, firstOffset: number | null, timestamp: number): void {
    if (coordinatorEpoch >= 0) this.coordinatorEpochs.set(producerId, coordinatorEpoch)
    if (firstOffset !== null) this.open.set(producerId, { producerId, producerEpoch, firstOffset, startTimestamp: timestamp })
  }

  forget(producerId: number): void {
    this.open.delete(producerId)
    this.coordinatorEpochs.delete(producerId)
  }

  clear(): void {
    this.open.clear()
    this.coordinatorEpochs.clear()
  }
}

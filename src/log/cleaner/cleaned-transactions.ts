import type { AbortedTxn } from '../../format/txn-index.js'
import { readControlRecord } from '../../record/control-record.js'
import type { RecordBatch } from '../../record/record-batch.js'

/**
 * What a cleaning pass knows of transactions as it walks the log in offset order (Kafka's
 * CleanedTransactionMetadata). Given the aborted transactions of the range walked (from the
 * `.txnindex` entries), it says of each data batch whether it belongs to an aborted transaction
 * (its records go), and of each control batch whether its marker may go: an ABORT marker once no
 * batch of its transaction was met in this pass (the data is gone), a COMMIT marker once no batch
 * of its transaction was met either (every record it committed was superseded and removed before).
 * A marker is never dropped while data of its transaction remains, so a read_committed reader and
 * a rebuilt producer state still see how the transaction ended.
 *
 * The walk must see every batch of the range once, in order: the pass keeps one instance for all
 * its groups of segments, as Kafka does, and the map-building walk its own.
 */
export class CleanedTransactions {
  /** Aborted transactions not reached yet, ascending by first offset. */
  private readonly pending: AbortedTxn[]
  private next = 0
  /** Producers whose aborted transaction has begun (first offset reached), and whether a batch of it was met. */
  private readonly ongoingAborted = new Map<number, { txn: AbortedTxn; hasData: boolean }>()
  /** Producers with a batch of a not-aborted (so committed: the walk stays below the LSO) transaction met since its marker. */
  private readonly ongoingCommitted = new Set<number>()
  /** Aborted transactions whose ABORT marker stays this pass: the cleaned segments' `.txnindex` entries. */
  private retained: AbortedTxn[] = []

  constructor(aborted: readonly AbortedTxn[]) {
    // One entry per marker: the ranges collected may overlap.
    const byMarker = new Map<number, AbortedTxn>()
    for (const txn of aborted) byMarker.set(txn.lastOffset, txn)
    this.pending = [...byMarker.values()].sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** A data batch: true when it belongs to an aborted transaction (its records are dropped). */
  onDataBatch(batch: RecordBatch): boolean {
    this.reach(batch.lastOffset)
    if (!batch.isTransactional) return false
    const aborted = this.ongoingAborted.get(batch.producerId)
    if (aborted !== undefined) {
      aborted.hasData = true
      return true
    }
    this.ongoingCommitted.add(batch.producerId)
    return false
  }

  /** A control batch: true when its marker may be removed (once its delete horizon has passed). */
  onControlBatch(batch: RecordBatch): boolean {
    this.reach(batch.lastOffset)
    let type: string | null = null
    for (const record of batch.records()) {
      type = readControlRecord(record).type
      break
    }
    // An emptied control batch (a marker removed before, its batch kept for the producer's
    // offsets): nothing left to keep.
    if (type === null) return true
    const producerId = batch.producerId
    if (type === 'ABORT') {
      const aborted = this.ongoingAborted.get(producerId)
      this.ongoingAborted.delete(producerId)
      if (aborted !== undefined && aborted.hasData) {
        this.retained.push(aborted.txn)
        return false
      }
      return true
    }
    if (type === 'COMMIT') return !this.ongoingCommitted.delete(producerId)
    return false
  }

  /** The aborted transactions whose markers were kept since the last call, in marker order. */
  takeRetained(): AbortedTxn[] {
    const retained = this.retained
    this.retained = []
    return retained
  }

  /** Starts the aborted transactions whose first offset is at or below `offset`. */
  private reach(offset: number): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= offset) {
      const txn = this.pending[this.next++]!
      if (!this.ongoingAborted.has(txn.producerId)) this.ongoingAborted.set(txn.producerId, { txn, hasData: false })
    }
  }
}

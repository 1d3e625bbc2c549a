import type { LogEngine } from '../../index.js'
import type { Clock } from '../groups/clock.js'
import { findPartition } from '../partitions.js'
import { partitionList, type TxnMetadata, type TxnState } from './txn-metadata.js'

/** An offset TxnOffsetCommit writes for a group inside the transaction. */
export interface StagedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly metadata: string
}

export interface Completion {
  readonly engine: LogEngine
  readonly clock: Clock
  log(message: string): void
  isClosed(): boolean
  /** The transaction in PrepareCommit or PrepareAbort. */
  readonly meta: TxnMetadata
  /** Records CompleteCommit/CompleteAbort in `__transaction_state`. */
  writeComplete(state: TxnState): Promise<void>
}

/** How long a failed completion waits before it tries again. */
const RETRY_MS = 1000
/** A single broker: its coordinator epoch never changes. */
const COORDINATOR_EPOCH = 0

/**
 * The second phase of ending a transaction, after PrepareCommit/PrepareAbort is in the log: every
 * partition where the producer has records without a marker gets the COMMIT or ABORT marker, and so
 * does the offsets log when TxnOffsetCommit left offsets of the producer there (which the marker
 * applies or drops), then the Complete state is written. Each step can be repeated after a crash (partitions that already have
 * their marker have no open transaction left), which is what the load at start relies on. A failed
 * step is logged and the whole phase retried until it succeeds or the server closes.
 */
export async function completeTransaction(completion: Completion): Promise<void> {
  const { meta } = completion
  const result = meta.state === 'PrepareCommit' ? 'commit' : 'abort'
  for (;;) {
    try {
      for (const { topic, partition } of partitionList(meta)) {
        const log = findPartition(completion.engine, topic, partition)
        if (log === null) continue // deleted since: nothing left to mark
        if (log.openTransactions().some((txn) => txn.producerId === meta.producerId))
          await log.writeTxnMarker(meta.producerId, meta.producerEpoch, result, COORDINATOR_EPOCH)
      }
      await completion.engine.offsets.completeTransaction(meta.producerId, meta.producerEpoch, result)
      await completion.writeComplete(result === 'commit' ? 'CompleteCommit' : 'CompleteAbort')
      return
    } catch (error) {
      if (completion.isClosed()) return
      completion.log(`transactional id ${meta.transactionalId}: ${result} failed, retrying: ${(error as Error).message}`)
      await new Promise<void>((resolve) => completion.clock.setTimeout(resolve, RETRY_MS))
    }
  }
}

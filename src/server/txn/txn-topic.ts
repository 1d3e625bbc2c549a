import type { LogEngine, PartitionLog } from '../../index.js'
import { decodeTxnLogKey, decodeTxnLogValue, encodeTxnLogKey, encodeTxnLogValue } from './txn-log-records.js'
import { TRANSACTION_STATE_TOPIC, type TxnMetadata } from './txn-metadata.js'
import type { TxnLogRecordError } from './txn-errors.js'

export { TRANSACTION_STATE_TOPIC }

/**
 * `__transaction_state`: one partition (a single broker coordinates every transactional id), one
 * record per change of a transactional id, compacted like Kafka's. Created on the first
 * transactional InitProducerId, so a server that never sees a transaction leaves no trace.
 * A write resolves when the record is in the log; under the `interval` flush mode it also waits
 * for the fsync, as a produce with acks=-1 does (Kafka writes this topic with acks=-1).
 */
export class TransactionStateLog {
  private log: PartitionLog | null

  private constructor(
    private readonly engine: LogEngine,
    log: PartitionLog | null,
  ) {
    this.log = log
  }

  static open(engine: LogEngine): TransactionStateLog {
    return new TransactionStateLog(engine, engine.hasTopic(TRANSACTION_STATE_TOPIC) ? engine.partition(TRANSACTION_STATE_TOPIC, 0) : null)
  }

  /** The newest metadata of every transactional id the log holds (tombstones removed). */
  async load(): Promise<Map<string, TxnMetadata>> {
    const loaded = new Map<string, TxnMetadata>()
    if (this.log === null) return loaded
    for await (const record of this.log.records({ from: this.log.logStartOffset })) {
      if (record.key === null) continue
      try {
        const transactionalId = decodeTxnLogKey(record.key)
        const meta = decodeTxnLogValue(transactionalId, record.value)
        if (meta === null) loaded.delete(transactionalId)
        else loaded.set(transactionalId, meta)
      } catch (error) {
        throw (error as TxnLogRecordError).atOffset(record.offset)
      }
    }
    return loaded
  }

  async write(meta: TxnMetadata): Promise<void> {
    const log = this.log ?? (await this.create())
    const info = await log.appendRecords([{ key: encodeTxnLogKey(meta.transactionalId), value: encodeTxnLogValue(meta) }])
    if (log.flushPolicy.mode === 'interval') await log.waitDurable(info.lastOffset + 1)
  }

  private async create(): Promise<PartitionLog> {
    if (!this.engine.hasTopic(TRANSACTION_STATE_TOPIC)) {
      await this.engine.createTopic(TRANSACTION_STATE_TOPIC, { partitions: 1, cleanupPolicy: 'compact' }).catch((error: unknown) => {
        if (!this.engine.hasTopic(TRANSACTION_STATE_TOPIC)) throw error
      })
    }
    this.log = this.engine.partition(TRANSACTION_STATE_TOPIC, 0)
    return this.log
  }
}

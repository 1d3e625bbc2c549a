import { OFFSETS_TOPIC, type LogEngine, type PartitionLog } from '../index.js'

/** The partition's log, or null when the topic or partition does not exist (or the engine closed). */
export function findPartition(engine: LogEngine, topic: string, partition: number): PartitionLog | null {
  try {
    if (!engine.hasTopic(topic)) return null
    const logs = engine.partitions(topic)
    return Number.isInteger(partition) && partition >= 0 && partition < logs.length ? logs[partition]! : null
  } catch {
    return null
  }
}

/** The transaction coordinator's log (src/server/txn/txn-topic.ts), named as Kafka names it. */
const TRANSACTION_STATE_TOPIC = '__transaction_state'

/** Whether a topic is seglog's own (the offsets log, the transaction log): listed as internal, never written by clients. */
export function isInternalTopic(topic: string): boolean {
  return topic === OFFSETS_TOPIC || topic === TRANSACTION_STATE_TOPIC
}

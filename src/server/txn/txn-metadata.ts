/**
 * One transactional id as the coordinator knows it: Kafka's TransactionMetadata, reduced to what a
 * single broker needs. The state names and their ids are Kafka's (TransactionState in
 * kafka.coordinator.transaction), because the ids are what `__transaction_state` stores.
 */

/** The internal topic the transaction coordinator keeps its state in, as Kafka names it. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state'

export const TXN_STATES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
] as const

export type TxnState = (typeof TXN_STATES)[number]

/** The id stored in TransactionLogValue.TransactionStatus. */
export function txnStateId(state: TxnState): number {
  return TXN_STATES.indexOf(state)
}

/** The state a stored id stands for, or null for an id Kafka does not define. */
export function txnStateOf(id: number): TxnState | null {
  return TXN_STATES[id] ?? null
}

export interface TxnMetadata {
  readonly transactionalId: string
  producerId: number
  producerEpoch: number
  transactionTimeoutMs: number
  state: TxnState
  /** `topic` -> partitions added to the open transaction; empty outside one. */
  partitions: Map<string, Set<number>>
  /** When the open transaction began (its first AddPartitions/AddOffsets); -1 outside one. */
  startTimestampMs: number
  lastUpdateTimestampMs: number
}

/** The largest producer epoch (int16); past it a transactional id gets a new producer id, as in Kafka. */
export const MAX_PRODUCER_EPOCH = 0x7fff - 1

export function isPrepare(state: TxnState): boolean {
  return state === 'PrepareCommit' || state === 'PrepareAbort' || state === 'PrepareEpochFence'
}

export function copyMetadata(meta: TxnMetadata): TxnMetadata {
  return { ...meta, partitions: new Map([...meta.partitions].map(([topic, set]) => [topic, new Set(set)])) }
}

export function partitionList(meta: TxnMetadata): { topic: string; partition: number }[] {
  return [...meta.partitions].flatMap(([topic, set]) => [...set].sort((a, b) => a - b).map((partition) => ({ topic, partition })))
}

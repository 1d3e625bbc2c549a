import { InvalidArgumentError, SeglogError } from '../errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { CompressionName } from '../compression/codec.js'
import { partitionForKey } from './partitioner.js'
import type { ProducerRecord } from './producer.js'

/** A newer producer with the same transactional id has started: this one may not write any more. */
export class ProducerFencedError extends SeglogError {
  constructor(
    readonly transactionalId: string,
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super('INVALID_PRODUCER_EPOCH', `transactional id ${transactionalId}: epoch ${epoch} was fenced by epoch ${currentEpoch}`)
  }
}

/** A transactional call in the wrong state (send outside a transaction, commit with none begun). */
export class TransactionStateError extends SeglogError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/** A producer id and epoch handed to a transactional id. */
export interface ProducerIdentity {
  producerId: number
  producerEpoch: number
}

/** What a transactional producer needs of its engine. */
export interface TransactionalProducerHost {
  resolveTopic(topic: string): readonly PartitionLog[]
  /** Every partition, to find what an earlier instance of the id left open. */
  allPartitions(): readonly PartitionLog[]
  /** Kafka's InitProducerId: the id's producer id with its epoch bumped (durably), which fences older instances. */
  initProducerId(transactionalId: string): ProducerIdentity
  /** The id's current identity, to notice being fenced. */
  currentIdentity(transactionalId: string): ProducerIdentity | undefined
  commitOffset(group: string, topic: string, partition: number, offset: number): Promise<void>
}

export interface TransactionalProducerOptions {
  transactionalId: string
  compression?: CompressionName
}

/** An offset to commit with the transaction (Kafka's sendOffsetsToTransaction). */
export interface TransactionOffset {
  topic: string
  partition: number
  /** The next offset to consume. */
  offset: number
}

/**
 * The embedded producer in transactional mode (KIP-98 on one engine): records sent between
 * `beginTransaction` and `commitTransaction` become visible to read_committed readers together, or
 * never (`abortTransaction`, or a crash: the next producer with the same transactional id aborts what
 * an earlier one left open). Each `send` appends one transactional batch per partition it touches,
 * resolving once the batch is in the log. Offsets given to `sendOffsets` are committed to the offset
 * store after the COMMIT markers are written (an abort drops them): a crash between the two leaves
 * the records committed and those offsets not, so they are consumed again (at least once, never
 * lost). One caller at a time: calls must not overlap.
 */
export class TransactionalProducer {
  readonly transactionalId: string
  private readonly host: TransactionalProducerHost
  private readonly compression: CompressionName
  private identity: ProducerIdentity
  private readonly sequences = new Map<PartitionLog, number>()
  private readonly touched = new Set<PartitionLog>()
  private offsets = new Map<string, { group: string } & TransactionOffset>()
  private state: 'ready' | 'in-transaction' | 'closed' = 'ready'

  private constructor(host: TransactionalProducerHost, options: TransactionalProducerOptions, identity: ProducerIdentity) {
    this.host = host
    this.transactionalId = options.transactionalId
    this.compression = options.compression ?? 'none'
    this.identity = identity
  }

  /** Takes the transactional id (fencing an older producer with it) and aborts what it left open. */
  static async init(host: TransactionalProducerHost, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    if (typeof options?.transactionalId !== 'string' || options.transactionalId === '')
      throw new InvalidArgumentError('transactional producer: transactionalId must be a non-empty string')
    const identity = host.initProducerId(options.transactionalId)
    for (const log of host.allPartitions()) {
      for (const txn of log.openTransactions()) {
        if (txn.producerId === identity.producerId) await log.writeTxnMarker(txn.producerId, identity.producerEpoch, 'abort', 0)
      }
    }
    return new TransactionalProducer(host, options, identity)
  }

  get producerId(): number {
    return this.identity.producerId
  }

  get producerEpoch(): number {
    return this.identity.producerEpoch
  }

  get isInTransaction(): boolean {
    return this.state === 'in-transaction'
  }

  beginTransaction(): void {
    this.checkNotFenced()
    if (this.state !== 'ready') throw new TransactionStateError(`beginTransaction: the producer is ${this.state}`)
    this.state = 'in-transaction'
  }

  /** Appends `records` inside the transaction; resolves with each record's partition and offset. */
  async send(topic: string, records: readonly ProducerRecord[]): Promise<{ partition: number; offset: number }[]> {
    this.checkInTransaction('send')
    const logs = this.host.resolveTopic(topic)
    const byPartition = new Map<number, number[]>()
    records.forEach((record, slot) => {
      const partition = record.partition ?? choosePartition(record, logs.length, slot)
      if (!Number.isInteger(partition) || partition < 0 || partition >= logs.length)
        throw new InvalidArgumentError(`send: partition ${partition} does not exist in ${topic} (${logs.length} partitions)`)
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), slot])
    })
    const result: { partition: number; offset: number }[] = new Array(records.length)
    for (const [partition, slots] of byPartition) {
      const log = logs[partition]!
      const baseSequence = this.sequences.get(log) ?? 0
      this.touched.add(log)
      const info = await log.appendRecords(
        slots.map((slot) => records[slot]!),
        { ...this.identity, baseSequence, isTransactional: true, compression: this.compression },
      )
      this.sequences.set(log, (baseSequence + slots.length) % 0x80000000)
      slots.forEach((slot, index) => (result[slot] = { partition, offset: info.baseOffset + index }))
    }
    return result
  }

  /** Consumer offsets that are committed with the transaction and dropped with an abort (Kafka's TxnOffsetCommit). */
  sendOffsets(group: string, offsets: readonly TransactionOffset[]): void {
    this.checkInTransaction('sendOffsets')
    for (const entry of offsets) this.offsets.set(`${entry.topic}\u0000${entry.partition}\u0000${group}`, { group, ...entry })
  }

  /** Writes COMMIT markers on every partition the transaction touched, then commits its offsets. */
  async commitTransaction(): Promise<void> {
    this.checkInTransaction('commitTransaction')
    await this.endTransaction('commit')
    for (const { group, topic, partition, offset } of this.offsets.values()) await this.host.commitOffset(group, topic, partition, offset)
    this.offsets = new Map()
  }

  /** Writes ABORT markers: read_committed readers never see the transaction's records; its offsets are dropped. */
  async abortTransaction(): Promise<void> {
    this.checkInTransaction('abortTransaction')
    this.offsets = new Map()
    await this.endTransaction('abort')
  }

  /** Aborts an open transaction (unless fenced) and refuses every later call. */
  async close(): Promise<void> {
    if (this.state === 'in-transaction' && !this.isFenced()) await this.abortTransaction()
    this.state = 'closed'
  }

  private async endTransaction(result: 'commit' | 'abort'): Promise<void> {
    for (const log of this.touched) await log.writeTxnMarker(this.identity.producerId, this.identity.producerEpoch, result, 0)
    this.touched.clear()
    this.state = 'ready'
  }

  private checkInTransaction(where: string): void {
    this.checkNotFenced()
    if (this.state !== 'in-transaction') throw new TransactionStateError(`${where}: no transaction begun (the producer is ${this.state})`)
  }

  private isFenced(): boolean {
    const current = this.host.currentIdentity(this.transactionalId)
    return current === undefined || current.producerId !== this.identity.producerId || current.producerEpoch !== this.identity.producerEpoch
  }

  private checkNotFenced(): void {
    if (this.isFenced()) {
      const current = this.host.currentIdentity(this.transactionalId)
      throw new ProducerFencedError(this.transactionalId, this.identity.producerEpoch, current?.producerEpoch ?? -1)
    }
  }
}

/** Keyed records go by Kafka's murmur2 partitioner; keyless ones round-robin over the call. */
function choosePartition(record: ProducerRecord, count: number, slot: number): number {
  const key = record.key
  if (key === null || key === undefined) return slot % count
  return partitionForKey(typeof key === 'string' ? Buffer.from(key) : key, count)
}

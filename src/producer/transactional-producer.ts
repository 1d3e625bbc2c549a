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

/** The id's stored identity; `committing` while a commit's markers are being written (its decision). */
export interface StoredIdentity extends ProducerIdentity {
  committing?: boolean
}

/** The engine's offsets log, where offsets committed in a transaction wait for its marker (the offset store). */
export interface TransactionOffsetLog {
  commitInTransaction(producerId: number, producerEpoch: number, group: string, offsets: readonly TransactionOffset[]): Promise<void>
  completeTransaction(producerId: number, producerEpoch: number, result: 'commit' | 'abort'): Promise<boolean>
}

/** What a transactional producer needs of its engine. */
export interface TransactionalProducerHost {
  resolveTopic(topic: string): readonly PartitionLog[]
  /** Every partition, to find what an earlier instance of the id left open. */
  allPartitions(): readonly PartitionLog[]
  /** Kafka's InitProducerId: the id's producer id with its epoch bumped (durably), which fences older instances. */
  initProducerId(transactionalId: string): ProducerIdentity
  /** The id's current identity, to notice being fenced. */
  currentIdentity(transactionalId: string): StoredIdentity | undefined
  /** Durably records (or clears) that the id's transaction is committing: what a restart rolls forward. */
  setCommitting(transactionalId: string, isCommitting: boolean): void
  readonly offsets: TransactionOffsetLog
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
 * resolving once the batch is in the log. Offsets given to `sendOffsets` are written at once to
 * the offsets log inside the transaction and take effect with its COMMIT marker (an ABORT drops
 * them), so records and offsets commit together: exactly once for a consume-transform-produce loop.
 *
 * The decision to commit is the `committing` flag of the id (transactional-ids.json), written before
 * the first marker when the transaction has more than one log to mark and cleared after the last.
 * A producer opened after a crash finishes a commit it finds flagged (COMMIT markers on what is still
 * open, at the old epoch) and aborts anything else left open. One caller at a time: calls must not overlap.
 */
export class TransactionalProducer {
  readonly transactionalId: string
  private readonly host: TransactionalProducerHost
  private readonly compression: CompressionName
  private identity: ProducerIdentity
  private readonly sequences = new Map<PartitionLog, number>()
  private readonly touched = new Set<PartitionLog>()
  /** sendOffsets writes not yet awaited by the caller: the commit waits for them. */
  private offsetWrites: Promise<void>[] = []
  private hasOffsets = false
  /** A commit whose decision is written but whose markers failed: only a retried commit may end it. */
  private isCommitDecided = false
  private failedOffsetWrite: Error | null = null
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
    const previous = host.currentIdentity(options.transactionalId)
    // A commit decided before a crash is finished before the epoch moves on, at the epoch it began with.
    if (previous?.committing === true) await writeMarkers(host, host.allPartitions(), previous, 'commit')
    const identity = host.initProducerId(options.transactionalId)
    if (previous !== undefined) {
      const epoch = previous.producerId === identity.producerId ? identity.producerEpoch : previous.producerEpoch
      await writeMarkers(host, host.allPartitions(), { producerId: previous.producerId, producerEpoch: epoch }, 'abort')
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

  /**
   * Consumer offsets committed with the transaction and dropped with an abort (Kafka's
   * TxnOffsetCommit): written to the offsets log at once, resolving once they are there (the
   * commit waits for them too). Throws at once when no transaction is begun.
   */
  sendOffsets(group: string, offsets: readonly TransactionOffset[]): Promise<void> {
    this.checkInTransaction('sendOffsets')
    if (offsets.length === 0) return Promise.resolve()
    this.hasOffsets = true
    const write = this.host.offsets.commitInTransaction(this.identity.producerId, this.identity.producerEpoch, group, offsets)
    // A failed write leaves the transaction abortable only: committing it would lose those offsets.
    this.offsetWrites.push(write.catch((error: unknown) => void (this.failedOffsetWrite ??= error as Error)))
    return write
  }

  /** Writes COMMIT markers on every partition the transaction touched and on the offsets log. */
  async commitTransaction(): Promise<void> {
    this.checkInTransaction('commitTransaction')
    await this.endTransaction('commit')
  }

  /** Writes ABORT markers: read_committed readers never see the transaction's records; its offsets are dropped. */
  async abortTransaction(): Promise<void> {
    this.checkInTransaction('abortTransaction')
    if (this.isCommitDecided) throw new TransactionStateError('abortTransaction: the commit is decided; retry commitTransaction')
    await this.endTransaction('abort')
  }

  /** Aborts an open transaction (unless fenced) and refuses every later call. */
  async close(): Promise<void> {
    // A decided commit is left to the next producer with the id, which finishes it.
    if (this.state === 'in-transaction' && !this.isFenced() && !this.isCommitDecided) await this.abortTransaction()
    this.state = 'closed'
  }

  private async endTransaction(result: 'commit' | 'abort'): Promise<void> {
    await Promise.all(this.offsetWrites)
    if (result === 'commit' && this.failedOffsetWrite !== null)
      throw new TransactionStateError(`commitTransaction: sendOffsets failed (${this.failedOffsetWrite.message}); abort the transaction`)
    // One log's marker is atomic by itself; more need the decision written first (see the class comment).
    const isDecided = result === 'commit' && this.touched.size + (this.hasOffsets ? 1 : 0) > 1
    if (isDecided) {
      this.host.setCommitting(this.transactionalId, true)
      this.isCommitDecided = true
    }
    // Markers go only where the transaction is still open: a retried commit repeats nothing.
    await writeMarkers(this.host, [...this.touched], this.identity, result)
    if (isDecided) this.host.setCommitting(this.transactionalId, false)
    this.isCommitDecided = false
    this.touched.clear()
    this.offsetWrites = []
    this.hasOffsets = false
    this.failedOffsetWrite = null
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

/** Ends producer `identity`'s transaction on every log of `logs` where it is open, then on the offsets log. */
async function writeMarkers(
  host: TransactionalProducerHost,
  logs: readonly PartitionLog[],
  identity: ProducerIdentity,
  result: 'commit' | 'abort',
): Promise<void> {
  for (const log of logs) {
    if (log.openTransactions().some((txn) => txn.producerId === identity.producerId))
      await log.writeTxnMarker(identity.producerId, identity.producerEpoch, result, 0)
  }
  await host.offsets.completeTransaction(identity.producerId, identity.producerEpoch, result)
}

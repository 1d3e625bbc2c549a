import { randomInt } from 'node:crypto'
import type { LogEngine } from '../../index.js'
import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import type { Clock } from '../groups/clock.js'
import { findPartition, isInternalTopic } from '../partitions.js'
import { completeTransaction, type StagedOffset } from './txn-completion.js'
import { copyMetadata, isPrepare, MAX_PRODUCER_EPOCH, type TxnMetadata } from './txn-metadata.js'
import { TransactionStateLog } from './txn-topic.js'

const K = KafkaErrorCode

/** How long a timed-out transaction whose abort could not be written waits before the next try. */
const RETRY_MS = 1000

/** Kafka's transaction.max.timeout.ms: the longest transaction timeout a producer may ask for. */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000

export interface TxnCoordinatorHost {
  readonly engine: LogEngine
  readonly clock: Clock
  log(message: string): void
}

interface Entry {
  meta: TxnMetadata
  /** Groups added by AddOffsetsToTxn to the open transaction (their offsets wait in the offsets log). */
  readonly groups: Set<string>
  /** Every change of this id runs here, one at a time, in arrival order. */
  queue: Promise<unknown>
  timeoutTimer: unknown
  /** The markers being written for a PrepareCommit/PrepareAbort; null otherwise. */
  completion: Promise<void> | null
}

type Waiting = { readonly waitFor: Promise<void> }

function isWaiting(value: unknown): value is Waiting {
  return typeof value === 'object' && value !== null && 'waitFor' in value
}

/**
 * Kafka's transaction coordinator for a single broker (KIP-98): the state of every transactional id
 * (producer id, epoch, open transaction, partitions in it), kept in `__transaction_state` and
 * reloaded from it at start. A change is written to that log before it takes effect, so a crash
 * leaves the last written state: a PrepareCommit/PrepareAbort is completed (markers written) when the
 * server starts again, and an Ongoing transaction is aborted once its timeout has passed.
 *
 * Requests of one transactional id run one at a time. The markers of an ending transaction are
 * written outside that queue, so a request arriving meanwhile is answered CONCURRENT_TRANSACTIONS
 * (the client retries) instead of waiting. EndTxn answers once the markers are written.
 */
export class TransactionCoordinator {
  private readonly entries = new Map<string, Entry>()
  private isClosed = false

  private constructor(
    private readonly host: TxnCoordinatorHost,
    private readonly stateLog: TransactionStateLog,
  ) {}

  /** Loads the state from `__transaction_state` and completes what a crash left in the middle. */
  static async open(host: TxnCoordinatorHost): Promise<TransactionCoordinator> {
    const coordinator = new TransactionCoordinator(host, TransactionStateLog.open(host.engine))
    const pending: Promise<void>[] = []
    for (const [transactionalId, meta] of await coordinator.stateLog.load()) {
      const entry = coordinator.entryFor(transactionalId, meta)
      if (meta.state === 'PrepareEpochFence') meta.state = 'PrepareAbort'
      if (isPrepare(meta.state)) pending.push(coordinator.startCompletion(entry))
      else if (meta.state === 'Ongoing') {
        if (coordinator.isExpired(meta)) pending.push(coordinator.abortExpired(entry, meta.producerEpoch))
        else coordinator.scheduleTimeout(entry)
      }
    }
    await Promise.all(pending)
    return coordinator
  }

  /** Stops the timers and waits for markers being written (their retries end). */
  async close(): Promise<void> {
    this.isClosed = true
    for (const entry of this.entries.values()) this.host.clock.clearTimeout(entry.timeoutTimer)
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.completion))
  }

  /** The current state of a transactional id (a copy), for tests and operators. */
  describe(transactionalId: string): TxnMetadata | undefined {
    const meta = this.entries.get(transactionalId)?.meta
    return meta === undefined || meta.producerId === -1 ? undefined : copyMetadata(meta)
  }

  /**
   * InitProducerId with a transactional id: the id's producer id at the next epoch, which fences
   * any older producer with it. A transaction the older one left open is aborted first.
   */
  async initProducerId(
    transactionalId: string,
    transactionTimeoutMs: number,
    expected: { producerId: number; producerEpoch: number },
  ): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
    const fail = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 })
    if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs <= 0 || transactionTimeoutMs > MAX_TRANSACTION_TIMEOUT_MS)
      return fail(K.INVALID_TRANSACTION_TIMEOUT)
    const entry = this.entryFor(transactionalId, null)
    for (;;) {
      const result = await this.serialize(entry, async () => {
        const meta = entry.meta
        if (isPrepare(meta.state)) return fail(K.CONCURRENT_TRANSACTIONS)
        if (expected.producerId !== -1 && (expected.producerId !== meta.producerId || expected.producerEpoch !== meta.producerEpoch))
          return fail(K.PRODUCER_FENCED)
        if (meta.state === 'Ongoing') return this.beginEnd(entry, 'abort', true)
        const next = copyMetadata(meta)
        if (meta.producerId === -1 || meta.producerEpoch >= MAX_PRODUCER_EPOCH) {
          next.producerId = randomInt(2 ** 47)
          next.producerEpoch = 0
        } else next.producerEpoch = meta.producerEpoch + 1
        Object.assign(next, { transactionTimeoutMs, state: 'Empty', partitions: new Map(), startTimestampMs: -1 })
        await this.persist(entry, next)
        entry.groups.clear()
        return { errorCode: K.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch }
      }).catch((error: unknown) => fail(this.writeError(transactionalId, error)))
      if (!isWaiting(result)) return result
      await result.waitFor
    }
  }

  /** AddPartitionsToTxn: one error code per partition asked for (in the same order). */
  async addPartitions(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<number[]> {
    const all = (code: number) => partitions.map(() => code)
    const entry = this.entries.get(transactionalId)
    if (entry === undefined) return all(K.INVALID_PRODUCER_ID_MAPPING)
    return this.serialize(entry, async () => {
      const code = this.producerError(entry.meta, producerId, producerEpoch)
      if (code !== K.NONE) return all(code)
      const isUnknown = partitions.map(
        ({ topic, partition }) => isInternalTopic(topic) || findPartition(this.host.engine, topic, partition) === null,
      )
      if (isUnknown.some(Boolean)) return isUnknown.map((unknown) => (unknown ? K.UNKNOWN_TOPIC_OR_PARTITION : K.OPERATION_NOT_ATTEMPTED))
      const next = this.ongoing(entry.meta)
      let isChanged = next.state !== entry.meta.state
      for (const { topic, partition } of partitions) {
        let set = next.partitions.get(topic)
        if (set === undefined) next.partitions.set(topic, (set = new Set()))
        if (!set.has(partition)) isChanged = true
        set.add(partition)
      }
      if (isChanged) await this.persistOngoing(entry, next)
      return all(K.NONE)
    }).catch((error: unknown) => all(this.writeError(transactionalId, error)))
  }

  /** AddOffsetsToTxn: the group's offsets may now be committed inside the transaction. */
  async addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<number> {
    const entry = this.entries.get(transactionalId)
    if (entry === undefined) return K.INVALID_PRODUCER_ID_MAPPING
    return this.serialize(entry, async () => {
      const code = this.producerError(entry.meta, producerId, producerEpoch)
      if (code !== K.NONE) return code
      entry.groups.add(groupId)
      if (entry.meta.state !== 'Ongoing') await this.persistOngoing(entry, this.ongoing(entry.meta))
      return K.NONE
    }).catch((error: unknown) => this.writeError(transactionalId, error))
  }

  /**
   * TxnOffsetCommit: writes the offsets at once to the offsets log inside the transaction (the
   * offset store's commitInTransaction); its COMMIT marker there makes them visible, ABORT drops them.
   */
  async stageOffsets(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    groupId: string,
    offsets: readonly StagedOffset[],
  ): Promise<number> {
    const entry = this.entries.get(transactionalId)
    if (entry === undefined) return K.INVALID_PRODUCER_ID_MAPPING
    return this.serialize(entry, async () => {
      const code = this.producerError(entry.meta, producerId, producerEpoch)
      if (code !== K.NONE) return code
      // AddOffsetsToTxn comes first: it is what puts the group into the transaction.
      if (entry.meta.state !== 'Ongoing' || !entry.groups.has(groupId)) return K.INVALID_TXN_STATE
      if (offsets.length > 0) await this.host.engine.offsets.commitInTransaction(producerId, producerEpoch, groupId, offsets)
      return K.NONE
    }).catch((error: unknown) => this.writeError(transactionalId, error))
  }

  /** EndTxn: commits or aborts the open transaction; resolves once its markers are written. */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, isCommit: boolean): Promise<number> {
    const entry = this.entries.get(transactionalId)
    if (entry === undefined) return K.INVALID_PRODUCER_ID_MAPPING
    const result = await this.serialize(entry, async (): Promise<number | Waiting> => {
      const meta = entry.meta
      if (meta.producerId !== producerId) return K.INVALID_PRODUCER_ID_MAPPING
      if (meta.producerEpoch !== producerEpoch) return K.INVALID_PRODUCER_EPOCH
      switch (meta.state) {
        case 'Ongoing':
          return this.beginEnd(entry, isCommit ? 'commit' : 'abort', false)
        case 'PrepareCommit':
        case 'PrepareAbort':
          return (meta.state === 'PrepareCommit') === isCommit ? K.CONCURRENT_TRANSACTIONS : K.INVALID_TXN_STATE
        case 'CompleteCommit':
        case 'CompleteAbort':
          // A retry of the EndTxn that completed it.
          return (meta.state === 'CompleteCommit') === isCommit ? K.NONE : K.INVALID_TXN_STATE
        default:
          return K.INVALID_TXN_STATE
      }
    }).catch((error: unknown) => this.writeError(transactionalId, error))
    if (!isWaiting(result)) return result
    await result.waitFor
    return K.NONE
  }

  /**
   * Whether a produce request of `transactionalId` may append a batch of this producer to the
   * partition: the id's current producer and epoch, and for a transactional batch a partition added
   * to the open transaction.
   */
  produceError(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): number {
    const meta = this.entries.get(transactionalId)?.meta
    if (meta === undefined || meta.producerId !== producerId) return K.INVALID_PRODUCER_ID_MAPPING
    if (producerEpoch < meta.producerEpoch) return K.INVALID_PRODUCER_EPOCH
    if (meta.state !== 'Ongoing' || meta.partitions.get(topic)?.has(partition) !== true) return K.INVALID_TXN_STATE
    return K.NONE
  }

  private entryFor(transactionalId: string, loaded: TxnMetadata | null): Entry {
    let entry = this.entries.get(transactionalId)
    if (entry === undefined) {
      const meta: TxnMetadata = loaded ?? {
        transactionalId,
        producerId: -1,
        producerEpoch: -1,
        transactionTimeoutMs: 0,
        state: 'Empty',
        partitions: new Map(),
        startTimestampMs: -1,
        lastUpdateTimestampMs: -1,
      }
      entry = { meta, groups: new Set(), queue: Promise.resolve(), timeoutTimer: undefined, completion: null }
      this.entries.set(transactionalId, entry)
    }
    return entry
  }

  private serialize<T>(entry: Entry, task: () => Promise<T> | T): Promise<T> {
    const result = entry.queue.then(task)
    entry.queue = result.catch(() => undefined)
    return result
  }

  private producerError(meta: TxnMetadata, producerId: number, producerEpoch: number): number {
    if (meta.producerId !== producerId) return K.INVALID_PRODUCER_ID_MAPPING
    if (meta.producerEpoch !== producerEpoch) return K.INVALID_PRODUCER_EPOCH
    if (isPrepare(meta.state)) return K.CONCURRENT_TRANSACTIONS
    if (meta.state === 'Dead') return K.INVALID_TXN_STATE
    return K.NONE
  }

  /** The metadata with an open transaction: unchanged when one is open, a fresh one otherwise. */
  private ongoing(meta: TxnMetadata): TxnMetadata {
    const next = copyMetadata(meta)
    if (meta.state !== 'Ongoing') {
      next.state = 'Ongoing'
      next.partitions = new Map()
      next.startTimestampMs = this.host.clock.now()
    }
    return next
  }

  private async persistOngoing(entry: Entry, next: TxnMetadata): Promise<void> {
    const isNew = entry.meta.state !== 'Ongoing'
    await this.persist(entry, next)
    if (isNew) this.scheduleTimeout(entry)
  }

  private async persist(entry: Entry, next: TxnMetadata): Promise<void> {
    next.lastUpdateTimestampMs = this.host.clock.now()
    await this.stateLog.write(next)
    entry.meta = next
  }

  /** Writes PrepareCommit/PrepareAbort (run inside the id's queue) and starts writing the markers. */
  private async beginEnd(entry: Entry, result: 'commit' | 'abort', isEpochBump: boolean): Promise<Waiting> {
    this.host.clock.clearTimeout(entry.timeoutTimer)
    const next = copyMetadata(entry.meta)
    next.state = result === 'commit' ? 'PrepareCommit' : 'PrepareAbort'
    // The bump fences the producer that opened the transaction: its later requests and batches are refused.
    if (isEpochBump && next.producerEpoch < MAX_PRODUCER_EPOCH) next.producerEpoch += 1
    await this.persist(entry, next)
    // Wrapped: awaiting the completion here, inside the queue, would wait for its own last step.
    return { waitFor: this.startCompletion(entry) }
  }

  private startCompletion(entry: Entry): Promise<void> {
    const completion = completeTransaction({
      engine: this.host.engine,
      clock: this.host.clock,
      log: (message) => this.host.log(message),
      isClosed: () => this.isClosed,
      meta: entry.meta,
      writeComplete: (state) =>
        this.serialize(entry, async () => {
          const next = copyMetadata(entry.meta)
          Object.assign(next, { state, partitions: new Map(), startTimestampMs: -1 })
          await this.persist(entry, next)
          entry.groups.clear()
        }),
    }).finally(() => {
      if (entry.completion === completion) entry.completion = null
    })
    entry.completion = completion
    return completion
  }

  private isExpired(meta: TxnMetadata): boolean {
    return this.host.clock.now() >= meta.startTimestampMs + meta.transactionTimeoutMs
  }

  private scheduleTimeout(entry: Entry): void {
    const meta = entry.meta
    this.host.clock.clearTimeout(entry.timeoutTimer)
    const delayMs = Math.max(0, meta.startTimestampMs + meta.transactionTimeoutMs - this.host.clock.now())
    const epoch = meta.producerEpoch
    entry.timeoutTimer = this.host.clock.setTimeout(() => void this.abortExpired(entry, epoch), delayMs)
  }

  /** Aborts a transaction open past its timeout, bumping the epoch as Kafka does so its producer is fenced. */
  private async abortExpired(entry: Entry, producerEpoch: number): Promise<void> {
    if (this.isClosed) return
    const started = await this.serialize(entry, async (): Promise<Waiting | null> => {
      const meta = entry.meta
      if (meta.state !== 'Ongoing' || meta.producerEpoch !== producerEpoch || !this.isExpired(meta)) return null
      this.host.log(`transactional id ${meta.transactionalId}: transaction open past ${meta.transactionTimeoutMs} ms, aborting it`)
      return this.beginEnd(entry, 'abort', true)
    }).catch((error: unknown) => {
      // The PrepareAbort could not be written: the transaction stays Ongoing, and the timer tries again.
      this.writeError(entry.meta.transactionalId, error)
      if (!this.isClosed) entry.timeoutTimer = this.host.clock.setTimeout(() => void this.abortExpired(entry, producerEpoch), RETRY_MS)
      return null
    })
    if (started !== null) await started.waitFor
  }

  private writeError(transactionalId: string, error: unknown): number {
    this.host.log(`transactional id ${transactionalId}: ${(error as Error).message}`)
    const code = kafkaCodeFor(error)
    return code === K.UNKNOWN_SERVER_ERROR ? K.COORDINATOR_NOT_AVAILABLE : code
  }
}

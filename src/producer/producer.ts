import { randomInt } from 'node:crypto'
import type { CompressionName } from '../compression/codec.js'
import { codecForName } from '../compression/registry.js'
import { InvalidArgumentError, SeglogError } from '../errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { RecordInput } from '../record/record.js'
import { markChecked, normalizeRecord, type RecordLike } from '../record/record-input.js'
import { estimateSize, PartitionBatch, PendingSend, type RecordMetadata } from './accumulator.js'
import { isDelayedSend, sendDelayed, type DelayedSends, type SendOptions } from './delayed-send.js'
import { LatencyHistogram } from './latency-histogram.js'
import { partitionForKey, StickyPartitioner } from './partitioner.js'

export interface ProducerOptions {
  /** A partition's batch is appended once it holds this many bytes (Kafka's batch.size). */
  batchBytes?: number
  /** How long a batch may wait for more records before it is appended (Kafka's linger.ms). */
  lingerMs?: number
  compression?: CompressionName
  /** `send` waits while more than this many bytes are accepted but not yet appended. */
  bufferBytes?: number
  /** 'written': resolve once in the log; 'flushed': once durable (an fsync covers it). */
  acks?: 'written' | 'flushed'
  /** Stamp producer id, epoch and sequences so a retried batch is not written twice. */
  idempotent?: boolean
  /** A record larger than this fails with RecordTooLargeError (Kafka's max.request.size). */
  maxRecordBytes?: number
  /** Retries of a batch whose append failed with an I/O error (e.g. the disk was full). */
  retries?: number
  retryBackoffMs?: number
}

/**
 * What `send` takes: Buffer, Uint8Array or string (UTF-8) for key, value and header values; null
 * or undefined for no key and for a tombstone value. See record-input.ts for the exact rules.
 */
export interface ProducerRecord extends RecordLike {
  /** Send to this partition instead of the partitioner's choice. */
  partition?: number
  /** Deliver the record at this time (ms since the epoch) instead of now: see `send`'s `delayMs`. */
  deliverAt?: number
}

export type { RecordMetadata } from './accumulator.js'

export interface ProducerMetrics {
  recordsSent: number
  /** Uncompressed record bytes (keys, values, headers and record overhead). */
  bytesSent: number
  /** Bytes the batches took in the log. */
  bytesWritten: number
  batches: number
  averageBatchRecords: number
  averageBatchBytes: number
  /** Bytes written / uncompressed bytes (1 without compression, lower is better). */
  compressionRatio: number
  latencyMs: { mean: number; p50: number; p95: number; p99: number; p999: number; max: number }
  /** Bytes accepted by `send` and not yet appended. */
  bufferedBytes: number
}

/** A record bigger than the producer's maxRecordBytes. */
export class RecordTooLargeError extends SeglogError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('RECORD_TOO_LARGE', `record of about ${size} bytes exceeds maxRecordBytes ${limit}`)
  }
}

export class ProducerClosedError extends SeglogError {
  constructor() {
    super('PRODUCER_CLOSED', 'the producer is closed; create a new one to send more')
  }
}

interface TopicState {
  logs: readonly PartitionLog[]
  batches: PartitionBatch[]
  sticky: StickyPartitioner
  /** Next sequence number per partition (idempotence). */
  sequences: number[]
  /** Appends in flight per partition. */
  appending: number[]
}

/**
 * Appends in flight per partition before a due batch waits: two lets the next batch be encoded
 * while the previous one is written, and records arriving meanwhile join the waiting batch, so
 * batches grow with load even without linger (as Kafka's sender does with in-flight requests).
 */
const MAX_APPENDS_IN_FLIGHT = 2

/**
 * Batches records per partition and appends them as compressed record batches. One producer may
 * be used by many concurrent callers; records of one `send` keep their order within a partition,
 * and sends reach a partition in call order. `send` resolves with each record's partition and
 * offset once its batch is in the log (or durable, with acks 'flushed').
 */
export class Producer implements AsyncDisposable {
  private readonly resolveTopic: (topic: string) => readonly PartitionLog[]
  private readonly batchBytes: number
  private readonly lingerMs: number
  private readonly compression: CompressionName
  private readonly bufferBytes: number
  private readonly acks: 'written' | 'flushed'
  private readonly maxRecordBytes: number
  private readonly retries: number
  private readonly retryBackoffMs: number
  private producerId: number
  private producerEpoch = 0
  private readonly topics = new Map<string, TopicState>()
  private buffered = 0
  /** Sends waiting for buffer space, in call order; `wake(true)` hands them their bytes. */
  private readonly spaceWaiters: { bytes: number; wake: (granted: boolean) => void }[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private closed = false
  private readonly latency = new LatencyHistogram()
  private recordsSent = 0
  private bytesSent = 0
  private bytesWritten = 0
  private batchCount = 0
  private readonly delayedSends: DelayedSends | undefined

  constructor(resolveTopic: (topic: string) => readonly PartitionLog[], options: ProducerOptions = {}, delayedSends?: DelayedSends) {
    this.resolveTopic = resolveTopic
    this.delayedSends = delayedSends
    this.batchBytes = integerOption(options.batchBytes, 'batchBytes', 16384, 1)
    this.lingerMs = integerOption(options.lingerMs, 'lingerMs', 0, 0)
    this.bufferBytes = integerOption(options.bufferBytes, 'bufferBytes', 32 * 1024 * 1024, 1)
    this.maxRecordBytes = integerOption(options.maxRecordBytes, 'maxRecordBytes', 1024 * 1024, 1)
    this.retries = integerOption(options.retries, 'retries', 2, 0)
    this.retryBackoffMs = integerOption(options.retryBackoffMs, 'retryBackoffMs', 100, 0)
    this.compression = options.compression ?? 'lz4'
    codecForName(this.compression) // fails now, not at the first batch, for an unknown codec
    if (options.acks !== undefined && options.acks !== 'written' && options.acks !== 'flushed') {
      throw new InvalidArgumentError(`acks must be 'written' or 'flushed', got ${String(options.acks)}`)
    }
    this.acks = options.acks ?? 'written'
    this.producerId = options.idempotent === false ? -1 : randomInt(2 ** 47)
  }

  /**
   * Sends records to a topic. Resolves with each record's metadata, in the order given. A
   * malformed record (INVALID_ARGUMENT naming it), a record over maxRecordBytes, an unknown topic
   * or a bad partition rejects the whole call before any of its records is accepted; other
   * callers' records are not affected.
   */
  async send(topic: string, records: readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]> {
    if (this.closed) throw new ProducerClosedError()
    if (!Array.isArray(records)) throw new InvalidArgumentError('send takes a topic and an array of records')
    // Delayed: kept by the engine until due (delayed-send.ts); `delayMs` or a record's `deliverAt` asks for it.
    if (isDelayedSend(records, options)) return sendDelayed(this.delayedSends, topic, records, options)
    const state = this.topicState(topic)
    const count = records.length
    const inputs = new Array<RecordInput>(count)
    let total = 0
    for (let slot = 0; slot < count; slot++) {
      const input = normalizeRecord(records[slot], slot)
      const size = estimateSize(input)
      if (size > this.maxRecordBytes) throw new RecordTooLargeError(size, this.maxRecordBytes)
      checkPartition(records[slot]!.partition, state.logs.length)
      inputs[slot] = input
      total += size
    }
    if (this.spaceWaiters.length > 0 || (this.buffered > 0 && this.buffered + total > this.bufferBytes)) {
      // Wait in line: a send that fits must not overtake one that is already waiting, or sends
      // would reach a partition out of call order.
      const granted = await new Promise<boolean>((wake) => this.spaceWaiters.push({ bytes: total, wake }))
      if (!granted || this.closed) {
        if (granted) this.release(total)
        throw new ProducerClosedError()
      }
    } else {
      this.buffered += total
    }
    const pending = new PendingSend(count)
    if (count === 0) pending.resolve([])
    for (let slot = 0; slot < count; slot++) {
      const input = inputs[slot]!
      const size = estimateSize(input)
      this.accumulate(topic, state, this.choosePartition(state, records[slot]!.partition, input.key, size), input, size, pending, slot)
    }
    return pending.promise
  }

  /**
   * The topic is resolved on every send: a topic deleted since the last one is reported as such
   * (UNKNOWN_TOPIC_OR_PARTITION), and one created again under the same name gets fresh state.
   */
  private topicState(topic: string): TopicState {
    const logs = this.resolveTopic(topic)
    let state = this.topics.get(topic)
    if (state === undefined || state.logs !== logs) {
      // Batches still open for the deleted topic go now (and fail), not when their linger ends.
      if (state !== undefined) for (let partition = 0; partition < state.batches.length; partition++) this.drain(topic, state, partition)
      state = {
        logs,
        batches: logs.map(() => new PartitionBatch()),
        sticky: new StickyPartitioner(),
        sequences: logs.map(() => 0),
        appending: logs.map(() => 0),
      }
      this.topics.set(topic, state)
    }
    return state
  }

  private choosePartition(state: TopicState, explicit: number | undefined, key: Buffer | null | undefined, size: number): number {
    if (explicit !== undefined) return explicit
    if (key != null) return partitionForKey(key, state.logs.length)
    return state.sticky.partition(size, state.logs.length, this.batchBytes)
  }

  private accumulate(
    topic: string,
    state: TopicState,
    partition: number,
    input: RecordInput,
    size: number,
    pending: PendingSend,
    slot: number,
  ): void {
    const batch = state.batches[partition]!
    // A record that would push a non-empty batch past the limit starts the next batch; a record
    // larger than the limit on its own still goes, alone.
    if (batch.records.length > 0 && batch.bytes + size > this.batchBytes) this.drain(topic, state, partition)
    const current = state.batches[partition]!
    current.add(input, size, pending, slot)
    if (current.bytes >= this.batchBytes) {
      this.drain(topic, state, partition)
    } else if (this.lingerMs === 0) {
      if (!current.scheduled) {
        current.scheduled = true
        // Records sent in the same tick share a batch even without linger.
        setImmediate(() => this.lingerOver(topic, state, partition, current))
      }
    } else if (current.timer === null) {
      current.timer = setTimeout(() => this.lingerOver(topic, state, partition, current), this.lingerMs)
    }
  }

  /** A batch's linger ended: append it now, or as soon as an append of its partition completes. */
  private lingerOver(topic: string, state: TopicState, partition: number, batch: PartitionBatch): void {
    if (state.batches[partition] !== batch) return
    batch.isDue = true
    if (state.appending[partition]! < MAX_APPENDS_IN_FLIGHT) this.drain(topic, state, partition)
  }

  /** Closes a partition's open batch and appends it. */
  private drain(topic: string, state: TopicState, partition: number): void {
    const batch = state.batches[partition]!
    if (batch.records.length === 0) return
    if (batch.timer !== null) clearTimeout(batch.timer)
    state.batches[partition] = new PartitionBatch()
    // Every record in it went through normalizeRecord in `send`: the encoder need not check again.
    markChecked(batch.records)
    const baseSequence = state.sequences[partition]!
    if (this.producerId >= 0) state.sequences[partition] = (baseSequence + batch.records.length) % 0x80000000
    state.appending[partition]!++
    const task = this.appendBatch(topic, state.logs[partition]!, partition, batch, baseSequence)
    this.inFlight.add(task)
    void task.finally(() => {
      this.inFlight.delete(task)
      state.appending[partition]!--
      const next = state.batches[partition]!
      if (next.isDue && next.records.length > 0) this.drain(topic, state, partition)
    })
  }

  private async appendBatch(
    topic: string,
    log: PartitionLog,
    partition: number,
    batch: PartitionBatch,
    baseSequence: number,
  ): Promise<void> {
    const options = {
      compression: this.compression,
      now: batch.createdMs,
      ...(this.producerId >= 0 && { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence }),
    }
    try {
      let info
      for (let attempt = 0; ; attempt++) {
        try {
          info = await log.appendRecords(batch.records, options)
          break
        } catch (error) {
          // Only a failed write is worth retrying; with idempotence a retry of a batch that did
          // land is answered with its first offsets rather than written twice.
          if (attempt >= this.retries || (error as SeglogError).code !== 'IO_FAILED' || log.hasFailed) throw error
          await new Promise((resolve) => setTimeout(resolve, this.retryBackoffMs * (attempt + 1)))
        }
      }
      if (this.acks === 'flushed') await log.waitDurable(info.lastOffset + 1)
      this.batchCount++
      this.recordsSent += batch.records.length
      this.bytesSent += batch.bytes
      this.bytesWritten += info.size
      batch.complete(topic, partition, info.baseOffset, this.latency)
    } catch (error) {
      // Only the first failure of an epoch starts a new one; batches queued behind it fail too.
      if (options.producerId === this.producerId && options.producerEpoch === this.producerEpoch) this.bumpEpoch()
      batch.fail(error as Error)
    } finally {
      this.release(batch.bytes)
    }
  }

  /**
   * After a batch failed, its sequence numbers were used but never written, so every later batch
   * of that partition would be refused as out of order. Like Kafka (KIP-360), start a new epoch:
   * sequences restart at 0 on every partition, and the log accepts that from a newer epoch.
   */
  private bumpEpoch(): void {
    if (this.producerEpoch < 0x7fff) {
      this.producerEpoch++
    } else {
      this.producerId = randomInt(2 ** 47)
      this.producerEpoch = 0
    }
    for (const state of this.topics.values()) state.sequences.fill(0)
  }

  private release(bytes: number): void {
    this.buffered -= bytes
    while (this.spaceWaiters.length > 0) {
      const next = this.spaceWaiters[0]!
      if (this.buffered > 0 && this.buffered + next.bytes > this.bufferBytes) break
      this.spaceWaiters.shift()
      this.buffered += next.bytes
      next.wake(true)
    }
  }

  /** Appends every open batch now and waits for all appends in flight. */
  async flush(): Promise<void> {
    for (const [topic, state] of this.topics) {
      for (let partition = 0; partition < state.batches.length; partition++) this.drain(topic, state, partition)
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  /** Cancels a delayed record by the `delayId` send returned: true if it will not be delivered. */
  cancelDelayed(id: string): Promise<boolean> {
    if (this.delayedSends === undefined) return Promise.reject(new InvalidArgumentError('this producer cannot send with a delay'))
    return this.delayedSends.cancel(id)
  }

  /** Sends what is pending, then refuses further sends with ProducerClosedError. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.flush()
    for (const waiter of this.spaceWaiters.splice(0)) waiter.wake(false)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  metrics(): ProducerMetrics {
    const latency = this.latency
    return {
      recordsSent: this.recordsSent,
      bytesSent: this.bytesSent,
      bytesWritten: this.bytesWritten,
      batches: this.batchCount,
      averageBatchRecords: this.batchCount === 0 ? 0 : this.recordsSent / this.batchCount,
      averageBatchBytes: this.batchCount === 0 ? 0 : this.bytesWritten / this.batchCount,
      compressionRatio: this.bytesSent === 0 ? 1 : this.bytesWritten / this.bytesSent,
      latencyMs: {
        mean: latency.meanMs,
        p50: latency.percentile(50),
        p95: latency.percentile(95),
        p99: latency.percentile(99),
        p999: latency.percentile(99.9),
        max: latency.maxMs,
      },
      bufferedBytes: this.buffered,
    }
  }
}

function checkPartition(partition: number | undefined, count: number): void {
  if (partition === undefined) return
  if (!Number.isInteger(partition) || partition < 0 || partition >= count)
    throw new InvalidArgumentError(`partition ${partition} does not exist (the topic has ${count})`)
}

function integerOption(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min)
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${String(value)}`)
  return value
}

import { InvalidArgumentError } from '../errors.js'
import type { RecordHeader, RecordInput } from '../record/record.js'
import type { ConsumerRecord } from './partition-assignment.js'

/**
 * `consumer.run(handler, options)`: a handler-style consumer with non-blocking retries and a dead
 * letter topic (docs/delayed-delivery.md). A record whose handler throws goes to the group's retry
 * topic, delayed by the backoff, with its attempt count; the group moves on at once, so a failing
 * record never holds up its partition. The retry topic is read by the same run and its records go
 * to the same handler. After `maxAttempts` the record goes to the dead letter topic instead, with
 * where it came from and why it failed. Positions are committed after each batch is handled and
 * every retry or dead letter of it is written: at least once across crashes.
 */

/** What the engine lends a consumer for `run`. */
export interface RunnerHooks {
  /** Sends records now, or delayed when `delayMs` is given; resolves once they are written. */
  send(topic: string, records: RecordInput[], delayMs?: number): Promise<void>
  /** Creates the topic (one partition) unless it exists. */
  ensureTopic(topic: string): Promise<void>
  /** A consumer of the same group over other topics (for the retry topic). */
  openConsumer(group: string, topics: readonly string[]): Promise<RunnableConsumer>
  /** Appends consumption trace events (see engine/delay/consumption-trace.ts). */
  trace(events: TraceInput[]): Promise<void>
}

/** One outcome for the consumption trace. */
export interface TraceInput {
  group: string
  record: ConsumerRecord
  /** The record's origin (a retried one is traced under the topic it was first read from). */
  origin: { topic: string; partition: number; offset: number }
  outcome: 'handled' | 'retried' | 'dead-lettered'
  attempt: number
  error?: unknown
}

/** The part of a Consumer the runner drives. */
export interface RunnableConsumer {
  readonly group: string
  batches(): AsyncGenerator<{ topic: string; partition: number; records: ConsumerRecord[] }>
  commit(record?: ConsumerRecord): Promise<void>
  close(): Promise<void>
}

export interface RetryOptions {
  /** Handler calls per record, the first included (default 3). */
  maxAttempts?: number
  /** Delay before the first retry (default 1000 ms). */
  backoffMs?: number
  /** Each further retry waits this many times longer (default 2). */
  multiplier?: number
  /** The longest delay (default 60 000 ms). */
  maxBackoffMs?: number
}

export interface RunOptions {
  retry?: RetryOptions
  /** Where records go after their last attempt (default `<topic>.DLQ`, per original topic). */
  deadLetterTopic?: string
  /** Record every outcome in the consumption trace (`engine.trace`); off by default. */
  trace?: boolean
}

export interface HandlerContext {
  /** 1 for the first delivery, then 2, 3, … for retries. */
  attempt: number
  /** The topic the record was first read from (a retried record is read from the retry topic). */
  originalTopic: string
}

export type RecordHandler = (record: ConsumerRecord, context: HandlerContext) => unknown

export interface RunMetrics {
  deliveries: number
  handled: number
  failures: number
  retries: number
  deadLettered: number
}

/** Within a batch, positions are committed at most this often (and always at its end). */
const COMMIT_INTERVAL_MS = 100

export const HEADER_ATTEMPT = 'seglog-attempt'
export const HEADER_ORIGINAL_TOPIC = 'seglog-original-topic'
export const HEADER_ORIGINAL_PARTITION = 'seglog-original-partition'
export const HEADER_ORIGINAL_OFFSET = 'seglog-original-offset'
export const HEADER_ORIGINAL_TIMESTAMP = 'seglog-original-timestamp'
export const HEADER_ERROR_CLASS = 'seglog-error-class'
export const HEADER_ERROR_MESSAGE = 'seglog-error-message'
const RUN_HEADERS = new Set([
  HEADER_ATTEMPT,
  HEADER_ORIGINAL_TOPIC,
  HEADER_ORIGINAL_PARTITION,
  HEADER_ORIGINAL_OFFSET,
  HEADER_ORIGINAL_TIMESTAMP,
  HEADER_ERROR_CLASS,
  HEADER_ERROR_MESSAGE,
  // Delayed delivery's own, from the hop through the retry topic.
  'seglog-deliver-at',
  'seglog-delay-id',
])

/** The retry topic of a group (RocketMQ's %RETRY%<group>): one per group, read only by it. */
export function retryTopicOf(group: string): string {
  return `${group}.retry`
}

export function deadLetterTopicOf(topic: string): string {
  return `${topic}.DLQ`
}

interface Retry {
  maxAttempts: number
  backoffMs: number
  multiplier: number
  maxBackoffMs: number
}

function checkedRetry(options: RetryOptions = {}): Retry {
  const retry = { maxAttempts: 3, backoffMs: 1000, multiplier: 2, maxBackoffMs: 60_000, ...options }
  for (const [name, min] of [
    ['maxAttempts', 1],
    ['backoffMs', 0],
    ['maxBackoffMs', 0],
  ] as const) {
    if (!Number.isSafeInteger(retry[name]) || retry[name] < min)
      throw new InvalidArgumentError(`retry.${name} must be an integer >= ${min}, got ${String(retry[name])}`)
  }
  if (typeof retry.multiplier !== 'number' || !(retry.multiplier >= 1))
    throw new InvalidArgumentError(`retry.multiplier must be a number >= 1, got ${String(retry.multiplier)}`)
  return retry
}

interface Origin {
  attempt: number
  topic: string
  partition: number
  offset: number
  timestamp: number
}

function firstDelivery(record: ConsumerRecord): Origin {
  return { attempt: 1, topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp }
}

/** Where a record came from and how often it was tried, from its headers (a first delivery has none). */
function provenance(record: ConsumerRecord): Origin {
  const value = (key: string): string | undefined => record.headers.find((header) => header.key === key)?.value?.toString()
  const attempts = Number(value(HEADER_ATTEMPT) ?? 0)
  const topic = value(HEADER_ORIGINAL_TOPIC)
  if (topic === undefined)
    return { attempt: 1, topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp }
  return {
    attempt: attempts + 1,
    topic,
    partition: Number(value(HEADER_ORIGINAL_PARTITION)),
    offset: Number(value(HEADER_ORIGINAL_OFFSET)),
    timestamp: Number(value(HEADER_ORIGINAL_TIMESTAMP)),
  }
}

export class RecordRunner {
  private readonly retry: Retry
  private readonly deadLetterTopic: string | undefined
  private retryTopic = ''
  private group = ''
  private readonly isTraced: boolean
  /** Trace events of the batch in progress, written before its commit. */
  private traced: TraceInput[] = []
  readonly metrics: RunMetrics = { deliveries: 0, handled: 0, failures: 0, retries: 0, deadLettered: 0 }

  constructor(
    private readonly hooks: RunnerHooks,
    private readonly handler: RecordHandler,
    options: RunOptions = {},
  ) {
    if (typeof handler !== 'function') throw new InvalidArgumentError('run takes a handler function')
    this.retry = checkedRetry(options.retry)
    this.deadLetterTopic = options.deadLetterTopic
    this.isTraced = options.trace === true
  }

  /** Handles records of `main` and of the group's retry topic until `main` closes. */
  async run(main: RunnableConsumer): Promise<void> {
    this.group = main.group
    this.retryTopic = retryTopicOf(main.group)
    await this.hooks.ensureTopic(this.retryTopic)
    const retries = await this.hooks.openConsumer(main.group, [this.retryTopic])
    try {
      await Promise.race([this.loop(main), this.loop(retries)])
    } finally {
      await retries.close()
      await main.close()
    }
  }

  private async loop(consumer: RunnableConsumer): Promise<void> {
    for await (const batch of consumer.batches()) {
      let lastCommitMs = Date.now()
      const records = batch.records
      // An index loop: entries() would make a [slot, record] pair per record.
      for (let slot = 0; slot < records.length; slot++) {
        const record = records[slot]!
        // A handler that returns no promise costs no await (most records of a healthy run).
        const pending = this.handle(record)
        if (pending !== undefined) await pending
        // Within a long batch, commit now and then too: a crash then repeats less.
        if ((slot & 63) === 63 && Date.now() - lastCommitMs >= COMMIT_INTERVAL_MS) {
          await this.commit(consumer, record)
          lastCommitMs = Date.now()
        }
      }
      await this.commit(consumer)
    }
  }

  /** Writes the trace of what was handled, then commits (after `record` only, or every position). */
  private async commit(consumer: RunnableConsumer, record?: ConsumerRecord): Promise<void> {
    if (this.traced.length > 0) {
      const events = this.traced
      this.traced = []
      await this.hooks.trace(events)
    }
    await consumer.commit(record)
  }

  private handle(record: ConsumerRecord): Promise<void> | undefined {
    const origin = record.headers.length === 0 ? firstDelivery(record) : provenance(record)
    this.metrics.deliveries++
    let result: unknown
    try {
      result = this.handler(record, { attempt: origin.attempt, originalTopic: origin.topic })
    } catch (error) {
      return this.failed(record, origin, error)
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => this.succeeded(record, origin),
        (error: unknown) => this.failed(record, origin, error),
      )
    }
    this.succeeded(record, origin)
    return undefined
  }

  private succeeded(record: ConsumerRecord, origin: Origin): void {
    this.metrics.handled++
    if (this.isTraced) this.traced.push({ group: this.group, record, origin, outcome: 'handled', attempt: origin.attempt })
  }

  /** The handler threw: to the retry topic with a delay, or after the last attempt to the dead letters. */
  private async failed(record: ConsumerRecord, origin: Origin, error: unknown): Promise<void> {
    this.metrics.failures++
    const headers = record.headers.filter((header) => !RUN_HEADERS.has(header.key))
    headers.push(
      text(HEADER_ATTEMPT, origin.attempt),
      text(HEADER_ORIGINAL_TOPIC, origin.topic),
      text(HEADER_ORIGINAL_PARTITION, origin.partition),
      text(HEADER_ORIGINAL_OFFSET, origin.offset),
      text(HEADER_ORIGINAL_TIMESTAMP, origin.timestamp),
    )
    const failed: RecordInput = { key: record.key, value: record.value, headers, timestamp: record.timestamp }
    if (origin.attempt < this.retry.maxAttempts) {
      const { backoffMs, multiplier, maxBackoffMs } = this.retry
      const delayMs = Math.min(maxBackoffMs, Math.round(backoffMs * multiplier ** (origin.attempt - 1)))
      await this.hooks.send(this.retryTopic, [failed], delayMs)
      this.metrics.retries++
      if (this.isTraced) this.traced.push({ group: this.group, record, origin, outcome: 'retried', attempt: origin.attempt, error })
      return
    }
    const name = error instanceof Error ? error.constructor.name : typeof error
    const message = error instanceof Error ? error.message : String(error)
    headers.push(text(HEADER_ERROR_CLASS, name), text(HEADER_ERROR_MESSAGE, message.slice(0, 4096)))
    const deadLetters = this.deadLetterTopic ?? deadLetterTopicOf(origin.topic)
    await this.hooks.ensureTopic(deadLetters)
    await this.hooks.send(deadLetters, [failed])
    this.metrics.deadLettered++
    if (this.isTraced) this.traced.push({ group: this.group, record, origin, outcome: 'dead-lettered', attempt: origin.attempt, error })
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function text(key: string, value: string | number): RecordHeader {
  return { key, value: Buffer.from(String(value)) }
}

import path from 'node:path'
import type { Clock } from '../../log/clock.js'
import type { PartitionLog } from '../../log/partition-log.js'
import type { ConsumerOptions } from '../../consumer/consumer.js'
import type { RunnerHooks } from '../../consumer/record-runner.js'
import type { Consumer } from '../../consumer/consumer.js'
import type { Producer, ProducerOptions } from '../../producer/producer.js'
import type { TopicConfig } from '../topic-config.js'
import type { TopicCatalog } from '../topic-catalog.js'
import { DELAY_INDEX_DIR, DELAY_TOPIC } from './delay-records.js'
import { DelayScheduler } from './delay-scheduler.js'
import { readTrace, TRACE_TOPIC, traceRecord, type TraceEvent, type TraceQuery } from './consumption-trace.js'

/** What the engine lends its delayed delivery. */
export interface DelayEngineParts {
  readonly dir: string
  readonly clock: Clock
  readonly topics: TopicCatalog
  partitions(topic: string): readonly PartitionLog[]
  warn(message: string): void
}

/** The settings of the delay log: one partition, no retention (the scheduler trims what was delivered). */
const DELAY_TOPIC_CONFIG = { partitions: 1, retentionMs: -1, retentionBytes: -1 } as const

/** The engine's delayed delivery: the scheduler, opened once on first use (creating the delay log). */
export class DelayedDelivery {
  private readonly parts: DelayEngineParts
  private opening: Promise<DelayScheduler> | null = null

  constructor(parts: DelayEngineParts) {
    this.parts = parts
  }

  /** Whether the directory holds a delay log (its pending records must be delivered from open on). */
  get exists(): boolean {
    return this.parts.topics.has(DELAY_TOPIC)
  }

  scheduler(): Promise<DelayScheduler> {
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = null
      throw error
    })
    return this.opening
  }

  /** The consumption trace's log (created on first use). */
  async traceLog(): Promise<PartitionLog> {
    const { topics } = this.parts
    if (!topics.has(TRACE_TOPIC))
      await topics.create(TRACE_TOPIC, { partitions: 1 }).catch((error: unknown) => {
        if (!topics.has(TRACE_TOPIC)) throw error
      })
    return topics.require(TRACE_TOPIC).logs[0]!
  }

  /** Trace events of a topic's records by key or offset (consumption-trace.ts), oldest first. */
  async trace(query: TraceQuery): Promise<TraceEvent[]> {
    if (!this.parts.topics.has(TRACE_TOPIC)) return []
    return readTrace(this.parts.topics.require(TRACE_TOPIC).logs[0]!, query)
  }

  async close(): Promise<void> {
    const scheduler = await this.opening?.catch(() => null)
    await scheduler?.close()
  }

  private async open(): Promise<DelayScheduler> {
    const { topics, clock } = this.parts
    if (!topics.has(DELAY_TOPIC)) await topics.create(DELAY_TOPIC, DELAY_TOPIC_CONFIG)
    return DelayScheduler.open(
      {
        delayLog: topics.require(DELAY_TOPIC).logs[0]!,
        partitions: (topic) => this.parts.partitions(topic),
        clock,
        warn: (message) => this.parts.warn(message),
      },
      path.join(this.parts.dir, DELAY_INDEX_DIR),
    )
  }
}

/**
 * What `consumer.run` uses of its engine: sends (delayed ones for retries), topic creation for the
 * retry and dead letter topics, and a second consumer of the group for its retry topic.
 */
/** The engine's public calls the hooks use. */
export interface RunnerEngine {
  producer(options: ProducerOptions): Producer
  hasTopic(name: string): boolean
  createTopic(name: string, config: Partial<TopicConfig>): Promise<unknown>
  consumer(options: ConsumerOptions): Promise<Consumer>
}

export function runnerHooks(engine: RunnerEngine, delivery: DelayedDelivery, options: ConsumerOptions): RunnerHooks {
  let producer: Producer | null = null
  return {
    async send(topic, records, delayMs) {
      producer ??= engine.producer({ lingerMs: 0 })
      await producer.send(topic, records, delayMs === undefined ? undefined : { delayMs })
    },
    async ensureTopic(topic) {
      if (!engine.hasTopic(topic))
        await engine.createTopic(topic, { partitions: 1 }).catch((error: unknown) => {
          if (!engine.hasTopic(topic)) throw error
        })
    },
    async trace(events) {
      const log = await delivery.traceLog()
      const records = events.map(({ group, record, origin, outcome, attempt, error }) =>
        traceRecord(group, { ...origin, key: record.key }, outcome, attempt, error),
      )
      await log.appendRecords(records, { compression: 'lz4' })
    },
    async openConsumer(group, topics) {
      const { maxBytes, onWarning, offsetReset } = options
      return engine.consumer({
        group,
        topics,
        from: 'earliest',
        ...(maxBytes && { maxBytes }),
        ...(onWarning && { onWarning }),
        ...(offsetReset && { offsetReset }),
      })
    },
  }
}

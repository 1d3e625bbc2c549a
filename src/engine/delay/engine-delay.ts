import path from 'node:path'
import type { Clock } from '../../log/clock.js'
import type { PartitionLog } from '../../log/partition-log.js'
import type { TopicCatalog } from '../topic-catalog.js'
import { DELAY_INDEX_DIR, DELAY_TOPIC } from './delay-records.js'
import { DelayScheduler } from './delay-scheduler.js'

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

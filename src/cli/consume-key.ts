import { lookupKeyInTopic, type ConsumerRecord, type LogEngine } from '../index.js'
import type { ConsumeSettings } from './consume-read-only.js'
import type { Output } from './output.js'

/**
 * `seglog consume DIR --topic T --key K`: the records whose key is K (UTF-8), newest first (each
 * partition's newest by offset, merged by timestamp), at most --max, from --partition only if
 * given, stamped at or after --timestamp if given. It scans the partitions (docs/compaction.md,
 * "Lookup by key"), so it takes as long as reading the topic.
 */
export async function consumeKey(engine: LogEngine, settings: ConsumeSettings, key: string, out: Output): Promise<void> {
  const logs = engine.partitions(settings.topic).filter((log) => settings.partition === undefined || log.partition === settings.partition)
  const found = await lookupKeyInTopic(logs, Buffer.from(key, 'utf8'), {
    ...(settings.timestamp !== undefined && { fromTimestamp: settings.timestamp }),
    ...(Number.isFinite(settings.max) && { limit: settings.max }),
  })
  for (const record of found) {
    const consumerRecord: ConsumerRecord = { ...record, topic: settings.topic }
    out.line(settings.format(consumerRecord))
  }
}

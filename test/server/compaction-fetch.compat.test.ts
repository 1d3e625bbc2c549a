import { afterEach, describe, expect, it } from 'vitest'
import type { PartitionLog } from '../../src/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServerOnDir } from './helpers.js'
import { kafkajsBroker, kafkaFor, type FetchedMessage, type KafkaBroker } from './kafkajs-client.js'

/**
 * A compacted partition (docs/compaction.md) served to KafkaJS 2.2.4: its Fetch decodes every
 * rewritten batch (gaps between offsets, batches with gaps inside, compressed and not, tombstones
 * with a delete horizon, emptied batches kept for their offsets) to exactly the records the log
 * holds; and its producer's keyless records are refused with INVALID_RECORD.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

/**
 * Every message from offset 0 through KafkaJS's Broker.fetch. A fetch whose batches hold no
 * record at or past the offset asked for (an emptied batch) gives KafkaJS nothing to advance by;
 * a Kafka consumer then skips to the batch's end, which is what `nextAfterEmpty` supplies.
 */
async function fetchCompacted(broker: KafkaBroker, log: PartitionLog): Promise<FetchedMessage[]> {
  const messages: FetchedMessage[] = []
  let next = 0
  while (next < log.highWatermark) {
    const response = await broker.fetch({
      replicaId: -1,
      isolationLevel: 1,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic: 'kv', partitions: [{ partition: 0, fetchOffset: String(next), maxBytes: 1 << 20 }] }],
    })
    const data = response.responses[0]!.partitions[0]!
    expect(data.errorCode).toBe(0)
    const fresh = data.messages.filter((message) => Number(message.offset) >= next)
    messages.push(...fresh)
    next = fresh.length > 0 ? Number(fresh[fresh.length - 1]!.offset) + 1 : (await log.readRaw(next)).nextOffset
  }
  return messages
}

describe('a compacted partition through Fetch', () => {
  it('KafkaJS decodes every cleaned batch to the records the log holds', async () => {
    const { port, engine } = await startServerOnDir()
    await engine.createTopic('kv', { partitions: 1, cleanupPolicy: 'compact', segmentBytes: 1200, deleteRetentionMs: 0 })
    const log = engine.partition('kv', 0)
    for (let slot = 0; slot < 300; slot++) {
      const records = [0, 1, 2].map((part) => ({
        key: Buffer.from(`k${(slot * 3 + part) % 11}`),
        value: (slot + part) % 9 === 0 ? null : Buffer.from(`value ${slot}.${part} `.repeat(2)),
        timestamp: 1_700_000_000_000 + slot,
      }))
      await log.appendRecords(records, { compression: slot % 2 === 0 ? 'gzip' : 'none' })
    }
    const before = log.sizeInBytes
    // Two passes: the first gives tombstones their horizon (0 ms away), the second removes them.
    await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
    await log.appendRecords([{ key: Buffer.from('k0'), value: Buffer.from('last') }])
    await log.rollNow()
    await log.appendRecords([{ key: Buffer.from('k1'), value: Buffer.from('active') }])
    await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
    expect(log.sizeInBytes).toBeLessThan(before / 4)

    const expected = []
    for await (const record of log.records({ from: 0 })) {
      expected.push({ offset: String(record.offset), key: record.key?.toString(), value: record.value?.toString() ?? null })
    }
    expect(expected.length).toBeLessThan(100)
    const broker = await kafkajsBroker(port)
    try {
      const fetched = (await fetchCompacted(broker, log)).map((message) => ({
        offset: message.offset,
        key: message.key?.toString(),
        value: message.value?.toString() ?? null,
      }))
      expect(fetched).toEqual(expected)
    } finally {
      await broker.disconnect()
    }
  })

  it('refuses a KafkaJS producer keyless records with INVALID_RECORD', async () => {
    const { port, engine } = await startServerOnDir()
    await engine.createTopic('kv', { partitions: 1, cleanupPolicy: 'compact' })
    const producer = kafkaFor(port, { retry: { retries: 0 } }).producer()
    await producer.connect()
    try {
      const error = await producer.send({ topic: 'kv', messages: [{ value: 'no key' }] }).catch((caught: unknown) => caught)
      // KafkaJS's text for error code 87, INVALID_RECORD.
      expect((error as { type?: string }).type).toBe('INVALID_RECORD')
      expect((error as Error).message).toBe('This record has failed the validation on broker and hence be rejected')
      await producer.send({ topic: 'kv', messages: [{ key: 'a', value: 'keyed' }] })
      expect(engine.partition('kv', 0).logEndOffset).toBe(1)
    } finally {
      await producer.disconnect()
    }
  })
})

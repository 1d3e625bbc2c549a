import { afterEach, describe, expect, it } from 'vitest'
import type { ConsumerRecord } from '../../src/consumer/partition-assignment.js'
import {
  HEADER_ATTEMPT,
  HEADER_ERROR_CLASS,
  HEADER_ERROR_MESSAGE,
  HEADER_ORIGINAL_OFFSET,
  HEADER_ORIGINAL_PARTITION,
  HEADER_ORIGINAL_TIMESTAMP,
  HEADER_ORIGINAL_TOPIC,
} from '../../src/consumer/record-runner.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import type { DecodedRecord } from '../../src/record/record.js'
import { openQuietEngine } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * consumer.run (docs/delayed-delivery.md): handled records are committed; a failing record goes to
 * the group's retry topic with a growing delay and does not hold up the records after it; after
 * its last attempt it lands in the dead letter topic with where it came from and why. Tags filter
 * what a consumer sees while its positions still move past the rest.
 */

afterEach(removeTmpDirs)

async function readAll(engine: LogEngine, topic: string): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = []
  for (const log of engine.partitions(topic)) for await (const record of log.records({ from: log.logStartOffset })) out.push(record)
  return out
}

const header = (record: { headers: { key: string; value: Buffer | null }[] }, key: string): string | undefined =>
  record.headers.find((h) => h.key === key)?.value?.toString()

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('consumer.run with retries and dead letters', () => {
  it('retries a failing record with backoff without blocking the partition, then dead-letters it with full headers', async () => {
    const dir = await makeTmpDir('seglog-run-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('orders')
    await engine.producer().send('orders', [
      { key: 'a', value: 'ok-1' },
      { key: 'b', value: 'bad', headers: { trace: 't1' } },
      { key: 'c', value: 'flaky' },
      { key: 'd', value: 'ok-2' },
    ])
    const calls: { value: string; attempt: number; at: number; topic: string }[] = []
    let flakyFailed = false
    const consumer = await engine.consumer({ group: 'billing', topics: ['orders'] })
    const running = consumer.run(
      (record: ConsumerRecord, context) => {
        const value = record.value!.toString()
        calls.push({ value, attempt: context.attempt, at: Date.now(), topic: context.originalTopic })
        if (value === 'bad') throw new TypeError('cannot bill')
        if (value === 'flaky' && !flakyFailed) {
          flakyFailed = true
          throw new Error('try later')
        }
      },
      { retry: { maxAttempts: 3, backoffMs: 100, multiplier: 2 } },
    )
    await until(async () => (await readAll(engine, 'orders.DLQ').catch(() => [])).length === 1)
    await until(() => calls.filter((c) => c.value === 'flaky').length === 2)
    // The failures did not hold up what came after them.
    expect(calls.filter((c) => c.attempt === 1).map((c) => c.value)).toEqual(['ok-1', 'bad', 'flaky', 'ok-2'])
    const order = calls.map((c) => `${c.value}#${c.attempt}`)
    expect(order.indexOf('ok-2#1')).toBeLessThan(order.indexOf('bad#3'))
    const bad = calls.filter((c) => c.value === 'bad')
    expect(bad.map((c) => c.attempt)).toEqual([1, 2, 3])
    expect(bad.every((c) => c.topic === 'orders')).toBe(true)
    expect(bad[1]!.at - bad[0]!.at).toBeGreaterThanOrEqual(100)
    expect(bad[2]!.at - bad[1]!.at).toBeGreaterThanOrEqual(200)
    const [dead] = await readAll(engine, 'orders.DLQ')
    expect(dead!.key!.toString()).toBe('b')
    expect(dead!.value!.toString()).toBe('bad')
    expect(header(dead!, 'trace')).toBe('t1')
    expect(header(dead!, HEADER_ORIGINAL_TOPIC)).toBe('orders')
    expect(header(dead!, HEADER_ORIGINAL_PARTITION)).toBe('0')
    expect(header(dead!, HEADER_ORIGINAL_OFFSET)).toBe('1')
    expect(Number(header(dead!, HEADER_ORIGINAL_TIMESTAMP))).toBeGreaterThan(0)
    expect(header(dead!, HEADER_ATTEMPT)).toBe('3')
    expect(header(dead!, HEADER_ERROR_CLASS)).toBe('TypeError')
    expect(header(dead!, HEADER_ERROR_MESSAGE)).toBe('cannot bill')
    expect(consumer.runMetrics()).toEqual({ deliveries: 7, handled: 3, failures: 4, retries: 3, deadLettered: 1 })
    await consumer.close()
    await running
    // Everything was committed: a new run of the group handles nothing again.
    expect(engine.offsets.fetch('billing', 'orders', 0)?.offset).toBe(4)
    await engine.close()
  })

  it('sends dead letters to the topic given, and checks its options', async () => {
    const dir = await makeTmpDir('seglog-run-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('t')
    await engine.producer().send('t', [{ value: 'x' }])
    const consumer = await engine.consumer({ group: 'g', topics: ['t'] })
    expect(await rejection(consumer.run(() => undefined, { retry: { maxAttempts: 0 } }))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    const running = consumer.run(
      () => {
        throw new Error('no')
      },
      { retry: { maxAttempts: 1 }, deadLetterTopic: 'parked' },
    )
    await until(async () => engine.hasTopic('parked') && (await readAll(engine, 'parked')).length === 1)
    expect(await rejection(consumer.run(() => undefined))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    await consumer.close()
    await running
    await engine.close()
  })
})

describe('the consumption trace', () => {
  it('records who handled each record and how it ended, queryable by key and by offset', async () => {
    const dir = await makeTmpDir('seglog-trace-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('orders')
    await engine.producer().send('orders', [
      { key: 'o-41', value: 'ok' },
      { key: 'o-42', value: 'bad' },
    ])
    const consumer = await engine.consumer({ group: 'billing', topics: ['orders'] })
    const running = consumer.run(
      (record) => {
        if (record.value!.toString() === 'bad') throw new Error('declined')
      },
      { retry: { maxAttempts: 2, backoffMs: 20 }, trace: true },
    )
    await until(async () => (await engine.trace({ topic: 'orders', key: 'o-42' })).length === 2)
    await consumer.close()
    await running
    const byKey = await engine.trace({ topic: 'orders', key: 'o-42' })
    expect(byKey.map((e) => [e.group, e.partition, e.offset, e.outcome, e.attempt, e.error])).toEqual([
      ['billing', 0, 1, 'retried', 1, 'Error: declined'],
      ['billing', 0, 1, 'dead-lettered', 2, 'Error: declined'],
    ])
    expect(byKey[0]!.consumer).toBe(`pid ${process.pid}`)
    const byOffset = await engine.trace({ topic: 'orders', partition: 0, offset: 0 })
    expect(byOffset.map((e) => [e.key, e.outcome, e.attempt])).toEqual([['o-41', 'handled', 1]])
    expect(await engine.trace({ topic: 'orders', key: 'o-42', group: 'other' })).toEqual([])
    expect(await rejection(engine.trace({ topic: 'orders' }))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await rejection(engine.producer().send('__consumer_trace', [{ value: 'x' }]))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    await engine.close()
  })
})

describe('tags', () => {
  it('a consumer with tags sees only records tagged so, and its positions move past the others', async () => {
    const dir = await makeTmpDir('seglog-tags-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('events')
    const kinds = ['paid', 'created', 'refunded', 'created', 'created', 'paid']
    await engine.producer().send(
      'events',
      kinds.map((tag, i) => ({ value: `${tag}-${i}`, headers: { tag } })),
    )
    await engine.producer().send('events', [{ value: 'untagged' }])
    const consumer = await engine.consumer({ group: 'g', topics: ['events'], tags: ['paid', 'refunded'] })
    const seen: string[] = []
    for await (const record of consumer) {
      seen.push(record.value!.toString())
      if (seen.length === 3) break
    }
    expect(seen).toEqual(['paid-0', 'refunded-2', 'paid-5'])
    await consumer.commit()
    expect(engine.offsets.fetch('g', 'events', 0)?.offset).toBe(6)
    // Past the last tagged record, the untagged one is skipped too: the position reaches the end.
    const again = await engine.consumer({ group: 'g', topics: ['events'], tags: ['paid'] })
    const batches = again.batches()
    const pending = batches.next()
    await until(() => again.positions()[0]!.offset === 7)
    await again.close()
    expect((await pending).done).toBe(true)
    await consumer.close()
    expect(await rejection(engine.consumer({ group: 'g', topics: ['events'], tags: 'paid' as unknown as string[] }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await engine.close()
  })
})

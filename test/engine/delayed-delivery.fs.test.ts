import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DELAY_INDEX_DIR, HEADER_DELAY_ID, HEADER_DELIVER_AT } from '../../src/engine/delay/delay-records.js'
import { COARSE_BUCKET_MS } from '../../src/engine/delay/due-index.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import type { DecodedRecord } from '../../src/record/record.js'
import { openQuietEngine } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Delayed delivery (docs/delayed-delivery.md): records sent with a delay reach their topic when
 * due and not before, with their key, value and headers, in due order; pending ones survive a
 * restart; cancelled ones never arrive. A manual clock drives the scheduler where order matters.
 */

afterEach(removeTmpDirs)

async function readAll(engine: LogEngine, topic: string): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = []
  for (const log of engine.partitions(topic)) for await (const record of log.records({ from: log.logStartOffset })) out.push(record)
  return out
}

function header(record: DecodedRecord, key: string): string | undefined {
  return record.headers.find((h) => h.key === key)?.value?.toString()
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('delayed delivery on the real clock', () => {
  it('delivers at the due time and not before, with key, value, original headers, due time and delay id', async () => {
    const dir = await makeTmpDir('seglog-delay-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('orders', { partitions: 2 })
    const producer = engine.producer()
    const sentAt = Date.now()
    const [meta] = await producer.send('orders', [{ key: 'k1', value: 'v1', headers: { trace: 'abc' } }], { delayMs: 300 })
    expect(meta).toMatchObject({ topic: 'orders', partition: -1, offset: -1 })
    expect(meta!.deliverAt).toBeGreaterThanOrEqual(sentAt + 300)
    expect(await readAll(engine, 'orders')).toEqual([])
    await until(async () => (await readAll(engine, 'orders')).length === 1)
    const arrived = Date.now()
    expect(arrived).toBeGreaterThanOrEqual(meta!.deliverAt!)
    const [record] = await readAll(engine, 'orders')
    expect(record!.key!.toString()).toBe('k1')
    expect(record!.value!.toString()).toBe('v1')
    expect(header(record!, 'trace')).toBe('abc')
    expect(header(record!, HEADER_DELIVER_AT)).toBe(String(meta!.deliverAt))
    expect(header(record!, HEADER_DELAY_ID)).toBe(meta!.delayId)
    expect(record!.headers.map((h) => h.key)).toEqual(['trace', HEADER_DELIVER_AT, HEADER_DELAY_ID])
    await engine.close()
  })

  it('pending records survive a restart and are delivered after it; delivered ones are not delivered again', async () => {
    const dir = await makeTmpDir('seglog-delay-')
    let engine = await openQuietEngine(dir)
    await engine.createTopic('t')
    const producer = engine.producer()
    await producer.send('t', [{ value: 'now' }], { delayMs: 0 })
    await until(async () => (await readAll(engine, 't')).length === 1)
    await producer.send('t', [{ value: 'later' }], { delayMs: 400 })
    await engine.close()
    engine = await openQuietEngine(dir)
    await until(async () => (await readAll(engine, 't')).length === 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await readAll(engine, 't')).map((r) => r.value!.toString())).toEqual(['now', 'later'])
    await engine.close()
  })

  it('a cancelled record is never delivered; cancelling a delivered one says false', async () => {
    const dir = await makeTmpDir('seglog-delay-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('t')
    const producer = engine.producer()
    const [first, second] = await producer.send('t', [{ value: 'a' }, { value: 'b', deliverAt: Date.now() + 250 }], { delayMs: 0 })
    expect(await producer.cancelDelayed(second!.delayId!)).toBe(true)
    await until(async () => (await readAll(engine, 't')).length === 1)
    expect(await producer.cancelDelayed(first!.delayId!)).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await readAll(engine, 't')).map((r) => r.value!.toString())).toEqual(['a'])
    expect((await engine.delayed()).stats().pending).toBe(0)
    await engine.close()
  })

  it('refuses direct writes to the delay log, bad delays and unknown topics with clear errors', async () => {
    const dir = await makeTmpDir('seglog-delay-')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('t')
    const producer = engine.producer()
    await producer.send('t', [{ value: 'x' }], { delayMs: 10_000 })
    expect(await rejection(producer.send('__delayed', [{ value: 'x' }]))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await rejection(engine.createTopic('__delayed'))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await rejection(producer.send('t', [{ value: 'x' }], { delayMs: -1 }))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await rejection(producer.send('t', [{ value: 'x', deliverAt: 1.5 }]))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await rejection(producer.send('nope', [{ value: 'x' }], { delayMs: 5 }))).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' })
    expect(await rejection(producer.cancelDelayed('garbage'))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    await engine.close()
  })
})

describe('delayed delivery on a manual clock', () => {
  it('delivers in due order across fine and coarse buckets, exactly the due ones at each step', async () => {
    const dir = await makeTmpDir('seglog-delay-')
    let now = 1_800_000_000_000
    const engine = await openQuietEngine(dir, { clock: { nowMs: () => now } })
    await engine.createTopic('t', { partitions: 3 })
    const producer = engine.producer()
    const dues: number[] = []
    for (let i = 0; i < 120; i++) dues.push(now + ((i * 7919) % 3_000_000)) // up to 50 min: coarse buckets too
    await producer.send(
      't',
      dues.map((deliverAt, i) => ({ key: `k${i % 17}`, value: String(i), deliverAt })),
    )
    const scheduler = await engine.delayed()
    expect(scheduler.stats()).toMatchObject({ pending: 120, earliestDueMs: Math.min(...dues) })
    expect(fs.readdirSync(path.join(dir, DELAY_INDEX_DIR)).some((name) => name.startsWith('c-'))).toBe(true)
    const seen: number[] = []
    for (let step = 0; step <= 3_000_000; step += COARSE_BUCKET_MS / 3) {
      now = 1_800_000_000_000 + step
      await scheduler.deliverDue()
      const delivered = (await readAll(engine, 't')).map((r) => Number(r.value!.toString()))
      const expected = dues.flatMap((due, i) => (due <= now ? [i] : []))
      expect(delivered.sort((a, b) => a - b)).toEqual(expected)
      seen.push(delivered.length)
    }
    // Within each partition, records arrive in due order.
    for (const log of engine.partitions('t')) {
      const order: number[] = []
      for await (const record of log.records({ from: 0 })) order.push(Number(header(record, HEADER_DELIVER_AT)))
      expect(order).toEqual([...order].sort((a, b) => a - b))
    }
    expect(scheduler.stats().pending).toBe(0)
    expect(fs.readdirSync(path.join(dir, DELAY_INDEX_DIR)).filter((name) => name.endsWith('.due'))).toEqual([])
    await engine.close()
  })

  it('a record sent due before the cursor of a bucket in delivery still arrives (it is not passed over)', async () => {
    const dir = await makeTmpDir('seglog-delay-')
    let now = 1_800_000_000_000
    const engine = await openQuietEngine(dir, { clock: { nowMs: () => now } })
    await engine.createTopic('t')
    const producer = engine.producer()
    await producer.send('t', [
      { value: 'a', deliverAt: now + 100 },
      { value: 'c', deliverAt: now + 900 },
    ])
    const scheduler = await engine.delayed()
    // The scheduler's own timer may run a delivery too: what counts is what arrived.
    const values = async (): Promise<string[]> => (await readAll(engine, 't')).map((r) => r.value!.toString())
    now += 500
    await scheduler.deliverDue()
    expect(await values()).toEqual(['a'])
    await producer.send('t', [{ value: 'b', deliverAt: now - 400 }])
    await scheduler.deliverDue()
    expect(await values()).toEqual(['a', 'b'])
    now += 500
    await scheduler.deliverDue()
    expect(await values()).toEqual(['a', 'b', 'c'])
    await engine.close()
  })
})

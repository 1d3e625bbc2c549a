import { afterEach, describe, expect, it } from 'vitest'
import type { Consumer, ConsumerRecord } from '../../src/consumer/consumer.js'
import type { SeglogError } from '../../src/errors.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { encodeTransactionMarker } from '../../src/record/control-record.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { fill, sleep } from './helpers.js'
import { openWatchedEngine } from '../helpers/engine.js'

/**
 * The consumer end to end on real files: tailing a topic while a producer writes to it, stopping
 * on close() and on an AbortSignal, resuming from a commit after a restart, waking on appends
 * without polling, groups and partition subsets, start positions, auto-commit, seek/pause/resume,
 * batches(), offset reset after DeleteRecords and retention, and durable-only reads under 'sync'.
 * Throughput over 1 M records is measured by bench/consumer-e2e.mjs, not here.
 */

afterEach(removeTmpDirs)

const T = 1_700_000_000_000

async function setup(options: { flush?: 'sync' | 'os'; partitions?: number; records?: number } = {}) {
  const dir = await makeTmpDir('seglog-consumer-')
  const { engine, warnings } = await openWatchedEngine(dir, { flush: options.flush ?? 'os' })
  const partitions = options.partitions ?? 2
  await engine.createTopic('t', { partitions })
  for (let partition = 0; partition < partitions; partition++) {
    await fill(engine.partition('t', partition), options.records ?? 100, {
      perBatch: 25,
      timestamp: (n) => T + n * 1000,
      prefix: `p${partition}-`,
    })
  }
  return { dir, engine, warnings }
}

/** Takes the next `count` records (fails instead of hanging if they do not come). */
async function take(consumer: Consumer, count: number, timeoutMs = 5_000): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = []
  if (count === 0) return records
  const iterator = consumer[Symbol.asyncIterator]()
  const deadline = Date.now() + timeoutMs
  while (records.length < count) {
    const next = await Promise.race([iterator.next(), sleep(Math.max(0, deadline - Date.now())).then(() => 'timeout' as const)])
    if (next === 'timeout') throw new Error(`only ${records.length} of ${count} records arrived within ${timeoutMs} ms`)
    if (next.done === true) break
    records.push(next.value)
  }
  return records
}

/** Resolves with 'pending' if the promise has not settled within `ms`. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([promise, sleep(ms).then(() => 'pending' as const)])
}

function offsetsByPartition(records: readonly ConsumerRecord[]): Map<number, number[]> {
  const byPartition = new Map<number, number[]>()
  for (const record of records) {
    const list = byPartition.get(record.partition) ?? []
    list.push(record.offset)
    byPartition.set(record.partition, list)
  }
  return byPartition
}

async function rejection(run: () => unknown): Promise<SeglogError> {
  try {
    await run()
  } catch (error) {
    return error as SeglogError
  }
  throw new Error('expected an error')
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, slot) => from + slot)
}

describe('tailing while a producer writes', () => {
  it('sees every one of 20,000 records exactly once, in order per partition', async () => {
    const dir = await makeTmpDir('seglog-consumer-live-')
    const { engine } = await openWatchedEngine(dir, { flush: 'os' })
    await engine.createTopic('live', { partitions: 4 })
    const consumer = await engine.consumer({ group: 'tail', topics: ['live'] })
    const total = 20_000
    const sent = new Map<string, string>()
    const producer = engine.producer({ lingerMs: 0, compression: 'lz4' })
    const producing = (async () => {
      for (let next = 0; next < total;) {
        const chunk = Math.min(total - next, 1 + Math.floor(Math.random() * 400))
        const records = range(next, next + chunk).map((n) => ({ value: `value-${n}`, partition: n % 4 }))
        const metadata = await producer.send('live', records)
        metadata.forEach((meta, slot) => sent.set(`${meta.partition}/${meta.offset}`, records[slot]!.value))
        next += chunk
        if (Math.random() < 0.3) await sleep(1)
      }
      await producer.close()
    })()
    // A hang would mean a lost wake-up: close the consumer after a while and let the counts tell.
    const watchdog = setTimeout(() => void consumer.close(), 30_000)
    const received: ConsumerRecord[] = []
    for await (const record of consumer) {
      received.push(record)
      if (received.length === total) break
    }
    clearTimeout(watchdog)
    await producing
    expect(received).toHaveLength(total)
    for (const [partition, offsets] of offsetsByPartition(received)) {
      expect(offsets, `partition ${partition}`).toEqual(range(0, engine.partition('live', partition).logEndOffset))
    }
    for (const record of received) expect(record.value?.toString()).toBe(sent.get(`${record.partition}/${record.offset}`))
    // Nothing more is waiting, and the consumer's position is the log end on every partition.
    expect(consumer.positions().map((position) => position.offset)).toEqual(engine.partitions('live').map((log) => log.logEndOffset))
    await consumer.close()
    await engine.close()
  })

  it('delivers appends to an idle consumer within milliseconds (latency printed)', async () => {
    const { engine } = await setup({ partitions: 2, records: 0 })
    const consumer = await engine.consumer({ group: 'latency', topics: ['t'] })
    const latencies: number[] = []
    const receiving = (async () => {
      for await (const record of consumer) {
        latencies.push(performance.now() - Number(record.value!.toString()))
        if (latencies.length === 500) return
      }
    })()
    for (let n = 0; n < 500; n++) {
      await engine.partition('t', n % 2).appendRecords([{ value: Buffer.from(String(performance.now())), timestamp: Date.now() }])
      if (n % 5 === 0) await sleep(1)
    }
    await receiving
    latencies.sort((a, b) => a - b)
    const p50 = latencies[Math.floor(latencies.length * 0.5)]!
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!
    console.log(
      `append -> consumer latency while tailing ('os', 500 single-record appends): p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${latencies.at(-1)!.toFixed(3)} ms`,
    )
    await consumer.close()
    await engine.close()
  })
})

describe('stopping', () => {
  it('close() ends an iterator that waits for appends', async () => {
    const { engine } = await setup({ records: 3 })
    const consumer = await engine.consumer({ group: 'g', topics: ['t'] })
    expect(await take(consumer, 6)).toHaveLength(6)
    const iterator = consumer[Symbol.asyncIterator]()
    const waiting = iterator.next()
    expect(await settledWithin(waiting, 50)).toBe('pending')
    await consumer.close()
    expect(await settledWithin(waiting, 1000)).toEqual({ done: true, value: undefined })
    // A closed consumer yields nothing, even when records arrive.
    await fill(engine.partition('t', 0), 5)
    expect(await take(consumer, 1)).toEqual([])
    await engine.close()
  })

  it('an AbortSignal ends a waiting iterator, and an aborted one yields nothing', async () => {
    const { engine } = await setup({ records: 3 })
    const controller = new AbortController()
    const consumer = await engine.consumer({ group: 'g', topics: ['t'], signal: controller.signal })
    const seen: number[] = []
    const loop = (async () => {
      for await (const record of consumer) seen.push(record.offset)
      return 'ended'
    })()
    await sleep(50)
    expect(seen).toHaveLength(6)
    controller.abort()
    expect(await settledWithin(loop, 1000)).toBe('ended')

    const aborted = await engine.consumer({ group: 'g', topics: ['t'], signal: AbortSignal.abort() })
    expect(await take(aborted, 1)).toEqual([])
    await engine.close()
  })
})

describe('commits and restarts', () => {
  it('a new consumer of the group resumes from the commit after the engine is reopened', async () => {
    const { dir, engine } = await setup({ partitions: 1, records: 100 })
    const first = await engine.consumer({ group: 'resume', topics: ['t'] })
    const read = await take(first, 40)
    expect(read.at(-1)!.offset).toBe(39)
    await first.commit(read.at(-1)!)
    expect(engine.offsets.fetch('resume', 't', 0)?.offset).toBe(40)
    await first.close()
    await engine.close()

    const reopened = await openWatchedEngine(dir, { flush: 'os' })
    const second = await reopened.engine.consumer({ group: 'resume', topics: ['t'] })
    expect(second.positions()).toEqual([{ topic: 't', partition: 0, offset: 40 }])
    const rest = await take(second, 60)
    expect(rest.map((record) => record.offset)).toEqual(range(40, 100))
    // commit() without a record commits every position (here the log end).
    await second.commit()
    expect(reopened.engine.offsets.fetch('resume', 't', 0)?.offset).toBe(100)
    await second.close()
    await reopened.engine.close()
  })

  it('commit() right after a record commits exactly up to it; commits that change nothing are skipped', async () => {
    const { engine } = await setup({ partitions: 2, records: 10 })
    const consumer = await engine.consumer({ group: 'g', topics: ['t'] })
    const offsetsLog = engine.partition('__consumer_offsets', 0)
    for await (const record of consumer) {
      if (record.partition === 1 && record.offset === 4) break
    }
    await consumer.commit()
    const positions = Object.fromEntries(consumer.positions().map((position) => [position.partition, position.offset]))
    expect(engine.offsets.fetch('g', 't', 1)?.offset).toBe(5)
    expect(engine.offsets.fetch('g', 't', 0)?.offset).toBe(positions[0])
    const end = offsetsLog.logEndOffset
    await consumer.commit()
    expect(offsetsLog.logEndOffset).toBe(end)
    expect((await rejection(() => consumer.commit({ topic: 't', partition: 7, offset: 1 }))).code).toBe('INVALID_ARGUMENT')
    await consumer.close()
    await engine.close()
  })

  it('autoCommitMs commits positions periodically and on close', async () => {
    const { engine } = await setup({ partitions: 1, records: 50 })
    const consumer = await engine.consumer({ group: 'auto', topics: ['t'], autoCommitMs: 30 })
    await take(consumer, 10)
    const deadline = Date.now() + 2000
    while (engine.offsets.fetch('auto', 't', 0)?.offset !== 10 && Date.now() < deadline) await sleep(10)
    expect(engine.offsets.fetch('auto', 't', 0)?.offset).toBe(10)
    await take(consumer, 5)
    await consumer.close()
    expect(engine.offsets.fetch('auto', 't', 0)?.offset).toBe(15)
    await engine.close()
  })
})

describe('waking', () => {
  it('an idle consumer does not poll: no reads while it waits, one wake-up per append', async () => {
    const { engine } = await setup({ partitions: 3, records: 20 })
    const consumer = await engine.consumer({ group: 'idle', topics: ['t'] })
    const calls = { readRaw: 0 }
    const restore: (() => void)[] = []
    for (const log of engine.partitions('t')) {
      const original = log.readRaw.bind(log)
      log.readRaw = (...args: Parameters<PartitionLog['readRaw']>) => {
        calls.readRaw++
        return original(...args)
      }
      restore.push(() => {
        log.readRaw = original
      })
    }
    const received: ConsumerRecord[] = []
    const loop = (async () => {
      for await (const record of consumer) received.push(record)
    })()
    const deadline = Date.now() + 5000
    while (received.length < 60 && Date.now() < deadline) await sleep(5)
    expect(received).toHaveLength(60)
    await sleep(20)
    const before = calls.readRaw
    const cpuBefore = process.cpuUsage()
    await sleep(200)
    const idleReads = calls.readRaw - before
    const cpu = process.cpuUsage(cpuBefore)
    console.log(
      `idle consumer over 200 ms: ${idleReads} readRaw calls, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU for the whole process`,
    )
    expect(idleReads).toBe(0)

    await fill(engine.partition('t', 2), 1, { prefix: 'late-' })
    const wakeDeadline = Date.now() + 2000
    while (received.length < 61 && Date.now() < wakeDeadline) await sleep(1)
    expect(received.at(-1)).toMatchObject({ partition: 2, offset: 20 })
    // A single record costs at most a read per partition.
    expect(calls.readRaw - before).toBeLessThanOrEqual(3)
    await consumer.close()
    await loop
    for (const undo of restore) undo()
    await engine.close()
  })

  it('an append that lands while the consumer is reading another partition is not missed', async () => {
    // Partition 1 ends with a control batch (a transaction marker): reading it yields no records,
    // so the consumer goes back to waiting after a real read. An append to partition 0 that
    // completes during that read must still wake it.
    const { engine } = await setup({ partitions: 2, records: 0 })
    const [p0, p1] = engine.partitions('t') as [PartitionLog, PartitionLog]
    const marker = encodeTransactionMarker('COMMIT', 0)
    await p1.appendRecords([{ key: marker.key, value: marker.value, timestamp: Date.now() }], {
      isControl: true,
      producerId: 7,
      producerEpoch: 0,
    })
    const readRaw = p1.readRaw.bind(p1)
    let injected = false
    p1.readRaw = async (...args: Parameters<PartitionLog['readRaw']>) => {
      if (!injected) {
        injected = true
        await p0.appendRecords([{ value: Buffer.from('during the read'), timestamp: Date.now() }])
      }
      return readRaw(...args)
    }
    const consumer = await engine.consumer({ group: 'race', topics: ['t'] })
    const records = await take(consumer, 1, 2000)
    expect(injected).toBe(true)
    expect(records.map((record) => [record.partition, record.offset])).toEqual([[0, 0]])
    expect(consumer.positions()).toEqual([
      { topic: 't', partition: 0, offset: 1 },
      { topic: 't', partition: 1, offset: 1 },
    ])
    await consumer.close()
    await engine.close()
  })
})

describe('groups and assignments', () => {
  it('two groups read the same topic independently', async () => {
    const { engine } = await setup({ partitions: 2, records: 50 })
    const a = await engine.consumer({ group: 'a', topics: ['t'] })
    const b = await engine.consumer({ group: 'b', topics: ['t'] })
    const [fromA, fromB] = await Promise.all([take(a, 100), take(b, 30)])
    expect(fromA).toHaveLength(100)
    expect(fromB).toHaveLength(30)
    await a.commit()
    await b.commit()
    const committed = (group: string) => [0, 1].map((partition) => engine.offsets.fetch(group, 't', partition)?.offset ?? 0)
    expect(committed('a')).toEqual([50, 50])
    expect(committed('b').reduce((sum, offset) => sum + offset, 0)).toBe(30)
    await a.close()
    await b.close()
    // A third group starts from scratch; a restarted 'b' picks up where it committed.
    const c = await engine.consumer({ group: 'c', topics: ['t'] })
    expect((await take(c, 100)).length).toBe(100)
    const b2 = await engine.consumer({ group: 'b', topics: ['t'] })
    expect(await take(b2, 70)).toHaveLength(70)
    await c.close()
    await b2.close()
    await engine.close()
  })

  it('`partitions` limits a consumer to those partitions', async () => {
    const { engine } = await setup({ partitions: 4, records: 10 })
    const consumer = await engine.consumer({ group: 'subset', topics: ['t'], partitions: [1, 3] })
    expect(consumer.positions().map((position) => position.partition)).toEqual([1, 3])
    const records = await take(consumer, 20)
    expect(new Set(records.map((record) => record.partition))).toEqual(new Set([1, 3]))
    await fill(engine.partition('t', 0), 5)
    await fill(engine.partition('t', 3), 1)
    expect((await take(consumer, 1))[0]).toMatchObject({ partition: 3, offset: 10 })
    expect((await rejection(() => engine.consumer({ group: 'x', topics: ['t'], partitions: [4] }))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect((await rejection(() => engine.consumer({ group: 'x', topics: ['nope'] }))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    await consumer.close()
    await engine.close()
  })

  it('`from`: earliest, latest or a timestamp where the group has no commit; a commit wins', async () => {
    const { engine } = await setup({ partitions: 1, records: 100 })
    const earliest = await engine.consumer({ group: 'e', topics: ['t'], from: 'earliest' })
    const latest = await engine.consumer({ group: 'l', topics: ['t'], from: 'latest' })
    // Record n has timestamp T + n s: the first at or after T + 50.5 s is 51.
    const byTime = await engine.consumer({ group: 'ts', topics: ['t'], from: { timestamp: T + 50_500 } })
    const pastEnd = await engine.consumer({ group: 'future', topics: ['t'], from: { timestamp: T + 10_000_000 } })
    expect([earliest, latest, byTime, pastEnd].map((consumer) => consumer.positions()[0]!.offset)).toEqual([0, 100, 51, 100])
    expect((await take(byTime, 1))[0]!.offset).toBe(51)
    await fill(engine.partition('t', 0), 1, { prefix: 'new-' })
    expect((await take(latest, 1))[0]!.value!.toString()).toBe('new-100')
    await engine.offsets.commit('committed', 't', 0, 7)
    const withCommit = await engine.consumer({ group: 'committed', topics: ['t'], from: 'latest' })
    expect(withCommit.positions()[0]!.offset).toBe(7)
    for (const consumer of [earliest, latest, byTime, pastEnd, withCommit]) await consumer.close()
    await engine.close()
  })
})

describe('seek, pause, resume, batches', () => {
  it('seek moves a position (and wakes a waiting iterator); pause holds a partition back', async () => {
    const { engine } = await setup({ partitions: 2, records: 10 })
    const consumer = await engine.consumer({ group: 'g', topics: ['t'] })
    consumer.seek('t', 0, 5)
    consumer.pause('t', 1)
    const first = await take(consumer, 5)
    expect(first.map((record) => [record.partition, record.offset])).toEqual(range(5, 10).map((offset) => [0, offset]))
    consumer.resume('t', 1)
    const second = await take(consumer, 10)
    expect(second.map((record) => [record.partition, record.offset])).toEqual(range(0, 10).map((offset) => [1, offset]))
    // Caught up everywhere: a seek back wakes the waiting iterator.
    const iterator = consumer[Symbol.asyncIterator]()
    const waiting = iterator.next()
    expect(await settledWithin(waiting, 30)).toBe('pending')
    consumer.seek('t', 1, 8)
    expect(await settledWithin(waiting, 1000)).toMatchObject({ done: false, value: { partition: 1, offset: 8 } })
    // Seeking back on a caught-up partition re-reads from there; the other's buffer is untouched.
    consumer.seek('t', 0, 2)
    const third = offsetsByPartition(await take(consumer, 9))
    expect(third.get(0)).toEqual(range(2, 10))
    expect(third.get(1)).toEqual([9])
    expect((await rejection(() => consumer.seek('t', 5, 0))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(() => consumer.seek('t', 0, -1))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(() => consumer.pause('other', 0))).code).toBe('INVALID_ARGUMENT')
    await consumer.close()
    await engine.close()
  })

  it('batches() hands out every record in order, batch by batch, and moves positions', async () => {
    const { engine } = await setup({ partitions: 3, records: 1000 })
    const consumer = await engine.consumer({ group: 'bulk', topics: ['t'], maxBytes: 4096 })
    const seen = new Map<number, number[]>()
    let batches = 0
    for await (const batch of consumer.batches()) {
      batches++
      const list = seen.get(batch.partition) ?? []
      for (const record of batch.records) {
        expect(record.partition).toBe(batch.partition)
        list.push(record.offset)
      }
      seen.set(batch.partition, list)
      if ([...seen.values()].reduce((sum, offsets) => sum + offsets.length, 0) === 3000) break
    }
    expect(batches).toBeGreaterThan(3)
    for (let partition = 0; partition < 3; partition++) expect(seen.get(partition)).toEqual(range(0, 1000))
    expect(consumer.positions().map((position) => position.offset)).toEqual([1000, 1000, 1000])
    await consumer.commit()
    expect(engine.offsets.fetch('bulk', 't', 2)?.offset).toBe(1000)
    // After a seek into the middle of a batch, the first batch starts at the seek offset.
    consumer.seek('t', 1, 510)
    const next = await consumer.batches().next()
    expect(next.value).toMatchObject({ partition: 1 })
    expect(next.value!.records[0]!.offset).toBe(510)
    await consumer.close()
    await engine.close()
  })
})

describe('decoding one record batch at a time', () => {
  it('decodes a large read batch by batch: batches() hands out one record batch, and positions stay exact across them', async () => {
    // 1000 records in 40 batches of 25, all read at once (maxBytes far above the partition's size).
    const { engine } = await setup({ partitions: 1, records: 1000 })
    const consumer = await engine.consumer({ group: 'lazy', topics: ['t'], maxBytes: 64 * 1024 * 1024 })
    const sizes: number[] = []
    const offsets: number[] = []
    for await (const batch of consumer.batches()) {
      sizes.push(batch.records.length)
      for (const record of batch.records) offsets.push(record.offset)
      expect(consumer.positions()[0]!.offset).toBe(offsets[offsets.length - 1]! + 1)
      if (offsets.length === 1000) break
    }
    expect(sizes).toEqual(Array.from({ length: 40 }, () => 25))
    expect(offsets).toEqual(range(0, 1000))
    // A seek while records of the read are still undecoded drops them.
    consumer.seek('t', 0, 990)
    expect((await take(consumer, 10)).map((record) => record.offset)).toEqual(range(990, 1000))
    await consumer.close()
    await engine.close()
  })

  it('steps past trailing control batches of a read', async () => {
    const { engine } = await setup({ partitions: 1, records: 50 })
    const log = engine.partition('t', 0)
    const marker = encodeTransactionMarker('COMMIT', 0)
    await log.appendRecords([{ key: marker.key, value: marker.value, timestamp: T }], { isControl: true, producerId: 7, producerEpoch: 0 })
    const consumer = await engine.consumer({ group: 'ctl', topics: ['t'], maxBytes: 64 * 1024 * 1024 })
    expect((await take(consumer, 50)).map((record) => record.offset)).toEqual(range(0, 50))
    await fill(log, 1, { perBatch: 1, timestamp: () => T, prefix: 'after-' })
    const [after] = await take(consumer, 1)
    expect(after!.offset).toBe(51)
    await consumer.close()
    await engine.close()
  })
})

describe('positions below the log start', () => {
  it("a commit below the log start after DeleteRecords: offsetReset 'earliest' jumps to the start and warns", async () => {
    const { engine } = await setup({ partitions: 1, records: 100 })
    await engine.offsets.commit('late', 't', 0, 10)
    await engine.deleteRecordsBefore('t', 0, 50)
    const warnings: string[] = []
    const consumer = await engine.consumer({
      group: 'late',
      topics: ['t'],
      offsetReset: 'earliest',
      onWarning: (message) => warnings.push(message),
    })
    const records = await take(consumer, 50)
    expect(records.map((record) => record.offset)).toEqual(range(50, 100))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('t-0')
    await consumer.commit()
    expect(engine.offsets.fetch('late', 't', 0)?.offset).toBe(100)
    await consumer.close()
    await engine.close()
  })

  it("offsetReset 'latest' skips to the end and waits for new records", async () => {
    const { engine } = await setup({ partitions: 1, records: 100 })
    await engine.offsets.commit('skip', 't', 0, 10)
    await engine.deleteRecordsBefore('t', 0, 50)
    const warnings: string[] = []
    const consumer = await engine.consumer({
      group: 'skip',
      topics: ['t'],
      offsetReset: 'latest',
      onWarning: (message) => warnings.push(message),
    })
    const iterator = consumer[Symbol.asyncIterator]()
    const waiting = iterator.next()
    expect(await settledWithin(waiting, 50)).toBe('pending')
    expect(warnings).toHaveLength(1)
    await fill(engine.partition('t', 0), 1, { prefix: 'fresh-' })
    expect(await settledWithin(waiting, 1000)).toMatchObject({ done: false, value: { offset: 100 } })
    await consumer.close()
    await engine.close()
  })

  it('a position overtaken by retention while the consumer runs is reset too', async () => {
    const dir = await makeTmpDir('seglog-consumer-retention-')
    const { engine } = await openWatchedEngine(dir, { flush: 'os' })
    await engine.createTopic('t', { segmentBytes: 2048, retentionBytes: 4096, retentionMs: -1 })
    const log = engine.partition('t', 0)
    await fill(log, 20, { perBatch: 10 })
    const warnings: string[] = []
    const consumer = await engine.consumer({ group: 'slow', topics: ['t'], onWarning: (message) => warnings.push(message), maxBytes: 1 })
    expect((await take(consumer, 5)).map((record) => record.offset)).toEqual(range(0, 5))
    await fill(log, 400, { perBatch: 10 })
    await engine.applyRetention()
    const start = log.logStartOffset
    expect(start).toBeGreaterThan(20)
    const next = await take(consumer, 6)
    // The rest of the batch already read (offsets 5-9) comes first, then the jump to the log start.
    expect(next.map((record) => record.offset)).toEqual([5, 6, 7, 8, 9, start])
    expect(warnings).toHaveLength(1)
    await consumer.close()
    await engine.close()
  })
})

describe("flush 'sync'", () => {
  it('the consumer never sees a record before it is durable', async () => {
    const { engine } = await setup({ flush: 'sync', partitions: 1, records: 0 })
    const log = engine.partition('t', 0)
    // Slow every fsync down so each append spends a while written but not yet durable (the
    // records fit the active segment, so every fsync is its flush).
    const active = log.segmentList.at(-1)!
    const flush = active.flush.bind(active)
    active.flush = async () => {
      await sleep(5)
      return flush()
    }
    const consumer = await engine.consumer({ group: 'durable', topics: ['t'] })
    const violations: string[] = []
    let received = 0
    const loop = (async () => {
      for await (const record of consumer) {
        if (record.offset >= log.recoveryPoint)
          violations.push(`offset ${record.offset} delivered with the recovery point at ${log.recoveryPoint}`)
        if (++received === 300) return
      }
    })()
    let sawUndurable = 0
    const appends: Promise<unknown>[] = []
    for (let n = 0; n < 30; n++) {
      appends.push(log.appendRecords(range(0, 10).map((slot) => ({ value: Buffer.from(`${n}-${slot}`), timestamp: Date.now() }))))
      await sleep(1)
      if (log.logEndOffset > log.highWatermark) sawUndurable++
    }
    await Promise.all(appends)
    await loop
    expect(violations).toEqual([])
    expect(sawUndurable).toBeGreaterThan(0) // the window the test is about did exist
    // An embedder's lower high watermark (on a batch boundary, as a broker sets it) holds the
    // consumer back as well.
    log.setHighWatermark(305)
    await log.appendRecords(range(0, 5).map(() => ({ value: Buffer.from('x'), timestamp: Date.now() })))
    await log.appendRecords(range(0, 5).map(() => ({ value: Buffer.from('y'), timestamp: Date.now() })))
    expect((await take(consumer, 5)).map((record) => record.offset)).toEqual(range(300, 305))
    const iterator = consumer[Symbol.asyncIterator]()
    const waiting = iterator.next()
    expect(await settledWithin(waiting, 50)).toBe('pending')
    log.setHighWatermark(null)
    await log.appendRecords([{ value: Buffer.from('wake'), timestamp: Date.now() }])
    expect(await settledWithin(waiting, 1000)).toMatchObject({ done: false, value: { offset: 305 } })
    await consumer.close()
    await engine.close()
  })
})

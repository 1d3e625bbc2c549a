import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import type { CompressionName } from '../../src/compression/codec.js'
import { LogEngine } from '../../src/engine/log-engine.js'
import { SeglogError } from '../../src/errors.js'
import { IoError } from '../../src/log/errors.js'
import type { AppendInfo, PartitionLog } from '../../src/log/partition-log.js'
import { partitionForKey } from '../../src/producer/partitioner.js'
import {
  ProducerClosedError,
  RecordTooLargeError,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
} from '../../src/producer/producer.js'
import { COMPRESSION_IDS } from '../../src/compression/codec.js'
import type { RecordBatch } from '../../src/record/record-batch.js'
import type { DecodedRecord } from '../../src/record/record.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine, type EngineOptions } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'
import { seededRandom } from '../../src/seeded-random.js'

/**
 * The producer against a real engine in a temp dir: exactly-once placement under concurrency,
 * batching by size and by linger, per-call validation, acks, compression, backpressure, flush,
 * close, metrics, and recovery from a failed batch.
 */

const engines: LogEngine[] = []

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close().catch(() => undefined)
  await removeTmpDirs()
})

async function openEngine(options: EngineOptions = {}): Promise<LogEngine> {
  const dir = await makeTmpDir('seglog-producer-')
  const engine = await openQuietEngine(dir, options)
  engines.push(engine)
  return engine
}

async function readAll(log: PartitionLog): Promise<DecodedRecord[]> {
  const records: DecodedRecord[] = []
  for await (const record of log.records({ from: log.logStartOffset })) records.push(record)
  return records
}

async function readBatches(log: PartitionLog): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = []
  for await (const batch of log.batches({ from: log.logStartOffset })) batches.push(batch)
  return batches
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Settles pending I/O and timers: enough turns of the event loop for a drained batch to land. */
async function settle(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve))
}

/** Whether a promise has settled yet, without waiting for it. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; promise: Promise<T> } {
  const state = { settled: false, promise }
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  )
  return state
}

/** Makes a partition's appends wait until `open()`; appends keep their order. */
function gateAppends(log: PartitionLog): { open(): void; calls(): number } {
  const original = log.appendRecords.bind(log)
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let calls = 0
  log.appendRecords = (records, options) => {
    calls++
    return gate.then(() => original(records, options))
  }
  return { open: () => release(), calls: () => calls }
}

/** Makes every append of a partition take at least `delayMs`, one after another (a slow disk). */
function slowAppends(log: PartitionLog, delayMs: number): void {
  const original = log.appendRecords.bind(log)
  let tail: Promise<unknown> = Promise.resolve()
  log.appendRecords = (records, options) => {
    const run = tail.then(() => sleep(delayMs)).then(() => original(records, options))
    tail = run.catch(() => undefined)
    return run
  }
}

/** The producer's size estimate for a record without key or headers (see estimateSize). */
const RECORD_OVERHEAD_BYTES = 22

describe('Producer: placement under concurrency', () => {
  it('20 concurrent senders x 500 records: each record lands once, in send order, at the offset send returned', async () => {
    const engine = await openEngine()
    const partitions = 4
    await engine.createTopic('orders', { partitions })
    const producer = engine.producer({ batchBytes: 2048, lingerMs: 2, compression: 'lz4' })
    const senders = 20
    const perSender = 500
    const sent: { sender: number; seq: number; key: string | null; meta: RecordMetadata }[] = []

    await Promise.all(
      Array.from({ length: senders }, async (_, sender) => {
        const random = seededRandom(1000 + sender)
        let seq = 0
        while (seq < perSender) {
          const count = Math.min(perSender - seq, 1 + Math.floor(random() * 8))
          const records: ProducerRecord[] = []
          const keys: (string | null)[] = []
          for (let slot = 0; slot < count; slot++) {
            const key = random() < 0.5 ? `user-${Math.floor(random() * 37)}` : null
            keys.push(key)
            records.push({ key, value: `${sender}:${seq + slot}`, headers: { sender: String(sender) } })
          }
          const metas = await producer.send('orders', records)
          for (let slot = 0; slot < count; slot++) sent.push({ sender, seq: seq + slot, key: keys[slot]!, meta: metas[slot]! })
          seq += count
        }
      }),
    )
    await producer.flush()

    // Checked with plain comparisons and one expect per list: 10,000 expect calls would dominate.
    const problems: string[] = []
    const stored = new Set<string>()
    const logs = engine.partitions('orders')
    let total = 0
    for (const log of logs) {
      const records = await readAll(log)
      total += records.length
      const lastSeqBySender = new Map<number, number>()
      for (const record of records) {
        const value = record.value!.toString()
        if (stored.has(value)) problems.push(`${value} stored twice`)
        stored.add(value)
        const [sender, seq] = value.split(':').map(Number) as [number, number]
        // Within a partition one sender's records appear in the order it sent them.
        if (seq <= (lastSeqBySender.get(sender) ?? -1))
          problems.push(`${value} after ${sender}:${lastSeqBySender.get(sender)} in partition ${log.partition}`)
        lastSeqBySender.set(sender, seq)
      }
      const byOffset = new Map(records.map((record) => [record.offset, record]))
      for (const { sender, seq, meta } of sent) {
        if (meta.partition !== log.partition) continue
        const record = byOffset.get(meta.offset)
        if (record?.value?.toString() !== `${sender}:${seq}`)
          problems.push(`send returned offset ${meta.offset} for ${sender}:${seq}, which holds ${record?.value?.toString()}`)
        else if (record.timestamp !== meta.timestamp)
          problems.push(`timestamp of ${sender}:${seq}: ${meta.timestamp} returned, ${record.timestamp} stored`)
      }
    }
    for (const { sender, seq, key, meta } of sent) {
      if (meta.topic !== 'orders') problems.push(`topic ${meta.topic} for ${sender}:${seq}`)
      if (key !== null && meta.partition !== partitionForKey(Buffer.from(key), partitions))
        problems.push(`key ${key} went to partition ${meta.partition}`)
    }
    expect(problems).toEqual([])
    expect(total).toBe(senders * perSender)
    expect(stored.size).toBe(senders * perSender)
    expect(sent).toHaveLength(senders * perSender)
    // Keyless records went to more than one partition (sticky, but switching after a batch).
    const keylessPartitions = new Set(sent.filter((entry) => entry.key === null).map((entry) => entry.meta.partition))
    expect(keylessPartitions.size).toBeGreaterThan(1)

    // Idempotent by default: one producer id, epoch 0, sequences contiguous from 0 per partition.
    const producerIds = new Set<number>()
    for (const log of logs) {
      let nextSequence = 0
      for (const batch of await readBatches(log)) {
        producerIds.add(batch.producerId)
        expect(batch.producerEpoch).toBe(0)
        expect(batch.baseSequence).toBe(nextSequence)
        nextSequence = batch.lastSequence + 1
      }
    }
    expect(producerIds.size).toBe(1)
    expect([...producerIds][0]).toBeGreaterThanOrEqual(0)

    const metrics = producer.metrics()
    expect(metrics.recordsSent).toBe(senders * perSender)
    expect(metrics.bufferedBytes).toBe(0)
    await producer.close()
  })

  it('keeps call order within a partition for sends that are not awaited, even while they wait for buffer space', async () => {
    const engine = await openEngine()
    await engine.createTopic('events', { partitions: 1 })
    const log = engine.partition('events', 0)
    slowAppends(log, 1)
    const producer = engine.producer({ bufferBytes: 2000, batchBytes: 500, compression: 'none' })
    const sends: Promise<RecordMetadata[]>[] = []
    for (let call = 0; call < 300; call++) {
      // Mixed sizes: a small send would fit where a large one has to wait.
      const size = call % 7 === 0 ? 900 : 10
      sends.push(
        producer.send('events', [{ value: Buffer.alloc(size, call % 256), headers: [{ key: 'call', value: Buffer.from(String(call)) }] }]),
      )
    }
    const offsets = (await Promise.all(sends)).map((metas) => metas[0]!.offset)
    expect(offsets).toEqual(offsets.map((_, call) => call))
    const stored = await readAll(log)
    expect(stored.map((record) => Number(record.headers[0]!.value!.toString()))).toEqual(offsets.map((_, call) => call))
  })
})

describe('Producer: batching', () => {
  it('closes a batch once it holds batchBytes, without waiting for linger', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)
    const producer = engine.producer({ batchBytes: 1000, lingerMs: 60_000, compression: 'none' })
    // Each record is estimated at exactly 100 bytes, so ten make a full batch.
    const value = Buffer.alloc(100 - RECORD_OVERHEAD_BYTES, 7)
    const started = performance.now()
    await producer.send(
      't',
      Array.from({ length: 100 }, () => ({ value, partition: 0 })),
    )
    expect(performance.now() - started).toBeLessThan(30_000)
    expect((await readBatches(log)).map((batch) => batch.recordCount)).toEqual(Array(10).fill(10))
    const metrics = producer.metrics()
    expect(metrics.batches).toBe(10)
    expect(metrics.averageBatchRecords).toBe(10)
    expect(metrics.recordsSent).toBe(100)
    await producer.close()
  })

  it('sends a record larger than batchBytes in a batch of its own', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)
    const producer = engine.producer({ batchBytes: 1000, compression: 'none' })
    const small = { value: Buffer.alloc(50, 1) }
    const big = { value: Buffer.alloc(5000, 2) }
    await producer.send('t', [small, small, small, big, small, small, small])
    const batches = await readBatches(log)
    expect(batches.map((batch) => batch.recordCount)).toEqual([3, 1, 3])
    expect(batches[1]!.toArray()[0]!.value!.length).toBe(5000)
    expect(producer.metrics().batches).toBe(3)
  })

  it('collects sends within lingerMs into one batch, and without linger only those of the same tick', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)

    const lingering = engine.producer({ lingerMs: 300, compression: 'none' })
    const started = performance.now()
    const firstDone = lingering.send('t', [{ value: 'r0' }]).then(() => performance.now() - started)
    const sends: Promise<unknown>[] = [firstDone]
    for (let call = 1; call < 10; call++) {
      await sleep(1)
      sends.push(lingering.send('t', [{ value: `r${call}` }]))
    }
    await Promise.all(sends)
    expect(await firstDone).toBeGreaterThanOrEqual(290)
    expect(lingering.metrics().batches).toBe(1)
    expect(lingering.metrics().averageBatchRecords).toBe(10)

    const eager = engine.producer({ lingerMs: 0, compression: 'none' })
    for (let call = 0; call < 10; call++) {
      await eager.send('t', [{ value: `e${call}` }])
    }
    expect(eager.metrics().batches).toBe(10)
    expect(eager.metrics().averageBatchRecords).toBe(1)

    const sameTick = engine.producer({ lingerMs: 0, compression: 'none' })
    await Promise.all(Array.from({ length: 10 }, (_, call) => sameTick.send('t', [{ value: `s${call}` }])))
    expect(sameTick.metrics().batches).toBe(1)
    expect((await readBatches(log)).map((batch) => batch.recordCount)).toEqual([10, ...Array(10).fill(1), 10])
  })
})

describe('Producer: timestamps', () => {
  it('stamps a record sent without a timestamp with the time it was sent, also after an idle spell', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const producer = engine.producer({ compression: 'none' })
    await producer.send('t', [{ value: 'first' }])
    await sleep(250) // the partition's next (empty) batch waits meanwhile
    const before = Date.now()
    const [meta] = await producer.send('t', [{ value: 'second' }])
    const after = Date.now()
    expect(meta!.timestamp).toBeGreaterThanOrEqual(before)
    expect(meta!.timestamp).toBeLessThanOrEqual(after)
    const stored = await readAll(engine.partition('t', 0))
    expect(stored[1]!.timestamp).toBe(meta!.timestamp)
  })
})

describe('Producer: validation', () => {
  it('rejects a send with a record over maxRecordBytes as a whole; other sends in flight are not affected', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const producer = engine.producer({ maxRecordBytes: 1000, lingerMs: 20, compression: 'none' })
    const first = producer.send('t', [{ value: 'a1' }, { value: 'a2' }, { value: 'a3' }])
    const tooBig = producer.send('t', [{ value: 'b1' }, { value: Buffer.alloc(2000) }, { value: 'b3' }])
    const third = producer.send('t', [{ value: 'c1' }, { value: 'c2' }, { value: 'c3' }])
    const error = await rejection(tooBig)
    expect(error.code).toBe('RECORD_TOO_LARGE')
    expect(error).toBeInstanceOf(RecordTooLargeError)
    expect((error as RecordTooLargeError).limit).toBe(1000)
    expect((error as RecordTooLargeError).size).toBeGreaterThan(2000)
    expect((await first).map((meta) => meta.offset)).toEqual([0, 1, 2])
    expect((await third).map((meta) => meta.offset)).toEqual([3, 4, 5])
    const stored = await readAll(engine.partition('t', 0))
    expect(stored.map((record) => record.value!.toString())).toEqual(['a1', 'a2', 'a3', 'c1', 'c2', 'c3'])
  })

  it('sends to an explicit partition, whatever the key hashes to', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 4 })
    const producer = engine.producer()
    const key = Buffer.from('routing-key')
    const hashed = partitionForKey(key, 4)
    const explicit = (hashed + 1) % 4
    const [keyed, keyless] = await producer.send('t', [
      { key, value: 'keyed', partition: explicit },
      { value: 'keyless', partition: explicit },
    ])
    expect(keyed!.partition).toBe(explicit)
    expect(keyless!.partition).toBe(explicit)
    const [hashedMeta] = await producer.send('t', [{ key, value: 'hashed' }])
    expect(hashedMeta!.partition).toBe(hashed)
    expect((await readAll(engine.partition('t', explicit))).map((record) => record.value!.toString())).toEqual(['keyed', 'keyless'])
  })

  it('rejects an unknown topic (UNKNOWN_TOPIC_OR_PARTITION) and a bad partition or record (INVALID_ARGUMENT) and accepts nothing of that send', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 4 })
    const producer = engine.producer()
    expect(await rejection(producer.send('missing', [{ value: 'x' }]))).toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      topic: 'missing',
      isDeleted: false,
    })
    for (const partition of [4, -1, 1.5, Number.NaN]) {
      expect((await rejection(producer.send('t', [{ value: 'ok' }, { value: 'x', partition }]))).code).toBe('INVALID_ARGUMENT')
    }
    expect((await rejection(producer.send('t', { value: 'x' } as unknown as ProducerRecord[]))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(producer.send('t', [{ key: 'k', value: 12345 } as unknown as ProducerRecord]))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(producer.send('t', [{ value: 'x', timestamp: 1.5 }]))).code).toBe('INVALID_ARGUMENT')
    await producer.flush()
    expect(producer.metrics().bufferedBytes).toBe(0)
    expect(producer.metrics().recordsSent).toBe(0)
    for (const log of engine.partitions('t')) expect(log.logEndOffset).toBe(0)
  })

  it('rejects bad options when the producer is made', async () => {
    const engine = await openEngine()
    expect(() => engine.producer({ batchBytes: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.producer({ lingerMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.producer({ acks: 'all' as 'written' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.producer({ compression: 'brotli' as CompressionName })).toThrow(SeglogError)
  })
})

describe('Producer: acks and compression', () => {
  it("with acks 'flushed' a send resolves only once the recovery point covers its records", async () => {
    const engine = await openEngine({ flush: 'os' })
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)

    const written = engine.producer({ acks: 'written' })
    await written.send('t', [{ value: 'w1' }, { value: 'w2' }])
    // 'os' mode never fsyncs on its own: written is not durable.
    expect(log.logEndOffset).toBe(2)
    expect(log.recoveryPoint).toBe(0)

    const flushed = engine.producer({ acks: 'flushed' })
    const observed = await flushed
      .send('t', [{ value: 'f1' }, { value: 'f2' }, { value: 'f3' }])
      .then((metas) => ({ metas, recoveryPoint: log.recoveryPoint }))
    const lastOffset = observed.metas[observed.metas.length - 1]!.offset
    expect(lastOffset).toBe(4)
    expect(observed.recoveryPoint).toBeGreaterThanOrEqual(lastOffset + 1)
  })

  it.each(['none', 'gzip', 'lz4', 'snappy', 'zstd'] as const)(
    'round-trips keys, values, headers and timestamps with %s',
    async (compression) => {
      const engine = await openEngine()
      await engine.createTopic('t', { partitions: 1 })
      const log = engine.partition('t', 0)
      const producer = engine.producer({ compression, batchBytes: 8192 })
      const random = seededRandom(42)
      const records: ProducerRecord[] = Array.from({ length: 300 }, (_, slot) => ({
        key: slot % 5 === 0 ? null : Buffer.from(`key-${slot}`),
        value: slot % 17 === 0 ? null : Buffer.from(`value ${slot} `.repeat(1 + Math.floor(random() * 20))),
        headers: [
          { key: 'slot', value: Buffer.from(String(slot)) },
          { key: 'empty', value: slot % 3 === 0 ? null : Buffer.alloc(0) },
        ],
        timestamp: 1_700_000_000_000 + slot * 13,
      }))
      const metas = await producer.send('t', records)
      expect(metas.map((meta) => meta.offset)).toEqual(records.map((_, slot) => slot))
      const stored = await readAll(log)
      expect(stored).toHaveLength(records.length)
      for (const [slot, record] of stored.entries()) {
        const input = records[slot]!
        expect(record.offset).toBe(slot)
        expect(record.key).toEqual(input.key)
        expect(record.value).toEqual(input.value)
        expect(record.headers).toEqual(input.headers)
        expect(record.timestamp).toBe(input.timestamp)
        expect(metas[slot]!.timestamp).toBe(input.timestamp)
      }
      const batches = await readBatches(log)
      expect(batches.length).toBeGreaterThan(1)
      for (const batch of batches) expect(batch.compressionId).toBe(COMPRESSION_IDS[compression])
    },
  )

  it('reports compressionRatio < 1 for compressible data with lz4', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const producer = engine.producer({ compression: 'lz4' })
    const value = Buffer.from('the same line of log text, again and again. '.repeat(20))
    await producer.send(
      't',
      Array.from({ length: 200 }, () => ({ value })),
    )
    const metrics = producer.metrics()
    expect(metrics.compressionRatio).toBeGreaterThan(0)
    expect(metrics.compressionRatio).toBeLessThan(0.2)
    expect(metrics.bytesWritten).toBe(engine.partition('t', 0).sizeInBytes)
    expect(metrics.bytesWritten).toBeLessThan(metrics.bytesSent)
  })
})

describe('Producer: backpressure', () => {
  it('never buffers more than bufferBytes plus one send, on a slow partition', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 2 })
    for (const log of engine.partitions('t')) slowAppends(log, 3)
    const bufferBytes = 8192
    const producer = engine.producer({ bufferBytes, batchBytes: 2048, compression: 'none' })
    let maxBuffered = 0
    let largestSend = 0
    const sample = (): void => {
      maxBuffered = Math.max(maxBuffered, producer.metrics().bufferedBytes)
    }
    const sampler = setInterval(sample, 1)
    try {
      await Promise.all(
        // Twelve senders with up to ~1.9 KB each in flight want more than the 8 KiB buffer.
        Array.from({ length: 12 }, async (_, sender) => {
          const random = seededRandom(sender)
          for (let call = 0; call < 25; call++) {
            const count = 1 + Math.floor(random() * 4)
            const records = Array.from({ length: count }, () => ({ value: Buffer.alloc(50 + Math.floor(random() * 400)) }))
            const size = records.reduce((sum, record) => sum + record.value.length + RECORD_OVERHEAD_BYTES, 0)
            largestSend = Math.max(largestSend, size)
            const sending = producer.send('t', records)
            sample()
            await sending
            sample()
          }
        }),
      )
    } finally {
      clearInterval(sampler)
    }
    expect(maxBuffered).toBeGreaterThan(bufferBytes * 0.75) // the buffer really filled up
    expect(maxBuffered).toBeLessThanOrEqual(bufferBytes + largestSend)
    expect(producer.metrics().recordsSent).toBeGreaterThan(0)
  })

  it('makes a send wait while the buffer is full, and lets it in once space frees', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)
    const gate = gateAppends(log)
    const producer = engine.producer({ bufferBytes: 1000, compression: 'none' })
    const first = track(producer.send('t', [{ value: Buffer.alloc(900) }]))
    await settle()
    expect(gate.calls()).toBe(1) // drained and stuck in the slow append
    const firstBytes = producer.metrics().bufferedBytes
    expect(firstBytes).toBe(900 + RECORD_OVERHEAD_BYTES)

    const second = track(producer.send('t', [{ value: Buffer.alloc(300) }]))
    await settle()
    // The buffer is full: the second send is not accepted yet (its bytes are not counted).
    expect(second.settled).toBe(false)
    expect(producer.metrics().bufferedBytes).toBe(firstBytes)
    expect(gate.calls()).toBe(1)

    gate.open()
    expect((await first.promise)[0]!.offset).toBe(0)
    expect((await second.promise)[0]!.offset).toBe(1)
    expect(producer.metrics().bufferedBytes).toBe(0)
  })

  it('keeps memory bounded while sending 200k records', async () => {
    let collect: () => void
    try {
      v8.setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as () => void
    } catch {
      collect = () => undefined // without a forced collection the bound below still holds, with less margin
    }
    const used = (): number => {
      collect()
      const usage = process.memoryUsage()
      return usage.heapUsed + usage.arrayBuffers
    }
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 4 })
    const producer = engine.producer({ bufferBytes: 1024 * 1024, compression: 'none' })
    const baseline = used()
    let maxGrowth = 0
    const valueBytes = 256
    const senders = 20
    const callsPerSender = 100
    const recordsPerCall = 100
    await Promise.all(
      Array.from({ length: senders }, async (_, sender) => {
        for (let call = 0; call < callsPerSender; call++) {
          const records: ProducerRecord[] = []
          for (let slot = 0; slot < recordsPerCall; slot++) records.push({ value: Buffer.alloc(valueBytes, sender + slot) })
          await producer.send('t', records)
          if (sender === 0 && call % 10 === 9) maxGrowth = Math.max(maxGrowth, used() - baseline)
        }
      }),
    )
    await producer.flush()
    const total = senders * callsPerSender * recordsPerCall
    expect(producer.metrics().recordsSent).toBe(total)
    // 51 MB went through; what stays alive is about the 1 MiB buffer plus what is in flight.
    expect(total * valueBytes).toBeGreaterThan(50e6)
    expect(maxGrowth).toBeLessThan(20e6)
  })
})

describe('Producer: flush, close and metrics', () => {
  it('flush() appends everything pending at once', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 2 })
    const producer = engine.producer({ lingerMs: 60_000 })
    const sends = Array.from({ length: 20 }, (_, call) => producer.send('t', [{ key: `k${call}`, value: `v${call}` }]))
    await settle()
    expect(engine.partitions('t').map((log) => log.logEndOffset)).toEqual([0, 0])
    await producer.flush()
    expect(engine.partitions('t').reduce((sum, log) => sum + log.logEndOffset, 0)).toBe(20)
    expect(producer.metrics().bufferedBytes).toBe(0)
    const metas = await Promise.all(sends)
    expect(metas.flat()).toHaveLength(20)
  })

  it('close() drains pending sends; later sends reject with PRODUCER_CLOSED', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const producer = engine.producer({ lingerMs: 60_000 })
    const pending = producer.send('t', [{ value: 'a' }, { value: 'b' }])
    await producer.close()
    expect((await pending).map((meta) => meta.offset)).toEqual([0, 1])
    expect(engine.partition('t', 0).logEndOffset).toBe(2)
    const error = await rejection(producer.send('t', [{ value: 'late' }]))
    expect(error.code).toBe('PRODUCER_CLOSED')
    expect(error).toBeInstanceOf(ProducerClosedError)
    await producer.close() // closing twice is fine
    expect(engine.partition('t', 0).logEndOffset).toBe(2)
  })

  it('close() rejects a send that is still waiting for buffer space, after draining the accepted ones', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const gate = gateAppends(engine.partition('t', 0))
    const producer = engine.producer({ bufferBytes: 1000, compression: 'none' })
    const accepted = producer.send('t', [{ value: Buffer.alloc(900) }])
    await settle()
    const waiting = producer.send('t', [{ value: Buffer.alloc(900) }])
    const closing = producer.close()
    gate.open()
    expect((await accepted)[0]!.offset).toBe(0)
    expect((await rejection(waiting)).code).toBe('PRODUCER_CLOSED')
    await closing
    expect(engine.partition('t', 0).logEndOffset).toBe(1)
    expect(producer.metrics().bufferedBytes).toBe(0)
  })

  it('supports await using', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    let sending: Promise<RecordMetadata[]>
    {
      await using producer = engine.producer({ lingerMs: 60_000 })
      sending = producer.send('t', [{ value: 'x' }])
    }
    expect((await sending)[0]!.offset).toBe(0)
  })

  it('reports monotonic latency percentiles', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 2 })
    const producer = engine.producer({ lingerMs: 1 })
    const empty = producer.metrics().latencyMs
    expect(empty).toEqual({ mean: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 })
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, call) => producer.send('t', [{ value: `${round}-${call}` }])))
    }
    const { mean, p50, p95, p99, p999, max } = producer.metrics().latencyMs
    expect(p50).toBeGreaterThan(0)
    expect(p50).toBeLessThanOrEqual(p95)
    expect(p95).toBeLessThanOrEqual(p99)
    expect(p99).toBeLessThanOrEqual(p999)
    expect(p999).toBeLessThanOrEqual(max)
    expect(mean).toBeGreaterThan(0)
    expect(mean).toBeLessThanOrEqual(max)
    const metrics = producer.metrics()
    expect(metrics.averageBatchBytes).toBeCloseTo(metrics.bytesWritten / metrics.batches)
  })
})

describe('Producer: failed batches', () => {
  /** Fails the Nth append of a partition (1-based) with `error`. */
  function failAppend(log: PartitionLog, nth: number, error: Error): void {
    const original = log.appendRecords.bind(log)
    let calls = 0
    log.appendRecords = (records, options): Promise<AppendInfo> => (++calls === nth ? Promise.reject(error) : original(records, options))
  }

  it('retries a batch whose write failed with IO_FAILED, and writes it once', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)
    failAppend(log, 1, new IoError('write', log.dir, Object.assign(new Error('no space left'), { code: 'ENOSPC' })))
    const producer = engine.producer({ retries: 1, retryBackoffMs: 1 })
    expect((await producer.send('t', [{ value: 'once' }]))[0]!.offset).toBe(0)
    expect((await readAll(log)).map((record) => record.value!.toString())).toEqual(['once'])
  })

  it('a batch that failed for good does not block the partition for later sends (new epoch, sequences from 0)', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 2 })
    const log = engine.partition('t', 0)
    failAppend(log, 2, new SeglogError('INVALID_ARGUMENT', 'refused'))
    const producer = engine.producer({ retries: 0, compression: 'none' })
    await producer.send('t', [{ value: 'a', partition: 0 }])
    await producer.send('t', [{ value: 'other', partition: 1 }])
    expect((await rejection(producer.send('t', [{ value: 'b', partition: 0 }]))).code).toBe('INVALID_ARGUMENT')
    expect((await producer.send('t', [{ value: 'c', partition: 0 }]))[0]!.offset).toBe(1)
    expect((await producer.send('t', [{ value: 'd', partition: 0 }]))[0]!.offset).toBe(2)
    expect((await producer.send('t', [{ value: 'other2', partition: 1 }]))[0]!.offset).toBe(1)
    expect((await readAll(log)).map((record) => record.value!.toString())).toEqual(['a', 'c', 'd'])
    const stamps = (await readBatches(log)).map((batch) => [batch.producerEpoch, batch.baseSequence])
    expect(stamps).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ])
    expect((await readBatches(engine.partition('t', 1))).map((batch) => [batch.producerEpoch, batch.baseSequence])).toEqual([
      [0, 0],
      [1, 0],
    ])
  })

  it('without idempotence batches carry no producer id', async () => {
    const engine = await openEngine()
    await engine.createTopic('t', { partitions: 1 })
    const producer: Producer = engine.producer({ idempotent: false })
    await producer.send('t', [{ value: 'x' }, { value: 'y' }])
    const [batch] = await readBatches(engine.partition('t', 0))
    expect([batch!.producerId, batch!.producerEpoch, batch!.baseSequence]).toEqual([-1, -1, -1])
  })
})

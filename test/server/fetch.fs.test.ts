import { afterEach, describe, expect, it } from 'vitest'
import { BatchScanner } from '../../src/index.js'
import { KafkaErrorCode } from '../../src/server/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, type ProtocolClient } from './helpers.js'

/** Fetch and ListOffsets through the protocol. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

interface FetchTarget {
  topic: string
  partition: number
  offset: number
  maxBytes?: number
}

function fetchBody(
  targets: FetchTarget[],
  options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; isolationLevel?: number } = {},
) {
  return {
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: options.maxBytes ?? 1 << 20,
    isolationLevel: options.isolationLevel ?? 0,
    topics: targets.map((target) => ({
      topic: target.topic,
      partitions: [{ partition: target.partition, fetchOffset: target.offset, partitionMaxBytes: target.maxBytes ?? 1 << 20 }],
    })),
  }
}

async function fetchOne(client: ProtocolClient, target: FetchTarget, version = 11, options = {}) {
  const response = await client.request('Fetch', version, fetchBody([target], options))
  return response.responses[0]!.partitions[0]!
}

function valuesOf(records: Buffer | null): string[] {
  const values: string[] = []
  for (const batch of new BatchScanner(records ?? Buffer.alloc(0)))
    for (const record of batch.records()) values.push(`${record.offset}:${record.value!.toString()}`)
  return values
}

describe('Fetch', () => {
  it('returns whole stored batches, byte for byte as readRaw gives them, at every version served', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)
      await log.appendRecords([{ value: Buffer.from(`${compression}-1`) }, { value: Buffer.from(`${compression}-2`) }], { compression })
    const client = await connect(port)
    const raw = await log.readRaw(0, { maxBytes: 1 << 20 })
    for (let version = 4; version <= 12; version++) {
      const partition = await fetchOne(client, { topic: 't', partition: 0, offset: 0 }, version)
      expect(partition.errorCode).toBe(KafkaErrorCode.NONE)
      expect(partition.highWatermark).toBe(10)
      expect(partition.lastStableOffset).toBe(10)
      if (version >= 5) expect(partition.logStartOffset).toBe(0)
      expect(partition.records).toEqual(raw.bytes)
    }
    // A fetch from the middle of a batch gets that whole batch, as from Kafka.
    const middle = await fetchOne(client, { topic: 't', partition: 0, offset: 5 })
    expect(valuesOf(middle.records)[0]).toBe('4:snappy-1')
  })

  it('answers OFFSET_OUT_OF_RANGE outside [log start, log end] and UNKNOWN_TOPIC_OR_PARTITION for what does not exist', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    for (let slot = 0; slot < 4; slot++) await log.appendRecords([{ value: Buffer.from(String(slot)) }])
    await server.engine.deleteRecordsBefore('t', 0, 2)
    const client = await connect(port)
    const response = await client.request(
      'Fetch',
      11,
      fetchBody([
        { topic: 't', partition: 0, offset: 1 },
        { topic: 't', partition: 0, offset: 5 },
        { topic: 't', partition: 0, offset: 4 },
        { topic: 't', partition: 3, offset: 0 },
        { topic: 'nope', partition: 0, offset: 0 },
      ]),
    )
    const partitions = response.responses.flatMap((topic) => topic.partitions)
    expect(partitions.map((partition) => partition.errorCode)).toEqual([
      KafkaErrorCode.OFFSET_OUT_OF_RANGE,
      KafkaErrorCode.OFFSET_OUT_OF_RANGE,
      KafkaErrorCode.NONE,
      KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ])
    expect(partitions[0]).toMatchObject({ highWatermark: 4, logStartOffset: 2 })
    // At the log end: nothing yet, no error.
    expect(partitions[2]!.records).toEqual(Buffer.alloc(0))
  })

  it('keeps to partition and response max bytes, except for the first batch of the first partition with data (KIP-74)', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { partitions: 3 })
    for (let partition = 0; partition < 3; partition++) {
      const log = server.engine.partition('t', partition)
      for (let slot = 0; slot < 3; slot++) await log.appendRecords([{ value: Buffer.alloc(1000, partition) }])
    }
    const batchBytes = (await server.engine.partition('t', 0).readRaw(0, { maxBytes: 1 })).bytes.length
    const client = await connect(port)
    const targets = [0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 0, maxBytes: batchBytes * 2 }))
    // Partition max: two batches each.
    let partitions = (await client.request('Fetch', 11, fetchBody(targets))).responses[0]!.partitions
    expect(partitions.map((partition) => partition.records!.length)).toEqual([2 * batchBytes, 2 * batchBytes, 2 * batchBytes])
    // Response max of three batches: two from the first partition, one from the second, none after.
    partitions = (await client.request('Fetch', 11, fetchBody(targets, { maxBytes: batchBytes * 3 }))).responses[0]!.partitions
    expect(partitions.map((partition) => partition.records!.length)).toEqual([2 * batchBytes, batchBytes, 0])
    // Limits below one batch: the first partition still gets its first batch, the others nothing.
    partitions = (
      await client.request(
        'Fetch',
        11,
        fetchBody(
          targets.map((target) => ({ ...target, maxBytes: 10 })),
          { maxBytes: 10 },
        ),
      )
    ).responses[0]!.partitions
    expect(partitions.map((partition) => partition.records!.length)).toEqual([batchBytes, 0, 0])
    // The broker's fetch.max.bytes caps what a client asks for.
    const capped = await startServer({ fetchMaxBytes: batchBytes })
    await capped.server.engine.createTopic('t')
    for (let slot = 0; slot < 3; slot++) await capped.server.engine.partition('t', 0).appendRecords([{ value: Buffer.alloc(1000) }])
    const cappedClient = await connect(capped.port)
    expect((await fetchOne(cappedClient, { topic: 't', partition: 0, offset: 0 })).records!.length).toBe(batchBytes)
  })

  it('long-polls: waits for max_wait_ms when nothing is there, and answers as soon as an append arrives', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { partitions: 2 })
    const client = await connect(port)
    let startMs = Date.now()
    const empty = await fetchOne(client, { topic: 't', partition: 0, offset: 0 }, 11, { maxWaitMs: 300, minBytes: 1 })
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(280)
    expect(empty.records).toEqual(Buffer.alloc(0))

    startMs = Date.now()
    const waiting = client.request(
      'Fetch',
      11,
      fetchBody(
        [
          { topic: 't', partition: 0, offset: 0 },
          { topic: 't', partition: 1, offset: 0 },
        ],
        { maxWaitMs: 10_000, minBytes: 1 },
      ),
    )
    setTimeout(() => void server.engine.partition('t', 1).appendRecords([{ value: Buffer.from('wake') }]), 100)
    const woken = (await waiting).responses[0]!.partitions
    expect(Date.now() - startMs).toBeLessThan(5000)
    expect(valuesOf(woken[1]!.records)).toEqual(['0:wake'])
  })

  it('waits for min_bytes, and ends a long poll at once when the server closes', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    const client = await connect(port)
    const waiting = fetchOne(client, { topic: 't', partition: 0, offset: 0 }, 11, { maxWaitMs: 20_000, minBytes: 3000 })
    await log.appendRecords([{ value: Buffer.alloc(1000) }])
    await log.appendRecords([{ value: Buffer.alloc(1000) }])
    await new Promise((resolve) => setTimeout(resolve, 100))
    await log.appendRecords([{ value: Buffer.alloc(1000) }])
    expect(valuesOf((await waiting).records)).toHaveLength(3)

    const startMs = Date.now()
    const parked = fetchOne(client, { topic: 't', partition: 0, offset: 3 }, 11, { maxWaitMs: 20_000, minBytes: 1 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    await server.close()
    expect((await parked).errorCode).toBe(KafkaErrorCode.NONE)
    expect(Date.now() - startMs).toBeLessThan(5000)
  })

  it('is sessionless: a new session gets id 0, an unknown session FETCH_SESSION_ID_NOT_FOUND', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const client = await connect(port)
    const create = await client.request('Fetch', 12, {
      ...fetchBody([{ topic: 't', partition: 0, offset: 0 }]),
      sessionId: 0,
      sessionEpoch: 0,
    })
    expect({ errorCode: create.errorCode, sessionId: create.sessionId }).toEqual({ errorCode: 0, sessionId: 0 })
    const incremental = await client.request('Fetch', 12, { ...fetchBody([]), sessionId: 1234, sessionEpoch: 1 })
    expect(incremental.errorCode).toBe(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    const badEpoch = await client.request('Fetch', 10, { ...fetchBody([]), sessionId: 0, sessionEpoch: 5 })
    expect(badEpoch.errorCode).toBe(KafkaErrorCode.INVALID_FETCH_SESSION_EPOCH)
  })

  it('reads the same under read_committed (no transactions yet), with an empty aborted list', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    await server.engine.partition('t', 0).appendRecords([{ value: Buffer.from('x') }])
    const client = await connect(port)
    const committed = await fetchOne(client, { topic: 't', partition: 0, offset: 0 }, 11, { isolationLevel: 1 })
    const uncommitted = await fetchOne(client, { topic: 't', partition: 0, offset: 0 }, 11, { isolationLevel: 0 })
    expect(committed.records).toEqual(uncommitted.records)
    expect(committed.abortedTransactions).toEqual([])
    expect(uncommitted.abortedTransactions).toBeNull()
  })
})

describe('ListOffsets', () => {
  it('finds the earliest, the latest, by timestamp and the max timestamp, at every version served', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    await log.appendRecords([
      { value: Buffer.from('a'), timestamp: 1000 },
      { value: Buffer.from('b'), timestamp: 5000 },
    ])
    await log.appendRecords([
      { value: Buffer.from('c'), timestamp: 3000 },
      { value: Buffer.from('d'), timestamp: 4000 },
    ])
    await server.engine.deleteRecordsBefore('t', 0, 1)
    const client = await connect(port)
    const ask = async (version: number, timestamp: number) => {
      const response = await client.request('ListOffsets', version, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets: 1 }] }],
      })
      return response.topics[0]!.partitions[0]!
    }
    for (let version = 1; version <= 7; version++) {
      expect(await ask(version, -2)).toMatchObject({ errorCode: 0, offset: 1, timestamp: -1 })
      expect(await ask(version, -1)).toMatchObject({ errorCode: 0, offset: 4, timestamp: -1 })
      expect(await ask(version, 2000)).toMatchObject({ errorCode: 0, offset: 1, timestamp: 5000 })
      expect(await ask(version, 3500)).toMatchObject({ errorCode: 0, offset: 1, timestamp: 5000 })
      expect(await ask(version, 9000)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 })
    }
    expect(await ask(7, -3)).toMatchObject({ errorCode: 0, offset: 1, timestamp: 5000 })
    expect((await ask(6, -3)).errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION)
    expect((await ask(7, -9)).errorCode).toBe(KafkaErrorCode.INVALID_REQUEST)
    expect((await ask(0, -1)).oldStyleOffsets).toEqual([4])
    expect((await ask(0, -2)).oldStyleOffsets).toEqual([1])
    const unknown = await client.request('ListOffsets', 5, {
      replicaId: -1,
      topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, timestamp: -1 }] }],
    })
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })
})

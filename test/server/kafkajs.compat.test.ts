import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { CompressionName } from '../../src/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServer, startServerOnDir, stopServer } from './helpers.js'
import { COMPRESSION_TYPES, fetchAll, kafkaFor, kafkajs, kafkajsBroker, type KafkaBroker } from './kafkajs-client.js'

/**
 * KafkaJS 2.2.4 against the server: its producer (plain and idempotent, every codec), its admin
 * client, and its Broker's fetch for reading back (KafkaJS consumers need consumer groups, which
 * come later).
 */

const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  await closeAll()
  await removeTmpDirs()
})

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect()
  cleanups.push(() => client.disconnect())
  return client
}

async function brokerOn(port: number): Promise<KafkaBroker> {
  const broker = await kafkajsBroker(port)
  cleanups.push(() => broker.disconnect())
  return broker
}

describe('KafkaJS producer', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[])(
    'produces %s batches that read back identically',
    async (compression) => {
      const { port, server } = await startServer()
      const kafka = kafkaFor(port)
      const admin = await connected(kafka.admin())
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] })
      const producer = await connected(kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner }))
      const messages = Array.from({ length: 50 }, (_, slot) => ({
        key: `customer-${slot % 5}`,
        value: `order ${slot} `.repeat((slot % 7) + 1),
        timestamp: String(1_700_000_000_000 + slot),
        headers: { source: 'kafkajs', slot: String(slot) },
      }))
      const results = await producer.send({ topic: 'orders', compression: COMPRESSION_TYPES[compression], acks: -1, messages })
      expect(results.every((result: { errorCode: number }) => result.errorCode === 0)).toBe(true)

      const broker = await brokerOn(port)
      const seen = []
      for (const partition of [0, 1]) {
        for (const message of await fetchAll(broker, 'orders', partition)) {
          seen.push({
            key: message.key!.toString(),
            value: message.value!.toString(),
            timestamp: message.timestamp,
            headers: { source: message.headers.source!.toString(), slot: message.headers.slot!.toString() },
          })
        }
      }
      expect(seen.sort((a, b) => Number(a.headers.slot) - Number(b.headers.slot))).toEqual(messages)
      // Stored in the codec KafkaJS chose: the server kept the batches as they came.
      for (const partition of [0, 1]) {
        for await (const batch of server.engine.partition('orders', partition).batches({ from: 0 }))
          expect(batch.compressionId).toBe(COMPRESSION_TYPES[compression])
      }
    },
  )

  it('creates a topic on first use, through a metadata request', async () => {
    const { port, server } = await startServer()
    const producer = await connected(kafkaFor(port).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner }))
    await producer.send({ topic: 'created-on-send', messages: [{ value: 'first' }] })
    expect(server.engine.hasTopic('created-on-send')).toBe(true)
    expect(server.engine.partition('created-on-send', 0).logEndOffset).toBe(1)
  })

  it('retries an idempotent send whose response was lost, and the record is stored once', async () => {
    // A proxy between KafkaJS and the server cuts the connection instead of passing on the
    // first produce response: KafkaJS sends the same batch again on a new connection.
    const proxy = await startDroppingProxy()
    const { port, server } = await startServer({ advertisedPort: proxy.port })
    proxy.upstreamPort = port
    const kafka = kafkaFor(proxy.port, { retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 200 } })
    const admin = await connected(kafka.admin())
    await admin.createTopics({ topics: [{ topic: 'once', numPartitions: 1 }] })
    const producer = await connected(
      kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner }),
    )
    await producer.send({ topic: 'once', acks: -1, messages: [{ value: 'warm-up' }] })
    proxy.dropNextProduceResponse = true
    const [result] = await producer.send({ topic: 'once', acks: -1, messages: [{ value: 'exactly once' }, { value: 'and me' }] })
    expect(proxy.dropped).toBe(1)
    expect(result.baseOffset).toBe('1')
    await producer.send({ topic: 'once', acks: -1, messages: [{ value: 'after' }] })
    const values: string[] = []
    for await (const record of server.engine.partition('once', 0).records({ from: 0 })) values.push(record.value!.toString())
    expect(values).toEqual(['warm-up', 'exactly once', 'and me', 'after'])
  })
})

describe('KafkaJS admin', () => {
  it('creates, describes, alters, grows, trims and deletes topics', async () => {
    const { port, server } = await startServer()
    const kafka = kafkaFor(port)
    const admin = await connected(kafka.admin())
    expect(
      await admin.createTopics({
        topics: [{ topic: 'managed', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      }),
    ).toBe(true)
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['managed', '__consumer_offsets']))
    const metadata = await admin.fetchTopicMetadata({ topics: ['managed'] })
    expect(
      metadata.topics[0].partitions
        .map((partition: { partitionId: number; leader: number }) => [partition.partitionId, partition.leader])
        .sort(),
    ).toEqual([
      [0, 0],
      [1, 0],
    ])
    const cluster = await admin.describeCluster()
    expect(cluster.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port }])

    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: 'managed', configNames: ['retention.ms', 'cleanup.policy'] }],
      includeSynonyms: false,
    })
    expect(
      described.resources[0].configEntries.map((entry: { configName: string; configValue: string }) => [
        entry.configName,
        entry.configValue,
      ]),
    ).toEqual([
      ['cleanup.policy', 'delete'],
      ['retention.ms', '3600000'],
    ])
    await admin.alterConfigs({
      resources: [
        {
          type: 2,
          name: 'managed',
          configEntries: [
            { name: 'retention.ms', value: '60000' },
            { name: 'max.message.bytes', value: '500000' },
          ],
        },
      ],
    })
    expect(server.engine.topicConfig('managed')).toMatchObject({ retentionMs: 60000, maxBatchBytes: 500000 })

    await admin.createPartitions({ topicPartitions: [{ topic: 'managed', count: 4 }] })
    expect(server.engine.partitions('managed')).toHaveLength(4)
    // KafkaJS's admin keeps the metadata it had; asking again also refreshes its cache.
    expect((await admin.fetchTopicMetadata({ topics: ['managed'] })).topics[0].partitions).toHaveLength(4)

    const producer = await connected(kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner }))
    await producer.send({ topic: 'managed', messages: Array.from({ length: 10 }, (_, slot) => ({ partition: 3, value: String(slot) })) })
    await admin.deleteTopicRecords({ topic: 'managed', partitions: [{ partition: 3, offset: '6' }] })
    expect(server.engine.partition('managed', 3).logStartOffset).toBe(6)
    const offsets = await admin.fetchTopicOffsets('managed')
    expect(offsets.find((entry: { partition: number }) => entry.partition === 3)).toMatchObject({ low: '6', high: '10' })

    await expect(admin.createTopics({ topics: [{ topic: 'managed' }] })).resolves.toBe(false)
    const refused = await admin
      .createTopics({ topics: [{ topic: 'shredded', configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] })
      .catch((error: { errors: { type: string }[] }) => error)
    expect(refused.errors.map((error: { type: string }) => error.type)).toEqual(['INVALID_CONFIG'])
    // Compaction is a topic setting like any other (docs/compaction.md).
    await admin.createTopics({ topics: [{ topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
    expect(server.engine.topicConfig('compacted').cleanupPolicy).toBe('compact')
    await admin.deleteTopics({ topics: ['managed'] })
    expect(server.engine.hasTopic('managed')).toBe(false)
  })

  it('finds offsets: earliest, latest and by timestamp', async () => {
    const { port } = await startServer()
    const kafka = kafkaFor(port)
    const admin = await connected(kafka.admin())
    await admin.createTopics({ topics: [{ topic: 'clock', numPartitions: 1 }] })
    const producer = await connected(kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner }))
    for (let slot = 0; slot < 5; slot++)
      await producer.send({ topic: 'clock', messages: [{ value: String(slot), timestamp: String(10_000 * (slot + 1)) }] })
    expect(await admin.fetchTopicOffsets('clock')).toEqual([{ partition: 0, offset: '5', high: '5', low: '0' }])
    expect(await admin.fetchTopicOffsetsByTimestamp('clock', 25_000)).toEqual([{ partition: 0, offset: '2' }])
    expect(await admin.fetchTopicOffsetsByTimestamp('clock', 10_000)).toEqual([{ partition: 0, offset: '0' }])
    // Past the newest record: Kafka's answer is -1, which KafkaJS turns into the latest offset.
    expect(await admin.fetchTopicOffsetsByTimestamp('clock', 99_000)).toEqual([{ partition: 0, offset: '5' }])
    const broker = await brokerOn((await admin.describeCluster()).brokers[0].port)
    // From a timestamp's offset, and from the latest: only what is produced after it.
    expect((await fetchAll(broker, 'clock', 0, 2)).map((message) => message.value!.toString())).toEqual(['2', '3', '4'])
    const [latest] = await admin.fetchTopicOffsets('clock')
    expect(await fetchAll(broker, 'clock', 0, Number(latest.offset))).toEqual([])
    await producer.send({ topic: 'clock', messages: [{ value: 'new' }] })
    expect((await fetchAll(broker, 'clock', 0, Number(latest.offset))).map((message) => message.value!.toString())).toEqual(['new'])
  })
})

describe('a restart of the server', () => {
  it('keeps topics, records and configs; KafkaJS clients reconnect and go on', async () => {
    const first = await startServerOnDir()
    const port = first.port
    const kafka = kafkaFor(port, { retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 500 } })
    const admin = await connected(kafka.admin())
    await admin.createTopics({
      topics: [{ topic: 'durable', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '123456' }] }],
    })
    const producer = await connected(kafka.producer({ idempotent: true, createPartitioner: kafkajs.Partitioners.DefaultPartitioner }))
    await producer.send({ topic: 'durable', acks: -1, messages: [{ value: 'before' }] })

    await stopServer(first)
    const second = await startServerOnDir(first.dir, { port })
    expect(second.port).toBe(port)

    // The same client objects: they find the server again on the same address.
    await producer.send({ topic: 'durable', acks: -1, messages: [{ value: 'after' }] })
    expect(await admin.fetchTopicOffsets('durable')).toEqual([{ partition: 0, offset: '2', high: '2', low: '0' }])
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: 'durable', configNames: ['retention.ms'] }],
      includeSynonyms: false,
    })
    expect(described.resources[0].configEntries[0].configValue).toBe('123456')
    const broker = await brokerOn(port)
    expect((await fetchAll(broker, 'durable', 0)).map((message) => message.value!.toString())).toEqual(['before', 'after'])
  })
})

interface DroppingProxy {
  port: number
  upstreamPort: number
  dropNextProduceResponse: boolean
  dropped: number
}

/** A TCP proxy that, when told to, cuts both sides instead of forwarding the next Produce response. */
async function startDroppingProxy(): Promise<DroppingProxy> {
  const sockets = new Set<net.Socket>()
  const state: DroppingProxy = { port: 0, upstreamPort: 0, dropNextProduceResponse: false, dropped: 0 }
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: state.upstreamPort })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    let doomedCorrelationId: number | null = null
    let fromClient = Buffer.alloc(0)
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk])
      while (fromClient.length >= 4 && fromClient.length >= 4 + fromClient.readInt32BE(0)) {
        const frame = fromClient.subarray(4, 4 + fromClient.readInt32BE(0))
        if (frame.readInt16BE(0) === 0 && state.dropNextProduceResponse) {
          state.dropNextProduceResponse = false
          doomedCorrelationId = frame.readInt32BE(4)
        }
        fromClient = fromClient.subarray(4 + frame.length)
      }
      upstream.write(chunk)
    })
    let fromServer = Buffer.alloc(0)
    upstream.on('data', (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk])
      while (fromServer.length >= 4 && fromServer.length >= 4 + fromServer.readInt32BE(0)) {
        const frame = fromServer.subarray(0, 4 + fromServer.readInt32BE(0))
        fromServer = fromServer.subarray(frame.length)
        if (doomedCorrelationId !== null && frame.readInt32BE(4) === doomedCorrelationId) {
          state.dropped++
          client.destroy()
          upstream.destroy()
          return
        }
        client.write(frame)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()))
  state.port = (server.address() as net.AddressInfo).port
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return state
}

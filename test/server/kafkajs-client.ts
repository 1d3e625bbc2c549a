import { createRequire } from 'node:module'
import { codecForName, type CompressionName } from '../../src/index.js'

/**
 * KafkaJS 2.2.4 as a client of the server. KafkaJS ships gzip only; snappy, lz4 and zstd are
 * registered here with seglog's own codecs, which write Kafka's framings (the same bytes Kafka's
 * Java client writes), so KafkaJS produces and fetches batches in every codec.
 *
 * Records are also read back through KafkaJS's own Broker class (`broker.fetch`, the request its
 * consumer sends), so KafkaJS's fetch-response and record-batch decoders are tested without a group.
 */

const require = createRequire(import.meta.url)

export interface KafkaMessage {
  key?: Buffer | string | null
  value: Buffer | string | null
  timestamp?: string
  headers?: Record<string, Buffer | string>
}

interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

export interface KafkaJS {
  Kafka: new (config: Record<string, unknown>) => KafkaClient
  CompressionTypes: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>
  CompressionCodecs: Record<number, () => KafkaCodec>
  logLevel: Record<'NOTHING' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG', number>
  Partitioners: { DefaultPartitioner: unknown }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS's client objects, used as documented */
export interface KafkaClient {
  producer(config?: Record<string, unknown>): any
  admin(config?: Record<string, unknown>): any
  consumer(config: Record<string, unknown>): any
}

export const kafkajs = require('kafkajs') as KafkaJS

const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

function registerCodec(type: number, name: CompressionName): void {
  const codec = codecForName(name)
  kafkajs.CompressionCodecs[type] = () => ({
    compress: async (encoder) => codec.compress(encoder.buffer),
    decompress: async (buffer) => codec.decompress(buffer, MAX_DECOMPRESSED_BYTES),
  })
}
registerCodec(kafkajs.CompressionTypes.Snappy, 'snappy')
registerCodec(kafkajs.CompressionTypes.LZ4, 'lz4')
registerCodec(kafkajs.CompressionTypes.ZSTD, 'zstd')

export const COMPRESSION_TYPES: Record<CompressionName, number> = {
  none: kafkajs.CompressionTypes.None,
  gzip: kafkajs.CompressionTypes.GZIP,
  snappy: kafkajs.CompressionTypes.Snappy,
  lz4: kafkajs.CompressionTypes.LZ4,
  zstd: kafkajs.CompressionTypes.ZSTD,
}

/** A KafkaJS client for a server on 127.0.0.1:`port`, quiet unless something goes wrong. */
export function kafkaFor(port: number, options: Record<string, unknown> = {}): KafkaClient {
  return new kafkajs.Kafka({
    clientId: 'seglog-test',
    brokers: [`127.0.0.1:${port}`],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
    ...options,
  })
}

const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js') as {
  createLogger: (options: unknown) => unknown
  LEVELS: Record<string, number>
}
const ConnectionPool = require('kafkajs/src/network/connectionPool.js') as new (options: Record<string, unknown>) => unknown
const Broker = require('kafkajs/src/broker/index.js') as new (options: Record<string, unknown>) => KafkaBroker
const socketFactory = require('kafkajs/src/network/socketFactory.js') as () => unknown

export interface FetchedMessage {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer | null | (Buffer | null)[]>
}

export interface FetchedPartition {
  partition: number
  errorCode: number
  highWatermark: string
  lastStableOffset: string
  logStartOffset?: string
  messages: FetchedMessage[]
}

export interface KafkaBroker {
  connect(): Promise<void>
  disconnect(): Promise<void>
  fetch(request: Record<string, unknown>): Promise<{ responses: { topicName: string; partitions: FetchedPartition[] }[] }>
}

/** KafkaJS's Broker on its own connection pool: the layer its consumer fetches with. */
export async function kafkajsBroker(port: number): Promise<KafkaBroker> {
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined })
  const connectionPool = new ConnectionPool({
    host: '127.0.0.1',
    port,
    logger,
    socketFactory: socketFactory(),
    clientId: 'seglog-test',
    requestTimeout: 30_000,
    connectionTimeout: 3000,
    enforceRequestTimeout: true,
  })
  const broker = new Broker({ connectionPool, logger, nodeId: 0 })
  await broker.connect()
  return broker
}

/** Every message of a partition from `offset` up to the high watermark, through KafkaJS's Fetch. */
export async function fetchAll(broker: KafkaBroker, topic: string, partition: number, offset = 0): Promise<FetchedMessage[]> {
  const messages: FetchedMessage[] = []
  let next = BigInt(offset)
  for (;;) {
    const response = await broker.fetch({
      replicaId: -1,
      isolationLevel: 1,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic, partitions: [{ partition, fetchOffset: next.toString(), maxBytes: 1 << 20 }] }],
    })
    const data = response.responses[0]!.partitions[0]!
    if (data.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${next}: error code ${data.errorCode}`)
    // KafkaJS hands back every record of the first batch, also those before the offset asked for.
    const fresh = data.messages.filter((message) => BigInt(message.offset) >= next)
    messages.push(...fresh)
    if (fresh.length > 0) next = BigInt(fresh[fresh.length - 1]!.offset) + 1n
    if (next >= BigInt(data.highWatermark)) return messages
    if (fresh.length === 0) throw new Error(`fetch ${topic}-${partition} at ${next} made no progress below ${data.highWatermark}`)
  }
}

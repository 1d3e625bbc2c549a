import { afterEach, describe, expect, it } from 'vitest'
import { BatchScanner, encodeBatch, RecordBatch } from '../../src/index.js'
import { KafkaErrorCode } from '../../src/server/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, waitFor, type ProtocolClient } from './helpers.js'

/** Produce through the protocol: offsets, acks, idempotence and every per-partition error. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

function produceBody(topic: string, partition: number, records: Buffer | null, acks = 1) {
  return { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }
}

async function produce(client: ProtocolClient, topic: string, partition: number, records: Buffer | null, version = 7, acks = 1) {
  const response = await client.request('Produce', version, produceBody(topic, partition, records, acks))
  return response.responses[0]!.partitionResponses[0]!
}

function batchOf(values: string[], options: Parameters<typeof encodeBatch>[1] = {}): Buffer {
  return encodeBatch(
    values.map((value) => ({ key: null, value: Buffer.from(value), timestamp: 1_000 })),
    options,
  )
}

describe('Produce', () => {
  it('appends the batch as sent and answers with its offset, at every version served', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { partitions: 2 })
    const client = await connect(port)
    const sent: Buffer[] = []
    for (let version = 0; version <= 9; version++) {
      const batch = batchOf([`v${version}-a`, `v${version}-b`], { compression: 'gzip' })
      sent.push(Buffer.from(batch))
      const result = await produce(client, 't', 1, batch, version)
      expect(result.errorCode).toBe(KafkaErrorCode.NONE)
      expect(result.baseOffset).toBe(version * 2)
      if (version >= 5) expect(result.logStartOffset).toBe(0)
    }
    // Stored byte for byte as sent, apart from the base offset the log assigned.
    const { bytes } = await server.engine.partition('t', 1).readRaw(0, { maxBytes: 1 << 20 })
    const stored = [...new BatchScanner(bytes)]
    expect(stored).toHaveLength(sent.length)
    stored.forEach((batch, slot) => {
      expect(batch.buffer.subarray(8)).toEqual(sent[slot]!.subarray(8))
      expect(batch.baseOffset).toBe(slot * 2)
    })
  })

  it('answers each partition with its own error', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { partitions: 1, maxBatchBytes: 200 })
    const client = await connect(port)
    const good = batchOf(['fine'])
    const corrupt = batchOf(['flipped'])
    corrupt[corrupt.length - 1]! ^= 0xff
    const legacy = batchOf(['old'])
    legacy[16] = 1
    const control = encodeBatch([{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], {
      isControl: true,
      isTransactional: true,
      producerId: 1,
      producerEpoch: 0,
    })
    const transactional = encodeBatch([{ value: Buffer.from('x') }], {
      isTransactional: true,
      producerId: 1,
      producerEpoch: 0,
      baseSequence: 0,
    })
    const cases: [string, number, Buffer | null, number][] = [
      ['t', 0, good, KafkaErrorCode.NONE],
      ['missing', 0, batchOf(['x']), KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['t', 5, batchOf(['x']), KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['t', 0, corrupt, KafkaErrorCode.CORRUPT_MESSAGE],
      ['t', 0, corrupt.subarray(0, corrupt.length - 3), KafkaErrorCode.CORRUPT_MESSAGE],
      ['t', 0, Buffer.concat([batchOf(['a']), batchOf(['b'])]), KafkaErrorCode.INVALID_RECORD],
      ['t', 0, legacy, KafkaErrorCode.INVALID_RECORD],
      ['t', 0, null, KafkaErrorCode.INVALID_RECORD],
      ['t', 0, batchOf(['x'.repeat(300)]), KafkaErrorCode.MESSAGE_TOO_LARGE],
      ['t', 0, control, KafkaErrorCode.INVALID_RECORD],
      ['t', 0, transactional, KafkaErrorCode.INVALID_TXN_STATE],
      ['__consumer_offsets', 0, batchOf(['x']), KafkaErrorCode.INVALID_TOPIC_EXCEPTION],
    ]
    const response = await client.request('Produce', 8, {
      acks: 1,
      timeoutMs: 1000,
      topicData: cases.map(([name, index, records]) => ({ name, partitionData: [{ index, records }] })),
    })
    expect(response.responses.map((topic) => topic.partitionResponses[0]!.errorCode)).toEqual(cases.map((entry) => entry[3]))
    expect(response.responses[8]!.partitionResponses[0]!.errorMessage).toMatch(/max\.message\.bytes 200/)
    // Only the good batch was written.
    expect(server.engine.partition('t', 0).logEndOffset).toBe(1)
  })

  it('refuses the old message formats, which v0-2 may carry', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const client = await connect(port)
    const legacy = batchOf(['old'])
    legacy[16] = 1
    for (const version of [0, 1, 2])
      expect((await produce(client, 't', 0, Buffer.from(legacy), version)).errorCode).toBe(KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT)
    expect(server.engine.partition('t', 0).logEndOffset).toBe(0)
  })

  it('refuses acks other than 0, 1 and -1, and plain batches in transactional requests', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const client = await connect(port)
    expect((await produce(client, 't', 0, batchOf(['x']), 7, 2)).errorCode).toBe(KafkaErrorCode.INVALID_REQUIRED_ACKS)
    const transactional = await client.request('Produce', 7, { ...produceBody('t', 0, batchOf(['x'])), transactionalId: 'tx' })
    expect(transactional.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.INVALID_TXN_STATE)
    expect(server.engine.partition('t', 0).logEndOffset).toBe(0)
  })

  it('with acks=0 appends without answering, and closes the connection when a partition fails', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const client = await connect(port)
    client.send('Produce', 7, produceBody('t', 0, batchOf(['quiet']), 0))
    // The next answer the client gets is the metadata one: the produce had none.
    const metadata = await client.request('Metadata', 4, { topics: [{ name: 't' }], allowAutoTopicCreation: false })
    expect(metadata.topics[0]!.name).toBe('t')
    expect(client.unexpected).toEqual([])
    expect(server.engine.partition('t', 0).logEndOffset).toBe(1)
    client.send('Produce', 7, produceBody('missing', 0, batchOf(['lost']), 0))
    await client.closed
  })

  it('with acks=-1 under interval flushing answers only once the records are fsynced', async () => {
    const { port, server } = await startServer({ engineOptions: { flush: { mode: 'interval', ms: 60_000 } } })
    await server.engine.createTopic('t')
    const client = await connect(port)
    const log = server.engine.partition('t', 0)
    expect((await produce(client, 't', 0, batchOf(['one']), 7, 1)).errorCode).toBe(KafkaErrorCode.NONE)
    // acks=1 does not wait for the (minute-long) interval.
    expect(log.recoveryPoint).toBe(0)
    const result = await produce(client, 't', 0, batchOf(['two']), 7, -1)
    expect(result.baseOffset).toBe(1)
    expect(log.recoveryPoint).toBeGreaterThanOrEqual(2)
  })

  it('stamps LogAppendTime on topics configured for it', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('stamped', { timestampType: 'LogAppendTime' })
    const client = await connect(port)
    const beforeMs = Date.now()
    const result = await produce(client, 'stamped', 0, batchOf(['a', 'b'], { compression: 'lz4' }))
    expect(result.errorCode).toBe(KafkaErrorCode.NONE)
    expect(result.logAppendTimeMs).toBeGreaterThanOrEqual(beforeMs)
    const { bytes } = await server.engine.partition('stamped', 0).readRaw(0)
    const batch = new RecordBatch(bytes)
    expect(batch.isValid()).toBe(true)
    expect(batch.timestampType).toBe('LogAppendTime')
    expect(batch.maxTimestamp).toBe(result.logAppendTimeMs)
    expect(batch.toArray().map((record) => record.timestamp)).toEqual([result.logAppendTimeMs, result.logAppendTimeMs])
    // A corrupt batch is refused before it could be stamped with a fresh CRC.
    const corrupt = batchOf(['bad'])
    corrupt[corrupt.length - 1]! ^= 1
    expect((await produce(client, 'stamped', 0, corrupt)).errorCode).toBe(KafkaErrorCode.CORRUPT_MESSAGE)
  })
})

describe('idempotent produce', () => {
  it('gets a producer id, answers a retry with the original offset, and refuses gaps and fenced epochs', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const client = await connect(port)
    const init = await client.request('InitProducerId', 1, { transactionalId: null, transactionTimeoutMs: 60_000 })
    expect(init.errorCode).toBe(KafkaErrorCode.NONE)
    expect(init.producerId).toBeGreaterThanOrEqual(0)
    expect(init.producerEpoch).toBe(0)
    const producerId = init.producerId
    const first = batchOf(['a', 'b'], { producerId, producerEpoch: 0, baseSequence: 0 })
    const retry = Buffer.from(first)
    expect(await produce(client, 't', 0, first)).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 })
    expect(await produce(client, 't', 0, batchOf(['c'], { producerId, producerEpoch: 0, baseSequence: 2 }))).toMatchObject({
      errorCode: KafkaErrorCode.NONE,
      baseOffset: 2,
    })
    // The retry of the first batch: its offset again, nothing written.
    expect(await produce(client, 't', 0, retry)).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 })
    expect(server.engine.partition('t', 0).logEndOffset).toBe(3)
    expect((await produce(client, 't', 0, batchOf(['gap'], { producerId, producerEpoch: 0, baseSequence: 9 }))).errorCode).toBe(
      KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
    expect((await produce(client, 't', 0, batchOf(['new'], { producerId, producerEpoch: 1, baseSequence: 0 }))).errorCode).toBe(
      KafkaErrorCode.NONE,
    )
    expect((await produce(client, 't', 0, batchOf(['old'], { producerId, producerEpoch: 0, baseSequence: 3 }))).errorCode).toBe(
      KafkaErrorCode.INVALID_PRODUCER_EPOCH,
    )
    expect(server.engine.partition('t', 0).logEndOffset).toBe(4)
  })

  it('hands out a new producer id each time (flexible v4 too) and refuses transactional ids', async () => {
    const { port } = await startServer()
    const client = await connect(port)
    const ids = new Set<number>()
    for (const version of [0, 1, 2, 3, 4]) {
      const response = await client.request('InitProducerId', version, {
        transactionalId: null,
        transactionTimeoutMs: 1000,
        producerId: -1,
        producerEpoch: -1,
      })
      expect(response.errorCode).toBe(KafkaErrorCode.NONE)
      ids.add(response.producerId)
    }
    expect(ids.size).toBe(5)
    // A transactional id is the transaction coordinator's (test/server/transactions.compat.test.ts).
    const transactional = await client.request('InitProducerId', 4, { transactionalId: 'tx', transactionTimeoutMs: 1000 })
    expect(transactional).toMatchObject({ errorCode: KafkaErrorCode.NONE, producerEpoch: 0 })
  })
})

describe('appends from many connections at once', () => {
  it('each get their own offsets, none lost or repeated', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(port)))
    const results = await Promise.all(
      clients.flatMap((client, slot) => Array.from({ length: 20 }, (_, seq) => produce(client, 't', 0, batchOf([`${slot}-${seq}`])))),
    )
    const offsets = results.map((result) => result.baseOffset).sort((a, b) => a - b)
    expect(offsets).toEqual([...Array(160).keys()])
    await waitFor(() => server.engine.partition('t', 0).logEndOffset === 160)
  })
})

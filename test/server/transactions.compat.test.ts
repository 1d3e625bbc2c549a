import { afterEach, describe, expect, it } from 'vitest'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServer, waitFor } from './helpers.js'
import { kafkaFor, type KafkaClient } from './kafkajs-client.js'

/**
 * KafkaJS's transactional producer against the server's transaction coordinator (docs/server.md,
 * Transactions): commits reach read_committed consumers, aborts never do, offsets sent with a
 * transaction are committed with it, a second producer with the same transactional id fences the
 * first, and a transaction left open past its timeout is aborted.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS's client objects */

async function transactionalProducer(kafka: KafkaClient, transactionalId: string, transactionTimeout = 60_000): Promise<any> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout })
  await producer.connect()
  return producer
}

/**
 * Every value a read_committed (or read_uncommitted) consumer gets from `topic` until each of
 * `lasts` (the last record of each partition) has arrived: records of a partition come in order, so
 * by then everything before them has been passed.
 */
async function consumeUntil(kafka: KafkaClient, topic: string, lasts: string[], readUncommitted = false): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const values: string[] = []
  await consumer.run({ eachMessage: async ({ message }: any) => void values.push(message.value.toString()) })
  try {
    await waitFor(() => lasts.every((last) => values.includes(last)), 20_000, `${lasts.join(', ')} consumed`)
  } finally {
    await consumer.disconnect()
  }
  return values
}

describe('transactions with KafkaJS', () => {
  it('shows committed records to read_committed consumers and aborted ones never', async () => {
    const { server, port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    await server.engine.createTopic('t', { partitions: 2 })
    const kafka = kafkaFor(port)
    const producer = await transactionalProducer(kafka, 'tx-1')
    const committed = await producer.transaction()
    await committed.send({
      topic: 't',
      messages: [
        { value: 'c1', partition: 0 },
        { value: 'c2', partition: 1 },
      ],
    })
    await committed.commit()
    const aborted = await producer.transaction()
    await aborted.send({
      topic: 't',
      messages: [
        { value: 'a1', partition: 0 },
        { value: 'a2', partition: 1 },
      ],
    })
    await aborted.abort()
    const last = await producer.transaction()
    await last.send({
      topic: 't',
      messages: [
        { value: 'c3', partition: 0 },
        { value: 'end', partition: 1 },
      ],
    })
    await last.commit()
    await producer.disconnect()

    const values = await consumeUntil(kafka, 't', ['c3', 'end'])
    expect([...values].sort()).toEqual(['c1', 'c2', 'c3', 'end'])
    const uncommitted = await consumeUntil(kafka, 't', ['c3', 'end'], true)
    expect([...uncommitted].sort()).toEqual(['a1', 'a2', 'c1', 'c2', 'c3', 'end'])
    for (const log of server.engine.partitions('t')) {
      expect(log.openTransactions()).toEqual([])
      expect(log.lastStableOffset).toBe(log.logEndOffset)
    }
  })

  it('commits offsets sent with a transaction only when it commits', async () => {
    const { server, port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    await server.engine.createTopic('in')
    await server.engine.createTopic('out')
    await server.engine.partition('in', 0).appendRecords([1, 2, 3, 4, 5, 6].map((n) => ({ value: Buffer.from(String(n)) })))
    const kafka = kafkaFor(port)
    const producer = await transactionalProducer(kafka, 'tx-offsets')
    const offsets = (offset: number) => ({
      consumerGroupId: 'copier',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: String(offset) }] }],
    })

    const aborted = await producer.transaction()
    await aborted.send({ topic: 'out', messages: [{ value: 'x' }] })
    await aborted.sendOffsets(offsets(5))
    expect(server.engine.offsets.fetch('copier', 'in', 0)).toBeNull()
    await aborted.abort()
    expect(server.engine.offsets.fetch('copier', 'in', 0)).toBeNull()

    const committed = await producer.transaction()
    await committed.send({ topic: 'out', messages: [{ value: 'y' }] })
    await committed.sendOffsets(offsets(3))
    expect(server.engine.offsets.fetch('copier', 'in', 0)).toBeNull()
    await committed.commit()
    expect(server.engine.offsets.fetch('copier', 'in', 0)?.offset).toBe(3)
    await producer.disconnect()
  })

  it('fences the first producer when a second one takes its transactional id', async () => {
    const { server, port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    await server.engine.createTopic('t')
    const kafka = kafkaFor(port)
    const first = await transactionalProducer(kafka, 'shared')
    const zombie = await first.transaction()
    await zombie.send({ topic: 't', messages: [{ value: 'zombie-1' }] })

    // KafkaJS sends InitProducerId when the first transaction begins: that is what fences the first producer.
    const second = await transactionalProducer(kafka, 'shared')
    const own = await second.transaction()
    const firstError = await zombie.send({ topic: 't', messages: [{ value: 'zombie-2' }] }).then(
      () => null,
      (error: any) => error,
    )
    expect(firstError?.type ?? firstError?.cause?.type).toMatch(/INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/)
    await own.send({ topic: 't', messages: [{ value: 'second' }] })
    await own.commit()
    await first.disconnect()
    await second.disconnect()

    expect(await consumeUntil(kafka, 't', ['second'])).toEqual(['second'])
  })

  it('aborts a transaction left open past its timeout and fences its producer', async () => {
    const { server, port, logs } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    await server.engine.createTopic('t')
    const kafka = kafkaFor(port)
    const producer = await transactionalProducer(kafka, 'slow', 500)
    const slow = await producer.transaction()
    await slow.send({ topic: 't', messages: [{ value: 'late' }] })
    const log = server.engine.partition('t', 0)
    expect(log.lastStableOffset).toBe(0)
    await waitFor(() => log.openTransactions().length === 0, 5000, 'the timed-out transaction aborted')
    expect(logs.some((line) => /slow: transaction open past 500 ms/.test(line))).toBe(true)
    const commitError = await slow.commit().then(
      () => null,
      (error: any) => error,
    )
    expect(commitError?.type ?? commitError?.cause?.type).toMatch(/INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/)
    await producer.disconnect()

    const next = await transactionalProducer(kafka, 'slow')
    const txn = await next.transaction()
    await txn.send({ topic: 't', messages: [{ value: 'on time' }] })
    await txn.commit()
    await next.disconnect()
    expect(await consumeUntil(kafka, 't', ['on time'])).toEqual(['on time'])
  })
})

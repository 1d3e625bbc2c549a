import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createKafkaServer, type KafkaServer } from '../../src/index.js'

let server: KafkaServer
let kafka: Kafka

beforeAll(async () => {
  // A fresh data directory and a free port, ready in milliseconds; close() removes both.
  server = await createKafkaServer({ ephemeral: true })
  kafka = new Kafka({ brokers: [`127.0.0.1:${server.address.port}`], logLevel: logLevel.NOTHING })
})

afterAll(() => server.close())

it('publishes an order event', async () => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'orders', messages: [{ key: 'order-1', value: '{"total":12.5}' }] })
  await producer.disconnect()

  const admin = kafka.admin()
  await admin.connect()
  expect(await admin.fetchTopicOffsets('orders')).toEqual([{ partition: 0, offset: '1', high: '1', low: '0' }])
  await admin.disconnect()

  // The server's engine is at hand too, for looking at what arrived.
  const records = server.engine.partition('orders', 0).records({ from: 0 })
  for await (const record of records) expect(record.value?.toString()).toBe('{"total":12.5}')
})

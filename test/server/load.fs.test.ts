import { afterEach, describe, expect, it } from 'vitest'
import { BatchScanner, encodeBatch } from '../../src/index.js'
import { KafkaErrorCode } from '../../src/server/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, type ProtocolClient } from './helpers.js'

/**
 * Load: 50 connections at once, 40 producing (pipelined, acks 1 and -1, idempotent or not) and 10
 * following partitions with long-polling fetches, for SEGLOG_LOAD_MS (default 3000 ms). Every
 * acknowledged record must be in the log exactly once at the offset it was acknowledged with, no
 * record twice, every follower must have seen exactly the log, and memory must stay bounded.
 */

const LOAD_MS = Number(process.env.SEGLOG_LOAD_MS ?? 3000)
const PRODUCERS = 40
const FOLLOWERS = 10
const PARTITIONS = 4
const IN_FLIGHT = 4
/** Client, server and engine share this process: all of its growth counts against the bound. */
const MAX_RSS_GROWTH_BYTES = 400 * 1024 * 1024

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

interface Acked {
  id: string
  partition: number
  offset: number
}

async function produceLoop(client: ProtocolClient, producerSlot: number, deadlineMs: number, acked: Acked[]): Promise<void> {
  const init = await client.request('InitProducerId', 1, { transactionalId: null, transactionTimeoutMs: 1000 })
  const isIdempotent = producerSlot % 2 === 0
  const sequences = new Array<number>(PARTITIONS).fill(0)
  let seq = 0
  const inFlight = new Set<Promise<void>>()
  while (Date.now() < deadlineMs) {
    const partition = (producerSlot + seq) % PARTITIONS
    const ids = Array.from({ length: 1 + (seq % 20) }, (_, slot) => `p${producerSlot}-${seq}-${slot}`)
    seq++
    const records = encodeBatch(
      ids.map((id) => ({ key: null, value: Buffer.from(id.padEnd(100, '.')) })),
      {
        compression: seq % 3 === 0 ? 'lz4' : 'none',
        ...(isIdempotent && { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: sequences[partition]! }),
      },
    )
    if (isIdempotent) sequences[partition]! += ids.length
    const acks = seq % 2 === 0 ? 1 : -1
    const sent = client
      .request('Produce', 9, { acks, timeoutMs: 5000, topicData: [{ name: 'load', partitionData: [{ index: partition, records }] }] })
      .then((response) => {
        const result = response.responses[0]!.partitionResponses[0]!
        expect(result.errorCode, `producer ${producerSlot} batch ${ids[0]}`).toBe(KafkaErrorCode.NONE)
        ids.forEach((id, slot) => acked.push({ id, partition, offset: result.baseOffset + slot }))
      })
    inFlight.add(sent)
    void sent.finally(() => inFlight.delete(sent))
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

/** Follows one partition from offset 0 until `isDone()` and the high watermark is reached. */
async function followLoop(client: ProtocolClient, partition: number, isDone: () => boolean): Promise<string[]> {
  const seen: string[] = []
  let next = 0
  for (;;) {
    const response = await client.request('Fetch', 12, {
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'load', partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 256 * 1024 }] }],
    })
    const data = response.responses[0]!.partitions[0]!
    expect(data.errorCode).toBe(KafkaErrorCode.NONE)
    for (const batch of new BatchScanner(data.records ?? Buffer.alloc(0))) {
      for (const record of batch.records()) {
        if (record.offset < next) continue
        expect(record.offset, 'offsets follow each other').toBe(next)
        seen.push(record.value!.toString().replace(/\.+$/, ''))
        next++
      }
    }
    if (isDone() && next >= data.highWatermark) return seen
  }
}

describe(`load (${LOAD_MS} ms)`, () => {
  it(
    `${PRODUCERS} producing and ${FOLLOWERS} fetching connections: nothing acknowledged lost or doubled, memory bounded`,
    async () => {
      const { port, server } = await startServer()
      await server.engine.createTopic('load', { partitions: PARTITIONS })
      const producers = await Promise.all(Array.from({ length: PRODUCERS }, () => connect(port)))
      const followers = await Promise.all(Array.from({ length: FOLLOWERS }, () => connect(port)))
      const rssBefore = process.memoryUsage().rss
      let rssPeak = rssBefore
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
      }, 50)
      const acked: Acked[] = []
      let producing = true
      const deadlineMs = Date.now() + LOAD_MS
      const following = followers.map((client, slot) => followLoop(client, slot % PARTITIONS, () => !producing))
      await Promise.all(producers.map((client, slot) => produceLoop(client, slot, deadlineMs, acked)))
      producing = false
      const followed = await Promise.all(following)
      clearInterval(sampler)

      const logs: string[][] = []
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const values: string[] = []
        for await (const record of server.engine.partition('load', partition).records({ from: 0 }))
          values.push(record.value!.toString().replace(/\.+$/, ''))
        logs.push(values)
      }
      const all = logs.flat()
      expect(new Set(all).size, 'no record is in the log twice').toBe(all.length)
      expect(acked.length).toBeGreaterThan(1000)
      const misplaced = acked.filter((entry) => logs[entry.partition]![entry.offset] !== entry.id)
      expect(misplaced.slice(0, 5), 'every acknowledged record at its acknowledged offset').toEqual([])
      followed.forEach((seen, slot) => expect(seen, `follower ${slot}`).toEqual(logs[slot % PARTITIONS]))
      expect(rssPeak - rssBefore).toBeLessThan(MAX_RSS_GROWTH_BYTES)
    },
    LOAD_MS + 60_000,
  )
})

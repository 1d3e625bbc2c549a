import { afterEach, describe, expect, it } from 'vitest'
import { BatchScanner } from '../../src/index.js'
import { KafkaErrorCode } from '../../src/server/index.js'
import { FetchBufferPool, fetchBuffers } from '../../src/server/handlers/fetch-buffers.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, waitFor, type ProtocolClient } from './helpers.js'

/**
 * Fetch reads into buffers lent by a pool and given back once the response is written. A buffer
 * given back too early would be filled by the next fetch while the socket still sends the first
 * response from it: a slow client's responses would carry another read's bytes. Here a client
 * that does not read keeps many responses unsent while another client fetches as fast as it can,
 * and every byte the slow client gets must still be its own read's.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

const BATCHES = 120
const RECORDS_PER_BATCH = 10
const VALUE_BYTES = 4000

/** Every byte of a value says which offset it belongs to. */
function valueFor(offset: number): Buffer {
  const value = Buffer.alloc(VALUE_BYTES, offset & 0xff)
  value.write(`offset ${offset};`)
  return value
}

function fetchBody(offset: number, maxBytes: number) {
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] }],
  }
}

/** Checks a response's record set: CRCs, offsets from the batch holding `offset` on, and every value's bytes. */
function checkRecords(records: Buffer, offset: number): number {
  let expected = -1
  let count = 0
  for (const batch of new BatchScanner(records)) {
    batch.ensureValid()
    if (expected < 0) {
      expect(batch.baseOffset).toBeLessThanOrEqual(offset)
      expect(batch.lastOffset).toBeGreaterThanOrEqual(offset)
      expected = batch.baseOffset
    }
    for (const record of batch.records()) {
      expect(record.offset).toBe(expected)
      expect(record.value!.equals(valueFor(record.offset))).toBe(true)
      expected++
      count++
    }
  }
  return count
}

describe('Fetch read buffers', () => {
  it('never sends a slow client bytes that a later fetch read into the same buffer', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    for (let batch = 0; batch < BATCHES; batch++) {
      const base = batch * RECORDS_PER_BATCH
      await log.appendRecords(Array.from({ length: RECORDS_PER_BATCH }, (_, slot) => ({ value: valueFor(base + slot) })))
    }
    const total = BATCHES * RECORDS_PER_BATCH
    const maxBytes = 512 * 1024
    expect(maxBytes).toBeLessThanOrEqual(fetchBuffers.bufferBytes)

    const slow: ProtocolClient = await connect(port)
    slow.socket.pause()
    // More than the kernel's socket buffers hold (most wait in the server), fewer than the pool lends.
    const slowOffsets = Array.from({ length: 20 }, (_, slot) => (slot * 37) % total)
    const slowResponses = slowOffsets.map((offset) => slow.request('Fetch', 11, fetchBody(offset, maxBytes)))

    const fast = await connect(port)
    for (let slot = 0; slot < 120; slot++) {
      const offset = (slot * 101 + 7) % total
      const response = await fast.request('Fetch', 11, fetchBody(offset, maxBytes))
      const partition = response.responses[0]!.partitions[0]!
      expect(partition.errorCode).toBe(KafkaErrorCode.NONE)
      expect(checkRecords(partition.records!, offset)).toBeGreaterThan(0)
    }
    // Responses to the slow client still hold their buffers; the fast client's reads reused the others.
    expect(fetchBuffers.lentCount).toBeGreaterThan(0)
    expect(fetchBuffers.idleCount).toBeGreaterThan(0)

    slow.socket.resume()
    const responses = await Promise.all(slowResponses)
    responses.forEach((response, slot) => {
      const partition = response.responses[0]!.partitions[0]!
      expect(partition.errorCode).toBe(KafkaErrorCode.NONE)
      expect(checkRecords(partition.records!, slowOffsets[slot]!)).toBeGreaterThan(0)
    })
    // Every response has been written: every buffer is back.
    await waitFor(() => fetchBuffers.lentCount === 0, 5000, 'every lent buffer back')
  })

  it('takes back the buffers of responses a closed connection will never send', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    for (let batch = 0; batch < 40; batch++) {
      const base = batch * RECORDS_PER_BATCH
      await log.appendRecords(Array.from({ length: RECORDS_PER_BATCH }, (_, slot) => ({ value: valueFor(base + slot) })))
    }
    const client = await connect(port)
    client.socket.pause()
    for (let slot = 0; slot < 40; slot++) void client.request('Fetch', 11, fetchBody(slot * 10, 512 * 1024)).catch(() => undefined)
    await waitFor(() => fetchBuffers.lentCount > 0, 5000, 'buffers lent to unsent responses')
    client.destroy()
    await waitFor(() => fetchBuffers.lentCount === 0, 5000, 'every lent buffer back after the close')
  })

  it('lends at most its bound, then nothing until a buffer comes back', () => {
    const pool = new FetchBufferPool(1024, 3)
    const taken = [pool.take(), pool.take(), pool.take()]
    expect(taken.every((buffer) => buffer !== undefined && buffer.length === 1024)).toBe(true)
    expect(new Set(taken).size).toBe(3)
    expect(pool.take()).toBeUndefined()
    expect(pool.lentCount).toBe(3)
    pool.giveBack([taken[1]!])
    expect(pool.take()).toBe(taken[1])
    expect(pool.take()).toBeUndefined()
    pool.giveBack([taken[0]!, taken[1]!, taken[2]!])
    expect([pool.lentCount, pool.idleCount]).toEqual([0, 3])
  })

  it('gives a long poll’s buffers back when it reads again, and answers with what arrived', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    await log.appendRecords([{ value: valueFor(0) }])
    const client = await connect(port)
    const waiting = client.request('Fetch', 11, { ...fetchBody(0, 256 * 1024), maxWaitMs: 5_000, minBytes: 20_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (let offset = 1; offset < 8; offset++) await log.appendRecords([{ value: valueFor(offset) }])
    const partition = (await waiting).responses[0]!.partitions[0]!
    // Read again after appends (minBytes is 5 records' worth), with buffers lent and given back in between.
    expect(checkRecords(partition.records!, 0)).toBeGreaterThanOrEqual(5)
    const again = (await client.request('Fetch', 11, fetchBody(0, 256 * 1024))).responses[0]!.partitions[0]!
    expect(checkRecords(again.records!, 0)).toBe(8)
  })
})

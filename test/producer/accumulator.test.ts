import { describe, expect, it } from 'vitest'
import { estimateSize, PartitionBatch, PendingSend } from '../../src/producer/accumulator.js'
import { LatencyHistogram } from '../../src/producer/latency-histogram.js'
import type { RecordInput } from '../../src/record/record.js'

const record = (value: string, timestamp?: number): RecordInput => ({
  value: Buffer.from(value),
  ...(timestamp !== undefined && { timestamp }),
})

describe('PartitionBatch', () => {
  it('keeps consecutive slots of one send as one run and starts a run where sends interleave', () => {
    const batch = new PartitionBatch()
    const a = new PendingSend(3)
    const b = new PendingSend(1)
    batch.add(record('a0'), 10, a, 0)
    batch.add(record('a1'), 10, a, 1)
    batch.add(record('b0'), 10, b, 0)
    batch.add(record('a2'), 10, a, 2)
    expect(batch.runStarts).toEqual([0, 2, 3])
    expect(batch.runSlots).toEqual([0, 0, 2])
    expect(batch.bytes).toBe(40)
  })

  it('starts a new run when a send skips slots (its records went to another partition)', () => {
    const batch = new PartitionBatch()
    const a = new PendingSend(3)
    batch.add(record('a0'), 1, a, 0)
    batch.add(record('a2'), 1, a, 2)
    expect(batch.runSlots).toEqual([0, 2])
  })

  it('fills each slot with its offset and resolves a send once all its records are complete', async () => {
    const first = new PartitionBatch()
    const second = new PartitionBatch()
    const send = new PendingSend(3)
    first.add(record('x', 1000), 1, send, 0)
    second.add(record('y'), 1, send, 1)
    first.add(record('z', 3000), 1, send, 2)
    const latency = new LatencyHistogram()
    first.complete('t', 0, 100, latency)
    expect(send.remaining).toBe(1)
    expect(send.settled).toBe(false)
    second.complete('t', 1, 7, latency)
    expect(await send.promise).toEqual([
      { topic: 't', partition: 0, offset: 100, timestamp: 1000 },
      { topic: 't', partition: 1, offset: 7, timestamp: second.createdMs },
      { topic: 't', partition: 0, offset: 101, timestamp: 3000 },
    ])
    expect(latency.count).toBe(1)
  })

  it('fail rejects every unsettled send once, and a later completion does not touch it', async () => {
    const batch = new PartitionBatch()
    const send = new PendingSend(2)
    batch.add(record('a'), 1, send, 0)
    batch.add(record('b'), 1, send, 1)
    const error = new Error('disk full')
    batch.fail(error)
    await expect(send.promise).rejects.toBe(error)
    batch.complete('t', 0, 0, new LatencyHistogram())
    expect(send.remaining).toBe(2)
  })
})

describe('estimateSize', () => {
  it('counts key, value and headers on top of the record overhead', () => {
    const bare = estimateSize({ value: null })
    expect(estimateSize({ key: Buffer.alloc(5), value: Buffer.alloc(7) })).toBe(bare + 12)
    expect(estimateSize({ value: null, headers: [{ key: 'ab', value: Buffer.alloc(4) }] })).toBe(bare + 2 * 3 + 4 + 10)
  })
})

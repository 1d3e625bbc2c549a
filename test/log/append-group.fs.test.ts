import { afterEach, describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import type { AppendInfo } from '../../src/log/partition-types.js'
import { buildPartition, readRecords, type PartitionSettings } from '../helpers/build-log.js'
import { rejection } from '../helpers/errors.js'
import { errnoError, FSYNC_CALLS, spyFileSystem, type FileSystemSpy } from '../helpers/file-system-spy.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Small appends made while the log's queue is busy share one turn and one writev
 * (append-coalescer.ts, append-group.ts), yet each keeps its own batch, offsets and outcome.
 * The spy's files have no synchronous writev, so every write is one counted `writev` call.
 */

afterEach(removeTmpDirs)

const APPENDERS = 64

function record(serial: number): { key: Buffer; value: Buffer; timestamp: number } {
  return { key: Buffer.from(`k${serial}`), value: Buffer.alloc(100, serial & 0xff), timestamp: 10_000 + serial }
}

async function partition(settings: PartitionSettings = {}): Promise<{ log: PartitionLog; spy: FileSystemSpy }> {
  const spy = spyFileSystem()
  const { log } = await buildPartition({ ...settings, logOptions: { fileSystem: spy.fileSystem } })
  return { log, spy }
}

/** Outcomes of promises, in order, without failing on the first rejection. */
async function outcomes(promises: Promise<AppendInfo>[]): Promise<PromiseSettledResult<AppendInfo>[]> {
  return Promise.all(
    promises.map((promise) =>
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
    ),
  )
}

describe('concurrent single-record appends', () => {
  it('made while the queue is busy go to the file in one writev, in call order, each as its own batch with its own offsets', async () => {
    const { log, spy } = await partition()
    await log.appendRecords([record(0)])
    const writesBefore = spy.count('writev')
    // The queue is idle: this one takes its turn alone (os mode), and the others wait behind it.
    const leading = log.appendRecords([record(1)])
    const infos = await Promise.all(Array.from({ length: APPENDERS }, (_, slot) => log.appendRecords([record(slot + 2)])))
    expect(await leading).toMatchObject({ baseOffset: 1 })
    expect(spy.count('writev') - writesBefore).toBe(2)
    expect(infos.map((info) => [info.baseOffset, info.lastOffset])).toEqual(infos.map((_, slot) => [slot + 2, slot + 2]))
    const batches: number[] = []
    for await (const batch of log.batches({ from: 2 })) batches.push(batch.baseOffset)
    expect(batches).toEqual(infos.map((info) => info.baseOffset))
    const read = await readRecords(log, 0)
    expect(read.map((entry) => [entry.offset, entry.value?.[0]])).toEqual(read.map((_, slot) => [slot, slot & 0xff]))
    await log.close()
  })

  it('of pre-encoded batches (appendBatch, a broker produce path) are grouped the same way', async () => {
    const { log, spy } = await partition()
    await log.appendRecords([record(0)])
    const writesBefore = spy.count('writev')
    const leading = log.appendRecords([record(1)])
    const encoded = Array.from({ length: APPENDERS }, (_, slot) => encodeBatch([record(slot + 2)]))
    const infos = await Promise.all(encoded.map((batch) => log.appendBatch(batch)))
    await leading
    expect(spy.count('writev') - writesBefore).toBe(2)
    expect(infos.map((info) => info.baseOffset)).toEqual(infos.map((_, slot) => slot + 2))
    expect((await readRecords(log, 0)).map((entry) => entry.value?.[0])).toEqual(Array.from({ length: APPENDERS + 2 }, (_, slot) => slot))
    await log.close()
  })

  it('refuse a bad append alone: the others keep call order and contiguous offsets', async () => {
    const { log } = await partition()
    const idempotent = (producerId: number, baseSequence: number) => ({ producerId, producerEpoch: 0, baseSequence })
    const first = await log.appendRecords([record(0)], idempotent(7, 0))
    const promises: Promise<AppendInfo>[] = []
    for (let slot = 1; slot <= APPENDERS; slot++) {
      if (slot === 10)
        promises.push(log.appendRecords([record(slot)], idempotent(7, 5))) // a gap in producer 7's sequence
      else if (slot === 20)
        promises.push(log.appendRecords([record(slot)], idempotent(7, 0))) // a retry of the first batch
      else if (slot === 30) promises.push(log.appendRecords([record(slot)], idempotent(8, 0)))
      else if (slot === 31)
        promises.push(log.appendRecords([record(slot)], idempotent(8, 1))) // same producer, same group
      else promises.push(log.appendRecords([record(slot)]))
    }
    const settled = await outcomes(promises)
    const refused = settled[9]!
    expect(refused.status).toBe('rejected')
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE' })
    const retry = settled[19]!
    expect(retry).toMatchObject({ status: 'fulfilled', value: { baseOffset: first.baseOffset, isDuplicate: true, size: 0 } })
    const written = settled.filter((outcome, slot) => slot !== 9 && slot !== 19)
    expect(written.every((outcome) => outcome.status === 'fulfilled')).toBe(true)
    const offsets = written.map((outcome) => (outcome as PromiseFulfilledResult<AppendInfo>).value.baseOffset)
    expect(offsets).toEqual(offsets.map((_, slot) => slot + 1))
    const values = (await readRecords(log, 1)).map((entry) => entry.value?.[0])
    const expected = Array.from({ length: APPENDERS }, (_, slot) => slot + 1).filter((serial) => serial !== 10 && serial !== 20)
    expect(values).toEqual(expected)
    await log.close()
  })

  it('fail together when their write fails, and the log goes on from where it was', async () => {
    const { log, spy } = await partition()
    await log.appendRecords([record(0)])
    let writes = 0
    spy.hook((info) => {
      // The second write from here: the group's (the leading append has the first).
      if (info.call === 'writev' && ++writes === 2) throw errnoError('ENOSPC')
    })
    const leading = log.appendRecords([record(1)])
    const small = Array.from({ length: APPENDERS }, (_, slot) => log.appendRecords([record(slot + 2)]))
    // Larger than a group takes: queued after the group, in a turn and a write of its own.
    const large = log.appendRecords([{ value: Buffer.alloc(20_000, 0xee), timestamp: 20_000 }])
    for (const promise of small) expect((await rejection(promise)).code).toBe('IO_FAILED')
    expect(await leading).toMatchObject({ baseOffset: 1 })
    expect(await large).toMatchObject({ baseOffset: 2, lastOffset: 2 })
    expect(await log.appendRecords([record(99)])).toMatchObject({ baseOffset: 3 })
    expect((await readRecords(log, 0)).map((entry) => entry.value?.[0])).toEqual([0, 1, 0xee, 99])
    await log.close()
  })

  it('under sync resolve only after one fsync covering them all', async () => {
    const { log, spy } = await partition()
    await log.appendRecords([record(0)])
    log.flushPolicy = { mode: 'sync' }
    await log.flush()
    const held: (() => void)[] = []
    const unhook = spy.hook((info) => {
      if (FSYNC_CALLS.includes(info.call)) return new Promise<void>((resume) => held.push(resume))
    })
    const fsyncsBefore = spy.count(FSYNC_CALLS)
    let resolved = 0
    const promises = Array.from({ length: APPENDERS }, (_, slot) =>
      log.appendRecords([record(slot + 1)]).then((info) => (resolved++, info)),
    )
    for (let turn = 0; turn < 5_000 && held.length === 0; turn++) await new Promise((resume) => setTimeout(resume, 1))
    // Time for a second fsync to start, were the group split.
    for (let turn = 0; turn < 20; turn++) await new Promise((resume) => setImmediate(resume))
    expect(held.length).toBe(1)
    expect(resolved).toBe(0)
    expect(log.logEndOffset).toBe(APPENDERS + 1)
    unhook()
    for (const resume of held.splice(0)) resume()
    const infos = await Promise.all(promises)
    expect(infos.at(-1)!.lastOffset).toBe(APPENDERS)
    expect(spy.count(FSYNC_CALLS) - fsyncsBefore).toBe(1)
    expect(log.recoveryPoint).toBe(APPENDERS + 1)
    await log.close()
  })

  it.each<[string, PartitionSettings]>([
    ['size', { segmentBytes: 2048 }],
    ['time', { segmentMs: 5 }],
    ['a full index', { segmentIndexBytes: 64, indexIntervalBytes: 1 }],
  ])('roll segments (by %s) exactly where the same appends made one at a time roll them', async (_, settings) => {
    const one = await partition(settings)
    const grouped = await partition(settings)
    for (let slot = 0; slot < APPENDERS; slot++) await one.log.appendRecords([record(slot)])
    await Promise.all(Array.from({ length: APPENDERS }, (_, slot) => grouped.log.appendRecords([record(slot)])))
    const bases = (log: PartitionLog) => log.segmentList.map((segment) => [segment.baseOffset, segment.size])
    expect(one.log.segmentCount).toBeGreaterThan(3)
    expect(bases(grouped.log)).toEqual(bases(one.log))
    expect(await readRecords(grouped.log, 0)).toEqual(await readRecords(one.log, 0))
    await one.log.close()
    await grouped.log.close()
  })

  it('stamp the leader epoch one of them starts into the ones after it, as one at a time', async () => {
    const one = await partition()
    const grouped = await partition()
    const options = (slot: number) => (slot === 3 ? { partitionLeaderEpoch: 3 } : {})
    for (let slot = 0; slot < 8; slot++) await one.log.appendRecords([record(slot)], options(slot))
    await Promise.all(Array.from({ length: 8 }, (_, slot) => grouped.log.appendRecords([record(slot)], options(slot))))
    const epochs = async (log: PartitionLog) => {
      const seen: number[] = []
      for await (const batch of log.batches({ from: 0 })) seen.push(batch.partitionLeaderEpoch)
      return seen
    }
    expect(await epochs(one.log)).toEqual([-1, -1, -1, 3, 3, 3, 3, 3])
    expect(await epochs(grouped.log)).toEqual(await epochs(one.log))
    await one.log.close()
    await grouped.log.close()
  })
})

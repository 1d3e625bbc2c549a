import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { openTransactionalProducer } from '../../src/engine/transactional-ids.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * The embedded producer in transactional mode: commit, abort, offsets with the commit, fencing, a
 * crash left open (aborted, offsets too), a crash after the commit was decided (finished).
 */

afterEach(removeTmpDirs)

async function committed(log: PartitionLog): Promise<string[]> {
  const values: string[] = []
  for await (const record of log.records({ from: 0, isolation: 'read_committed' })) values.push(record.value!.toString())
  return values
}

async function openEngine(dir: string): Promise<LogEngine> {
  return LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
}

describe('transactional producer', () => {
  it('shows committed transactions to read_committed readers and never aborted ones; offsets go with the commit', async () => {
    const dir = await makeTmpDir()
    const engine = await openEngine(dir)
    await engine.createTopic('orders', { partitions: 2 })
    const producer = await openTransactionalProducer(engine, { transactionalId: 'writer' })
    producer.beginTransaction()
    await producer.send('orders', [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 1 },
    ])
    await producer.sendOffsets('billing', [{ topic: 'orders', partition: 0, offset: 1 }])
    expect(engine.partition('orders', 0).lastStableOffset).toBe(0)
    expect(engine.offsets.fetch('billing', 'orders', 0)).toBeNull()
    await producer.commitTransaction()
    expect(engine.offsets.fetch('billing', 'orders', 0)?.offset).toBe(1)
    producer.beginTransaction()
    await producer.send('orders', [{ value: 'never', partition: 0 }])
    producer.sendOffsets('billing', [{ topic: 'orders', partition: 0, offset: 2 }])
    await producer.abortTransaction()
    expect(engine.offsets.fetch('billing', 'orders', 0)?.offset).toBe(1)
    expect(await committed(engine.partition('orders', 0))).toEqual(['a'])
    expect(await committed(engine.partition('orders', 1))).toEqual(['b'])
    expect(() => producer.sendOffsets('g', [])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    await engine.close()
  })

  it('fences the older producer with the same transactional id and aborts what it left open', async () => {
    const dir = await makeTmpDir()
    const engine = await openEngine(dir)
    await engine.createTopic('t')
    const old = await openTransactionalProducer(engine, { transactionalId: 'x' })
    old.beginTransaction()
    await old.send('t', [{ value: 'zombie' }])
    const fresh = await openTransactionalProducer(engine, { transactionalId: 'x' })
    expect(fresh.producerId).toBe(old.producerId)
    expect(fresh.producerEpoch).toBe(old.producerEpoch + 1)
    await expect(old.send('t', [{ value: 'late' }])).rejects.toMatchObject({ code: 'INVALID_PRODUCER_EPOCH' })
    await expect(old.commitTransaction()).rejects.toMatchObject({ code: 'INVALID_PRODUCER_EPOCH' })
    const log = engine.partition('t', 0)
    expect(log.openTransactions()).toEqual([])
    fresh.beginTransaction()
    await fresh.send('t', [{ value: 'kept' }])
    await fresh.commitTransaction()
    expect(await committed(log)).toEqual(['kept'])
    await engine.close()
  })

  it('after a restart mid-transaction, the next producer with the id aborts it', async () => {
    const dir = await makeTmpDir()
    let engine = await openEngine(dir)
    await engine.createTopic('t')
    const before = await openTransactionalProducer(engine, { transactionalId: 'y' })
    before.beginTransaction()
    await before.send('t', [{ value: 'half' }])
    await engine.close()
    engine = await openEngine(dir)
    const log = engine.partition('t', 0)
    expect(log.openTransactions().map((txn) => txn.producerId)).toEqual([before.producerId])
    expect(log.lastStableOffset).toBe(0)
    const after = await openTransactionalProducer(engine, { transactionalId: 'y' })
    expect(after.producerEpoch).toBe(before.producerEpoch + 1)
    expect(log.openTransactions()).toEqual([])
    expect(log.lastStableOffset).toBe(log.logEndOffset)
    expect(await committed(log)).toEqual([])
    await engine.close()
  })

  it('refuses to commit a transaction whose sendOffsets failed; it can be aborted', async () => {
    const dir = await makeTmpDir()
    const engine = await openEngine(dir)
    await engine.createTopic('t')
    const producer = await openTransactionalProducer(engine, { transactionalId: 'v' })
    producer.beginTransaction()
    await producer.send('t', [{ value: 'x' }])
    await expect(producer.sendOffsets('g', [{ topic: 't', partition: 0, offset: 99 }])).rejects.toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
    })
    await expect(producer.commitTransaction()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await producer.abortTransaction()
    expect(await committed(engine.partition('t', 0))).toEqual([])
    producer.beginTransaction()
    await producer.send('t', [{ value: 'y' }])
    await producer.sendOffsets('g', [{ topic: 't', partition: 0, offset: 1 }])
    await producer.commitTransaction()
    expect(await committed(engine.partition('t', 0))).toEqual(['y'])
    expect(engine.offsets.fetch('g', 't', 0)?.offset).toBe(1)
    await engine.close()
  })

  it('after a restart mid-transaction, its offsets are dropped with it', async () => {
    const dir = await makeTmpDir()
    let engine = await openEngine(dir)
    await engine.createTopic('t', { partitions: 2 })
    await engine.partition('t', 0).appendRecords([{ value: 'input' }])
    const before = await openTransactionalProducer(engine, { transactionalId: 'z' })
    before.beginTransaction()
    await before.send('t', [{ value: 'half', partition: 1 }])
    await before.sendOffsets('g', [{ topic: 't', partition: 0, offset: 1 }])
    await engine.close()
    engine = await openEngine(dir)
    expect(engine.offsets.pendingTransactions().map((txn) => txn.producerId)).toEqual([before.producerId])
    await openTransactionalProducer(engine, { transactionalId: 'z' })
    expect(engine.offsets.pendingTransactions()).toEqual([])
    expect(engine.offsets.fetch('g', 't', 0)).toBeNull()
    expect(await committed(engine.partition('t', 1))).toEqual([])
    await engine.close()
  })

  it('a commit decided before a crash is finished by the next producer with the id, offsets and all', async () => {
    const dir = await makeTmpDir()
    let engine = await openEngine(dir)
    await engine.createTopic('t', { partitions: 3 })
    await engine.partition('t', 0).appendRecords([{ value: 'input' }])
    const before = await openTransactionalProducer(engine, { transactionalId: 'w' })
    before.beginTransaction()
    await before.send('t', [
      { value: 'out-1', partition: 1 },
      { value: 'out-2', partition: 2 },
    ])
    await before.sendOffsets('g', [{ topic: 't', partition: 0, offset: 1 }])
    // The crash comes after the decision and the first marker: partition 1 committed, the rest open.
    await engine.partition('t', 1).writeTxnMarker(before.producerId, before.producerEpoch, 'commit', 0)
    await engine.close()
    const file = path.join(dir, 'transactional-ids.json')
    const ids = JSON.parse(fs.readFileSync(file, 'utf8')) as { ids: Record<string, { committing?: boolean }> }
    ids.ids.w!.committing = true
    fs.writeFileSync(file, JSON.stringify(ids))
    engine = await openEngine(dir)
    expect(engine.offsets.fetch('g', 't', 0)).toBeNull()
    const after = await openTransactionalProducer(engine, { transactionalId: 'w' })
    expect(after.producerEpoch).toBe(before.producerEpoch + 1)
    expect(await committed(engine.partition('t', 1))).toEqual(['out-1'])
    expect(await committed(engine.partition('t', 2))).toEqual(['out-2'])
    expect(engine.offsets.fetch('g', 't', 0)?.offset).toBe(1)
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).ids.w.committing).toBeUndefined()
    await engine.close()
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeTxnIndex } from '../../src/format/txn-index.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { buildPartition, reopenPartition } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/** Transactions on one partition log: markers, the LSO, the `.txnindex`, read_committed reads. */

afterEach(removeTmpDirs)

/** Appends a transactional batch of `values` for producer `producerId` (sequences continue per producer). */
const sequences = new Map<number, number>()
async function sendTxn(log: PartitionLog, producerId: number, values: string[], epoch = 0): Promise<void> {
  const baseSequence = sequences.get(producerId) ?? 0
  sequences.set(producerId, baseSequence + values.length)
  await log.appendRecords(
    values.map((value) => ({ value: Buffer.from(value) })),
    { producerId, producerEpoch: epoch, baseSequence, isTransactional: true },
  )
}

async function committedValues(log: PartitionLog): Promise<string[]> {
  const values: string[] = []
  for await (const record of log.records({ from: log.logStartOffset, isolation: 'read_committed' })) values.push(record.value!.toString())
  return values
}

describe('transactions on a partition log', () => {
  it('holds the LSO at the first open transaction and moves it with the markers', async () => {
    sequences.clear()
    const { log } = await buildPartition()
    await log.appendRecords([{ value: Buffer.from('plain') }])
    await sendTxn(log, 1, ['a1', 'a2'])
    await sendTxn(log, 2, ['b1'])
    expect(log.lastStableOffset).toBe(1)
    expect(log.openTransactions().map((txn) => [txn.producerId, txn.firstOffset])).toEqual([
      [1, 1],
      [2, 3],
    ])
    await log.writeTxnMarker(1, 0, 'abort', 4)
    expect(log.lastStableOffset).toBe(3)
    await log.writeTxnMarker(2, 0, 'commit', 4)
    expect(log.lastStableOffset).toBe(log.highWatermark)
    expect(log.openTransactions()).toEqual([])
    expect(await committedValues(log)).toEqual(['plain', 'b1'])
    await log.close()
  })

  it('readRaw at read_committed stops at the LSO and names the aborted transactions it overlaps', async () => {
    sequences.clear()
    const { log } = await buildPartition()
    await sendTxn(log, 7, ['x'])
    await log.writeTxnMarker(7, 0, 'abort', 0)
    await sendTxn(log, 8, ['y'])
    const committed = await log.readRaw(0, { isolation: 'read_committed' })
    expect(committed.nextOffset).toBe(2)
    expect(committed.abortedTransactions).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 }])
    const scanner = new BatchScanner(committed.bytes)
    let batches = 0
    while (scanner.next() !== null) batches++
    expect(batches).toBe(2)
    const uncommitted = await log.readRaw(0)
    expect(uncommitted.nextOffset).toBe(3)
    expect(uncommitted.abortedTransactions).toBeUndefined()
    await log.close()
  })

  it('readRaw at read_committed fills a given buffer, with the same bytes and aborted transactions', async () => {
    sequences.clear()
    const { log } = await buildPartition()
    await sendTxn(log, 7, ['x'])
    await log.writeTxnMarker(7, 0, 'abort', 0)
    await log.appendRecords([{ value: Buffer.from('plain') }])
    await sendTxn(log, 8, ['y'])
    const buffer = Buffer.alloc(64 * 1024)
    const plain = await log.readRaw(0, { isolation: 'read_committed' })
    const into = await log.readRaw(0, { isolation: 'read_committed', buffer })
    expect(into.bytes.equals(plain.bytes)).toBe(true)
    expect(into.bytes.buffer === buffer.buffer && into.bytes.byteOffset === buffer.byteOffset).toBe(true)
    expect([into.firstOffset, into.nextOffset]).toEqual([plain.firstOffset, plain.nextOffset])
    expect(into.nextOffset).toBe(3)
    expect(into.abortedTransactions).toEqual(plain.abortedTransactions)
    await log.close()
  })

  it('writes the abort to the segment .txnindex and rebuilds the state on clean and unclean reopen', async () => {
    sequences.clear()
    const { log, dir, config } = await buildPartition()
    await sendTxn(log, 3, ['gone1', 'gone2'])
    await sendTxn(log, 4, ['open'])
    await log.writeTxnMarker(3, 0, 'abort', 1)
    const file = path.join(dir, '00000000000000000000.txnindex')
    expect(decodeTxnIndex(fs.readFileSync(file), 0)).toEqual([{ producerId: 3, firstOffset: 0, lastOffset: 3, lastStableOffset: 2 }])
    await log.close()
    for (const isClean of [true, false]) {
      const reopened = await reopenPartition(dir, config, isClean)
      expect(reopened.lastStableOffset).toBe(2)
      expect(reopened.openTransactions().map((txn) => txn.producerId)).toEqual([4])
      expect((await reopened.readRaw(0, { isolation: 'read_committed' })).abortedTransactions).toHaveLength(1)
      if (isClean) await reopened.close()
      else {
        await reopened.writeTxnMarker(4, 0, 'commit', 1)
        expect(await committedValues(reopened)).toEqual(['open'])
        await reopened.close()
      }
    }
  })

  it('drops aborts with the records truncated and removes the .txnindex of deleted segments', async () => {
    sequences.clear()
    const { log, dir } = await buildPartition({ segmentBytes: 300 })
    await sendTxn(log, 5, ['a'])
    await log.writeTxnMarker(5, 0, 'abort', 0)
    await sendTxn(log, 6, ['b'])
    await log.writeTxnMarker(6, 0, 'abort', 0)
    const files = (): string[] => fs.readdirSync(dir).filter((name) => name.endsWith('.txnindex'))
    expect(files().length).toBeGreaterThan(0)
    await log.truncateTo(2)
    expect((await log.readRaw(0, { isolation: 'read_committed' })).abortedTransactions).toEqual([
      { producerId: 5, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 },
    ])
    await log.truncateTo(0)
    expect(files()).toEqual([])
    await log.close()
  })

  it('refuses a marker from a fenced producer epoch', async () => {
    sequences.clear()
    const { log } = await buildPartition()
    await sendTxn(log, 9, ['new'], 3)
    await expect(log.writeTxnMarker(9, 2, 'commit', 0)).rejects.toMatchObject({ code: 'INVALID_PRODUCER_EPOCH' })
    await log.close()
  })
})

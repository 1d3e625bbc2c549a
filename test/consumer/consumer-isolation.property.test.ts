import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { Consumer, ConsumerRecord } from '../../src/consumer/consumer.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { rejection } from '../helpers/errors.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { EVERY_FATE, TxnHistory, txnOpArbitrary } from '../helpers/txn-history.js'
import { sleep } from './helpers.js'

/**
 * The consumer's isolation levels against a model of random transactional histories (commits,
 * aborts, transactions left open, rolls), through the three ways of reading: the record iterator,
 * batches() and consumer.run. read_committed hands out exactly the plain and committed records
 * below the last stable offset, in offset order, and its position reaches the LSO (aborted
 * records and markers are stepped over, not waited on); read_uncommitted hands out every data
 * record up to the high watermark. Small maxBytes make reads start inside transactions.
 */

afterEach(removeTmpDirs)

const RUNS = Number(process.env.SEGLOG_PROPERTY_RUNS ?? 10)

type Path = 'iterator' | 'batches' | 'run'

/** Reads partition 0 of 'tx' with a fresh group until the position reaches `end`; returns the values. */
async function readUpTo(
  engine: LogEngine,
  path: Path,
  end: number,
  options: { isolation?: 'read_committed' | 'read_uncommitted'; maxBytes: number },
): Promise<string[]> {
  const consumer = await engine.consumer({ group: `g-${path}-${Math.random()}`, topics: ['tx'], ...options })
  const values: string[] = []
  const push = (record: ConsumerRecord): void => void values.push(record.value!.toString())
  const reading = readWith(consumer, path, push)
  const deadline = Date.now() + 5_000
  while (consumer.positions()[0]!.offset < end) {
    if (Date.now() > deadline) throw new Error(`position ${consumer.positions()[0]!.offset} never reached ${end}`)
    await sleep(2)
  }
  await consumer.close()
  await reading
  return values
}

async function readWith(consumer: Consumer, path: Path, push: (record: ConsumerRecord) => void): Promise<void> {
  if (path === 'iterator') for await (const record of consumer) push(record)
  else if (path === 'batches') for await (const batch of consumer.batches()) batch.records.forEach(push)
  else await consumer.run((record) => push(record))
}

async function openTopic(): Promise<{ engine: LogEngine; log: PartitionLog }> {
  const engine = await openQuietEngine(await makeTmpDir('seglog-isolation-'), { cleaner: { enabled: false } })
  await engine.createTopic('tx', { partitions: 1, segmentBytes: 500 })
  return { engine, log: engine.partition('tx', 0) }
}

describe('consumer isolation levels', () => {
  it('read_committed leaves out an aborted transaction and stops before an open one, on every path', async () => {
    const { engine, log } = await openTopic()
    try {
      const history = new TxnHistory()
      for (const op of EVERY_FATE) await history.apply(log, op)
      // v0, v1 aborted; v2 plain; v3 committed; v4 open (so v5 after it waits too).
      expect(log.lastStableOffset).toBe(6)
      for (const path of ['iterator', 'batches', 'run'] as const) {
        expect(await readUpTo(engine, path, 6, { isolation: 'read_committed', maxBytes: 1 << 20 })).toEqual(['v2', 'v3'])
        expect(await readUpTo(engine, path, log.highWatermark, { maxBytes: 1 << 20 })).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
      }
    } finally {
      await engine.close()
    }
  })

  it("starts 'latest' at the last stable offset with read_committed, at the high watermark without", async () => {
    const { engine, log } = await openTopic()
    try {
      const history = new TxnHistory()
      await history.apply(log, { kind: 'send', producer: 0, keys: [1], isTransactional: false })
      await history.apply(log, { kind: 'send', producer: 1, keys: [2, 3], isTransactional: true })
      await history.apply(log, { kind: 'send', producer: 0, keys: [4], isTransactional: false })
      const committed = await engine.consumer({ group: 'a', topics: ['tx'], from: 'latest', isolation: 'read_committed' })
      const uncommitted = await engine.consumer({ group: 'b', topics: ['tx'], from: 'latest' })
      expect([committed.positions()[0]!.offset, uncommitted.positions()[0]!.offset]).toEqual([1, 4])
      await committed.close()
      await uncommitted.close()
    } finally {
      await engine.close()
    }
  })

  it('a read_committed consumer waiting at the last stable offset wakes when the transaction commits', async () => {
    const { engine, log } = await openTopic()
    try {
      const history = new TxnHistory()
      await history.apply(log, { kind: 'send', producer: 1, keys: [1, 2], isTransactional: true })
      await history.apply(log, { kind: 'send', producer: 0, keys: [3], isTransactional: false })
      const consumer = await engine.consumer({ group: 'w', topics: ['tx'], isolation: 'read_committed' })
      const iterator = consumer[Symbol.asyncIterator]()
      const first = iterator.next()
      await sleep(50)
      expect(consumer.positions()[0]!.offset).toBe(0)
      await history.apply(log, { kind: 'marker', producer: 1, result: 'commit' })
      const values = [(await first).value, (await iterator.next()).value, (await iterator.next()).value].map((record) =>
        (record as ConsumerRecord).value!.toString(),
      )
      expect(values).toEqual(['v0', 'v1', 'v2'])
      await consumer.close()
    } finally {
      await engine.close()
    }
  })

  it('refuses an unknown isolation level', async () => {
    const { engine } = await openTopic()
    try {
      const error = await rejection(engine.consumer({ group: 'g', topics: ['tx'], isolation: 'serializable' as 'read_committed' }))
      expect(error.code).toBe('INVALID_ARGUMENT')
    } finally {
      await engine.close()
    }
  })

  it('hands out what the model says is visible, whatever the history', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(txnOpArbitrary(6), { minLength: 1, maxLength: 30 }),
        fc.constantFrom<Path>('iterator', 'batches', 'run'),
        fc.integer({ min: 80, max: 2000 }),
        async (ops, path, maxBytes) => {
          const { engine, log } = await openTopic()
          try {
            const history = new TxnHistory()
            for (const op of ops) await history.apply(log, op)
            const stable = history.lastStableOffset(log.logEndOffset)
            expect(log.lastStableOffset).toBe(stable)
            const committed = await readUpTo(engine, path, stable, { isolation: 'read_committed', maxBytes })
            expect(committed).toEqual(history.committed(stable).map((record) => record.value))
            const all = await readUpTo(engine, path, log.highWatermark, { isolation: 'read_uncommitted', maxBytes })
            expect(all).toEqual(history.records.map((record) => record.value))
          } finally {
            await engine.close()
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})

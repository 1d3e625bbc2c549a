import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { OffsetStore } from '../../src/consumer/offset-store.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine, type EngineOptions } from '../helpers/engine.js'
import { fill } from './helpers.js'
import fs from 'node:fs'
import path from 'node:path'
import { OffsetsReplay } from '../../src/engine/inspect/offsets-replay.js'
import { FileBatchReader } from '../../src/log/file-batch-reader.js'

/**
 * Offsets committed inside a transaction (commitInTransaction) against a model of Kafka's rules:
 * held per producer until its marker, applied by COMMIT only over values written earlier in the
 * log, dropped by ABORT and by a tombstone of their key; the same state live and after a reopen,
 * whatever order commits, markers and plain commits come in, with transactions left open at the
 * end of the log staying open. Compaction keeps an open transaction's offsets.
 */

afterEach(removeTmpDirs)

const GROUP = 'g'
const PARTITIONS = 3
const PRODUCERS = [11, 12, 13]

type Op =
  | { kind: 'txn'; producer: number; partition: number; offset: number }
  | { kind: 'plain'; partition: number; offset: number }
  | { kind: 'delete'; partition: number }
  | { kind: 'end'; producer: number; result: 'commit' | 'abort' }

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('txn' as const),
    producer: fc.constantFrom(...PRODUCERS),
    partition: fc.nat(PARTITIONS - 1),
    offset: fc.nat(50),
  }),
  fc.record({ kind: fc.constant('plain' as const), partition: fc.nat(PARTITIONS - 1), offset: fc.nat(50) }),
  fc.record({ kind: fc.constant('delete' as const), partition: fc.nat(PARTITIONS - 1) }),
  fc.record({
    kind: fc.constant('end' as const),
    producer: fc.constantFrom(...PRODUCERS),
    result: fc.constantFrom('commit' as const, 'abort' as const),
  }),
)

/** The rules written out plainly: every write gets the next position, as records do in the log. */
class Model {
  readonly applied = new Map<number, { offset: number; position: number }>()
  readonly pending = new Map<number, Map<number, { offset: number; position: number }>>()
  private position = 0

  apply(op: Op): void {
    const position = this.position++
    if (op.kind === 'plain') this.applied.set(op.partition, { offset: op.offset, position })
    else if (op.kind === 'txn') {
      if (!this.pending.has(op.producer)) this.pending.set(op.producer, new Map())
      this.pending.get(op.producer)!.set(op.partition, { offset: op.offset, position })
    } else if (op.kind === 'delete') {
      if (!this.applied.has(op.partition)) return void this.position-- // nothing to delete: nothing written
      this.applied.delete(op.partition)
      for (const [producer, offsets] of this.pending) {
        offsets.delete(op.partition)
        if (offsets.size === 0) this.pending.delete(producer)
      }
    } else {
      const offsets = this.pending.get(op.producer)
      if (offsets === undefined) return void this.position-- // no marker is written
      this.pending.delete(op.producer)
      if (op.result === 'abort') return
      for (const [partition, value] of offsets) {
        const current = this.applied.get(partition)
        if (current === undefined || current.position < value.position) this.applied.set(partition, value)
      }
    }
  }

  committed(): (number | null)[] {
    return Array.from({ length: PARTITIONS }, (_, partition) => this.applied.get(partition)?.offset ?? null)
  }

  producers(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b)
  }
}

async function run(store: OffsetStore, op: Op): Promise<void> {
  if (op.kind === 'plain') await store.commit(GROUP, 't', op.partition, op.offset)
  else if (op.kind === 'txn')
    await store.commitInTransaction(op.producer, 0, GROUP, [{ topic: 't', partition: op.partition, offset: op.offset }])
  else if (op.kind === 'delete') await store.deleteOffsets(GROUP, [{ topic: 't', partition: op.partition }])
  else await store.completeTransaction(op.producer, 0, op.result)
}

function committed(store: OffsetStore): (number | null)[] {
  return Array.from({ length: PARTITIONS }, (_, partition) => store.fetch(GROUP, 't', partition)?.offset ?? null)
}

function producers(store: OffsetStore): number[] {
  return store
    .pendingTransactions()
    .map((txn) => txn.producerId)
    .sort((a, b) => a - b)
}

/**
 * The commits `seglog inspect`, `seglog import` and `seglog mirror` see: OffsetsReplay over the
 * offsets log's files, read without the engine (the directory is closed).
 */
function committedInFiles(dir: string): (number | null)[] {
  const partitionDir = path.join(dir, '__consumer_offsets-0')
  const replay = new OffsetsReplay(0, (problem) => {
    throw new Error(problem)
  })
  for (const name of fs
    .readdirSync(partitionDir)
    .filter((file) => file.endsWith('.log'))
    .sort()) {
    const reader = FileBatchReader.openSync(path.join(partitionDir, name))
    try {
      for (let batch = reader.next(); batch !== null; batch = reader.next()) replay.applyBatch(name, batch, reader.batchPosition)
    } finally {
      reader.close()
    }
  }
  const commits = replay.commitsInOrder().filter((commit) => commit.group === GROUP)
  return Array.from({ length: PARTITIONS }, (_, partition) => commits.find((commit) => commit.partition === partition)?.offset ?? null)
}

async function openWithTopic(options: EngineOptions = {}) {
  const dir = await makeTmpDir('seglog-txn-offsets-')
  const engine = await openQuietEngine(dir, options)
  await engine.createTopic('t', { partitions: PARTITIONS })
  for (let partition = 0; partition < PARTITIONS; partition++) await fill(engine.partition('t', partition), 60)
  return { dir, engine }
}

describe('transactional offsets against a model', () => {
  it('live and replayed state match the model for any order of commits, markers, plain commits and deletes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 25 }), fc.nat(25), async (ops, split) => {
        const { dir, engine } = await openWithTopic()
        const model = new Model()
        const cut = Math.min(split, ops.length)
        for (const op of ops.slice(0, cut)) {
          await run(engine.offsets, op)
          model.apply(op)
        }
        expect(committed(engine.offsets)).toEqual(model.committed())
        expect(producers(engine.offsets)).toEqual(model.producers())
        await engine.close()
        expect(committedInFiles(dir)).toEqual(model.committed())
        // Reopened: open transactions are still open, and the rest of the operations carry on from there.
        let reopened = await openQuietEngine(dir)
        expect(committed(reopened.offsets)).toEqual(model.committed())
        expect(producers(reopened.offsets)).toEqual(model.producers())
        for (const op of ops.slice(cut)) {
          await run(reopened.offsets, op)
          model.apply(op)
        }
        expect(committed(reopened.offsets)).toEqual(model.committed())
        await reopened.close()
        expect(committedInFiles(dir)).toEqual(model.committed())
        reopened = await openQuietEngine(dir)
        expect(committed(reopened.offsets)).toEqual(model.committed())
        expect(producers(reopened.offsets)).toEqual(model.producers())
        await reopened.close()
      }),
      { numRuns: Number(process.env.SEGLOG_PROPERTY_RUNS ?? 30) },
    )
  }, 120_000)

  it('a plain commit written after a transactional one wins when the transaction commits', async () => {
    const { engine } = await openWithTopic()
    await engine.offsets.commitInTransaction(7, 0, GROUP, [{ topic: 't', partition: 0, offset: 5 }])
    expect(engine.offsets.fetch(GROUP, 't', 0)).toBeNull()
    await engine.offsets.commit(GROUP, 't', 0, 9)
    expect(await engine.offsets.completeTransaction(7, 0, 'commit')).toBe(true)
    expect(engine.offsets.fetch(GROUP, 't', 0)?.offset).toBe(9)
    expect(await engine.offsets.completeTransaction(7, 0, 'commit')).toBe(false)
    await engine.close()
  })

  it('refuses an epoch older than the one of the pending transaction', async () => {
    const { engine } = await openWithTopic()
    await engine.offsets.commitInTransaction(7, 3, GROUP, [{ topic: 't', partition: 0, offset: 5 }])
    await expect(engine.offsets.commitInTransaction(7, 2, GROUP, [{ topic: 't', partition: 0, offset: 6 }])).rejects.toMatchObject({
      code: 'INVALID_PRODUCER_EPOCH',
    })
    await engine.close()
  })
})

describe('compaction with an open transaction', () => {
  it('keeps the open transaction and its offsets, and compacts once it has its marker', async () => {
    const { dir, engine } = await openWithTopic({ offsetStore: { compactMinBytes: 1, compactMinRatio: 2 } })
    await engine.offsets.commitInTransaction(21, 0, GROUP, [{ topic: 't', partition: 1, offset: 30 }])
    for (let n = 0; n < 20; n++) await engine.offsets.commit(GROUP, 't', 0, n)
    await engine.offsets.compact()
    expect(engine.offsets.compactions).toBe(0)
    await engine.close()
    const reopened = await openQuietEngine(dir, { offsetStore: { compactMinBytes: 1, compactMinRatio: 2 } })
    expect(producers(reopened.offsets)).toEqual([21])
    expect(await reopened.offsets.completeTransaction(21, 1, 'commit')).toBe(true)
    expect(reopened.offsets.fetch(GROUP, 't', 1)?.offset).toBe(30)
    await reopened.offsets.compact()
    expect(reopened.offsets.compactions).toBeGreaterThan(0)
    expect(committed(reopened.offsets)).toEqual([19, 30, null])
    await reopened.close()
    const again = await openQuietEngine(dir)
    expect(committed(again.offsets)).toEqual([19, 30, null])
    expect(producers(again.offsets)).toEqual([])
    await again.close()
  })
})

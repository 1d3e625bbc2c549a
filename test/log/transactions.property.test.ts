import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { AbortedTxn } from '../../src/format/txn-index.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { buildPartition, reopenPartition } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Random transactional histories on one partition (transactional and plain appends from three
 * producers, COMMIT and ABORT markers, rolls, truncations, clean and unclean reopens), checked after
 * every step against a model that replays the batches it knows are in the log: the last stable
 * offset, the open transactions, the aborted transactions a read_committed read reports (with their
 * LSO at abort time) and the records a read_committed reader sees.
 */

afterEach(removeTmpDirs)

const RUNS = Number(process.env.SEGLOG_PROPERTY_RUNS ?? 20)
const PRODUCERS = 3

type Op =
  | { kind: 'send'; producer: number; count: number; isTransactional: boolean }
  | { kind: 'marker'; producer: number; result: 'commit' | 'abort' }
  | { kind: 'roll' }
  | { kind: 'truncate'; at: number }
  | { kind: 'reopen'; isClean: boolean }

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      producer: fc.integer({ min: 0, max: PRODUCERS - 1 }),
      count: fc.integer({ min: 1, max: 3 }),
      isTransactional: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('marker' as const),
      producer: fc.integer({ min: 0, max: PRODUCERS - 1 }),
      result: fc.constantFrom('commit' as const, 'abort' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), isClean: fc.boolean() }) },
)

interface ModelBatch {
  baseOffset: number
  lastOffset: number
  /** Producer slot; -1 for a plain (non-idempotent) batch. */
  producer: number
  isTransactional: boolean
  marker: 'commit' | 'abort' | null
  firstSequence: number
  values: string[]
}

interface ModelState {
  open: Map<number, number>
  aborted: AbortedTxn[]
  nextSequence: Map<number, number>
  visible: { offset: number; value: string; producer: number; txnFirst: number | null }[]
}

const producerId = (slot: number): number => 1000 + slot

/** Replays the model's batches as the log layer must: open transactions, aborts, sequences. */
function replay(batches: readonly ModelBatch[]): ModelState {
  const open = new Map<number, number>()
  const aborted: AbortedTxn[] = []
  const nextSequence = new Map<number, number>()
  const records: { offset: number; value: string; producer: number; txnFirst: number | null }[] = []
  const abortedRanges: { producer: number; first: number; last: number }[] = []
  for (const batch of batches) {
    if (batch.marker !== null) {
      const first = open.get(batch.producer) ?? batch.baseOffset
      open.delete(batch.producer)
      if (batch.marker === 'abort') {
        const others = [...open.values()]
        const lastStableOffset = others.length === 0 ? batch.baseOffset + 1 : Math.min(...others)
        aborted.push({ producerId: producerId(batch.producer), firstOffset: first, lastOffset: batch.baseOffset, lastStableOffset })
        abortedRanges.push({ producer: batch.producer, first, last: batch.baseOffset })
      }
      continue
    }
    if (batch.producer >= 0) nextSequence.set(batch.producer, batch.firstSequence + batch.values.length)
    if (batch.isTransactional && !open.has(batch.producer)) open.set(batch.producer, batch.baseOffset)
    batch.values.forEach((value, slot) =>
      records.push({ offset: batch.baseOffset + slot, value, producer: batch.producer, txnFirst: batch.isTransactional ? 0 : null }),
    )
  }
  const visible = records.filter(
    (record) =>
      record.txnFirst === null ||
      !abortedRanges.some((range) => range.producer === record.producer && range.first <= record.offset && record.offset < range.last),
  )
  return { open, aborted, nextSequence, visible }
}

async function check(log: PartitionLog, batches: readonly ModelBatch[]): Promise<void> {
  const model = replay(batches)
  const end = batches.length === 0 ? log.logStartOffset : batches[batches.length - 1]!.lastOffset + 1
  expect(log.logEndOffset).toBe(end)
  const lso = model.open.size === 0 ? end : Math.min(...model.open.values())
  expect(log.lastStableOffset).toBe(lso)
  expect(log.openTransactions().map((txn) => [txn.producerId, txn.firstOffset])).toEqual(
    [...model.open].map(([slot, first]) => [producerId(slot), first]).sort((a, b) => a[1]! - b[1]!),
  )
  const reported = new Map<number, AbortedTxn>()
  for (let offset = log.logStartOffset; ;) {
    const read = await log.readRaw(offset, { isolation: 'read_committed' })
    for (const txn of read.abortedTransactions ?? []) reported.set(txn.lastOffset, txn)
    if (read.bytes.length === 0) break
    offset = read.nextOffset
  }
  expect([...reported.values()].sort((a, b) => a.lastOffset - b.lastOffset)).toEqual(model.aborted.filter((txn) => txn.firstOffset < lso))
  const seen: string[] = []
  for await (const record of log.records({ from: log.logStartOffset, isolation: 'read_committed' })) seen.push(record.value!.toString())
  expect(seen).toEqual(model.visible.filter((record) => record.offset < lso).map((record) => record.value))
}

describe('transactions against a model', () => {
  it('keeps the LSO, open transactions, aborted ranges and committed reads through rolls, truncations and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 25 }), async (ops) => {
        const built = await buildPartition({ segmentBytes: 400 })
        let log = built.log
        const batches: ModelBatch[] = []
        let counter = 0
        try {
          for (const op of ops) {
            const state = replay(batches)
            if (op.kind === 'send') {
              const values = Array.from({ length: op.count }, () => `v${counter++}`)
              const isIdempotent = op.isTransactional || op.producer > 0
              const firstSequence = state.nextSequence.get(op.producer) ?? 0
              const info = await log.appendRecords(
                values.map((value) => ({ value: Buffer.from(value) })),
                isIdempotent
                  ? {
                      producerId: producerId(op.producer),
                      producerEpoch: 0,
                      baseSequence: firstSequence,
                      isTransactional: op.isTransactional,
                    }
                  : {},
              )
              batches.push({
                baseOffset: info.baseOffset,
                lastOffset: info.lastOffset,
                producer: isIdempotent ? op.producer : -1,
                isTransactional: op.isTransactional,
                marker: null,
                firstSequence,
                values,
              })
            } else if (op.kind === 'marker') {
              if (!state.open.has(op.producer)) continue
              const info = await log.writeTxnMarker(producerId(op.producer), 0, op.result, 1)
              const marker = { marker: op.result, firstSequence: -1, values: [] }
              batches.push({
                baseOffset: info.baseOffset,
                lastOffset: info.lastOffset,
                producer: op.producer,
                isTransactional: true,
                ...marker,
              })
            } else if (op.kind === 'roll') {
              await log.rollNow()
            } else if (op.kind === 'truncate') {
              if (batches.length === 0) continue
              const cut = batches[Math.floor((op.at / 1001) * batches.length)]!.baseOffset
              await log.truncateTo(cut)
              while (batches.length > 0 && batches[batches.length - 1]!.baseOffset >= cut) batches.pop()
            } else {
              if (op.isClean) await log.close()
              log = await reopenPartition(built.dir, built.config, op.isClean)
            }
            await check(log, batches)
          }
        } finally {
          await log.close()
        }
      }),
      { numRuns: RUNS },
    )
  })
})

import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { PartitionLog } from '../../src/log/partition-log.js'
import { buildPartition, withoutFsyncPerAppend } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Random sequences of the operations that move the points along a partition (appends, truncateTo,
 * deleteRecordsBefore, retention, a held-back high watermark, flushes, clean and unclean reopens
 * from what the log reported for its checkpoints), checked after every step against a model:
 * logStart <= highWatermark <= logEnd, recoveryPoint <= logEnd, and the readable records are
 * exactly the model's records from logStart in the batches wholly below the high watermark.
 */

afterEach(removeTmpDirs)

const RUNS = Number(process.env.SEGLOG_PROPERTY_RUNS ?? 20)

type Op =
  | { kind: 'append'; batches: number; perBatch: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number }
  | { kind: 'retention' }
  | { kind: 'highWatermark'; at: number | null }
  | { kind: 'flush' }
  | { kind: 'reopen'; isClean: boolean }

/** `at` is a fraction of the current range, so ops stay meaningful as the log changes. */
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      batches: fc.integer({ min: 1, max: 6 }),
      perBatch: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('highWatermark' as const), at: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), isClean: fc.boolean() }) },
)

interface Model {
  /** Value of every record ever appended at each offset and still in the log (removed by truncation only). */
  values: Map<number, string>
  /** Batches as [baseOffset, lastOffset], in order. */
  batches: [number, number][]
  logStart: number
  logEnd: number
  override: number | null
}

function pick(fraction: number, low: number, high: number): number {
  return low + Math.floor((fraction / 1000) * (high - low))
}

describe('PartitionLog points under random operations', () => {
  it('keep logStart <= highWatermark <= logEnd and recoveryPoint <= logEnd, and serve exactly the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 5, maxLength: 30 }), async (ops) => {
        const built = await buildPartition({ segmentBytes: 700, indexIntervalBytes: 100 })
        let log = built.log
        const checkpoint = { logStart: 0 }
        const track = (opened: PartitionLog): PartitionLog => {
          opened.onLogStartAdvance = (reported) => {
            checkpoint.logStart = reported.logStartOffset
          }
          return opened
        }
        track(log)
        const model: Model = { values: new Map(), batches: [], logStart: 0, logEnd: 0, override: null }
        let serial = 0
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'append':
                for (let batch = 0; batch < op.batches; batch++) {
                  const base = model.logEnd
                  const records = Array.from({ length: op.perBatch }, () => ({
                    value: Buffer.from(`v${serial++}-${'x'.repeat(40)}`),
                    timestamp: 1_000 + serial,
                  }))
                  const info = await log.appendRecords(records)
                  expect(info.baseOffset).toBe(base)
                  records.forEach((record, slot) => model.values.set(base + slot, record.value.toString()))
                  model.batches.push([base, base + op.perBatch - 1])
                  model.logEnd = base + op.perBatch
                }
                break
              case 'truncate': {
                const at = pick(op.at, 0, model.logEnd + 2)
                const firstBase = log.segmentList[0]!.baseOffset
                await log.truncateTo(at)
                if (at < model.logEnd) {
                  if (at <= firstBase) {
                    model.batches = model.batches.filter(([, last]) => last < at)
                    model.logEnd = at
                    model.logStart = at
                  } else {
                    model.batches = model.batches.filter(([, last]) => last < at)
                    model.logEnd = model.batches.at(-1)?.[1] === undefined ? firstBase : model.batches.at(-1)![1] + 1
                    model.logStart = Math.min(model.logStart, model.logEnd)
                  }
                  for (const offset of [...model.values.keys()]) if (offset >= model.logEnd) model.values.delete(offset)
                  if (model.override !== null) model.override = Math.min(model.override, model.logEnd)
                }
                break
              }
              case 'delete': {
                const hw = log.highWatermark
                const at = Math.min(pick(op.at, 0, hw + 1), hw)
                await log.deleteRecordsBefore(at)
                model.logStart = Math.max(model.logStart, at)
                break
              }
              case 'retention':
                await log.applyRetention()
                break
              case 'highWatermark': {
                const at = op.at === null ? null : pick(op.at, 0, model.logEnd + 3)
                log.setHighWatermark(at)
                model.override = at
                break
              }
              case 'flush':
                await log.flush()
                expect(log.recoveryPoint).toBe(model.logEnd)
                break
              case 'reopen':
                await log.close()
                log = track(
                  withoutFsyncPerAppend(
                    await PartitionLog.open(built.dir, 't', 0, built.config, {
                      isClean: op.isClean,
                      recoveryPoint: 0,
                      logStartOffset: checkpoint.logStart,
                    }),
                  ),
                )
                model.override = null
                break
            }
            const label = `after ${JSON.stringify(op)}`
            expect([log.logStartOffset, log.logEndOffset], label).toEqual([model.logStart, model.logEnd])
            const visible = Math.max(model.logStart, model.override === null ? model.logEnd : Math.min(model.override, model.logEnd))
            expect(log.highWatermark, label).toBe(visible)
            expect(log.recoveryPoint, label).toBeLessThanOrEqual(log.logEndOffset)
            const read: [number, string][] = []
            for await (const record of log.records({ from: log.logStartOffset })) read.push([record.offset, record.value!.toString()])
            // Reads return whole batches only: a batch reaching the high watermark is held back whole.
            const servedEnd = model.batches.filter(([, last]) => last < visible).at(-1)?.[1] ?? -1
            const expected = [...model.values]
              .filter(([offset]) => offset >= model.logStart && offset <= servedEnd)
              .sort((a, b) => a[0] - b[0])
            expect(read, label).toEqual(expected)
          }
        } finally {
          await log.close()
        }
      }),
      { numRuns: RUNS },
    )
  }, 120_000)
})

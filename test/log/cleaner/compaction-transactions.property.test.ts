import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../../src/engine/log-engine.js'
import type { PartitionLog } from '../../../src/log/partition-log.js'
import { readControlRecord } from '../../../src/record/control-record.js'
import { openCompactedKv } from '../../helpers/engine.js'
import { ManualClock } from '../../helpers/manual-clock.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'
import { TXN_PRODUCERS, TxnHistory, txnOpArbitrary, type TxnModelRecord, type TxnOp } from '../../helpers/txn-history.js'

/**
 * Compaction of a transactional topic against a model (docs/compaction.md, "Transactions"):
 * random keyed appends from transactional producers and plain writers, commits, aborts,
 * transactions left open, compaction passes with small map budgets, clock moves and reopens.
 * After every step:
 *   - a read_committed read is, record for record, a subsequence of what the model says is
 *     visible below the last stable offset, and its latest value of every key is the model's;
 *   - no record of an aborted transaction is left in the files below the clean point;
 *   - every batch keeps its producer id and transactional bit, every record its offset and bytes;
 *   - nothing at or above the last stable offset changed (open transactions are not cleaned);
 * and at the end, with every transaction ended and the passes repeated past deleteRetentionMs,
 * no aborted record is left below the clean point, an ABORT marker only where an emptied batch of
 * its transaction still is, and a reopen reads the same.
 */

afterEach(removeTmpDirs)

const RUNS = Number(process.env.SEGLOG_PROPERTY_RUNS ?? 8)
const DELETE_RETENTION_MS = 1_000

type Step = TxnOp | { kind: 'compact'; dedupeBufferBytes: number } | { kind: 'advance'; ms: number } | { kind: 'reopen' }

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: txnOpArbitrary(5) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('compact' as const), dedupeBufferBytes: fc.integer({ min: 150, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
)

interface StoredBatch {
  baseOffset: number
  producerId: number
  isTransactional: boolean
  isControl: boolean
  records: { offset: number; key: string | null; value: string | null; controlType: string | null }[]
}

class Harness {
  readonly history = new TxnHistory()
  cleanPoint = 0
  engine!: LogEngine
  log!: PartitionLog

  constructor(
    readonly dir: string,
    readonly clock: ManualClock,
  ) {}

  async open(): Promise<void> {
    const opened = await openCompactedKv(this.dir, this.clock, { segmentBytes: 500, deleteRetentionMs: DELETE_RETENTION_MS })
    this.engine = opened.engine
    this.log = opened.log
  }

  async run(step: Step): Promise<void> {
    if (step.kind === 'compact') return this.compact(step.dedupeBufferBytes)
    if (step.kind === 'advance') {
      this.clock.advance(step.ms)
      return
    }
    if (step.kind === 'reopen') {
      await this.engine.close()
      await this.open()
      return
    }
    await this.history.apply(this.log, step)
  }

  async compact(dedupeBufferBytes: number): Promise<void> {
    const options = { ignoreDirtyRatio: true, nowMs: this.clock.nowMs(), dedupeBufferBytes }
    for (const result of await this.engine.cleaner.cleanNow(options)) this.cleanPoint = Math.max(this.cleanPoint, result.firstDirtyOffset)
  }

  async storedBatches(): Promise<StoredBatch[]> {
    const batches: StoredBatch[] = []
    for await (const batch of this.log.batches({ from: this.log.logStartOffset })) {
      batches.push({
        baseOffset: batch.baseOffset,
        producerId: batch.producerId,
        isTransactional: batch.isTransactional,
        isControl: batch.isControl,
        records: [...batch.records()].map((record) => ({
          offset: record.offset,
          key: record.key?.toString() ?? null,
          value: record.value?.toString() ?? null,
          controlType: batch.isControl ? readControlRecord(record).type : null,
        })),
      })
    }
    return batches
  }

  async committedRead(): Promise<TxnModelRecord[]> {
    const read: TxnModelRecord[] = []
    for await (const record of this.log.records({ from: this.log.logStartOffset, isolation: 'read_committed' })) {
      read.push({ offset: record.offset, key: record.key!.toString(), value: record.value!.toString(), fate: 'plain', producerId: 0 })
    }
    return read
  }

  async check(): Promise<void> {
    const stable = this.history.lastStableOffset(this.log.logEndOffset)
    expect(this.log.lastStableOffset).toBe(stable)
    const byOffset = new Map(this.history.records.map((record) => [record.offset, record]))
    // read_committed: only visible records, as appended, and the model's latest value per key.
    const read = await this.committedRead()
    for (const record of read) {
      const model = byOffset.get(record.offset)
      expect(model === undefined ? 'no such record' : [model.key, model.value, model.fate]).toEqual([
        record.key,
        record.value,
        expect.stringMatching(/^(plain|committed)$/),
      ])
    }
    expect(latestByKey(read)).toEqual(latestByKey(this.history.committed(stable)))
    // The files: batches as written, aborted records gone below the clean point, everything at
    // or above the last stable offset untouched.
    const stored = await this.storedBatches()
    const storedOffsets = new Set<number>()
    for (const batch of stored) {
      for (const record of batch.records) {
        if (batch.isControl) continue
        storedOffsets.add(record.offset)
        const model = byOffset.get(record.offset)!
        expect([record.key, record.value, batch.producerId, batch.isTransactional]).toEqual([
          model.key,
          model.value,
          model.producerId,
          model.producerId >= 0,
        ])
        if (record.offset < this.cleanPoint) expect(model.fate, `aborted record at ${record.offset} survived`).not.toBe('aborted')
      }
    }
    for (const record of this.history.records) if (record.offset >= stable) expect(storedOffsets.has(record.offset)).toBe(true)
    for (const marker of this.history.markers) {
      const batch = stored.find((candidate) => candidate.baseOffset === marker.offset)
      if (batch === undefined) continue
      expect([batch.isControl, batch.isTransactional, batch.producerId]).toEqual([true, true, 2000 + marker.producer])
    }
  }
}

function latestByKey(records: readonly TxnModelRecord[]): Map<string, string> {
  const latest = new Map<string, string>()
  for (const record of records) latest.set(record.key, record.value)
  return latest
}

async function finish(harness: Harness): Promise<void> {
  const { history, log } = harness
  await history.endAll(log, 'abort')
  // A committed transaction from every producer, so their aborted batches are no longer their
  // last (the cleaner keeps a producer's last batch, emptied, and a marker while a batch of its
  // transaction remains, as Kafka does).
  for (let producer = 0; producer < TXN_PRODUCERS; producer++) {
    await history.apply(log, { kind: 'send', producer, keys: [producer], isTransactional: true })
    await history.apply(log, { kind: 'marker', producer, result: 'commit' })
  }
  // A pass removes the aborted data, the next stamps the markers' horizon, one after it removes
  // them; an emptied batch kept as the last of a cleaned group holds its marker until a later
  // pass merges its group. A pass runs only over a dirty section: each gets a new closed segment.
  for (let pass = 0; pass < 10; pass++) {
    await history.apply(log, { kind: 'send', producer: 0, keys: [0], isTransactional: false })
    await log.rollNow()
    await harness.compact(1 << 20)
    await harness.check()
    harness.clock.advance(DELETE_RETENTION_MS + 1)
    if (abortMarkersWithoutData(harness, await harness.storedBatches()).length === 0) break
  }
  const stored = await harness.storedBatches()
  for (const batch of stored) {
    for (const record of batch.records) {
      if (record.offset < harness.cleanPoint && !batch.isControl)
        expect(history.records.find((model) => model.offset === record.offset)!.fate).not.toBe('aborted')
    }
  }
  expect(abortMarkersWithoutData(harness, stored), 'ABORT markers left after their data').toEqual([])
}

/** Offsets of ABORT marker records below the clean point with no (emptied) batch of their transaction left. */
function abortMarkersWithoutData(harness: Harness, stored: readonly StoredBatch[]): number[] {
  const left: number[] = []
  for (const batch of stored) {
    for (const record of batch.records) {
      if (record.offset >= harness.cleanPoint || record.controlType !== 'ABORT') continue
      const previous = harness.history.markers.filter(
        (marker) => 2000 + marker.producer === batch.producerId && marker.offset < record.offset,
      )
      const after = previous.length === 0 ? -1 : previous[previous.length - 1]!.offset
      const hasData = stored.some(
        (other) =>
          !other.isControl && other.producerId === batch.producerId && other.baseOffset > after && other.baseOffset < record.offset,
      )
      if (!hasData) left.push(record.offset)
    }
  }
  return left
}

describe('compaction of transactional data against a model', () => {
  it('removes aborted records, keeps committed ones, and removes markers after deleteRetentionMs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 5, maxLength: 50 }), async (steps) => {
        const harness = new Harness(await makeTmpDir('seglog-txn-compact-'), new ManualClock())
        await harness.open()
        try {
          for (const step of steps) {
            await harness.run(step)
            await harness.check()
          }
          await finish(harness)
          const before = await harness.committedRead()
          await harness.run({ kind: 'reopen' })
          expect(await harness.committedRead()).toEqual(before)
          await harness.check()
        } finally {
          await harness.engine.close()
        }
      }),
      { numRuns: RUNS },
    )
  }, 180_000)

  it('an aborted write neither survives compaction nor removes the committed value of its key', async () => {
    const harness = new Harness(await makeTmpDir('seglog-txn-compact-'), new ManualClock())
    await harness.open()
    try {
      const { history, log } = harness
      await history.apply(log, { kind: 'send', producer: 0, keys: [1], isTransactional: true })
      await history.apply(log, { kind: 'marker', producer: 0, result: 'commit' })
      await history.apply(log, { kind: 'send', producer: 1, keys: [1, 2], isTransactional: true })
      await history.apply(log, { kind: 'marker', producer: 1, result: 'abort' })
      await history.apply(log, { kind: 'send', producer: 2, keys: [3], isTransactional: false })
      await log.rollNow()
      await harness.compact(1 << 20)
      expect((await harness.committedRead()).map((record) => [record.key, record.value])).toEqual([
        ['k1', 'v0'],
        ['k3', 'v3'],
      ])
      const values = (await harness.storedBatches()).flatMap((batch) => batch.records.map((record) => record.value))
      expect(values).not.toContain('v1')
      expect(values).not.toContain('v2')
      await harness.check()
    } finally {
      await harness.engine.close()
    }
  })
})

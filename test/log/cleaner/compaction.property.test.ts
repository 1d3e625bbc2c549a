import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../../src/engine/log-engine.js'
import type { CompressionName } from '../../../src/compression/codec.js'
import type { PartitionLog } from '../../../src/log/partition-log.js'
import { openCompactedKv } from '../../helpers/engine.js'
import { ManualClock } from '../../helpers/manual-clock.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'

/**
 * Model-based test of log compaction (docs/compaction.md): random appends over a small key space
 * with tombstones, passes with small map budgets, clock moves, rolls and reopens. After every step
 * the log must hold, against the model of everything appended:
 *   - offsets strictly increasing, and every record exactly as appended at its offset;
 *   - every record at or above the clean point (where the last pass's map ended);
 *   - below the clean point at most one record per key;
 *   - the latest record of every key, unless it is a tombstone a pass reached at least
 *     deleteRetentionMs before a later pass;
 * and the records must read the same after a reopen.
 */

afterEach(removeTmpDirs)

const RUNS = Number(process.env.SEGLOG_PROPERTY_RUNS ?? 15)
const DELETE_RETENTION_MS = 1_000

interface ModelRecord {
  offset: number
  key: string
  value: string | null
  timestamp: number
}

type Step =
  | { kind: 'append'; records: { key: number; isTombstone: boolean }[]; compression: CompressionName }
  | { kind: 'compact'; dedupeBufferBytes: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'roll' }
  | { kind: 'reopen' }

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      records: fc.array(
        fc.record({ key: fc.integer({ min: 0, max: 7 }), isTombstone: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0) }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      compression: fc.constantFrom<CompressionName>('none', 'none', 'gzip', 'lz4'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), dedupeBufferBytes: fc.integer({ min: 200, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('roll' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
)

class Harness {
  readonly appended: ModelRecord[] = []
  readonly passes: { atMs: number; mapEnd: number }[] = []
  cleanPoint = 0
  engine!: LogEngine
  log!: PartitionLog
  private sequence = 0

  constructor(
    readonly dir: string,
    readonly clock: ManualClock,
  ) {}

  async open(): Promise<void> {
    const opened = await openCompactedKv(this.dir, this.clock, { segmentBytes: 600, deleteRetentionMs: DELETE_RETENTION_MS })
    this.engine = opened.engine
    this.log = opened.log
  }

  async run(step: Step): Promise<void> {
    switch (step.kind) {
      case 'append': {
        const timestamp = this.clock.nowMs()
        const records = step.records.map(({ key, isTombstone }) => ({
          key: `k${key}`,
          value: isTombstone ? null : `v${this.sequence++}`,
          timestamp,
        }))
        const info = await this.log.appendRecords(
          records.map((record) => ({
            key: Buffer.from(record.key),
            value: record.value === null ? null : Buffer.from(record.value),
            timestamp,
          })),
          { compression: step.compression },
        )
        records.forEach((record, slot) => this.appended.push({ ...record, offset: info.baseOffset + slot }))
        return
      }
      case 'compact': {
        const options = { ignoreDirtyRatio: true, nowMs: this.clock.nowMs(), dedupeBufferBytes: step.dedupeBufferBytes }
        for (const result of await this.engine.cleaner.cleanNow(options)) {
          this.passes.push({ atMs: this.clock.nowMs(), mapEnd: result.firstDirtyOffset })
          this.cleanPoint = Math.max(this.cleanPoint, result.firstDirtyOffset)
        }
        return
      }
      case 'advance':
        this.clock.advance(step.ms)
        return
      case 'roll':
        await this.log.rollNow()
        return
      case 'reopen':
        await this.engine.close()
        await this.open()
        return
    }
  }

  async check(): Promise<void> {
    const stored: ModelRecord[] = []
    for await (const record of this.log.records({ from: this.log.logStartOffset })) {
      stored.push({
        offset: record.offset,
        key: record.key!.toString(),
        value: record.value === null ? null : record.value.toString(),
        timestamp: record.timestamp,
      })
    }
    const byOffset = new Map(this.appended.map((record) => [record.offset, record]))
    for (let slot = 0; slot < stored.length; slot++) {
      if (slot > 0) expect(stored[slot]!.offset).toBeGreaterThan(stored[slot - 1]!.offset)
      expect(stored[slot]).toEqual(byOffset.get(stored[slot]!.offset))
    }
    const storedOffsets = new Set(stored.map((record) => record.offset))
    for (const record of this.appended) if (record.offset >= this.cleanPoint) expect(storedOffsets.has(record.offset)).toBe(true)
    const belowCleanPoint = stored.filter((record) => record.offset < this.cleanPoint).map((record) => record.key)
    expect(new Set(belowCleanPoint).size).toBe(belowCleanPoint.length)
    const latest = new Map<string, ModelRecord>()
    for (const record of this.appended) latest.set(record.key, record)
    for (const record of latest.values()) {
      if (storedOffsets.has(record.offset)) continue
      expect(record.value, `the latest record of ${record.key} (offset ${record.offset}) is gone`).toBeNull()
      const reached = this.passes.findIndex((pass) => pass.mapEnd > record.offset)
      expect(reached).toBeGreaterThanOrEqual(0)
      const reachedAt = this.passes[reached]!.atMs
      expect(this.passes.slice(reached + 1).some((pass) => pass.atMs >= reachedAt + DELETE_RETENTION_MS)).toBe(true)
      // Gone with it: every older record of the key.
      expect(stored.some((other) => other.key === record.key)).toBe(false)
    }
  }
}

describe('compaction against a model', () => {
  it('keeps the latest record of every key and every record above the clean point', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 5, maxLength: 60 }), async (steps) => {
        const harness = new Harness(await makeTmpDir(), new ManualClock())
        await harness.open()
        try {
          for (const step of steps) {
            await harness.run(step)
            await harness.check()
          }
          await harness.run({ kind: 'reopen' })
          await harness.check()
        } finally {
          await harness.engine.close()
        }
      }),
      { numRuns: RUNS },
    )
  }, 120_000)
})

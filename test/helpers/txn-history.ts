import fc from 'fast-check'
import type { PartitionLog } from '../../src/log/partition-log.js'

/**
 * Random transactional histories on one partition and their model, shared by the consumer's
 * isolation test and the compaction-with-transactions test: keyed appends from three
 * transactional producers and from plain (non-idempotent) writers, COMMIT and ABORT markers, and
 * rolls. The model knows every record's fate: plain, committed, aborted or still open.
 */

export const TXN_PRODUCERS = 3
export const txnProducerId = (slot: number): number => 2000 + slot

export type TxnOp =
  | { kind: 'send'; producer: number; keys: number[]; isTransactional: boolean }
  | { kind: 'marker'; producer: number; result: 'commit' | 'abort' }
  | { kind: 'roll' }

export function txnOpArbitrary(keyCount: number): fc.Arbitrary<TxnOp> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('send' as const),
        producer: fc.integer({ min: 0, max: TXN_PRODUCERS - 1 }),
        keys: fc.array(fc.integer({ min: 0, max: keyCount - 1 }), { minLength: 1, maxLength: 4 }),
        isTransactional: fc.boolean(),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('marker' as const),
        producer: fc.integer({ min: 0, max: TXN_PRODUCERS - 1 }),
        result: fc.constantFrom<'commit' | 'abort'>('commit', 'abort'),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('roll' as const) }) },
  )
}

export type TxnFate = 'plain' | 'committed' | 'aborted' | 'open'

export interface TxnModelRecord {
  offset: number
  key: string
  value: string
  fate: TxnFate
  /** The writer's producer id, -1 for a plain writer. */
  producerId: number
}

/** The records appended so far, their fates, and the open transactions. */
export class TxnHistory {
  readonly records: TxnModelRecord[] = []
  /** Producer slot → the records of its open transaction. */
  private readonly open = new Map<number, TxnModelRecord[]>()
  private readonly nextSequence = new Map<number, number>()
  private counter = 0
  /** Offsets of the markers written, with their result. */
  readonly markers: { offset: number; producer: number; result: 'commit' | 'abort' }[] = []

  async apply(log: PartitionLog, op: TxnOp): Promise<void> {
    if (op.kind === 'roll') {
      await log.rollNow()
      return
    }
    if (op.kind === 'marker') {
      const records = this.open.get(op.producer)
      if (records === undefined) return
      const info = await log.writeTxnMarker(txnProducerId(op.producer), 0, op.result, 1)
      for (const record of records) record.fate = op.result === 'commit' ? 'committed' : 'aborted'
      this.open.delete(op.producer)
      this.markers.push({ offset: info.baseOffset, producer: op.producer, result: op.result })
      return
    }
    const values = op.keys.map(() => `v${this.counter++}`)
    const input = op.keys.map((key, slot) => ({ key: Buffer.from(`k${key}`), value: Buffer.from(values[slot]!) }))
    let info
    if (op.isTransactional) {
      const baseSequence = this.nextSequence.get(op.producer) ?? 0
      info = await log.appendRecords(input, {
        producerId: txnProducerId(op.producer),
        producerEpoch: 0,
        baseSequence,
        isTransactional: true,
      })
      this.nextSequence.set(op.producer, baseSequence + input.length)
    } else {
      info = await log.appendRecords(input)
    }
    const fate: TxnFate = op.isTransactional ? 'open' : 'plain'
    const producerId = op.isTransactional ? txnProducerId(op.producer) : -1
    const added = op.keys.map((key, slot) => ({ offset: info.baseOffset + slot, key: `k${key}`, value: values[slot]!, fate, producerId }))
    this.records.push(...added)
    if (op.isTransactional) this.open.set(op.producer, [...(this.open.get(op.producer) ?? []), ...added])
  }

  /** The first offset of the oldest open transaction, or `logEndOffset`. */
  lastStableOffset(logEndOffset: number): number {
    let stable = logEndOffset
    for (const records of this.open.values()) stable = Math.min(stable, records[0]!.offset)
    return stable
  }

  /** Ends every open transaction (with `result`), oldest producer first. */
  async endAll(log: PartitionLog, result: 'commit' | 'abort'): Promise<void> {
    for (const producer of [...this.open.keys()].sort()) await this.apply(log, { kind: 'marker', producer, result })
  }

  /** What a read_committed reader sees below `stableOffset`: plain and committed records. */
  committed(stableOffset: number): TxnModelRecord[] {
    return this.records.filter((record) => record.offset < stableOffset && (record.fate === 'plain' || record.fate === 'committed'))
  }
}

/**
 * One small history with every fate: keys 1, 2 aborted; 3 plain; 4 committed; 5 in a transaction
 * left open; 6 plain after it (so read_committed stops before 5).
 */
export const EVERY_FATE: readonly TxnOp[] = [
  { kind: 'send', producer: 0, keys: [1, 2], isTransactional: true },
  { kind: 'send', producer: 1, keys: [3], isTransactional: false },
  { kind: 'marker', producer: 0, result: 'abort' },
  { kind: 'send', producer: 1, keys: [4], isTransactional: true },
  { kind: 'marker', producer: 1, result: 'commit' },
  { kind: 'send', producer: 2, keys: [5], isTransactional: true },
  { kind: 'send', producer: 0, keys: [6], isTransactional: false },
]

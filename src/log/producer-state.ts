import path from 'node:path'
import { SeglogError } from '../errors.js'
import { decodeProducerSnapshot, encodeProducerSnapshot, type SnapshotEntry } from '../format/producer-snapshot.js'
import { BatchScanner } from '../record/batch-scanner.js'
import { sequenceAfter, type RecordBatch } from '../record/record-batch.js'
import { readControlRecord } from '../record/control-record.js'
import type { AbortedTxn } from '../format/txn-index.js'
import { OngoingTransactions } from './ongoing-transactions.js'
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js'
import { systemClock, type Clock } from './clock.js'
import { wrapIo } from './errors.js'
import { nodeFileSystem, type LogFileSystem } from './file-system.js'
import { offsetFileName, parseOffsetFileName } from './segment-files.js'

/** A batch's sequence numbers do not follow the producer's last ones (a gap or a reorder). */
export class OutOfOrderSequenceError extends SeglogError {
  constructor(
    readonly producerId: number,
    readonly expected: number,
    readonly received: number,
  ) {
    super('OUT_OF_ORDER_SEQUENCE', `producer ${producerId}: expected sequence ${expected}, got ${received}`)
  }
}

/** A batch from an older epoch of a producer that has since been restarted (fenced). */
export class InvalidProducerEpochError extends SeglogError {
  constructor(
    readonly producerId: number,
    readonly current: number,
    readonly received: number,
  ) {
    super('INVALID_PRODUCER_EPOCH', `producer ${producerId}: epoch ${received} is older than the current epoch ${current}`)
  }
}

/** One remembered batch of a producer: enough to recognise a retry and answer it. */
export interface ProducerBatch {
  firstSequence: number
  lastSequence: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
}

interface ProducerEntry {
  epoch: number
  /** The last few batches, oldest first (Kafka keeps five, matching max.in.flight). */
  batches: ProducerBatch[]
  /**
   * Wall-clock time of its last append (or of loading it from a snapshot). Expiry goes by this,
   * not by record timestamps, which producers choose and may set far in the past.
   */
  lastSeenMs: number
}

export const PRODUCER_BATCHES_KEPT = 5
export const SNAPSHOT_SUFFIX = '.snapshot'

/**
 * Idempotent-producer state of one partition: per producer id, the epoch and the last five
 * batches' sequence ranges and offsets. A retried batch (same sequences) is answered with its
 * original offsets instead of being written again; a gap or reorder is rejected.
 */
export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>()
  private readonly clock: Clock
  /** Open transactions and coordinator epochs (ongoing-transactions.ts). */
  readonly transactions = new OngoingTransactions()
  /** Called, in offset order, for every ABORT marker recorded: the partition's `.txnindex` takes it. */
  onAbort: ((txn: AbortedTxn) => void) | null = null

  constructor(clock: Clock = systemClock) {
    this.clock = clock
  }

  get size(): number {
    return this.producers.size
  }

  /**
   * Checks a batch before it is written. Returns the earlier batch if this one is a duplicate;
   * throws OutOfOrderSequenceError or InvalidProducerEpochError if it cannot be accepted.
   */
  check(producerId: number, epoch: number, firstSequence: number, lastSequence: number): ProducerBatch | null {
    const entry = this.producers.get(producerId)
    if (entry === undefined) return null
    if (epoch < entry.epoch) throw new InvalidProducerEpochError(producerId, entry.epoch, epoch)
    if (epoch > entry.epoch) {
      if (firstSequence !== 0) throw new OutOfOrderSequenceError(producerId, 0, firstSequence)
      return null
    }
    for (const batch of entry.batches) {
      if (batch.firstSequence === firstSequence && batch.lastSequence === lastSequence) return batch
    }
    const last = entry.batches[entry.batches.length - 1]
    if (last !== undefined) {
      const expected = sequenceAfter(last.lastSequence, 1)
      if (firstSequence !== expected) throw new OutOfOrderSequenceError(producerId, expected, firstSequence)
    }
    return null
  }

  /** Records a written batch. */
  update(producerId: number, epoch: number, batch: ProducerBatch): void {
    let entry = this.producers.get(producerId)
    if (entry === undefined || epoch > entry.epoch) {
      entry = { epoch, batches: [], lastSeenMs: this.clock.nowMs() }
      this.producers.set(producerId, entry)
    }
    entry.lastSeenMs = this.clock.nowMs()
    entry.batches.push(batch)
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift()
  }

  /** For an idempotent batch: the earlier copy if it is a retry; throws if its sequence is off. */
  checkBatch(batch: RecordBatch): ProducerBatch | null {
    if (batch.isControl && batch.producerId >= 0) this.checkMarker(batch.producerId, batch.producerEpoch)
    if (!isIdempotent(batch)) return null
    return this.check(batch.producerId, batch.producerEpoch, batch.baseSequence, batch.lastSequence)
  }

  /**
   * A transaction marker from producer `producerId` at `epoch` (writeTxnMarker): refused with
   * InvalidProducerEpochError if the producer has moved to a newer epoch (a zombie's coordinator).
   */
  checkMarker(producerId: number, epoch: number): void {
    const entry = this.producers.get(producerId)
    if (entry !== undefined && epoch < entry.epoch) throw new InvalidProducerEpochError(producerId, entry.epoch, epoch)
  }

  /** Remembers a batch now in the log at `baseOffset..lastOffset`: idempotent batches and transaction markers. */
  recordBatch(batch: RecordBatch, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    if (batch.isControl) {
      if (batch.producerId >= 0 && batch.isTransactional) this.recordMarker(batch, baseOffset)
      return
    }
    if (!isIdempotent(batch)) return
    if (batch.isTransactional) this.transactions.onDataBatch(batch.producerId, batch.producerEpoch, baseOffset, maxTimestamp)
    this.update(batch.producerId, batch.producerEpoch, {
      firstSequence: batch.baseSequence,
      lastSequence: batch.lastSequence,
      baseOffset,
      lastOffset,
      maxTimestamp,
    })
  }

  /** A COMMIT or ABORT marker: ends the producer's transaction; an abort goes to the `.txnindex`. */
  private recordMarker(batch: RecordBatch, offset: number): void {
    let marker: ReturnType<typeof readControlRecord> | null = null
    for (const record of batch.records()) marker = readControlRecord(record)
    if (marker === null || (marker.type !== 'ABORT' && marker.type !== 'COMMIT')) return
    const { producerId, producerEpoch } = batch
    let entry = this.producers.get(producerId)
    if (entry === undefined || producerEpoch > entry.epoch) {
      // A marker at a bumped epoch (an abort that fenced the producer) starts its sequences anew.
      entry = { epoch: producerEpoch, batches: [], lastSeenMs: this.clock.nowMs() }
      this.producers.set(producerId, entry)
    }
    entry.lastSeenMs = this.clock.nowMs()
    const completed = this.transactions.onMarker(producerId, marker.type === 'ABORT', marker.coordinatorEpoch ?? -1, offset)
    if (completed.isAborted) this.onAbort?.(this.transactions.abortedEntry(completed))
  }

  /** Per producer, the last offset of its newest batch (the cleaner keeps that batch, maybe emptied). */
  lastOffsets(): Map<number, number> {
    const offsets = new Map<number, number>()
    for (const [producerId, entry] of this.producers) {
      const last = entry.batches[entry.batches.length - 1]
      if (last !== undefined) offsets.set(producerId, last.lastOffset)
    }
    return offsets
  }

  clear(): void {
    this.producers.clear()
    this.transactions.clear()
  }

  /**
   * Forgets producers that have not appended since `cutoffMs` (Kafka's producer.id.expiration.ms,
   * a day by default): every producer object picks a fresh id, so without this a long-lived log
   * would remember every producer that ever wrote to it.
   */
  expireBefore(cutoffMs: number): number {
    let expired = 0
    for (const [producerId, entry] of this.producers) {
      // A producer with an open transaction stays: its first offset holds the LSO back.
      if (entry.lastSeenMs < cutoffMs && this.transactions.get(producerId) === undefined) {
        this.producers.delete(producerId)
        this.transactions.forget(producerId)
        expired++
      }
    }
    return expired
  }

  /**
   * The state as a producer snapshot (src/format/producer-snapshot.ts). Kafka keeps one batch per
   * producer in it; so do we (the newest), which is what a retry after a restart can match.
   */
  encodeSnapshot(): Buffer {
    const entries: SnapshotEntry[] = []
    for (const [producerId, entry] of this.producers) {
      const last = entry.batches[entry.batches.length - 1]
      entries.push({
        producerId,
        producerEpoch: entry.epoch,
        coordinatorEpoch: this.transactions.coordinatorEpochOf(producerId),
        currentTxnFirstOffset: this.transactions.get(producerId)?.firstOffset ?? null,
        lastTimestamp: last?.maxTimestamp ?? -1,
        batch:
          last === undefined
            ? null
            : {
                firstSequence: last.firstSequence,
                lastSequence: last.lastSequence,
                lastOffset: last.lastOffset,
                offsetDelta: last.lastOffset - last.baseOffset,
                timestamp: last.maxTimestamp,
              },
      })
    }
    return encodeProducerSnapshot(entries)
  }

  /** Loads a snapshot; returns false (state left empty) when it is damaged. */
  loadSnapshot(buf: Buffer): boolean {
    this.clear()
    let entries: SnapshotEntry[]
    try {
      entries = decodeProducerSnapshot(buf)
    } catch (error) {
      if (error instanceof SeglogError) return false
      throw error
    }
    const nowMs = this.clock.nowMs()
    for (const { producerId, producerEpoch, batch, coordinatorEpoch, currentTxnFirstOffset, lastTimestamp } of entries) {
      this.transactions.restore(producerId, producerEpoch, coordinatorEpoch, currentTxnFirstOffset, lastTimestamp)
      const entry: ProducerEntry = { epoch: producerEpoch, batches: [], lastSeenMs: nowMs }
      if (batch !== null) {
        entry.batches.push({
          firstSequence: batch.firstSequence,
          lastSequence: batch.lastSequence,
          baseOffset: batch.lastOffset - batch.offsetDelta,
          lastOffset: batch.lastOffset,
          maxTimestamp: batch.timestamp,
        })
      }
      this.producers.set(producerId, entry)
    }
    return true
  }
}

/** Offsets of the producer snapshots in a partition directory, ascending. */
export function listSnapshots(dir: string, fileSystem: LogFileSystem = nodeFileSystem): number[] {
  const offsets: number[] = []
  for (const name of wrapIo('list', dir, () => fileSystem.readdirSync(dir))) {
    const parsed = parseOffsetFileName(name)
    if (parsed !== null && parsed.suffix === SNAPSHOT_SUFFIX) offsets.push(parsed.offset)
  }
  return offsets.sort((a, b) => a - b)
}

export function snapshotPath(dir: string, offset: number): string {
  return path.join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX))
}

/** How long an idle producer id is remembered (Kafka's producer.id.expiration.ms default). */
export const PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000

/** Snapshots kept per partition: the newest few, so a damaged one has a fallback. */
export const SNAPSHOTS_KEPT = 3

/** The snapshot of `state` now, producers idle for longer than PRODUCER_ID_EXPIRATION_MS dropped first. */
export function takeSnapshot(state: ProducerState, nowMs: number): Buffer {
  state.expireBefore(nowMs - PRODUCER_ID_EXPIRATION_MS)
  return state.encodeSnapshot()
}

/** Writes `<offset>.snapshot` atomically and keeps only the newest snapshots. */
export function writeSnapshotSync(dir: string, offset: number, snapshot: Buffer, fileSystem: LogFileSystem): void {
  writeFileAtomicSync(snapshotPath(dir, offset), snapshot, fileSystem)
  removeOldSnapshots(dir, fileSystem)
}

/** `writeSnapshotSync` with its fsyncs through the thread pool (after a roll, off the append path). */
export async function writeSnapshot(dir: string, offset: number, snapshot: Buffer, fileSystem: LogFileSystem): Promise<void> {
  await writeFileAtomic(snapshotPath(dir, offset), snapshot, fileSystem)
  removeOldSnapshots(dir, fileSystem)
}

function removeOldSnapshots(dir: string, fileSystem: LogFileSystem): void {
  const offsets = listSnapshots(dir, fileSystem)
  for (const old of offsets.slice(0, Math.max(0, offsets.length - SNAPSHOTS_KEPT))) {
    wrapIo('unlink', snapshotPath(dir, old), () => fileSystem.unlinkSync(snapshotPath(dir, old)))
  }
}

function isIdempotent(batch: RecordBatch): boolean {
  return batch.producerId >= 0 && !batch.isControl && batch.baseSequence >= 0
}

/**
 * Rebuilds `state` for a log holding offsets [logStart, end) (at open, or after a truncation): from
 * the newest intact snapshot in that range, replaying the batches written after it, which `read`
 * returns as whole batches from an offset (empty at the end). Snapshots outside the range, or
 * unreadable, are deleted.
 */
export async function restoreProducerState(
  state: ProducerState,
  dir: string,
  logStart: number,
  end: number,
  read: (offset: number) => Promise<{ bytes: Buffer; nextOffset: number }>,
  fileSystem: LogFileSystem,
  replay: { snapshotLimit?: number; beforeReplay?: (from: number) => void; onBatch?: (batch: RecordBatch) => void } = {},
  /** The snapshots' offsets, ascending, when the caller has just listed the directory. */
  snapshotOffsets: readonly number[] = listSnapshots(dir, fileSystem),
): Promise<void> {
  state.clear()
  let from = logStart
  const limit = Math.min(end, replay.snapshotLimit ?? end)
  for (const offset of snapshotOffsets.toReversed()) {
    const file = snapshotPath(dir, offset)
    if (offset <= limit && offset >= logStart && state.loadSnapshot(wrapIo('read', file, () => fileSystem.readFileSync(file)))) {
      from = offset
      break
    }
    wrapIo('unlink', file, () => fileSystem.unlinkSync(file))
  }
  // What the replay derives again (the aborted-transaction index) is dropped from `from` on first.
  replay.beforeReplay?.(from)
  let offset = from
  while (offset < end) {
    const { bytes, nextOffset } = await read(offset)
    if (bytes.length === 0) break
    const scanner = new BatchScanner(bytes, { acceptLegacy: true })
    for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
      if (batch.lastOffset < from) continue
      state.recordBatch(batch, batch.baseOffset, batch.lastOffset, batch.maxTimestamp)
      replay.onBatch?.(batch)
    }
    offset = nextOffset
  }
}

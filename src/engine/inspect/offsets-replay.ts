import type { CommittedOffset, OffsetKey } from '../../format/offset-commit.js'
import { SeglogError } from '../../errors.js'
import { CorruptRecordError } from '../../record/errors.js'
import { readControlRecord } from '../../record/control-record.js'
import type { RecordBatch } from '../../record/record-batch.js'
import { decodeOffsetsRecord } from './offsets-decode.js'

/** One live commit of the offsets log. */
export type GroupCommit = OffsetKey & CommittedOffset

/** A commit with the offset of the record that wrote it: between two values of a key the later one wins. */
type LoggedCommit = GroupCommit & { logOffset: number }

/**
 * The committed offsets of an offsets log (`__consumer_offsets-0`), rebuilt from its batches by the
 * rules of OffsetStore's replay (src/consumer/offset-replay.ts, docs/format/offsets-topic.md): in
 * offset order a value replaces its key's commit and a null value (a tombstone) deletes it;
 * records below the log start, records without a key and keys of other record types are
 * skipped. Commits in a transactional batch (TxnOffsetCommit) wait for their producer's marker: a
 * COMMIT applies each where no later record of its key was applied, an ABORT drops them, and those
 * still waiting at the end are not shown (their transaction is open). Where the engine refuses to open on bad data, this reports it through
 * `onProblem` (naming the file and byte position), leaves it out and goes on: a batch whose CRC
 * does not match, a record that does not decode. No fs: `seglog inspect` hands it the batches of
 * the segment scan it already does, so the offsets log is read once, without the engine's lock.
 */
export class OffsetsReplay {
  private readonly logStartOffset: number
  private readonly onProblem: (message: string) => void
  private readonly commits = new Map<string, LoggedCommit>()
  /** Per producer id, the commits of its open transaction, by key. */
  private readonly pending = new Map<number, Map<string, LoggedCommit>>()

  constructor(logStartOffset: number, onProblem: (message: string) => void) {
    this.logStartOffset = logStartOffset
    this.onProblem = onProblem
  }

  /** Applies one batch, read from `file` at byte `position`. Batches must come in offset order. */
  applyBatch(file: string, batch: RecordBatch, position: number): void {
    if (batch.lastOffset < this.logStartOffset) return
    if (!batch.isValid()) {
      this.onProblem(
        `${file} at byte ${position}: bad-crc in the offsets log batch of offsets ${batch.baseOffset}..${batch.lastOffset}; its commits are left out of the consumer groups`,
      )
      return
    }
    try {
      if (batch.isControl) {
        for (const record of batch.records()) this.endTransaction(batch.producerId, readControlRecord(record).type)
        return
      }
      const pending = batch.isTransactional ? this.pendingOf(batch.producerId) : null
      for (const record of batch.records()) {
        if (record.offset < this.logStartOffset || record.key === null) continue
        this.applyRecord(
          record.key,
          record.value,
          record.offset,
          pending,
          `${file}: the offsets record at offset ${record.offset} (in the batch at byte ${position})`,
        )
      }
    } catch (error) {
      if (!(error instanceof SeglogError)) throw error
      const message = error instanceof CorruptRecordError ? error.inFile(file, position).message : error.message
      this.onProblem(
        `${message}, in the offsets log batch at byte ${position}; its records from there on are left out of the consumer groups`,
      )
    }
  }

  private pendingOf(producerId: number): Map<string, LoggedCommit> {
    let pending = this.pending.get(producerId)
    if (pending === undefined) this.pending.set(producerId, (pending = new Map()))
    return pending
  }

  private endTransaction(producerId: number, type: string): void {
    if (type !== 'COMMIT' && type !== 'ABORT') return
    const pending = this.pending.get(producerId)
    this.pending.delete(producerId)
    if (pending === undefined || type === 'ABORT') return
    for (const [mapKey, commit] of pending) {
      const current = this.commits.get(mapKey)
      if (current === undefined || current.logOffset < commit.logOffset) this.commits.set(mapKey, commit)
    }
  }

  private applyRecord(
    key: Buffer,
    value: Buffer | null,
    logOffset: number,
    pending: Map<string, LoggedCommit> | null,
    where: string,
  ): void {
    const decoded = decodeOffsetsRecord(key, value)
    // Group metadata (membership) and later record types are not commits.
    if (decoded.kind === 'unknown-type' || decoded.kind === 'group' || decoded.kind === 'group-delete') return
    if (decoded.kind === 'error') {
      this.onProblem(`${where}: ${decoded.message}; it is left out of the consumer groups`)
      return
    }
    const { group, topic, partition } = decoded.key
    const mapKey = JSON.stringify([group, topic, partition])
    if (decoded.kind === 'delete') {
      // A tombstone also drops the key's values waiting in open transactions (Kafka's removeOffsets).
      this.commits.delete(mapKey)
      for (const open of this.pending.values()) open.delete(mapKey)
    } else {
      ;(pending ?? this.commits).set(mapKey, { group, topic, partition, ...decoded.value, logOffset })
    }
  }

  /** The live commits, by group, then topic, then partition. */
  commitsInOrder(): GroupCommit[] {
    return [...this.commits.values()]
      .map(({ logOffset: _logOffset, ...commit }) => commit)
      .sort((a, b) => compare(a.group, b.group) || compare(a.topic, b.topic) || a.partition - b.partition)
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

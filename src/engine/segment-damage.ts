import { FileBatchReader } from '../log/file-batch-reader.js'
import { checkRecoveredBatch } from '../log/segment-recovery.js'
import { CorruptRecordError } from '../record/errors.js'

/**
 * Damage in a partition's segments as the engine sees it on open, found without writing anything.
 * `seglog verify` and `repairDirectory` use it to tell the operator the same thing the engine does:
 * whether recovery will cut a damaged tail by itself, or refuse.
 *
 * The checks are those of Segment.recover (src/log/segment.ts): framing (length, magic, a safe
 * base offset), the CRC-32C, and batch offsets that ascend from the segment's base offset and stay
 * within 2^31-1 of it. The first batch failing one of them, or a partial batch at the end of the
 * file, is where recovery would cut the segment.
 *
 * The open rule (src/log/recovery.ts recoverSegments, src/log/partition-log.ts open):
 *
 * - after a clean shutdown (`.clean-shutdown` present) nothing is cut: damage either fails the open
 *   (the active segment's tail, an index rebuild) or the first read of that batch;
 * - after an unclean shutdown every segment from the one holding the checkpointed recovery point
 *   on is recovered. Damage whose segment keeps offsets up to the recovery point (its valid batches
 *   end at or past it) is cut there, into a quarantine file, with every later segment; damage below
 *   the recovery point is durable data gone bad and fails the open. Segments wholly below the
 *   recovery point are not scanned, so damage there fails a later read (or the open, when
 *   producer state is replayed over it).
 */

/** Where recovery would cut one segment, and why. */
export interface SegmentDamage {
  file: string
  baseOffset: number
  /** Bytes of whole valid batches before the damage: the file position recovery cuts at. */
  validBytes: number
  fileSize: number
  /** Offset after the last valid batch (the base offset when there is none). */
  nextOffset: number
  /** What is wrong, positioned in the file (a bad length field, a bad CRC, the partial batch). */
  error: CorruptRecordError
}

/** The first damage in `file` by recovery's checks, or null when every byte is a valid batch. */
export function findSegmentDamage(file: string, baseOffset: number): SegmentDamage | null {
  const reader = FileBatchReader.openSync(file)
  let validBytes = 0
  let nextOffset = baseOffset
  let error: CorruptRecordError | null = null
  try {
    for (let batch = reader.next(); batch !== null; batch = reader.next()) {
      const lastOffset = checkRecoveredBatch(batch, reader.batchPosition, file, nextOffset, baseOffset)
      nextOffset = lastOffset + 1
      validBytes = reader.position
    }
    if (reader.trailingBytes > 0) {
      error = new CorruptRecordError('truncated-record', validBytes, `${reader.trailingBytes} bytes of a partial batch at the end`, file)
    }
  } catch (cause) {
    if (!(cause instanceof CorruptRecordError)) throw cause
    error = cause
  } finally {
    reader.close()
  }
  return error === null ? null : { file, baseOffset, validBytes, fileSize: reader.end, nextOffset, error }
}

/** What a partition's next open knows about its shutdown: the marker and the checkpointed recovery point. */
export interface RecoveryState {
  isClean: boolean
  /** The partition's entry in recovery-point-offset-checkpoint; 0 without one, as the engine reads it. */
  recoveryPoint: number
}

/**
 * Why recovery cuts damage ('recovery-cuts'), or why it cannot ('clean-shutdown': recovery does
 * not run; 'below-recovery-point': the bytes were durable and acknowledged).
 */
export type DamageOutcome = 'recovery-cuts' | 'clean-shutdown' | 'below-recovery-point'

/** Slot of the first segment an unclean open recovers: the one holding the recovery point. */
export function firstRecoveredSlot(baseOffsets: readonly number[], recoveryPoint: number): number {
  let first = 0
  while (first < baseOffsets.length - 1 && baseOffsets[first + 1]! <= recoveryPoint) first++
  return first
}

/**
 * What the next open does with damage in the segment at `slot` (of the partition's ascending
 * `baseOffsets`) whose valid batches end at `nextOffset`.
 */
export function damageOutcome(state: RecoveryState, baseOffsets: readonly number[], slot: number, nextOffset: number): DamageOutcome {
  if (state.isClean) return 'clean-shutdown'
  if (slot < firstRecoveredSlot(baseOffsets, state.recoveryPoint)) return 'below-recovery-point'
  return nextOffset < state.recoveryPoint ? 'below-recovery-point' : 'recovery-cuts'
}

/**
 * The offset after the last batch whose framing can be read from `position` on, ignoring CRCs (the
 * offsets that bytes being cut off held), or `fallback` if no whole batch can be framed there.
 */
export function framedEndOffset(file: string, position: number, fallback: number): number {
  const reader = FileBatchReader.openSync(file, { position })
  let end = fallback
  try {
    for (let batch = reader.next(); batch !== null; batch = reader.next()) end = Math.max(end, batch.baseOffset + batch.lastOffsetDelta + 1)
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
  } finally {
    reader.close()
  }
  return end
}

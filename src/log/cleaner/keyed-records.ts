import { SeglogError } from '../../errors.js'
import type { RecordBatch } from '../../record/record-batch.js'

/**
 * A record without a key appended to a compacted topic (Kafka's rule: compaction keeps the last
 * record of each key, so a keyless record has no meaning there). Code INVALID_RECORD; the server
 * answers Kafka's INVALID_RECORD. `recordIndex` counts records from the start of the batch.
 */
export class RecordWithoutKeyError extends SeglogError {
  readonly recordIndex: number
  readonly offsetDelta: number

  constructor(recordIndex: number, offsetDelta: number) {
    super(
      'INVALID_RECORD',
      `record ${recordIndex} of the batch (offset delta ${offsetDelta}) has no key; a compacted topic (cleanupPolicy 'compact') only takes records with keys`,
    )
    this.recordIndex = recordIndex
    this.offsetDelta = offsetDelta
  }
}

/** Throws RecordWithoutKeyError for the first keyless record of a data batch (control batches pass). */
export function checkKeyedRecords(batch: RecordBatch): void {
  if (batch.isControl) return
  let recordIndex = 0
  for (const record of batch.records()) {
    if (record.key === null) throw new RecordWithoutKeyError(recordIndex, record.offset - batch.baseOffset)
    recordIndex++
  }
}

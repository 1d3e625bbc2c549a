import type { PartitionLog } from '../../log/partition-log.js'
import type { DecodedRecord } from '../../record/record.js'

/**
 * Reads records of the delay log by offset for the scheduler. Records of one burst sit in few
 * batches and are asked for roughly in offset order, so the records of the last batch read are
 * kept: most lookups cost no read at all.
 */
export class DelayLogReader {
  private readonly log: PartitionLog
  private cached: DecodedRecord[] = []
  private cachedFrom = 0
  private cachedTo = 0

  constructor(log: PartitionLog) {
    this.log = log
  }

  /** The record at `offset`, or null when the log no longer holds it. */
  async recordAt(offset: number): Promise<DecodedRecord | null> {
    if (offset < this.cachedFrom || offset >= this.cachedTo) await this.load(offset)
    // Offsets within a batch are contiguous unless compaction removed some: try the direct slot.
    const direct = this.cached[offset - (this.cached[0]?.offset ?? 0)]
    if (direct?.offset === offset) return direct
    for (const record of this.cached) if (record.offset === offset) return record
    return null
  }

  private async load(offset: number): Promise<void> {
    this.cached = []
    this.cachedFrom = this.cachedTo = offset
    if (offset < this.log.logStartOffset || offset >= this.log.logEndOffset) return
    for await (const batch of this.log.batches({ from: offset, maxBytes: 256 * 1024 })) {
      if (batch.lastOffset < offset) continue
      // Copies: the batch's buffer may be a read buffer the log reuses.
      if (!batch.isControl) for (const record of batch.records()) this.cached.push(copyRecord(record))
      this.cachedFrom = Math.min(offset, batch.baseOffset)
      this.cachedTo = batch.nextOffset
      break
    }
  }

  forget(): void {
    this.cached = []
    this.cachedFrom = this.cachedTo = 0
  }
}

function copyRecord(record: DecodedRecord): DecodedRecord {
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers: record.headers.map((header) => ({ key: header.key, value: header.value === null ? null : Buffer.from(header.value) })),
  }
}

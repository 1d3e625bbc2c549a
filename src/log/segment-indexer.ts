import type { LogFileSystem } from './file-system.js'
import { OffsetIndex } from './offset-index.js'
import type { SegmentPaths } from './segment-files.js'
import { TimeIndex } from './time-index.js'

/** What the log knows about a batch it appends or recovers (read once from its header). */
export interface BatchMeta {
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  size: number
}

/**
 * The two indexes of one segment and the running state behind Kafka's index-entry rule: the next
 * offset, the largest timestamp so far and the batch that set it, the bytes since the last entry,
 * the first batch's timestamp (for time-based rolls). Appends, recovery and the clean-open tail
 * scan all move it batch by batch with `indexBatch`; nothing here reads the log.
 */
export class SegmentIndexer {
  readonly baseOffset: number
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  private readonly indexIntervalBytes: number
  /** Offset after the last batch, or the base offset for an empty segment. */
  nextOffset: number
  /** Largest batch max timestamp so far and the last offset of that batch (-1 when none). */
  maxTimestampSoFar = -1
  offsetOfMaxTimestampSoFar = -1
  /** Bytes indexed since the last offset index entry (Kafka's bytesSinceLastIndexEntry). */
  bytesSinceLastIndexEntry = 0
  /** Max timestamp of the first batch, for time-based rolls (null: not known yet). */
  firstBatchTimestamp: number | null = null

  constructor(
    paths: SegmentPaths,
    baseOffset: number,
    config: { segmentIndexBytes: number; indexIntervalBytes: number },
    isNew: boolean,
    fileSystem: LogFileSystem,
  ) {
    this.baseOffset = baseOffset
    this.nextOffset = baseOffset
    this.indexIntervalBytes = config.indexIntervalBytes
    this.offsetIndex = new OffsetIndex(paths.index, baseOffset, config.segmentIndexBytes, isNew, fileSystem)
    this.timeIndex = new TimeIndex(paths.timeIndex, baseOffset, config.segmentIndexBytes, isNew, fileSystem)
  }

  isFull(): boolean {
    return this.offsetIndex.isFull() || this.timeIndex.isFull()
  }

  /** Kafka's per-batch index rule: an entry when more than indexIntervalBytes lie since the last. */
  indexBatch(meta: BatchMeta, position: number): void {
    if (this.firstBatchTimestamp === null) this.firstBatchTimestamp = meta.maxTimestamp
    this.noteTimestamp(meta.maxTimestamp, meta.lastOffset)
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      // The roll check runs once per append, so an append of several batches can fill an index
      // part way through: the rest of that append then just goes unindexed (lookups scan further).
      if (!this.offsetIndex.isFull()) this.offsetIndex.append(meta.lastOffset, position)
      if (!this.timeIndex.isFull()) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += meta.size
    this.nextOffset = meta.lastOffset + 1
  }

  /** Takes `timestamp` of the batch ending at `lastOffset` as the maximum if it is larger. */
  noteTimestamp(timestamp: number, lastOffset: number): void {
    if (timestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = timestamp
      this.offsetOfMaxTimestampSoFar = lastOffset
    }
  }

  /**
   * The closing time-index entry, as Kafka writes when a segment stops being active and at the
   * end of recovery: the last entry then carries the segment's largest timestamp, from which a
   * closed segment's largest timestamp is read later.
   */
  appendClosingEntry(): void {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true)
  }

  /** Empties both indexes and the counters, before a rebuild from the log. */
  reset(): void {
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.nextOffset = this.baseOffset
    this.maxTimestampSoFar = -1
    this.offsetOfMaxTimestampSoFar = -1
    this.bytesSinceLastIndexEntry = 0
    this.firstBatchTimestamp = null
  }

  /** Writes staged entries of both indexes (no fsync). */
  flush(): void {
    this.offsetIndex.flush()
    this.timeIndex.flush()
  }
}

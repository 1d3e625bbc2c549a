import type { Clock } from './clock.js'
import type { LogFileSystem } from './file-system.js'
import type { FlushPolicy } from './flush-policy.js'
import type { RetentionReason } from './retention.js'
import type { SegmentConfig } from './segment.js'
import type { AbortedTxn } from '../format/txn-index.js'
import type { CompactionSettings } from './cleaner/compaction-config.js'

/** The public shapes of a partition log's configuration, results and options. */

export interface PartitionLogConfig extends SegmentConfig, Partial<CompactionSettings> {
  /** Keep a `.keyindex` per segment for lookups by key (lookupKey). */
  keyIndex?: boolean
  /** Largest batch accepted by an append (Kafka's max.message.bytes). */
  maxBatchBytes: number
  /** Delete segments whose newest record is older than this; -1 keeps them forever. */
  retentionMs: number
  /** Delete the oldest segments while the partition is larger than this; -1 for no limit. */
  retentionBytes: number
}

/** What one retention pass deleted. */
export interface RetentionResult {
  segments: number
  bytes: number
  reason: RetentionReason | null
  logStartOffset: number
}

export interface AppendInfo {
  baseOffset: number
  lastOffset: number
  /** Largest record timestamp of the appended batches. */
  maxTimestamp: number
  /** Bytes written to the log (0 for a duplicate). */
  size: number
  /** The batch repeated one already written by the same idempotent producer: nothing was written. */
  isDuplicate?: boolean
}

/**
 * What `readRaw` returns. Either whole batches (`bytes` non-empty): `firstOffset` is the base offset
 * of the first (it may be below the offset asked for) and `nextOffset` the offset after the last,
 * always above the offset asked for. Or nothing (`bytes` empty) at the end of the readable log:
 * no batch below the bound (`maxOffset`, the high watermark by default) is left from the offset
 * asked for. Then `firstOffset` and `nextOffset` are both where to read again later: the offset
 * asked for, or past it only when no record is stored between the two (a gap in the offsets).
 * Neither is ever -1.
 */
export interface ReadRawResult {
  /** Whole batches exactly as on disk (empty at the end of the readable log). */
  bytes: Buffer
  /** Base offset of the first batch (it may be below the offset asked for); `nextOffset` when empty. */
  firstOffset: number
  /** Offset after the last batch returned: where the next read continues. */
  nextOffset: number
  /** With `isolation: 'read_committed'`: the aborted transactions overlapping [offset, nextOffset). */
  abortedTransactions?: AbortedTxn[]
}

export interface ReadOptions {
  /** Byte budget; at least one whole batch is returned even if it is larger (Kafka's rule). */
  maxBytes?: number
  /** Exclusive upper bound; the high watermark by default. Batches reaching it are not returned. */
  maxOffset?: number
  /** 'read_committed' stops at the last stable offset and reports aborted transactions (Kafka's isolation level). */
  isolation?: 'read_uncommitted' | 'read_committed'
  /**
   * A buffer the read fills instead of allocating one, for callers that use the bytes and then
   * read again (a fetch written to a socket, a scan): when the first batch fits, `bytes` is a view
   * of `buffer` (as many whole batches as fit within `maxBytes` and the buffer), valid until the
   * buffer is reused; otherwise the read allocates as without it. read_committed reads too.
   */
  buffer?: Buffer
}

/** How a partition log is set up; every field has a default. */
export interface PartitionLogOptions {
  /** When appends are fsynced ('sync' by default); `flushPolicy` changes it later. */
  flush?: FlushPolicy
  /**
   * How long a deleted segment's files stay (renamed `.deleted`) before they are unlinked, as
   * Kafka's file.delete.delay.ms (default 1000). Reads in flight finish whatever it is.
   */
  fileDeleteDelayMs?: number
  /** Wall-clock time (segment ages, the interval flush, producer expiry); the system clock by default. */
  clock?: Clock
  /** The disk; the real file system by default. Tests wrap it to count, hold or fail calls. */
  fileSystem?: LogFileSystem
}

export interface OpenPartitionOptions extends PartitionLogOptions {
  /** The data directory was closed cleanly: trust the logs, check only the indexes. */
  isClean: boolean
  /** Offset below which everything is known durable; segments from there on are recovered. */
  recoveryPoint: number
  /** Checkpointed log start offset (may lie inside the first segment). */
  logStartOffset: number
  /** Called with what recovery cut, so the engine can report it. */
  onRecovery?: (event: RecoveryEvent) => void
  /** The partition directory's file names, when the caller listed it just before (an engine lists many at once). */
  fileNames?: readonly string[]
}

/** What recovery cut from a log: `bytes` from `position` of `file`, now kept in `quarantineFile`. */
export interface RecoveryEvent {
  file: string
  position: number
  bytes: number
  reason: string
  quarantineFile: string | null
}

export interface TimestampLookup {
  offset: number
  timestamp: number
}

/** Kafka's special ListOffsets timestamps. */
export const LATEST_TIMESTAMP = -1
export const EARLIEST_TIMESTAMP = -2
export const MAX_TIMESTAMP = -3

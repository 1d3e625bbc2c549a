import { encodeTxnIndex, type AbortedTxn } from '../../format/txn-index.js'
import { wrapIo } from '../errors.js'
import { writevAt, fdatasync } from '../file-io.js'
import type { LogFileSystem, SegmentFile } from '../file-system.js'
import { CLEANED_SUFFIX, segmentPaths, type SegmentPaths } from '../segment-files.js'
import { SegmentIndexer } from '../segment-indexer.js'
import type { SegmentConfig } from '../segment.js'

/** Bytes gathered before one writev to the `.cleaned` log. */
const WRITE_CHUNK_BYTES = 1024 * 1024

/**
 * The cleaner's output for one group of segments: `<base>.log.cleaned` with its `.index.cleaned`
 * and `.timeindex.cleaned`, written batch by batch (indexed by Kafka's rule as appends are), then
 * fsynced. Nothing reads it until the swap renames it into place.
 */
export class CleanedSegment {
  readonly baseOffset: number
  readonly paths: SegmentPaths
  private readonly indexer: SegmentIndexer
  private readonly file: SegmentFile
  private readonly fileSystem: LogFileSystem
  private pending: Buffer[] = []
  private pendingBytes = 0
  private flushedBytes = 0
  size = 0
  batches = 0

  private constructor(dir: string, baseOffset: number, config: SegmentConfig, fileSystem: LogFileSystem) {
    this.baseOffset = baseOffset
    const final = segmentPaths(dir, baseOffset)
    this.paths = {
      log: final.log + CLEANED_SUFFIX,
      index: final.index + CLEANED_SUFFIX,
      timeIndex: final.timeIndex + CLEANED_SUFFIX,
      // Written by finish when aborted transactions keep their markers here.
      txnIndex: final.txnIndex + CLEANED_SUFFIX,
      // Not written either: the key index is rebuilt from the cleaned log on the next lookup.
      keyIndex: final.keyIndex + CLEANED_SUFFIX,
    }
    this.fileSystem = fileSystem
    this.file = fileSystem.openSync(this.paths.log, 'replace')
    this.indexer = new SegmentIndexer(this.paths, baseOffset, config, true, fileSystem)
    this.indexer.reset()
  }

  static create(dir: string, baseOffset: number, config: SegmentConfig, fileSystem: LogFileSystem): CleanedSegment {
    return new CleanedSegment(dir, baseOffset, config, fileSystem)
  }

  /** Offset after the last batch written. */
  get nextOffset(): number {
    return this.indexer.nextOffset
  }

  async append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): Promise<void> {
    this.indexer.indexBatch({ baseOffset, lastOffset, maxTimestamp, size: batch.length }, this.size)
    this.pending.push(batch)
    this.pendingBytes += batch.length
    this.size += batch.length
    this.batches++
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) await this.writePending()
  }

  /**
   * Writes what is gathered, the closing time-index entry and the indexes, and fsyncs them; with
   * `abortedTxns` (the aborted transactions whose ABORT markers stay in this segment, in marker
   * order) the `.txnindex` too, as Kafka's cleaner writes the cleaned segment's.
   */
  async finish(abortedTxns: readonly AbortedTxn[] = []): Promise<void> {
    await this.writePending()
    this.indexer.appendClosingEntry()
    this.indexer.flush()
    await fdatasync(this.file, this.paths.log)
    await this.indexer.offsetIndex.datasync()
    await this.indexer.timeIndex.datasync()
    this.file.closeSync()
    if (abortedTxns.length > 0) this.writeTxnIndex(abortedTxns)
  }

  private writeTxnIndex(abortedTxns: readonly AbortedTxn[]): void {
    const file = this.paths.txnIndex
    const bytes = encodeTxnIndex(abortedTxns)
    const handle = wrapIo('open', file, () => this.fileSystem.openSync(file, 'replace'))
    try {
      wrapIo('write', file, () => {
        handle.writeSync(bytes, 0, bytes.length, 0)
        handle.datasyncSync()
      })
    } finally {
      handle.closeSync()
    }
  }

  /** Closes and removes the files (a pass that stopped part way). */
  discard(): void {
    try {
      this.file.closeSync()
    } catch {
      // Already closed.
    }
    for (const file of [this.paths.log, this.paths.index, this.paths.timeIndex, this.paths.txnIndex]) {
      try {
        this.fileSystem.unlinkSync(file)
      } catch {
        // Never created (an index without entries) or already gone.
      }
    }
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return
    await writevAt(this.file, this.paths.log, this.pending, this.flushedBytes)
    this.flushedBytes += this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
  }
}

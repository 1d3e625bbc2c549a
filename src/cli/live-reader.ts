import fs from 'node:fs'
import path from 'node:path'
import type { ConsumerRecord } from '../index.js'
import { CorruptRecordError, UnknownTopicOrPartitionError } from '../index.js'
import { IoError } from '../log/errors.js'
import { FileBatchReader } from '../log/file-batch-reader.js'
import { batchView } from '../record/batch-scanner.js'
import type { RecordBatch } from '../record/record-batch.js'
import { LOG_SUFFIX, offsetFileName, parseOffsetFileName } from '../log/segment-files.js'
import { consumerRecordFactory } from '../consumer/batch-records.js'

/**
 * Reads one partition's segment files while another process (the engine that holds the lock)
 * appends to them: `seglog consume` on a directory owned by a running engine or `seglog serve`.
 * Nothing is written and no lock is taken; every poll opens the current `.log` read-only, reads the
 * whole batches after the last one read, and closes it again.
 *
 * The owner appends whole batches with one write each, so what the file holds past the last whole
 * batch is a write in progress: it is never returned and never called damage, the next poll reads
 * it once it is whole. A segment is left for the next one only when a later `.log` exists and the
 * current one, read again after that was seen, has nothing more: the owner creates the new file
 * only after its last write to the old one. A current segment whose file is gone was deleted by
 * retention: reading continues at the earliest segment still there, with a warning if records
 * were skipped (Kafka's auto.offset.reset=earliest). A partition directory that is gone means
 * the topic was deleted.
 *
 * What is read is what the files hold: written, not necessarily fsynced, unlike the owner's own
 * readers, which stop at the high watermark.
 */

/** A whole batch failing its CRC, or bad framing, is damage only once it stays so this long. */
const DAMAGE_CONFIRM_MS = 1000
/** A partial batch at the end of a segment a later one follows: given up after this long. */
const TORN_TAIL_MS = 2000

export interface LiveReaderOptions {
  topic: string
  partition: number
  /** The partition directory, DATA/TOPIC-PARTITION. */
  dir: string
  /** Bytes of batches read per poll (at least one whole batch is). */
  maxBytes?: number
  warn: (message: string) => void
  now?: () => number
}

interface ReadResult {
  records: ConsumerRecord[]
  /** Why reading stopped: maxBytes reached, the end, a partial batch at the end, bad bytes not yet confirmed. */
  end: 'more' | 'end' | 'partial' | 'suspect'
  trailingBytes: number
}

interface Suspect {
  position: number
  sinceMs: number
}

export class LivePartitionReader {
  readonly topic: string
  readonly partition: number
  readonly dir: string
  /** The next offset to hand out. */
  nextOffset = 0
  private readonly maxBytes: number
  private readonly warn: (message: string) => void
  private readonly now: () => number
  /** Base offset of the segment being read, or null before the first poll finds one. */
  private segment: number | null = null
  /** File position after the last whole batch read from the segment. */
  private position = 0
  /** A partial batch at the end of a segment a later one follows, since when. */
  private tornTail: Suspect | null = null
  /** Bad bytes at the read position, since when. */
  private damage: Suspect | null = null

  constructor(options: LiveReaderOptions) {
    this.topic = options.topic
    this.partition = options.partition
    this.dir = options.dir
    this.maxBytes = options.maxBytes ?? 1024 * 1024
    this.warn = options.warn
    this.now = options.now ?? Date.now
  }

  /** Base offsets of the `.log` files now in the directory, ascending; throws once the directory is gone. */
  segments(): number[] {
    let names: string[]
    try {
      names = fs.readdirSync(this.dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw this.deleted()
      throw new IoError('list', this.dir, error)
    }
    const bases: number[] = []
    for (const name of names) {
      const parsed = parseOffsetFileName(name)
      if (parsed !== null && parsed.suffix === LOG_SUFFIX) bases.push(parsed.offset)
    }
    return bases.sort((a, b) => a - b)
  }

  /** Start at the first offset still on disk. */
  seekEarliest(): void {
    const [first] = this.segments()
    this.moveTo(first ?? null, first ?? 0)
  }

  /** Start at the end: only records appended from now on. */
  seekLatest(): void {
    const end = this.scanEnd()
    this.moveTo(end.segment, end.nextOffset)
    this.position = end.position
  }

  /** Start at `offset`, which the caller checked lies in `range()`. */
  seekOffset(offset: number): void {
    const bases = this.segments()
    const containing = bases.filter((base) => base <= offset).pop()
    this.moveTo(containing ?? bases[0] ?? null, offset)
  }

  /** Start at the first record stamped at or after `timestamp` (a scan of the batches), or at the end. */
  seekTimestamp(timestamp: number): void {
    for (const base of this.segments()) {
      const found = this.scanSegment(base, 0, (batch) => {
        if (!(batch.maxTimestamp >= timestamp) || batch.isControl) return null
        for (const record of batch.records()) if (record.timestamp >= timestamp) return record.offset
        return null
      })
      if (found !== null) {
        this.seekOffset(found)
        return
      }
    }
    this.seekLatest()
  }

  /** The first offset on disk and the log end offset (after the last whole batch). */
  range(): { startOffset: number; endOffset: number } {
    const [first] = this.segments()
    return { startOffset: first ?? 0, endOffset: this.scanEnd().nextOffset }
  }

  /**
   * True once the reader has reached `mark` (a `scanEnd()` taken earlier): consume without
   * --follow stops there.
   */
  hasReached(mark: { segment: number | null; position: number }): boolean {
    if (mark.segment === null) return true
    if (this.segment === null) return false
    return this.segment > mark.segment || (this.segment === mark.segment && this.position >= mark.position)
  }

  /** Where the last segment's whole batches end now. */
  scanEnd(): { segment: number | null; position: number; nextOffset: number } {
    const bases = this.segments()
    const last = bases[bases.length - 1]
    if (last === undefined) return { segment: null, position: 0, nextOffset: 0 }
    let position = 0
    let nextOffset = last
    this.scanSegment(last, 0, (batch, end) => {
      position = end
      nextOffset = batch.nextOffset
      return null
    })
    return { segment: last, position, nextOffset }
  }

  /**
   * The records that whole batches after the last one read hold now (up to about `maxBytes`), or
   * an empty list when there is nothing new yet. Throws UnknownTopicOrPartitionError once the
   * partition directory is gone, CorruptRecordError for damage that stays.
   */
  poll(): ConsumerRecord[] {
    for (;;) {
      if (this.segment === null) {
        const bases = this.segments()
        if (bases.length === 0) return []
        this.enter(bases.filter((base) => base <= this.nextOffset).pop() ?? bases[0]!)
      }
      const read = this.readCurrent()
      if (read === 'gone') {
        this.resetAfterDeletion()
        continue
      }
      if (read.records.length > 0 || read.end === 'more' || read.end === 'suspect') return read.records
      // At the end of the segment: move on only if a later one exists and this one, read again
      // now that the later one was seen, still has nothing more.
      const later = this.segments().find((base) => base > this.segment!)
      if (later === undefined) return []
      const again = this.readCurrent()
      if (again === 'gone') continue
      if (again.records.length > 0 || again.end === 'more' || again.end === 'suspect') return again.records
      if (again.end === 'partial') {
        if (!this.isTornTailStale()) return []
        this.warn(
          `${this.file()}: ${again.trailingBytes} bytes of a partial batch at byte ${this.position} stay unfinished while ${offsetFileName(later, LOG_SUFFIX)} follows; continuing there`,
        )
      }
      this.moveTo(later, Math.max(this.nextOffset, later))
    }
  }

  private readCurrent(): ReadResult | 'gone' {
    const file = this.file()
    let size: number
    try {
      size = fs.statSync(file).size
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone'
      throw new IoError('stat', file, error)
    }
    // Cut back by its owner: find the next offset again from the start.
    if (size < this.position) this.position = 0
    if (size === this.position) return { records: [], end: 'end', trailingBytes: 0 }
    let reader: FileBatchReader
    try {
      reader = FileBatchReader.openSync(file, { position: this.position, end: size })
    } catch (error) {
      if (error instanceof IoError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return 'gone'
      throw error
    }
    try {
      return this.readBatches(reader)
    } finally {
      reader.close()
    }
  }

  private readBatches(reader: FileBatchReader): ReadResult {
    const records: ConsumerRecord[] = []
    const make = consumerRecordFactory(this.topic, this.partition)
    let bytes = 0
    for (;;) {
      let batch: RecordBatch | null
      try {
        batch = reader.next()
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error
        this.confirmDamage(error)
        return { records, end: 'suspect', trailingBytes: 0 }
      }
      if (batch === null) return { records, end: reader.trailingBytes > 0 ? 'partial' : 'end', trailingBytes: reader.trailingBytes }
      const position = reader.batchPosition
      if (!batch.isValid()) {
        this.confirmDamage(
          new CorruptRecordError(
            'bad-crc',
            position,
            `stored crc ${batch.crc} but the batch computes to ${batch.computeCrc()}`,
            reader.file,
          ),
        )
        return { records, end: 'suspect', trailingBytes: 0 }
      }
      this.damage = null
      if (batch.lastOffset >= this.nextOffset) {
        if (!batch.isControl) {
          // The batch is a view of the reader's buffer, and records are views of the batch.
          const owned = batchView(Buffer.from(batch.buffer))
          try {
            for (const record of owned.recordsAs(make)) if (record.offset >= this.nextOffset) records.push(record)
          } catch (error) {
            if (error instanceof CorruptRecordError) throw error.inFile(reader.file, position)
            throw error
          }
        }
        this.nextOffset = batch.nextOffset
      }
      this.position = reader.position
      bytes += batch.sizeInBytes
      if (bytes >= this.maxBytes) return { records, end: 'more', trailingBytes: 0 }
    }
  }

  /** Bad bytes may be a write seen half done: damage only once they stay at the same place. */
  private confirmDamage(error: CorruptRecordError): void {
    const nowMs = this.now()
    if (this.damage === null || this.damage.position !== this.position) this.damage = { position: this.position, sinceMs: nowMs }
    else if (nowMs - this.damage.sinceMs >= DAMAGE_CONFIRM_MS) throw error
  }

  /** The segment's file is gone: retention deleted it, or the whole topic went (segments() throws then). */
  private resetAfterDeletion(): void {
    this.segments()
    this.segment = null
  }

  private enter(base: number): void {
    if (base > this.nextOffset) {
      this.warn(
        `${this.topic}-${this.partition}: offsets ${this.nextOffset}..${base - 1} are no longer on disk (deleted by retention); continuing at offset ${base}`,
      )
    }
    this.moveTo(base, Math.max(this.nextOffset, base))
  }

  private moveTo(segment: number | null, nextOffset: number): void {
    this.segment = segment
    this.nextOffset = nextOffset
    this.position = 0
    this.tornTail = null
    this.damage = null
  }

  private isTornTailStale(): boolean {
    const nowMs = this.now()
    if (this.tornTail === null || this.tornTail.position !== this.position) this.tornTail = { position: this.position, sinceMs: nowMs }
    return nowMs - this.tornTail.sinceMs >= TORN_TAIL_MS
  }

  private file(): string {
    return path.join(this.dir, offsetFileName(this.segment ?? 0, LOG_SUFFIX))
  }

  private deleted(): UnknownTopicOrPartitionError {
    return new UnknownTopicOrPartitionError(this.topic, this.partition, true, `topic '${this.topic}' was deleted: ${this.dir} is gone`)
  }

  /** Walks the whole batches of one segment from `position`; stops at the first non-null `visit` result. */
  private scanSegment<T>(base: number, position: number, visit: (batch: RecordBatch, end: number) => T | null): T | null {
    const file = path.join(this.dir, offsetFileName(base, LOG_SUFFIX))
    let reader: FileBatchReader
    try {
      reader = FileBatchReader.openSync(file, { position })
    } catch (error) {
      if (error instanceof IoError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null
      throw error
    }
    try {
      for (let batch = reader.next(); batch !== null; batch = reader.next()) {
        if (!batch.isValid()) break
        const found = visit(batch, reader.position)
        if (found !== null) return found
      }
      return null
    } catch (error) {
      if (error instanceof CorruptRecordError) return null
      throw error
    } finally {
      reader.close()
    }
  }
}

import path from 'node:path'
import { InvalidArgumentError } from '../../errors.js'
import type { Clock } from '../../log/clock.js'
import type { PartitionLog } from '../../log/partition-log.js'
import { partitionForKey } from '../../producer/partitioner.js'
import type { RecordInput } from '../../record/record.js'
import { DelayLogReader } from './delay-log-reader.js'
import { cancelRecord, delayId, describeDelayRecord, parseDelayId, toDelayRecord, toDeliveredRecord } from './delay-records.js'
import { DueIndex, FINE_BUCKET_MS, type Bucket, type DueEntry } from './due-index.js'
import { comparePositions, readSchedulerState, writeSchedulerState, type Position, type SchedulerState } from './scheduler-state.js'

/**
 * Delayed delivery: records sent with a delay wait in the delay log (an internal topic) and are
 * appended to their target topic when they fall due, by this scheduler, exactly once across
 * crashes. The due-time index (due-index.ts) keeps memory independent of the number pending;
 * scheduler-state.ts says what makes a repeated delivery harmless.
 *
 * Every operation (schedule, cancel, delivery) runs in one queue, one at a time.
 */

export interface DelaySchedulerHost {
  /** The delay log itself (writable: the scheduler owns it). */
  readonly delayLog: PartitionLog
  /** A topic's partition logs; throws for an unknown topic. */
  partitions(topic: string): readonly PartitionLog[]
  readonly clock: Clock
  warn(message: string): void
}

export interface DelayedRecord {
  record: RecordInput
  partition?: number
  dueMs: number
}

export interface DelayedMetadata {
  /** The id `cancel` takes. */
  delayId: string
  dueMs: number
  /** Where the record waits: its offset in the delay log. */
  delayOffset: number
}

export interface DelayStats {
  pending: number
  earliestDueMs: number | null
  delivered: number
  dropped: number
  /** How late deliveries were (ms after their due time), since the scheduler started. */
  lateness: number[]
}

/** Entries delivered per chunk: one batch per target partition each. */
const CHUNK_ENTRIES = 2000
const CHUNK_BYTES = 256 * 1024
const LATENESS_SAMPLES = 100_000

export class DelayScheduler {
  private readonly host: DelaySchedulerHost
  private readonly index: DueIndex
  private readonly reader: DelayLogReader
  private state: SchedulerState
  private queue: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | null = null
  private timerAtMs = Infinity
  private closed = false
  private delivered = 0
  private dropped = 0
  private readonly lateness: number[] = []
  private bucketCache: { file: string; version: number; entries: DueEntry[] } | null = null

  private constructor(host: DelaySchedulerHost, indexDir: string) {
    this.host = host
    this.index = new DueIndex(indexDir, () => this.isDurable)
    this.reader = new DelayLogReader(host.delayLog)
    this.state = readSchedulerState(indexDir)
  }

  /** Opens the index, adds entries for delay log records it lacks, and starts delivering. */
  static async open(host: DelaySchedulerHost, indexDir: string): Promise<DelayScheduler> {
    const scheduler = new DelayScheduler(host, indexDir)
    await scheduler.reindex()
    scheduler.checkpoint()
    scheduler.arm(0)
    return scheduler
  }

  /** Appends records to the delay log; each is delivered to `topic` at its due time. */
  schedule(topic: string, records: readonly DelayedRecord[]): Promise<DelayedMetadata[]> {
    const logs = this.host.partitions(topic)
    for (const [slot, { partition }] of records.entries()) {
      if (partition !== undefined && (!Number.isSafeInteger(partition) || partition < 0 || partition >= logs.length))
        throw new InvalidArgumentError(`records[${slot}].partition ${partition} is not a partition of '${topic}' (0..${logs.length - 1})`)
    }
    return this.enqueue(async () => {
      this.ensureOpen()
      if (records.length === 0) return []
      const stored = records.map(({ record, partition, dueMs }) => toDelayRecord(record, topic, partition, dueMs))
      const info = await this.host.delayLog.appendRecords(stored, { compression: 'none' })
      const entries = records.map(({ dueMs }, slot) => this.entryFor(dueMs, info.baseOffset + slot))
      this.index.add(entries, this.host.clock.nowMs())
      this.state.indexedUpTo = info.lastOffset + 1
      this.arm(Math.min(...entries.map((entry) => entry.dueMs)))
      return records.map(({ dueMs }, slot) => ({
        delayId: delayId(info.baseOffset + slot, dueMs),
        dueMs,
        delayOffset: info.baseOffset + slot,
      }))
    })
  }

  /**
   * Cancels a pending record. Resolves true when it will not be delivered, false when it was
   * delivered already (or the id is unknown). The cancellation is itself a delay log record, so it
   * survives a crash.
   */
  cancel(id: string): Promise<boolean> {
    const { offset, dueMs } = parseDelayId(id)
    return this.enqueue(async () => {
      this.ensureOpen()
      if (!(await this.isPending(offset, dueMs))) return false
      const info = await this.host.delayLog.appendRecords([cancelRecord(id)], { compression: 'none' })
      this.index.add([{ dueMs, offset: -offset - 1 }], this.host.clock.nowMs())
      this.state.indexedUpTo = info.lastOffset + 1
      return true
    })
  }

  /** Delivers everything due now (the timer calls it; tests may too). Resolves with the count. */
  deliverDue(): Promise<number> {
    return this.enqueue(() => this.deliverDueNow())
  }

  /** What is pending (reads every bucket file: not for a hot path). */
  stats(): DelayStats {
    const { pending, earliestDueMs } = this.index.stats()
    return { pending, earliestDueMs, delivered: this.delivered, dropped: this.dropped, lateness: this.lateness.slice() }
  }

  /** Stops the timer and waits for the operation in progress; the index is synced for a quick reopen. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    await this.queue.catch(() => undefined)
    this.checkpoint()
  }

  // --- delivery

  private async deliverDueNow(): Promise<number> {
    let count = 0
    for (;;) {
      if (this.closed) return count
      const nowMs = this.host.clock.nowMs()
      const bucket = this.index.dueBucket(nowMs)
      if (bucket === null) break
      const name = path.basename(bucket.file)
      const cursor = this.state.cursor?.bucket === name ? this.state.cursor.at : null
      const entries = this.liveEntriesOf(bucket)
      const from = cursor === null ? 0 : firstAfter(entries, cursor)
      const pendingChunk = this.state.chunk?.bucket === name ? this.state.chunk : null
      const chunk =
        pendingChunk !== null ? entries.slice(from, firstAfter(entries, pendingChunk.to)) : await this.dueChunk(entries, from, nowMs)
      if (chunk.length === 0) {
        if (from < entries.length) {
          // The rest of this bucket is due later in its second.
          this.arm(entries[from]!.dueMs)
          return count
        }
        this.finishBucket(bucket)
        continue
      }
      const last = chunk[chunk.length - 1]!
      this.state.chunk = { bucket: name, from: cursor, to: last }
      writeSchedulerState(this.index.dir, this.state, this.isDurable)
      count += await this.deliverChunk(chunk, nowMs)
      this.state.cursor = { bucket: name, at: last }
      this.state.chunk = null
      if (from + chunk.length === entries.length) this.finishBucket(bucket)
      else writeSchedulerState(this.index.dir, this.state, this.isDurable)
    }
    this.arm(this.index.nextWakeMs())
    return count
  }

  /**
   * A bucket's live entries in delivery order, kept between chunks while the bucket file is not
   * written to (reading and sorting a burst's bucket for every chunk would cost more than the
   * delivery).
   */
  private liveEntriesOf(bucket: Bucket): DueEntry[] {
    const version = this.index.versionOf(bucket.file)
    const cached = this.bucketCache
    if (cached !== null && cached.file === bucket.file && cached.version === version) return cached.entries
    const entries = this.index.read(bucket)
    this.bucketCache = { file: bucket.file, version, entries }
    return entries
  }

  /**
   * The entries due at `nowMs` from `from` on (entries are in due order), at most one chunk of them:
   * CHUNK_ENTRIES, and CHUNK_BYTES of keys and values (at least one entry), so every batch stays
   * well within a topic's maxBatchBytes.
   */
  private async dueChunk(entries: readonly DueEntry[], from: number, nowMs: number): Promise<DueEntry[]> {
    const chunk: DueEntry[] = []
    let bytes = 0
    for (let slot = from; slot < entries.length && chunk.length < CHUNK_ENTRIES; slot++) {
      const entry = entries[slot]!
      if (entry.dueMs > nowMs) break
      const record = await this.reader.recordAt(entry.offset)
      const size = (record?.key?.length ?? 0) + (record?.value?.length ?? 0) + 64
      if (chunk.length > 0 && bytes + size > CHUNK_BYTES) break
      bytes += size
      chunk.push(entry)
    }
    return chunk
  }

  /** Appends a chunk's records to their targets, one batch per target partition, in entry order. */
  private async deliverChunk(chunk: readonly DueEntry[], nowMs: number): Promise<number> {
    const groups = new Map<string, { log: PartitionLog; records: RecordInput[] }>()
    for (const entry of chunk) {
      const stored = await this.reader.recordAt(entry.offset)
      const info = stored === null ? null : describeDelayRecord(stored.headers)
      if (stored === null || info === null || info.kind !== 'delayed') continue
      const log = this.targetOf(info.topic, info.partition, stored.key, entry.offset)
      if (log === null) {
        this.dropped++
        this.host.warn(`delayed record ${delayId(entry.offset, info.dueMs)} dropped: topic '${info.topic}' no longer exists`)
        continue
      }
      const key = `${log.topic}/${log.partition}`
      let group = groups.get(key)
      if (group === undefined) groups.set(key, (group = { log, records: [] }))
      group.records.push(toDeliveredRecord(stored, delayId(entry.offset, info.dueMs), info.dueMs, nowMs))
      if (this.lateness.length < LATENESS_SAMPLES) this.lateness.push(Math.max(0, nowMs - info.dueMs))
    }
    let count = 0
    for (const [key, { log, records }] of groups) {
      const baseSequence = this.state.sequences[key] ?? 0
      await log.appendRecords(records, {
        compression: 'none',
        producerId: this.state.producerId,
        producerEpoch: this.state.producerEpoch,
        baseSequence,
      })
      this.state.sequences[key] = (baseSequence + records.length) % 2 ** 31
      count += records.length
    }
    this.delivered += count
    return count
  }

  private targetOf(topic: string, partition: number | null, key: Buffer | null, offset: number): PartitionLog | null {
    let logs: readonly PartitionLog[]
    try {
      logs = this.host.partitions(topic)
    } catch {
      return null
    }
    if (partition !== null && partition < logs.length) return logs[partition]!
    return logs[key === null ? offset % logs.length : partitionForKey(key, logs.length)]!
  }

  /**
   * Every entry of `bucket` is delivered: sync the index and record `indexedUpTo` (so a reindex
   * never brings them back), then drop the bucket. The cursor stays on disk until the next state
   * write: pointing into a removed bucket, it is harmless.
   */
  private finishBucket(bucket: Bucket): void {
    this.checkpoint()
    this.index.remove(bucket)
    if (this.state.cursor?.bucket === path.basename(bucket.file)) this.state.cursor = null
  }

  // --- indexing

  /**
   * A new entry. Entries of the bucket being delivered are delivered in (dueMs, offset) order up
   * to the cursor; one due before the cursor would be passed over, so it takes the cursor's due
   * time instead (it is late already, and goes with the next chunk; its header keeps its own).
   */
  private entryFor(dueMs: number, offset: number): DueEntry {
    const cursor = this.state.cursor
    return { dueMs: cursor !== null && dueMs < cursor.at.dueMs ? cursor.at.dueMs : dueMs, offset }
  }

  /** Adds entries for the delay log records after `indexedUpTo` (written before a crash, not indexed). */
  private async reindex(): Promise<void> {
    const log = this.host.delayLog
    const from = Math.max(this.state.indexedUpTo, log.logStartOffset)
    const entries: DueEntry[] = []
    for await (const record of log.records({ from })) {
      const info = describeDelayRecord(record.headers)
      if (info.kind === 'delayed') entries.push(this.entryFor(info.dueMs, record.offset))
      else if (info.kind === 'cancel') entries.push({ dueMs: info.dueMs, offset: -info.offset - 1 })
    }
    if (entries.length > 0) this.index.add(entries, this.host.clock.nowMs())
    this.state.indexedUpTo = Math.max(this.state.indexedUpTo, log.logEndOffset)
  }

  /** Makes the index durable up to `indexedUpTo` and records that. */
  private checkpoint(): void {
    this.index.sync()
    writeSchedulerState(this.index.dir, this.state, this.isDurable)
  }

  private async isPending(offset: number, dueMs: number): Promise<boolean> {
    if (offset < this.host.delayLog.logStartOffset || offset >= this.state.indexedUpTo) return false
    const stored = await this.reader.recordAt(offset)
    const info = stored === null ? null : describeDelayRecord(stored.headers)
    if (info === null || info.kind !== 'delayed' || info.dueMs !== dueMs) return false
    // Pending while its bucket still holds it after the cursor.
    const entry = this.entryFor(dueMs, offset)
    const start = Math.floor(entry.dueMs / FINE_BUCKET_MS) * FINE_BUCKET_MS
    const cursor = this.state.cursor
    if (cursor !== null && cursor.bucket === `f-${start}.due` && comparePositions(entry, cursor.at) <= 0) return false
    return this.index.holds(entry)
  }

  // --- timer

  /** Makes sure a delivery runs at `atMs` (or earlier, if one is armed earlier already). */
  private arm(atMs: number): void {
    if (this.closed || atMs >= this.timerAtMs) return
    if (this.timer !== null) clearTimeout(this.timer)
    this.timerAtMs = atMs
    if (atMs === Infinity) return
    const delayMs = Math.max(0, Math.min(atMs - this.host.clock.nowMs(), 2 ** 31 - 1))
    this.timer = setTimeout(() => {
      this.timer = null
      this.timerAtMs = Infinity
      this.deliverDue().catch((error: unknown) => {
        this.host.warn(`delayed delivery failed, retrying in 1 s: ${(error as Error).message}`)
        this.arm(this.host.clock.nowMs() + 1000)
      })
    }, delayMs)
    this.timer.unref()
  }

  /**
   * Whether the scheduler's own files are fsynced: when the delay log is (flush mode 'sync'), so
   * they are as durable as what they describe. Otherwise they survive a process crash, as the
   * log's writes do, and a power cut may cost what it costs the log.
   */
  private get isDurable(): boolean {
    return this.host.delayLog.flushPolicy.mode === 'sync'
  }

  private ensureOpen(): void {
    if (this.closed) throw new InvalidArgumentError('delayed delivery is closed (the engine is closing)')
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }
}

/** The slot of the first entry after `position` (entries are in delivery order). */
function firstAfter(entries: readonly DueEntry[], position: Position): number {
  let low = 0
  let high = entries.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (comparePositions(entries[middle]!, position) <= 0) low = middle + 1
    else high = middle
  }
  return low
}

export type { Position }

import type { RecordInput } from '../record/record.js'
import type { LatencyHistogram } from './latency-histogram.js'

export interface RecordMetadata {
  topic: string
  partition: number
  offset: number
  timestamp: number
  /** A delayed send's: the id `cancelDelayed` takes (its partition and offset are then -1). */
  delayId?: string
  /** A delayed send's: when the record is delivered. */
  deliverAt?: number
}

/** One `send` call in flight: its results fill in as the batches holding its records complete. */
export class PendingSend {
  readonly results: RecordMetadata[]
  remaining: number
  readonly startMs: number
  settled = false
  resolve!: (results: RecordMetadata[]) => void
  reject!: (error: Error) => void
  readonly promise: Promise<RecordMetadata[]>

  constructor(count: number) {
    this.results = new Array<RecordMetadata>(count)
    this.remaining = count
    this.startMs = performance.now()
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }
}

/**
 * Records waiting for one partition's next batch. Where results go is kept per run: consecutive
 * records of one `send` (the usual case) share one entry instead of one per record.
 */
export class PartitionBatch {
  records: RecordInput[] = []
  /** Per run: the send, the run's first slot in that send, and its first index in `records`. */
  runSends: PendingSend[] = []
  runSlots: number[] = []
  runStarts: number[] = []
  bytes = 0
  /**
   * Timestamp given to records sent without one (Kafka stamps them when they are accumulated):
   * set when the first record joins, since the empty batch may have waited long before that.
   */
  createdMs = Date.now()
  timer: NodeJS.Timeout | null = null
  scheduled = false
  /** Linger is over: append as soon as the partition has room in flight. */
  isDue = false

  /** Adds the record in `slot` of `pending`; a new run starts only where the send's slots break. */
  add(input: RecordInput, size: number, pending: PendingSend, slot: number): void {
    const count = this.records.length
    if (count === 0) this.createdMs = Date.now()
    const runs = this.runSends.length
    const extendsRun =
      runs > 0 && this.runSends[runs - 1] === pending && this.runSlots[runs - 1]! + (count - this.runStarts[runs - 1]!) === slot
    if (!extendsRun) {
      this.runSends.push(pending)
      this.runSlots.push(slot)
      this.runStarts.push(count)
    }
    this.records.push(input)
    this.bytes += size
  }

  /**
   * The batch is in the log from `baseOffset`: fills in each record's metadata and resolves the
   * sends that are now complete, recording their latency.
   */
  complete(topic: string, partition: number, baseOffset: number, latency: LatencyHistogram): void {
    const nowMs = performance.now()
    const records = this.records
    const runs = this.runSends.length
    for (let run = 0; run < runs; run++) {
      const pending = this.runSends[run]!
      if (pending.settled) continue
      const start = this.runStarts[run]!
      const end = run + 1 < runs ? this.runStarts[run + 1]! : records.length
      let slot = this.runSlots[run]!
      for (let index = start; index < end; index++, slot++) {
        pending.results[slot] = { topic, partition, offset: baseOffset + index, timestamp: records[index]!.timestamp ?? this.createdMs }
      }
      pending.remaining -= end - start
      if (pending.remaining === 0) {
        pending.settled = true
        latency.record(nowMs - pending.startMs)
        pending.resolve(pending.results)
      }
    }
  }

  /** The batch could not be appended: every send with a record in it fails with `error`. */
  fail(error: Error): void {
    for (const pending of this.runSends) {
      if (pending.settled) continue
      pending.settled = true
      pending.reject(error)
    }
  }
}

/** Per-record overhead estimate: record varints and attributes (at most 21) plus headers count. */
const RECORD_OVERHEAD_BYTES = 22

/** A record's size in a batch before compression, near enough for batch size and buffer limits. */
export function estimateSize(record: RecordInput): number {
  let size = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  if (record.headers !== undefined) for (const header of record.headers) size += header.key.length * 3 + (header.value?.length ?? 0) + 10
  return size
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CompressionName } from '../../compression/codec.js'
import { CliError } from '../errors.js'
import { LogEngine } from '../../engine/log-engine.js'
import type { FlushMode } from '../../log/flush-policy.js'
import { makePayloadPool, type PayloadKind } from './payload.js'

export interface ProduceConsumeParams {
  records: number
  recordSize: number
  payload: PayloadKind
  batchBytes: number
  lingerMs: number
  compression: CompressionName
  topics: number
  partitions: number
  /** Concurrent senders. */
  producers: number
  /** Records per `send` call. */
  sendRecords: number
  flush: FlushMode
  consume: boolean
  /** Commit the consumer group's position every this many records (0: only at the end). */
  commitEvery: number
  /** Where to put the data; a fresh temporary directory when absent. */
  dir?: string
  keep: boolean
  /** Topics are named `<prefix>-0`, `<prefix>-1`, … ('bench' by default). */
  topicPrefix?: string
  /** Told how many records were produced and consumed so far (for a progress bar). */
  onProgress?: (produced: number, consumed: number) => void
}

export interface ProduceFigures {
  records: number
  seconds: number
  recordsPerSec: number
  /** Payload megabytes (10^6) per second, as Kafka's perf tool reports. */
  mbPerSec: number
  /** Bytes the log holds per second: what the plain-file baseline is compared with. */
  diskMbPerSec: number
  latencyMs: { avg: number; max: number; p50: number; p95: number; p99: number; p999: number }
  compressionRatio: number
  fsyncs: number
  bytesOnDisk: number
}

export interface ConsumeFigures {
  records: number
  seconds: number
  recordsPerSec: number
  mbPerSec: number
  diskMbPerSec: number
}

export interface ProduceConsumeResult {
  produce: ProduceFigures
  consume: ConsumeFigures | null
  baseline: { writeMbPerSec: number; readMbPerSec: number }
  /** seglog's rate over the plain-file rate for the same bytes (1 = as fast as plain files). */
  ratio: { produce: number; consume: number | null }
  /** The data directory when it is left behind (given as `dir`, or `keep`); null once removed. */
  dir: string | null
}

/** Thrown when the consumer does not read back exactly what was produced. */
export class BenchVerificationError extends CliError {
  constructor(message: string) {
    super('VERIFICATION_FAILED', message)
  }
}

/**
 * One run: produce `records` records with `producers` concurrent senders, optionally read them
 * all back with a consumer group, check count and checksum, and measure plain sequential file
 * writes and reads of the same number of bytes in the same directory for the ratios.
 */
export async function runProduceConsume(params: ProduceConsumeParams): Promise<ProduceConsumeResult> {
  // The payload first: a file that cannot be read then leaves no temporary directory behind.
  const pool = makePayloadPool(params.payload, params.recordSize)
  const dir = params.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-'))
  const removeDir = (): void => {
    if (params.dir === undefined && !params.keep) fs.rmSync(dir, { recursive: true, force: true })
  }
  let engine: LogEngine
  try {
    fs.mkdirSync(dir, { recursive: true })
    engine = await LogEngine.open({ dir, flush: params.flush, onWarning: () => undefined })
  } catch (error) {
    removeDir()
    throw error
  }
  try {
    const topics = Array.from({ length: params.topics }, (_, slot) => `${params.topicPrefix ?? 'bench'}-${slot}`)
    for (const topic of topics) if (!engine.hasTopic(topic)) await engine.createTopic(topic, { partitions: params.partitions })
    const logs = topics.flatMap((topic) => [...engine.partitions(topic)])
    const startFlushes = logs.reduce((sum, log) => sum + log.flushCount, 0)
    const startBytes = logs.reduce((sum, log) => sum + log.sizeInBytes, 0)

    const producer = engine.producer({
      batchBytes: params.batchBytes,
      lingerMs: params.lingerMs,
      compression: params.compression,
      idempotent: false,
    })
    const poolChecksums = pool.values.map(sampledChecksum)
    let nextRecord = 0
    let produced = 0
    let sentChecksum = 0
    const inFlightPerSender = 8
    const sender = async (senderSlot: number): Promise<void> => {
      const pending: Promise<unknown>[] = []
      let round = 0
      for (;;) {
        const first = nextRecord
        if (first >= params.records) break
        const count = Math.min(params.sendRecords, params.records - first)
        nextRecord += count
        const records = new Array<{ value: Buffer }>(count)
        for (let slot = 0; slot < count; slot++) {
          const poolSlot = (first + slot) % pool.values.length
          records[slot] = { value: pool.values[poolSlot]! }
          sentChecksum = (sentChecksum + poolChecksums[poolSlot]!) >>> 0
        }
        const sent = producer.send(topics[(senderSlot + round++) % topics.length]!, records)
        pending.push(
          params.onProgress === undefined
            ? sent
            : sent.then(() => {
                produced += count
                params.onProgress!(produced, 0)
              }),
        )
        if (pending.length >= inFlightPerSender) await pending.shift()
      }
      await Promise.all(pending)
    }
    const produceStart = performance.now()
    await Promise.all(Array.from({ length: params.producers }, (_, slot) => sender(slot)))
    await producer.close()
    const produceSeconds = (performance.now() - produceStart) / 1000
    const metrics = producer.metrics()
    const bytesOnDisk = logs.reduce((sum, log) => sum + log.sizeInBytes, 0) - startBytes
    const payloadMb = (params.records * params.recordSize) / 1e6
    const produce: ProduceFigures = {
      records: params.records,
      seconds: produceSeconds,
      recordsPerSec: params.records / produceSeconds,
      mbPerSec: payloadMb / produceSeconds,
      diskMbPerSec: bytesOnDisk / 1e6 / produceSeconds,
      latencyMs: {
        avg: metrics.latencyMs.mean,
        max: metrics.latencyMs.max,
        p50: metrics.latencyMs.p50,
        p95: metrics.latencyMs.p95,
        p99: metrics.latencyMs.p99,
        p999: metrics.latencyMs.p999,
      },
      compressionRatio: metrics.compressionRatio,
      fsyncs: logs.reduce((sum, log) => sum + log.flushCount, 0) - startFlushes,
      bytesOnDisk,
    }

    let consume: ConsumeFigures | null = null
    if (params.consume) {
      const consumer = await engine.consumer({ group: `${params.topicPrefix ?? 'bench'}-group`, topics, from: 'earliest' })
      const consumeStart = performance.now()
      let count = 0
      let checksum = 0
      let sinceCommit = 0
      for await (const { records } of consumer.batches()) {
        for (const record of records) checksum = (checksum + sampledChecksum(record.value)) >>> 0
        count += records.length
        sinceCommit += records.length
        params.onProgress?.(params.records, count)
        if (params.commitEvery > 0 && sinceCommit >= params.commitEvery) {
          await consumer.commit()
          sinceCommit = 0
        }
        if (count >= params.records) break
      }
      await consumer.commit()
      const consumeSeconds = (performance.now() - consumeStart) / 1000
      await consumer.close()
      if (count !== params.records || checksum !== sentChecksum) {
        throw new BenchVerificationError(
          `read back ${count} records with checksum ${checksum}, but sent ${params.records} with checksum ${sentChecksum}`,
        )
      }
      consume = {
        records: count,
        seconds: consumeSeconds,
        recordsPerSec: count / consumeSeconds,
        mbPerSec: payloadMb / consumeSeconds,
        diskMbPerSec: bytesOnDisk / 1e6 / consumeSeconds,
      }
    }
    const baseline = measurePlainFile(dir, bytesOnDisk, params.flush === 'sync')
    return {
      produce,
      consume,
      baseline,
      ratio: {
        produce: produce.diskMbPerSec / baseline.writeMbPerSec,
        consume: consume === null ? null : consume.diskMbPerSec / baseline.readMbPerSec,
      },
      dir: params.dir === undefined && !params.keep ? null : dir,
    }
  } finally {
    await engine.close()
    removeDir()
  }
}

/**
 * The consumer's check of each value: a checksum of its length and of 4-byte words sampled at its
 * start, middle and end, so that a lost, duplicated or wrong record changes the sum. It is cheap
 * enough not to distort the consumer figure (a CRC over every value would roughly halve it);
 * byte-level damage is what the batch CRCs already catch on read.
 */
export function sampledChecksum(value: Buffer | null): number {
  if (value === null) return 0
  const length = value.length
  if (length < 4) {
    let sum = length
    for (let at = 0; at < length; at++) sum = (Math.imul(sum, 31) + value[at]!) >>> 0
    return sum
  }
  const middle = (length >>> 1) & ~3
  return (
    (Math.imul(value.readUInt32LE(0), 0x9e3779b1) ^
      Math.imul(value.readUInt32LE(middle), 0x85ebca77) ^
      value.readUInt32LE(length - 4) ^
      length) >>>
    0
  )
}

/**
 * Plain sequential writes of `bytes` bytes in 1 MiB chunks (fsynced at the end when the run was
 * under 'sync'), then reads of them: what the same bytes cost without seglog.
 */
export function measurePlainFile(dir: string, bytes: number, fsyncAtEnd: boolean): { writeMbPerSec: number; readMbPerSec: number } {
  const file = path.join(dir, 'plain-baseline.bin')
  const chunk = Buffer.alloc(1024 * 1024, 0x5a)
  const total = Math.max(bytes, chunk.length)
  const fd = fs.openSync(file, 'w+')
  try {
    let start = performance.now()
    for (let written = 0; written < total; written += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, total - written))
    if (fsyncAtEnd) fs.fdatasyncSync(fd)
    const writeSeconds = (performance.now() - start) / 1000
    start = performance.now()
    for (let position = 0; position < total; position += chunk.length) fs.readSync(fd, chunk, 0, chunk.length, position)
    const readSeconds = (performance.now() - start) / 1000
    return { writeMbPerSec: total / 1e6 / writeSeconds, readMbPerSec: total / 1e6 / readSeconds }
  } finally {
    fs.closeSync(fd)
    fs.rmSync(file, { force: true })
  }
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LogEngine } from '../../engine/log-engine.js'
import { encodeBatch } from '../../record/batch-encoder.js'
import { RecordView, visitRecords } from '../../record/batch-visitor.js'
import { measurePlainFile } from './produce-consume.js'
import { seededRandom } from './payload.js'
import { plainFile, readPlainRecords, writePlainRecords, type PlainRecord } from './plain-records.js'
import { percentileOf } from './stats.js'

export interface LogSuiteParams {
  /** Records appended (in batches of `batchRecords`). */
  records: number
  /** Bytes of each record's value. */
  recordSize: number
  /** Bytes of each record's key (0: records have no key). */
  keyBytes?: number
  /** Records per appended batch; by default as many as fit 1 MiB, at most 1000. */
  batchRecords?: number
  segmentBytes: number
  /** Random reads and timestamp lookups measured. */
  lookups: number
  dir?: string
}

export interface LogSuiteResult {
  params: { records: number; valueBytes: number; keyBytes: number; batchRecords: number }
  /** The plain JavaScript length-prefixed writer and reader of the same records (plain-records.ts). */
  plainRecords: { write: { recordsPerSec: number; mbPerSec: number }; read: { recordsPerSec: number; mbPerSec: number } }
  /** ratio: MB/s against the page-cache copy; recordsRatio: records/s against the plain JS writer. */
  append: { recordsPerSec: number; mbPerSec: number; plainMbPerSec: number; ratio: number; recordsRatio: number }
  /** appendBatch of batches encoded beforehand (a broker's produce path: CRC check, offsets, write). */
  appendEncoded: { recordsPerSec: number; mbPerSec: number; ratio: number }
  readByOffset: { p50Us: number; p99Us: number; count: number }
  timestampLookup: { p50Us: number; p99Us: number; count: number }
  /** batches() + records(): one object per record; recordsRatio against the plain JS reader. */
  sequentialDecode: { recordsPerSec: number; mbPerSec: number; segments: number; recordsRatio: number }
  /** batches() + visitRecords (positions, no object per record); recordsRatio against the plain JS reader. */
  visitorDecode: { recordsPerSec: number; mbPerSec: number; recordsRatio: number }
}

/**
 * The partition log on its own (issue figures for the log layer): appends of pre-sized batches
 * next to plain writes of the same bytes, random read-by-offset and timestamp-lookup latency from
 * the page cache, and sequential decode-and-iterate across segments.
 */
export async function runLogSuite(params: LogSuiteParams): Promise<LogSuiteResult> {
  const dir = params.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-log-'))
  const removeDir = (): void => {
    if (params.dir === undefined) fs.rmSync(dir, { recursive: true, force: true })
  }
  let engine: LogEngine
  try {
    engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
  } catch (error) {
    removeDir()
    throw error
  }
  try {
    await engine.createTopic('log-bench', { partitions: 1, segmentBytes: params.segmentBytes })
    const log = engine.partition('log-bench', 0)
    const random = seededRandom(7)
    const keyBytes = params.keyBytes ?? 0
    const batchRecords = params.batchRecords ?? Math.max(1, Math.min(1000, Math.floor((1024 * 1024) / (params.recordSize + keyBytes + 16))))
    const value = Buffer.alloc(params.recordSize)
    for (let at = 0; at < value.length; at++) value[at] = Math.floor(random() * 256)
    const keys = Array.from({ length: batchRecords }, () => {
      const key = Buffer.alloc(keyBytes)
      for (let at = 0; at < key.length; at++) key[at] = Math.floor(random() * 256)
      return key
    })
    const batches = Math.ceil(params.records / batchRecords)
    const baseTime = 1_700_000_000_000
    // Timestamps mostly rise with some disorder, as real producers send them.
    const records = keys.map((key, slot) => ({ key: keyBytes === 0 ? null : key, value, timestamp: baseTime + slot }))

    // The plain JavaScript writer and reader of the same records, in the same run.
    const plainRecords: PlainRecord[] = keys.map((key) => ({ key, value }))
    const warmupBatches = Math.max(1, Math.floor(batches / 10))
    writePlainRecords(plainFile(dir), plainRecords, warmupBatches)
    readPlainRecords(plainFile(dir), () => undefined)
    const plainWrite = writePlainRecords(plainFile(dir), plainRecords, batches)
    let plainSink = 0
    const plainRead = readPlainRecords(plainFile(dir), (_key, record) => {
      plainSink += record.length
    })
    fs.rmSync(plainFile(dir), { force: true })

    // Warm-up on another partition: appends (of records and of encoded batches) and a read, so both
    // sides are measured compiled.
    await engine.createTopic('log-bench-warmup', { partitions: 1, segmentBytes: params.segmentBytes })
    const warmupLog = engine.partition('log-bench-warmup', 0)
    for (let batch = 0; batch < warmupBatches; batch++) await warmupLog.appendRecords(records)
    const warmupEncoded = encodeBatch(records)
    for (let batch = 0; batch < warmupBatches; batch++) await warmupLog.appendBatch(warmupEncoded)
    for await (const batch of warmupLog.batches({ from: 0 }))
      for (const record of batch.records()) plainSink += record.value === null ? 0 : 0

    const appendStart = performance.now()
    for (let batch = 0; batch < batches; batch++) {
      const timeBase = baseTime + batch * batchRecords + Math.floor(random() * 50)
      for (let slot = 0; slot < records.length; slot++) records[slot]!.timestamp = timeBase + slot
      await log.appendRecords(records)
    }
    const appendSeconds = (performance.now() - appendStart) / 1000
    const bytes = log.sizeInBytes
    const total = batches * batchRecords
    const plain = measurePlainWritesOfBatches(dir, encodeBatch(records), batches)

    // A broker appends batches its producers encoded: CRC check, offset assignment and the write.
    await engine.createTopic('log-bench-encoded', { partitions: 1, segmentBytes: params.segmentBytes })
    const encodedLog = engine.partition('log-bench-encoded', 0)
    const encoded = encodeBatch(records)
    const encodedStart = performance.now()
    for (let batch = 0; batch < batches; batch++) await encodedLog.appendBatch(encoded)
    const encodedSeconds = (performance.now() - encodedStart) / 1000
    const encodedMbPerSec = (encoded.length * batches) / 1e6 / encodedSeconds

    const readLatencies: number[] = []
    const end = log.logEndOffset
    for (let probe = 0; probe < params.lookups; probe++) {
      const offset = Math.floor(random() * end)
      const start = performance.now()
      await log.readRaw(offset, { maxBytes: 1 })
      readLatencies.push((performance.now() - start) * 1000)
    }
    const timeLatencies: number[] = []
    for (let probe = 0; probe < params.lookups; probe++) {
      const timestamp = baseTime + Math.floor(random() * total)
      const start = performance.now()
      await log.offsetForTimestamp(timestamp)
      timeLatencies.push((performance.now() - start) * 1000)
    }
    readLatencies.sort((a, b) => a - b)
    timeLatencies.sort((a, b) => a - b)

    // The same work per record as the plain reader: look at the value's length.
    const decodeStart = performance.now()
    let decoded = 0
    let sink = 0
    for await (const batch of log.batches({ from: 0 })) {
      for (const record of batch.records()) {
        if (record.value !== null) sink += record.value.length
        decoded++
      }
    }
    const decodeSeconds = (performance.now() - decodeStart) / 1000
    if (decoded !== total) throw new Error(`sequential read returned ${decoded} records, expected ${total}`)
    if (sink !== plainSink) throw new Error(`sequential read saw ${sink} value bytes, the plain reader ${plainSink}`)
    const decodeRate = decoded / decodeSeconds

    // batches() + the visitor: positions in the batch, no object or Buffer view per record.
    const visitStart = performance.now()
    let visited = 0
    let visitSink = 0
    const view = new RecordView()
    const onRecord = (record: RecordView): void => {
      if (record.valueLength >= 0) visitSink += record.valueLength
    }
    for await (const batch of log.batches({ from: 0 })) visited += visitRecords(batch, onRecord, undefined, view)
    const visitSeconds = (performance.now() - visitStart) / 1000
    if (visited !== total || visitSink !== plainSink) throw new Error(`the visitor saw ${visited} records, ${visitSink} value bytes`)

    return {
      params: { records: total, valueBytes: params.recordSize, keyBytes, batchRecords },
      plainRecords: {
        write: { recordsPerSec: plainWrite.recordsPerSec, mbPerSec: plainWrite.mbPerSec },
        read: { recordsPerSec: plainRead.recordsPerSec, mbPerSec: plainRead.mbPerSec },
      },
      append: {
        recordsPerSec: total / appendSeconds,
        mbPerSec: bytes / 1e6 / appendSeconds,
        plainMbPerSec: plain,
        ratio: bytes / 1e6 / appendSeconds / plain,
        recordsRatio: total / appendSeconds / plainWrite.recordsPerSec,
      },
      appendEncoded: { recordsPerSec: total / encodedSeconds, mbPerSec: encodedMbPerSec, ratio: encodedMbPerSec / plain },
      readByOffset: { p50Us: percentileOf(readLatencies, 50), p99Us: percentileOf(readLatencies, 99), count: readLatencies.length },
      timestampLookup: { p50Us: percentileOf(timeLatencies, 50), p99Us: percentileOf(timeLatencies, 99), count: timeLatencies.length },
      sequentialDecode: {
        recordsPerSec: decodeRate,
        mbPerSec: bytes / 1e6 / decodeSeconds,
        segments: log.segmentCount,
        recordsRatio: decodeRate / plainRead.recordsPerSec,
      },
      visitorDecode: {
        recordsPerSec: visited / visitSeconds,
        mbPerSec: bytes / 1e6 / visitSeconds,
        recordsRatio: visited / visitSeconds / plainRead.recordsPerSec,
      },
    }
  } finally {
    await engine.close()
    removeDir()
  }
}

/** The same batch bytes written `count` times with plain sequential writes (MB/s). */
function measurePlainWritesOfBatches(dir: string, batch: Buffer, count: number): number {
  const file = path.join(dir, 'plain-batches.bin')
  const fd = fs.openSync(file, 'w')
  try {
    const start = performance.now()
    for (let slot = 0; slot < count; slot++) fs.writeSync(fd, batch)
    return (batch.length * count) / 1e6 / ((performance.now() - start) / 1000)
  } finally {
    fs.closeSync(fd)
    fs.rmSync(file, { force: true })
  }
}

export { measurePlainFile }

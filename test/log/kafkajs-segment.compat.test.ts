import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLEAN_SHUTDOWN_FILE, LogEngine } from '../../src/engine/log-engine.js'
import { MAX_TIMESTAMP } from '../../src/log/partition-log.js'
import { offsetFileName } from '../../src/log/segment-files.js'
import {
  indexFiles,
  modelIndexEntries,
  modelMaxTimestamp,
  modelOffsetForTimestamp,
  parseOffsetIndex,
  parseTimeIndex,
  type BatchModel,
} from '../helpers/build-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { seededRandom as seeded } from '../../src/seeded-random.js'
import { pseudoRandomBytes } from '../helpers/files.js'

/**
 * A partition directory whose `.log` files hold batches written by KafkaJS 2.2.4's own record
 * batch encoder, with no index files, as a Kafka broker's copy might arrive. seglog must rebuild
 * the indexes exactly as Kafka's per-batch rule lays them out, return KafkaJS's bytes unchanged,
 * decode every record identically and answer timestamp lookups.
 */

afterEach(removeTmpDirs)

const require = createRequire(import.meta.url)

interface KafkaEncoder {
  buffer: Buffer
}
const { RecordBatch: encodeKafkaBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (input: Record<string, unknown>) => Promise<KafkaEncoder>
}
const encodeKafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: {
  offsetDelta: number
  timestampDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer>
}) => KafkaEncoder
const { CompressionTypes } = require('kafkajs') as { CompressionTypes: Record<'None' | 'GZIP', number> }

interface InputRecord {
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer>
}

interface InputBatch {
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  bytes: Buffer
  records: InputRecord[]
}

const TOPIC = 'kjs'
const INDEX_INTERVAL_BYTES = 300
const BATCH_COUNT = 40
/** The second segment starts at this batch. */
const SPLIT_AT = 24

/** Batches encoded by KafkaJS, out-of-order timestamps, some gzip, offsets written into the bytes. */
async function kafkaBatches(): Promise<InputBatch[]> {
  const random = seeded(7)
  const batches: InputBatch[] = []
  let offset = 0
  for (let slot = 0; slot < BATCH_COUNT; slot++) {
    const count = 1 + Math.floor(random() * 6)
    const records: InputRecord[] = []
    for (let member = 0; member < count; member++) {
      const serial = offset + member
      records.push({
        offset: serial,
        timestamp: 1_700_000_000_000 + Math.floor(random() * 2_000),
        key: random() < 0.2 ? null : Buffer.from(`key-${serial}`),
        value: random() < 0.05 ? null : pseudoRandomBytes(Math.floor(random() * 250), serial),
        headers: random() < 0.3 ? { trace: Buffer.from(`t${serial}`), origin: Buffer.from('kafkajs') } : {},
      })
    }
    const firstTimestamp = records[0]!.timestamp
    const maxTimestamp = Math.max(...records.map((record) => record.timestamp))
    const encoded = await encodeKafkaBatch({
      compression: slot % 5 === 3 ? CompressionTypes.GZIP : CompressionTypes.None,
      firstTimestamp,
      maxTimestamp,
      lastOffsetDelta: count - 1,
      producerId: BigInt(-1),
      producerEpoch: -1,
      firstSequence: -1,
      records: records.map((record, member) =>
        encodeKafkaRecord({
          offsetDelta: member,
          timestampDelta: record.timestamp - firstTimestamp,
          key: record.key,
          value: record.value,
          headers: record.headers,
        }),
      ),
    })
    const bytes = Buffer.from(encoded.buffer)
    // The log assigns offsets: baseOffset is outside the CRC, so writing it keeps the batch valid.
    bytes.writeBigInt64BE(BigInt(offset), 0)
    batches.push({ baseOffset: offset, lastOffset: offset + count - 1, maxTimestamp, bytes, records })
    offset += count
  }
  return batches
}

function modelOf(batches: readonly InputBatch[]): BatchModel {
  const records = batches.flatMap((batch) => batch.records)
  return { batches: batches.map((batch) => ({ ...batch })), records, logEndOffset: records.length }
}

/** An engine dir with topic `kjs` whose partition holds only the KafkaJS-written `.log` files. */
async function kafkaWrittenPartition(
  batches: readonly InputBatch[],
): Promise<{ dir: string; partitionDir: string; segments: InputBatch[][] }> {
  const dir = await makeTmpDir()
  const engine = await openQuietEngine(dir)
  await engine.createTopic(TOPIC, { indexIntervalBytes: INDEX_INTERVAL_BYTES })
  await engine.close()
  const partitionDir = path.join(dir, `${TOPIC}-0`)
  for (const name of fs.readdirSync(partitionDir)) fs.rmSync(path.join(partitionDir, name))
  const segments = [batches.slice(0, SPLIT_AT), batches.slice(SPLIT_AT)]
  for (const segment of segments) {
    fs.writeFileSync(
      path.join(partitionDir, offsetFileName(segment[0]!.baseOffset, '.log')),
      Buffer.concat(segment.map((batch) => batch.bytes)),
    )
  }
  return { dir, partitionDir, segments }
}

/** Every record, every batch's raw bytes and timestamp lookups, against the KafkaJS input. */
async function expectSameAsKafkaJs(engine: LogEngine, batches: readonly InputBatch[]): Promise<void> {
  const model = modelOf(batches)
  const log = engine.partition(TOPIC, 0)
  expect(log.logEndOffset).toBe(model.logEndOffset)
  const read = []
  for await (const record of log.records({ from: 0 })) {
    read.push({
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key?.toString('hex') ?? null,
      value: record.value?.toString('hex') ?? null,
      headers: Object.fromEntries(record.headers.map((header) => [header.key, header.value?.toString('hex') ?? null])),
    })
  }
  expect(read).toEqual(
    model.records.map((record) => ({
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key?.toString('hex') ?? null,
      value: record.value?.toString('hex') ?? null,
      headers: Object.fromEntries(Object.entries((record as InputRecord).headers).map(([key, value]) => [key, value.toString('hex')])),
    })),
  )
  for (const batch of batches) {
    const raw = await log.readRaw(batch.lastOffset, { maxBytes: 1 })
    expect(raw.bytes.equals(batch.bytes), `batch at ${batch.baseOffset}`).toBe(true)
  }
  const probes = new Set<number>([0, 1_699_999_999_999, 1_700_000_002_000])
  for (const record of model.records) for (const delta of [-1, 0, 1]) probes.add(record.timestamp + delta)
  for (const probe of probes)
    expect(await log.offsetForTimestamp(probe), `offsetForTimestamp(${probe})`).toEqual(modelOffsetForTimestamp(model, probe))
  expect(await log.offsetForTimestamp(MAX_TIMESTAMP)).toEqual(modelMaxTimestamp(model))
}

/** The index files on disk are what Kafka's rule gives for these batches. */
function expectKafkaIndexes(partitionDir: string, segments: readonly InputBatch[][]): void {
  for (const segment of segments) {
    const base = segment[0]!.baseOffset
    const expected = modelIndexEntries(
      segment.map((batch) => ({ lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp, size: batch.bytes.length })),
      INDEX_INTERVAL_BYTES,
    )
    expect(expected.offsetEntries.length).toBeGreaterThan(3)
    expect(parseOffsetIndex(fs.readFileSync(path.join(partitionDir, offsetFileName(base, '.index'))), base)).toEqual(expected.offsetEntries)
    expect(parseTimeIndex(fs.readFileSync(path.join(partitionDir, offsetFileName(base, '.timeindex'))), base)).toEqual(expected.timeEntries)
  }
}

describe('a partition written by KafkaJS', () => {
  it('opens after a clean shutdown with no index files: indexes rebuilt, records identical', async () => {
    const batches = await kafkaBatches()
    const { dir, partitionDir, segments } = await kafkaWrittenPartition(batches)
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true)
    expect(indexFiles(partitionDir)).toEqual([])

    let engine = await openQuietEngine(dir)
    expect(engine.wasCleanShutdown).toBe(true)
    expect(engine.partition(TOPIC, 0).segmentList.map((segment) => segment.baseOffset)).toEqual(
      segments.map((segment) => segment[0]!.baseOffset),
    )
    await expectSameAsKafkaJs(engine, batches)
    await engine.close()
    expectKafkaIndexes(partitionDir, segments)

    // Reopened with the rebuilt indexes: same answers, and appends continue after KafkaJS's offsets.
    engine = await openQuietEngine(dir)
    await expectSameAsKafkaJs(engine, batches)
    const info = await engine.partition(TOPIC, 0).appendRecords([{ value: Buffer.from('seglog'), timestamp: 1_800_000_000_000 }])
    expect(info.baseOffset).toBe(batches[batches.length - 1]!.lastOffset + 1)
    await engine.close()
  })

  it('opens after an unclean shutdown with no index files: recovered without cutting anything', async () => {
    const batches = await kafkaBatches()
    const { dir, partitionDir, segments } = await kafkaWrittenPartition(batches)
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE))
    const warnings: string[] = []
    const engine = await LogEngine.open({ dir, flush: 'os', onWarning: (message) => warnings.push(message) })
    expect(engine.wasCleanShutdown).toBe(false)
    await expectSameAsKafkaJs(engine, batches)
    await engine.close()
    expect(warnings.filter((message) => message.includes('recovery'))).toEqual([])
    expectKafkaIndexes(partitionDir, segments)
    for (const segment of segments) {
      expect(fs.statSync(path.join(partitionDir, offsetFileName(segment[0]!.baseOffset, '.log'))).size).toBe(
        segment.reduce((total, batch) => total + batch.bytes.length, 0),
      )
    }
  })
})

import { fork } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { CLEAN_SHUTDOWN_FILE, type LogEngine } from '../../src/engine/log-engine.js'
import type { AppendInfo, PartitionLog } from '../../src/log/partition-log.js'
import { InvalidProducerEpochError, OutOfOrderSequenceError } from '../../src/log/producer-state.js'
import { offsetFileName } from '../../src/log/segment-files.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import type { RecordInput } from '../../src/record/record.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { childRecords } from './idempotent-writer-child.js'
import { REPO_ROOT } from '../helpers/paths.js'
import { rejection } from '../helpers/errors.js'

/**
 * Idempotent appends at the partition log: a retried batch (same producer id, epoch and
 * sequences) is answered with its first offsets instead of being written again, for any of the
 * producer's last five batches; gaps and fenced epochs are refused. The state survives a clean
 * restart through the `<offset>.snapshot` file (Kafka's producer snapshot, spec §16.4) and an
 * unclean one by replaying the log.
 */

const require = createRequire(import.meta.url)
/** KafkaJS's CRC-32C: an implementation independent of the one under test. */
const kafkaCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number

const WRITER_CHILD = fileURLToPath(new URL('./idempotent-writer-child.ts', import.meta.url))

const engines: LogEngine[] = []

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close().catch(() => undefined)
  await removeTmpDirs()
})

async function open(dir: string): Promise<LogEngine> {
  const engine = await openQuietEngine(dir)
  engines.push(engine)
  return engine
}

async function close(engine: LogEngine): Promise<void> {
  engines.splice(engines.indexOf(engine), 1)
  await engine.close()
}

async function openWithTopic(partitions = 1, segmentBytes?: number): Promise<{ dir: string; engine: LogEngine; log: PartitionLog }> {
  const dir = await makeTmpDir('seglog-idempotence-')
  const engine = await open(dir)
  await engine.createTopic('t', { partitions, ...(segmentBytes !== undefined && { segmentBytes }) })
  return { dir, engine, log: engine.partition('t', 0) }
}

const PRODUCER_ID = 0x1234_5678_9a
/** Record counts of the batches the tests write: varied, so sequence ranges differ in length. */
const BATCH_SIZES = [3, 1, 4, 2, 5, 3, 2] as const

interface WrittenBatch {
  firstSequence: number
  records: RecordInput[]
  info: AppendInfo
}

function recordsFor(batch: number, count: number): RecordInput[] {
  return Array.from({ length: count }, (_, slot) => ({
    key: Buffer.from(`b${batch}`),
    value: Buffer.from(`batch ${batch} record ${slot}`),
    timestamp: 1_000_000 + batch * 100 + slot,
  }))
}

function idempotent(firstSequence: number, producerEpoch = 0, producerId = PRODUCER_ID) {
  return { producerId, producerEpoch, baseSequence: firstSequence, compression: 'none' as const }
}

/** Appends BATCH_SIZES batches of one producer, sequences continuing from 0. */
async function writeBatches(log: PartitionLog, producerEpoch = 0): Promise<WrittenBatch[]> {
  const written: WrittenBatch[] = []
  let sequence = 0
  for (const [batch, count] of BATCH_SIZES.entries()) {
    const records = recordsFor(batch, count)
    const info = await log.appendRecords(records, idempotent(sequence, producerEpoch))
    expect(info.isDuplicate).toBeFalsy()
    written.push({ firstSequence: sequence, records, info })
    sequence += count
  }
  return written
}

async function retry(log: PartitionLog, batch: WrittenBatch, producerEpoch = 0): Promise<AppendInfo> {
  return log.appendRecords(batch.records, idempotent(batch.firstSequence, producerEpoch))
}

function expectDuplicateOf(info: AppendInfo, original: WrittenBatch): void {
  expect(info.isDuplicate).toBe(true)
  expect(info.size).toBe(0)
  expect(info.baseOffset).toBe(original.info.baseOffset)
  expect(info.lastOffset).toBe(original.info.lastOffset)
  expect(info.maxTimestamp).toBe(original.info.maxTimestamp)
}

async function storedValues(log: PartitionLog): Promise<string[]> {
  const values: string[] = []
  for await (const record of log.records({ from: log.logStartOffset })) values.push(record.value!.toString())
  return values
}

interface SnapshotEntry {
  producerId: bigint
  epoch: number
  lastSequence: number
  lastOffset: bigint
  offsetDelta: number
  timestamp: bigint
  coordinatorEpoch: number
  currentTxnFirstOffset: bigint
}

/** Parses a producer snapshot by the spec's byte table (§16.4), checking version and CRC. */
function parseSnapshot(bytes: Buffer): SnapshotEntry[] {
  expect(bytes.readInt16BE(0)).toBe(1)
  expect(bytes.readUInt32BE(2)).toBe(kafkaCrc32C(bytes.subarray(6)))
  const count = bytes.readInt32BE(6)
  expect(bytes.length).toBe(10 + 46 * count)
  const entries: SnapshotEntry[] = []
  for (let slot = 0; slot < count; slot++) {
    const at = 10 + 46 * slot
    entries.push({
      producerId: bytes.readBigInt64BE(at),
      epoch: bytes.readInt16BE(at + 8),
      lastSequence: bytes.readInt32BE(at + 10),
      lastOffset: bytes.readBigInt64BE(at + 14),
      offsetDelta: bytes.readInt32BE(at + 22),
      timestamp: bytes.readBigInt64BE(at + 26),
      coordinatorEpoch: bytes.readInt32BE(at + 34),
      currentTxnFirstOffset: bytes.readBigInt64BE(at + 38),
    })
  }
  return entries
}

function snapshotFiles(partitionDir: string): string[] {
  return fs
    .readdirSync(partitionDir)
    .filter((name) => name.endsWith('.snapshot'))
    .sort()
}

describe('idempotent appends', () => {
  it('answers a retried batch (same bytes, via appendBatch) with its first offsets and writes nothing', async () => {
    const { log } = await openWithTopic()
    await log.appendRecords([{ value: Buffer.from('before') }]) // so the batch does not land at 0
    const bytes = encodeBatch(recordsFor(0, 3), { producerId: PRODUCER_ID, producerEpoch: 0, baseSequence: 0 })
    const retried = Buffer.from(bytes) // what a client would send again: baseOffset still 0
    const first = await log.appendBatch(bytes)
    expect(first).toMatchObject({ baseOffset: 1, lastOffset: 3, size: bytes.length })
    expect(first.isDuplicate).toBeFalsy()
    expect(new RecordBatch(bytes).baseOffset).toBe(1) // stamped in place
    const end = log.logEndOffset
    const size = log.sizeInBytes

    const second = await log.appendBatch(retried)
    expect(second).toEqual({ baseOffset: 1, lastOffset: 3, maxTimestamp: first.maxTimestamp, size: 0, isDuplicate: true })
    expect(log.logEndOffset).toBe(end)
    expect(log.sizeInBytes).toBe(size)
    expect(await storedValues(log)).toEqual(['before', 'batch 0 record 0', 'batch 0 record 1', 'batch 0 record 2'])
  })

  it('answers a retried appendRecords with the same producer id, epoch and base sequence', async () => {
    const { log } = await openWithTopic()
    const records = recordsFor(0, 2)
    const first = await log.appendRecords(records, idempotent(0))
    const second = await log.appendRecords(records, idempotent(0))
    expectDuplicateOf(second, { firstSequence: 0, records, info: first })
    expect(log.logEndOffset).toBe(2)
  })

  it('recognises a retry of any of the last five batches, and refuses older ones as out of order', async () => {
    const { log } = await openWithTopic()
    const written = await writeBatches(log)
    const end = log.logEndOffset
    for (const slot of [6, 2, 4, 3, 5, 6]) expectDuplicateOf(await retry(log, written[slot]!), written[slot]!)
    for (const slot of [0, 1]) {
      // Only five batches are remembered (Kafka's max.in.flight); an older retry is a sequence error.
      const error = await rejection(retry(log, written[slot]!))
      expect(error.code).toBe('OUT_OF_ORDER_SEQUENCE')
    }
    expect(log.logEndOffset).toBe(end)
    const nextSequence = written[6]!.firstSequence + BATCH_SIZES[6]
    const next = await log.appendRecords(recordsFor(7, 2), idempotent(nextSequence))
    expect(next).toMatchObject({ baseOffset: end, lastOffset: end + 1 })
  })

  it('refuses a sequence gap or a reordered batch with OUT_OF_ORDER_SEQUENCE and writes nothing', async () => {
    const { log } = await openWithTopic()
    const written = await writeBatches(log)
    const end = log.logEndOffset
    const expected = written[6]!.firstSequence + BATCH_SIZES[6]
    const gap = await rejection(log.appendRecords(recordsFor(9, 1), idempotent(expected + 1)))
    expect(gap.code).toBe('OUT_OF_ORDER_SEQUENCE')
    expect(gap).toBeInstanceOf(OutOfOrderSequenceError)
    expect((gap as OutOfOrderSequenceError).expected).toBe(expected)
    expect((gap as OutOfOrderSequenceError).received).toBe(expected + 1)
    // Starts inside an earlier batch but is not a copy of it.
    const overlap = await rejection(log.appendRecords(recordsFor(9, 1), idempotent(written[5]!.firstSequence + 1)))
    expect(overlap.code).toBe('OUT_OF_ORDER_SEQUENCE')
    // Same first sequence as a remembered batch, different length.
    const reshaped = await rejection(log.appendRecords(recordsFor(9, 1), idempotent(written[6]!.firstSequence)))
    expect(reshaped.code).toBe('OUT_OF_ORDER_SEQUENCE')
    expect(log.logEndOffset).toBe(end)
  })

  it('fences an older epoch with INVALID_PRODUCER_EPOCH; a newer epoch must start at sequence 0', async () => {
    const { log } = await openWithTopic()
    await log.appendRecords(recordsFor(0, 2), idempotent(0, 1))
    const older = await rejection(log.appendRecords(recordsFor(1, 1), idempotent(2, 0)))
    expect(older.code).toBe('INVALID_PRODUCER_EPOCH')
    expect(older).toBeInstanceOf(InvalidProducerEpochError)
    expect((older as InvalidProducerEpochError).current).toBe(1)
    expect((older as InvalidProducerEpochError).received).toBe(0)
    expect((await rejection(log.appendRecords(recordsFor(1, 1), idempotent(2, 2)))).code).toBe('OUT_OF_ORDER_SEQUENCE')
    const bumped = await log.appendRecords(recordsFor(1, 1), idempotent(0, 2))
    expect(bumped).toMatchObject({ baseOffset: 2, lastOffset: 2 })
    expect(bumped.isDuplicate).toBeFalsy()
    expect((await rejection(log.appendRecords(recordsFor(2, 1), idempotent(3, 1)))).code).toBe('INVALID_PRODUCER_EPOCH')
    expect(log.logEndOffset).toBe(3)
  })

  it('keeps producers apart: the same sequences from two producer ids are two batches', async () => {
    const { log } = await openWithTopic()
    const first = await log.appendRecords(recordsFor(0, 2), idempotent(0, 0, 1))
    const second = await log.appendRecords(recordsFor(0, 2), idempotent(0, 0, 2))
    expect(second.isDuplicate).toBeFalsy()
    expect(second.baseOffset).toBe(first.lastOffset + 1)
    // Batches without a producer id are never deduplicated.
    const plain = recordsFor(5, 1)
    await log.appendRecords(plain)
    expect((await log.appendRecords(plain)).isDuplicate).toBeFalsy()
    expect(log.logEndOffset).toBe(6)
  })

  it('refuses a duplicate inside a multi-batch appendBatch, writing none of the batches', async () => {
    const { log } = await openWithTopic()
    const first = encodeBatch(recordsFor(0, 2), { producerId: PRODUCER_ID, producerEpoch: 0, baseSequence: 0 })
    const retried = Buffer.from(first)
    await log.appendBatch(first)
    const fresh = encodeBatch(recordsFor(1, 1), { producerId: 77, producerEpoch: 0, baseSequence: 0 })
    const error = await rejection(log.appendBatch(Buffer.concat([fresh, retried])))
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(log.logEndOffset).toBe(2)
  })
})

describe('idempotence across a restart', () => {
  it('writes a <log end>.snapshot in Kafka format on close, and detects the retry after reopening', async () => {
    const { dir, engine, log } = await openWithTopic()
    const written = await writeBatches(log, 3)
    const end = log.logEndOffset
    const partitionDir = log.dir
    await close(engine)

    expect(snapshotFiles(partitionDir)).toEqual([offsetFileName(end, '.snapshot')])
    expect(offsetFileName(end, '.snapshot')).toMatch(/^\d{20}\.snapshot$/)
    const entries = parseSnapshot(fs.readFileSync(path.join(partitionDir, offsetFileName(end, '.snapshot'))))
    const last = written[6]!
    expect(entries).toEqual([
      {
        producerId: BigInt(PRODUCER_ID),
        epoch: 3,
        lastSequence: last.firstSequence + BATCH_SIZES[6] - 1,
        lastOffset: BigInt(last.info.lastOffset),
        offsetDelta: BATCH_SIZES[6] - 1,
        timestamp: BigInt(last.info.maxTimestamp),
        coordinatorEpoch: -1,
        currentTxnFirstOffset: -1n,
      },
    ])

    const reopened = await open(dir)
    expect(reopened.wasCleanShutdown).toBe(true)
    const again = reopened.partition('t', 0)
    expectDuplicateOf(await retry(again, last, 3), last)
    expect(again.logEndOffset).toBe(end)
    // Like Kafka's snapshot, only the newest batch per producer survives a clean restart.
    expect((await rejection(retry(again, written[4]!, 3))).code).toBe('OUT_OF_ORDER_SEQUENCE')
    expect((await rejection(again.appendRecords(recordsFor(9, 1), idempotent(0, 2)))).code).toBe('INVALID_PRODUCER_EPOCH')
    const next = await again.appendRecords(recordsFor(7, 1), idempotent(last.firstSequence + BATCH_SIZES[6], 3))
    expect(next.baseOffset).toBe(end)
  })

  it('rebuilds the state by replaying the log when the snapshot and the clean-shutdown marker are gone', async () => {
    const { dir, engine, log } = await openWithTopic()
    const written = await writeBatches(log)
    const end = log.logEndOffset
    const partitionDir = log.dir
    await close(engine)
    for (const name of snapshotFiles(partitionDir)) fs.rmSync(path.join(partitionDir, name))
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE))

    const reopened = await open(dir)
    expect(reopened.wasCleanShutdown).toBe(false)
    const again = reopened.partition('t', 0)
    // Replay sees every batch, so all of the last five are known again.
    for (const slot of [2, 3, 4, 5, 6]) expectDuplicateOf(await retry(again, written[slot]!), written[slot]!)
    expect(again.logEndOffset).toBe(end)
    const expected = written[6]!.firstSequence + BATCH_SIZES[6]
    expect((await rejection(again.appendRecords(recordsFor(8, 1), idempotent(expected + 3)))).code).toBe('OUT_OF_ORDER_SEQUENCE')
    expect((await again.appendRecords(recordsFor(8, 1), idempotent(expected))).baseOffset).toBe(end)
  })

  it('after a writer is killed, loads the roll snapshot, replays the rest and still detects the retry', async () => {
    const dir = await makeTmpDir('seglog-idempotence-kill-')
    const recordsPerBatch = 4
    const batches = 24
    const acks: { batch: number; baseOffset: number; lastOffset: number; maxTimestamp: number }[] = []
    const child = fork(
      WRITER_CHILD,
      [JSON.stringify({ dir, topic: 't', producerId: PRODUCER_ID, batches, recordsPerBatch, segmentBytes: 1024 })],
      {
        cwd: REPO_ROOT,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    )
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
    try {
      await new Promise<void>((resolve, reject) => {
        child.on(
          'message',
          (message: { t: string; message?: string; batch?: number; baseOffset?: number; lastOffset?: number; maxTimestamp?: number }) => {
            if (message.t === 'ack') acks.push(message as (typeof acks)[number])
            else if (message.t === 'done') resolve()
            else if (message.t === 'fatal') reject(new Error(`writer child failed: ${message.message}`))
          },
        )
        child.on('exit', (code) => reject(new Error(`writer child exited early with ${code}`)))
      })
    } finally {
      child.kill('SIGKILL')
    }
    expect(await exited).toBe('SIGKILL')
    expect(acks).toHaveLength(batches)

    const partitionDir = path.join(dir, 't-0')
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(false)
    // Snapshots were written at segment rolls only (no close): each named by a segment base offset.
    const snapshots = snapshotFiles(partitionDir)
    const segments = fs.readdirSync(partitionDir).filter((name) => name.endsWith('.log'))
    expect(segments.length).toBeGreaterThan(2)
    expect(snapshots.length).toBeGreaterThan(0)
    for (const name of snapshots) {
      expect(segments).toContain(name.replace('.snapshot', '.log'))
      const [entry] = parseSnapshot(fs.readFileSync(path.join(partitionDir, name)))
      expect(entry!.lastOffset).toBe(BigInt(Number(name.slice(0, 20)) - 1))
    }

    const engine = await open(dir)
    expect(engine.wasCleanShutdown).toBe(false)
    const log = engine.partition('t', 0)
    const last = acks[batches - 1]!
    expect(log.logEndOffset).toBe(last.lastOffset + 1)
    const retried = await log.appendRecords(childRecords(batches - 1, recordsPerBatch), idempotent((batches - 1) * recordsPerBatch))
    expect(retried).toEqual({
      baseOffset: last.baseOffset,
      lastOffset: last.lastOffset,
      maxTimestamp: last.maxTimestamp,
      size: 0,
      isDuplicate: true,
    })
    expect(log.logEndOffset).toBe(last.lastOffset + 1)
    const expected = batches * recordsPerBatch
    expect((await rejection(log.appendRecords(childRecords(batches, 1), idempotent(expected + 1)))).code).toBe('OUT_OF_ORDER_SEQUENCE')
    expect((await log.appendRecords(childRecords(batches, 1), idempotent(expected))).baseOffset).toBe(last.lastOffset + 1)
  })
})

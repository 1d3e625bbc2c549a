import fs from 'node:fs'
import { SeglogError } from '../../errors.js'
import { wrapIo } from '../../log/errors.js'
import { crc32c } from '../../record/crc32c.js'
import { CorruptRecordError } from '../../record/errors.js'
import { readSafeInt64BE } from '../../record/int64.js'
import { describeOpenFailure, type FileDumper } from './dump-log.js'

/**
 * `seglog dump` for producer-state snapshots (`<offset>.snapshot`), one line per producer in the
 * shape of Kafka's DumpLogSegments (dumpProducerIdSnapshot). The layout is Kafka's version 1,
 * which src/log/producer-state.ts writes; it is decoded here from the bytes because the log layer
 * keeps only what deduplication needs.
 *
 * | pos | size | field                                  |
 * |----:|-----:|----------------------------------------|
 * |   0 |    2 | version (1)                            |
 * |   2 |    4 | CRC-32C of bytes [6, end)              |
 * |   6 |    4 | producer count                         |
 * |  10 | 46×n | producers, laid out as ENTRY_* below   |
 */

const VERSION_OFFSET = 0
const CRC_OFFSET = 2
const COUNT_OFFSET = 6
const HEADER_SIZE = 10
const ENTRY_SIZE = 46
const ENTRY_PRODUCER_ID_OFFSET = 0
const ENTRY_EPOCH_OFFSET = 8
const ENTRY_LAST_SEQUENCE_OFFSET = 10
const ENTRY_LAST_OFFSET_OFFSET = 14
const ENTRY_OFFSET_DELTA_OFFSET = 22
const ENTRY_TIMESTAMP_OFFSET = 26
const ENTRY_COORDINATOR_EPOCH_OFFSET = 34
const ENTRY_TXN_FIRST_OFFSET_OFFSET = 38

interface SnapshotEntry {
  producerId: number
  producerEpoch: number
  coordinatorEpoch: number
  currentTxnFirstOffset: number | null
  lastTimestamp: number
  /** The last batch, when the producer has one (last offset >= 0). */
  batch: { firstSequence: number; lastSequence: number; lastOffset: number; offsetDelta: number; timestamp: number } | null
}

/** Decodes a snapshot; throws CorruptRecordError (reason, byte position) for a damaged one. */
export function decodeProducerSnapshot(bytes: Buffer): SnapshotEntry[] {
  if (bytes.length < HEADER_SIZE) throw new CorruptRecordError('bad-length', 0, `${bytes.length} bytes is below the ${HEADER_SIZE}-byte snapshot header`)
  const version = bytes.readInt16BE(VERSION_OFFSET)
  if (version !== 1) throw new CorruptRecordError('bad-magic', VERSION_OFFSET, `snapshot version ${version}, expected 1`)
  const stored = bytes.readUInt32BE(CRC_OFFSET)
  const computed = crc32c(bytes.subarray(COUNT_OFFSET))
  if (stored !== computed) throw new CorruptRecordError('bad-crc', CRC_OFFSET, `stored crc ${stored} but the snapshot computes to ${computed}`)
  const count = bytes.readInt32BE(COUNT_OFFSET)
  if (count < 0 || bytes.length !== HEADER_SIZE + ENTRY_SIZE * count) {
    throw new CorruptRecordError('bad-length', COUNT_OFFSET, `${count} producers need ${HEADER_SIZE + ENTRY_SIZE * count} bytes, the file has ${bytes.length}`)
  }
  const entries: SnapshotEntry[] = []
  for (let slot = 0, at = HEADER_SIZE; slot < count; slot++, at += ENTRY_SIZE) {
    const lastSequence = bytes.readInt32BE(at + ENTRY_LAST_SEQUENCE_OFFSET)
    const lastOffset = readSafeInt64BE(bytes, at + ENTRY_LAST_OFFSET_OFFSET)
    const offsetDelta = bytes.readInt32BE(at + ENTRY_OFFSET_DELTA_OFFSET)
    const timestamp = readSafeInt64BE(bytes, at + ENTRY_TIMESTAMP_OFFSET)
    const txnFirstOffset = readSafeInt64BE(bytes, at + ENTRY_TXN_FIRST_OFFSET_OFFSET)
    // Kafka's BatchMetadata.firstSeq: the sequence space wraps from Int32.MAX to 0.
    const firstSequence = lastSequence - offsetDelta < 0 ? lastSequence - offsetDelta + 0x80000000 : lastSequence - offsetDelta
    entries.push({
      producerId: readSafeInt64BE(bytes, at + ENTRY_PRODUCER_ID_OFFSET),
      producerEpoch: bytes.readInt16BE(at + ENTRY_EPOCH_OFFSET),
      coordinatorEpoch: bytes.readInt32BE(at + ENTRY_COORDINATOR_EPOCH_OFFSET),
      currentTxnFirstOffset: txnFirstOffset >= 0 ? txnFirstOffset : null,
      lastTimestamp: timestamp,
      batch: lastOffset >= 0 ? { firstSequence, lastSequence, lastOffset, offsetDelta, timestamp } : null,
    })
  }
  return entries
}

export const dumpSnapshotFile: FileDumper = async (file, options, out) => {
  if (options.json) out.line(JSON.stringify({ type: 'file', file }))
  else out.line(`Dumping ${file}`)
  let entries: SnapshotEntry[]
  try {
    entries = decodeProducerSnapshot(wrapIo('read', file, () => fs.readFileSync(file)))
  } catch (error) {
    if (error instanceof CorruptRecordError) {
      out.problem(`${error.inFile(file, 0).message}: not a readable producer snapshot`)
      return 'problems'
    }
    if (!(error instanceof SeglogError)) throw error
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  for (const entry of entries) {
    out.line(options.json ? snapshotJson(entry) : snapshotLine(entry))
    if (out.isFull) await out.flush()
  }
  return 'clean'
}

/** Kafka's line: the producer fields, then the last batch's when there is one (note the space). */
function snapshotLine(entry: SnapshotEntry): string {
  const txn = entry.currentTxnFirstOffset === null ? 'OptionalLong.empty' : `OptionalLong[${entry.currentTxnFirstOffset}]`
  let line = `producerId: ${entry.producerId} producerEpoch: ${entry.producerEpoch} coordinatorEpoch: ${entry.coordinatorEpoch}` +
    ` currentTxnFirstOffset: ${txn} lastTimestamp: ${entry.lastTimestamp} `
  const batch = entry.batch
  if (batch !== null) {
    line += `firstSequence: ${batch.firstSequence} lastSequence: ${batch.lastSequence} lastOffset: ${batch.lastOffset}` +
      ` offsetDelta: ${batch.offsetDelta} timestamp: ${batch.timestamp}`
  }
  return line
}

function snapshotJson(entry: SnapshotEntry): string {
  return JSON.stringify({
    type: 'producer',
    producerId: entry.producerId,
    producerEpoch: entry.producerEpoch,
    coordinatorEpoch: entry.coordinatorEpoch,
    currentTxnFirstOffset: entry.currentTxnFirstOffset,
    lastTimestamp: entry.lastTimestamp,
    firstSequence: entry.batch?.firstSequence ?? null,
    lastSequence: entry.batch?.lastSequence ?? null,
    lastOffset: entry.batch?.lastOffset ?? null,
    offsetDelta: entry.batch?.offsetDelta ?? null,
    timestamp: entry.batch?.timestamp ?? null,
  })
}

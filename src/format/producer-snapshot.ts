import { crc32c } from '../record/crc32c.js'
import { CorruptRecordError } from '../record/errors.js'
import { readSafeInt64BE, writeInt64BE } from '../record/int64.js'

/**
 * Kafka's producer-state snapshot, version 1 (`<offset>.snapshot` in a partition directory):
 * the idempotent producers of a partition as of that offset. Big-endian.
 *
 * | pos | size | field                                  |
 * |----:|-----:|----------------------------------------|
 * |   0 |    2 | version (1)                            |
 * |   2 |    4 | CRC-32C of bytes [6, end)              |
 * |   6 |    4 | producer count                         |
 * |  10 | 46×n | producers, laid out as ENTRY_* below   |
 *
 * One producer (46 bytes), positions relative to the entry:
 *
 * | pos | size | field                                               |
 * |----:|-----:|-----------------------------------------------------|
 * |   0 |    8 | producer id                                         |
 * |   8 |    2 | producer epoch                                      |
 * |  10 |    4 | last sequence (-1: no batch)                        |
 * |  14 |    8 | last offset (-1: no batch)                          |
 * |  22 |    4 | offset delta (last offset - the batch's base offset) |
 * |  26 |    8 | timestamp of the last batch                         |
 * |  34 |    4 | coordinator epoch (-1 outside transactions)         |
 * |  38 |    8 | current transaction's first offset (-1: none)       |
 *
 * Kafka keeps one batch per producer here, the newest; so does seglog. Pure: the log layer
 * (src/log/producer-state.ts) and `seglog dump` both read snapshots through this.
 */
export const SNAPSHOT_VERSION = 1
const VERSION_OFFSET = 0
const CRC_OFFSET = 2
const COUNT_OFFSET = 6
export const SNAPSHOT_HEADER_SIZE = 10
export const SNAPSHOT_ENTRY_SIZE = 46
const ENTRY_PRODUCER_ID_OFFSET = 0
const ENTRY_EPOCH_OFFSET = 8
const ENTRY_LAST_SEQUENCE_OFFSET = 10
const ENTRY_LAST_OFFSET_OFFSET = 14
const ENTRY_OFFSET_DELTA_OFFSET = 22
const ENTRY_TIMESTAMP_OFFSET = 26
const ENTRY_COORDINATOR_EPOCH_OFFSET = 34
const ENTRY_TXN_FIRST_OFFSET_OFFSET = 38

/** The last batch of a producer, as a snapshot keeps it. */
export interface SnapshotBatch {
  firstSequence: number
  lastSequence: number
  lastOffset: number
  offsetDelta: number
  timestamp: number
}

export interface SnapshotEntry {
  producerId: number
  producerEpoch: number
  coordinatorEpoch: number
  currentTxnFirstOffset: number | null
  lastTimestamp: number
  /** The last batch, when the producer has one (last offset >= 0). */
  batch: SnapshotBatch | null
}

/** The first sequence of a batch from its last one: the sequence space wraps from 2^31-1 to 0 (Kafka's BatchMetadata.firstSeq). */
export function firstSequenceOf(lastSequence: number, offsetDelta: number): number {
  const first = lastSequence - offsetDelta
  return first < 0 ? first + 0x80000000 : first
}

export function encodeProducerSnapshot(entries: readonly SnapshotEntry[]): Buffer {
  const buf = Buffer.alloc(SNAPSHOT_HEADER_SIZE + SNAPSHOT_ENTRY_SIZE * entries.length)
  buf.writeInt16BE(SNAPSHOT_VERSION, VERSION_OFFSET)
  buf.writeInt32BE(entries.length, COUNT_OFFSET)
  let at = SNAPSHOT_HEADER_SIZE
  for (const entry of entries) {
    const batch = entry.batch
    writeInt64BE(buf, entry.producerId, at + ENTRY_PRODUCER_ID_OFFSET)
    buf.writeInt16BE(entry.producerEpoch, at + ENTRY_EPOCH_OFFSET)
    buf.writeInt32BE(batch?.lastSequence ?? -1, at + ENTRY_LAST_SEQUENCE_OFFSET)
    writeInt64BE(buf, batch?.lastOffset ?? -1, at + ENTRY_LAST_OFFSET_OFFSET)
    buf.writeInt32BE(batch?.offsetDelta ?? 0, at + ENTRY_OFFSET_DELTA_OFFSET)
    writeInt64BE(buf, entry.lastTimestamp, at + ENTRY_TIMESTAMP_OFFSET)
    buf.writeInt32BE(entry.coordinatorEpoch, at + ENTRY_COORDINATOR_EPOCH_OFFSET)
    writeInt64BE(buf, entry.currentTxnFirstOffset ?? -1, at + ENTRY_TXN_FIRST_OFFSET_OFFSET)
    at += SNAPSHOT_ENTRY_SIZE
  }
  buf.writeUInt32BE(crc32c(buf.subarray(COUNT_OFFSET)), CRC_OFFSET)
  return buf
}

/** Decodes a snapshot; throws CorruptRecordError (reason, byte position) for a damaged one. */
export function decodeProducerSnapshot(bytes: Buffer): SnapshotEntry[] {
  if (bytes.length < SNAPSHOT_HEADER_SIZE)
    throw new CorruptRecordError('bad-length', 0, `${bytes.length} bytes is below the ${SNAPSHOT_HEADER_SIZE}-byte snapshot header`)
  const version = bytes.readInt16BE(VERSION_OFFSET)
  if (version !== SNAPSHOT_VERSION)
    throw new CorruptRecordError('bad-magic', VERSION_OFFSET, `snapshot version ${version}, expected ${SNAPSHOT_VERSION}`)
  const stored = bytes.readUInt32BE(CRC_OFFSET)
  const computed = crc32c(bytes.subarray(COUNT_OFFSET))
  if (stored !== computed)
    throw new CorruptRecordError('bad-crc', CRC_OFFSET, `stored crc ${stored} but the snapshot computes to ${computed}`)
  const count = bytes.readInt32BE(COUNT_OFFSET)
  if (count < 0 || bytes.length !== SNAPSHOT_HEADER_SIZE + SNAPSHOT_ENTRY_SIZE * count) {
    throw new CorruptRecordError(
      'bad-length',
      COUNT_OFFSET,
      `${count} producers need ${SNAPSHOT_HEADER_SIZE + SNAPSHOT_ENTRY_SIZE * count} bytes, the file has ${bytes.length}`,
    )
  }
  const entries: SnapshotEntry[] = []
  for (let slot = 0, at = SNAPSHOT_HEADER_SIZE; slot < count; slot++, at += SNAPSHOT_ENTRY_SIZE) {
    const lastSequence = bytes.readInt32BE(at + ENTRY_LAST_SEQUENCE_OFFSET)
    const lastOffset = readSafeInt64BE(bytes, at + ENTRY_LAST_OFFSET_OFFSET)
    const offsetDelta = bytes.readInt32BE(at + ENTRY_OFFSET_DELTA_OFFSET)
    const timestamp = readSafeInt64BE(bytes, at + ENTRY_TIMESTAMP_OFFSET)
    const txnFirstOffset = readSafeInt64BE(bytes, at + ENTRY_TXN_FIRST_OFFSET_OFFSET)
    entries.push({
      producerId: readSafeInt64BE(bytes, at + ENTRY_PRODUCER_ID_OFFSET),
      producerEpoch: bytes.readInt16BE(at + ENTRY_EPOCH_OFFSET),
      coordinatorEpoch: bytes.readInt32BE(at + ENTRY_COORDINATOR_EPOCH_OFFSET),
      currentTxnFirstOffset: txnFirstOffset >= 0 ? txnFirstOffset : null,
      lastTimestamp: timestamp,
      batch:
        lastOffset >= 0
          ? { firstSequence: firstSequenceOf(lastSequence, offsetDelta), lastSequence, lastOffset, offsetDelta, timestamp }
          : null,
    })
  }
  return entries
}

import { CorruptRecordError } from '../record/errors.js'
import { readSafeInt64BE, writeInt64BE } from '../record/int64.js'

/**
 * Kafka's aborted-transaction index (`<base offset>.txnindex`, docs/format/txn-index.md): one
 * 34-byte entry per transaction whose ABORT marker lies in the segment, in marker order. Big-endian.
 *
 * | pos | size | field                                                        |
 * |----:|-----:|--------------------------------------------------------------|
 * |   0 |    2 | version (0)                                                  |
 * |   2 |    8 | producer id                                                  |
 * |  10 |    8 | first offset of the transaction (may lie in an older segment) |
 * |  18 |    8 | last offset: the offset of the ABORT marker                   |
 * |  26 |    8 | last stable offset when the abort completed                   |
 *
 * No CRC and no header: the file is derived data, rebuilt from the log when in doubt. A trailing
 * partial entry (a torn append) is ignored, as Kafka's iterator does. Pure: the log layer
 * (src/log/txn-index.ts) and the CLI read entries through this.
 */
export const TXN_INDEX_VERSION = 0
export const TXN_INDEX_ENTRY_SIZE = 34
const VERSION_OFFSET = 0
const PRODUCER_ID_OFFSET = 2
const FIRST_OFFSET_OFFSET = 10
const LAST_OFFSET_OFFSET = 18
const LAST_STABLE_OFFSET_OFFSET = 26

/** One aborted transaction: its producer, its offsets from first record to ABORT marker. */
export interface AbortedTxn {
  producerId: number
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

export function encodeAbortedTxn(entry: AbortedTxn, into: Buffer = Buffer.alloc(TXN_INDEX_ENTRY_SIZE), position = 0): Buffer {
  into.writeInt16BE(TXN_INDEX_VERSION, position + VERSION_OFFSET)
  writeInt64BE(into, entry.producerId, position + PRODUCER_ID_OFFSET)
  writeInt64BE(into, entry.firstOffset, position + FIRST_OFFSET_OFFSET)
  writeInt64BE(into, entry.lastOffset, position + LAST_OFFSET_OFFSET)
  writeInt64BE(into, entry.lastStableOffset, position + LAST_STABLE_OFFSET_OFFSET)
  return into
}

export function encodeTxnIndex(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * TXN_INDEX_ENTRY_SIZE)
  for (let slot = 0; slot < entries.length; slot++) encodeAbortedTxn(entries[slot]!, buf, slot * TXN_INDEX_ENTRY_SIZE)
  return buf
}

/**
 * The entries of a `.txnindex` file of the segment at `baseOffset`. Throws CorruptRecordError
 * (with the entry's byte position) for an unknown version, an entry whose marker lies below the
 * segment (Kafka's sanity check), first offset after last, or markers out of order.
 */
export function decodeTxnIndex(bytes: Buffer, baseOffset: number): AbortedTxn[] {
  const entries: AbortedTxn[] = []
  const whole = bytes.length - (bytes.length % TXN_INDEX_ENTRY_SIZE)
  let previousLast = -1
  for (let at = 0; at < whole; at += TXN_INDEX_ENTRY_SIZE) {
    const version = bytes.readInt16BE(at + VERSION_OFFSET)
    if (version !== TXN_INDEX_VERSION) throw new CorruptRecordError('bad-magic', at, `txn index entry version ${version}, expected 0`)
    const entry: AbortedTxn = {
      producerId: readSafeInt64BE(bytes, at + PRODUCER_ID_OFFSET),
      firstOffset: readSafeInt64BE(bytes, at + FIRST_OFFSET_OFFSET),
      lastOffset: readSafeInt64BE(bytes, at + LAST_OFFSET_OFFSET),
      lastStableOffset: readSafeInt64BE(bytes, at + LAST_STABLE_OFFSET_OFFSET),
    }
    if (entry.lastOffset < baseOffset)
      throw new CorruptRecordError(
        'bad-offset',
        at + LAST_OFFSET_OFFSET,
        `abort marker ${entry.lastOffset} below segment base ${baseOffset}`,
      )
    if (entry.firstOffset > entry.lastOffset || entry.lastOffset <= previousLast)
      throw new CorruptRecordError('bad-offset', at + FIRST_OFFSET_OFFSET, `entry ${entry.firstOffset}..${entry.lastOffset} out of order`)
    previousLast = entry.lastOffset
    entries.push(entry)
  }
  return entries
}

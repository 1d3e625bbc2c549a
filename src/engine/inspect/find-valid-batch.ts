import fs from 'node:fs'
import { wrapIo } from '../../log/errors.js'
import { DEFAULT_MAX_BATCH_BYTES } from '../../log/file-batch-reader.js'
import {
  BASE_OFFSET_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RecordBatch,
} from '../../record/record-batch.js'
import { MAX_RELATIVE_OFFSET } from '../../format/index-entry.js'

/**
 * Tells a torn tail from damage when a `.log` ends in bytes that do not frame as a whole batch.
 * A crash mid-append leaves part of ONE batch at the end, with nothing valid after it. A damaged
 * length field instead makes a valid batch's neighbours look like one huge partial batch: the
 * batches after the damage are still there, whole, with good CRCs. This looks for one of them.
 */

const SCAN_CHUNK_BYTES = 1024 * 1024

/**
 * File position of the first valid batch starting after `from` and ending by `end`, or null. A
 * candidate needs magic 2, a length that fits, a base offset in `[minOffset, minOffset + 2^31)` (a
 * batch of the same segment) and a matching CRC-32C, so random bytes practically never pass.
 */
export function findValidBatchAfter(file: string, from: number, end: number, minOffset: number): number | null {
  const fd = wrapIo('open', file, () => fs.openSync(file, 'r'))
  try {
    const chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES + BATCH_HEADER_SIZE)
    for (let start = from + 1; start + BATCH_HEADER_SIZE <= end; start += SCAN_CHUNK_BYTES) {
      const length = readFully(fd, file, chunk, Math.min(chunk.length, end - start), start)
      for (let at = 0; at < SCAN_CHUNK_BYTES && at + BATCH_HEADER_SIZE <= length; at++) {
        if (chunk[at + MAGIC_OFFSET] !== CURRENT_MAGIC) continue
        const size = LOG_OVERHEAD + chunk.readInt32BE(at + BATCH_LENGTH_OFFSET)
        const position = start + at
        if (size < BATCH_HEADER_SIZE || size > DEFAULT_MAX_BATCH_BYTES || position + size > end) continue
        const baseOffset = chunk.readInt32BE(at + BASE_OFFSET_OFFSET) * 0x1_0000_0000 + chunk.readUInt32BE(at + BASE_OFFSET_OFFSET + 4)
        if (baseOffset < minOffset || baseOffset - minOffset > MAX_RELATIVE_OFFSET || chunk.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET) < 0)
          continue
        const bytes = at + size <= length ? chunk.subarray(at, at + size) : readBatch(fd, file, position, size)
        if (new RecordBatch(bytes).isValid()) return position
      }
    }
    return null
  } finally {
    fs.closeSync(fd)
  }
}

function readBatch(fd: number, file: string, position: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  return bytes.subarray(0, readFully(fd, file, bytes, size, position))
}

function readFully(fd: number, file: string, buffer: Buffer, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const got = wrapIo('read', file, () => fs.readSync(fd, buffer, done, length - done, position + done))
    if (got === 0) break
    done += got
  }
  return done
}

import { BatchScanner } from '../../record/batch-scanner.js'
import type { RecordBatch } from '../../record/record-batch.js'
import type { Segment } from '../segment.js'

/** Bytes read from a segment at a time. */
const CHUNK_BYTES = 1024 * 1024
/**
 * The cleaner's work between batches is CPU (hashing, decoding, rewriting) on the event loop that
 * appends and reads share: it yields to them after about this many bytes of batches.
 */
const YIELD_EVERY_BYTES = 32 * 1024

/** Raised when a segment being cleaned was deleted or closed under the cleaner: the pass stops. */
export class SegmentGoneError extends Error {
  constructor(segment: Segment) {
    super(`segment ${segment.baseOffset} was removed while being cleaned`)
    this.name = 'SegmentGoneError'
  }
}

/**
 * The batches of one closed segment with offsets at or after `from`, read asynchronously a chunk
 * at a time, holding the segment during each read (so nothing blocks appends). `onChunk` sees the
 * bytes of each chunk (the throttle). Throws SegmentGoneError if the segment is retired meanwhile.
 */
export async function* segmentBatches(
  segment: Segment,
  from: number,
  endOffset: number,
  onChunk: (bytes: number) => Promise<void>,
): AsyncGenerator<RecordBatch> {
  let offset = Math.max(from, segment.baseOffset)
  while (offset < endOffset) {
    if (!segment.acquire()) throw new SegmentGoneError(segment)
    let read
    try {
      read = await segment.read(offset, CHUNK_BYTES, endOffset)
    } finally {
      segment.release()
    }
    if (read === null || read.bytes.length === 0) return
    await onChunk(read.bytes.length)
    const scanner = new BatchScanner(read.bytes)
    let sinceYield = 0
    for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
      yield batch
      sinceYield += batch.sizeInBytes
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    offset = read.nextOffset
  }
}

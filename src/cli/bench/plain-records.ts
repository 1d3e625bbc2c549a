import fs from 'node:fs'
import path from 'node:path'

/**
 * The baseline the log suite compares seglog's appends and reads with: the simplest storage of
 * the same records a JavaScript program could write by hand. Each record is
 *
 * | field       | bytes | notes                    |
 * |-------------|-------|--------------------------|
 * | keyLength   | 4     | uint32 big-endian        |
 * | key         | n     |                          |
 * | valueLength | 4     | uint32 big-endian        |
 * | value       | n     |                          |
 *
 * gathered in a 64 KiB buffer written with one synchronous write when full (no CRC, no offsets, no
 * index, no batching header). The reader reads 64 KiB at a time and hands out the key and value of
 * each record as views of its buffer, as a decoder of any format must.
 */
export const PLAIN_CHUNK_BYTES = 64 * 1024

export interface PlainRecord {
  key: Buffer
  value: Buffer
}

export interface PlainResult {
  recordsPerSec: number
  mbPerSec: number
}

/** Writes `rounds` × `records` to `file` and returns the rate; the file stays for the reader. */
export function writePlainRecords(file: string, records: readonly PlainRecord[], rounds: number): PlainResult & { bytes: number } {
  const fd = fs.openSync(file, 'w')
  const chunk = Buffer.allocUnsafe(PLAIN_CHUNK_BYTES)
  let used = 0
  let bytes = 0
  const flush = (): void => {
    fs.writeSync(fd, chunk, 0, used)
    bytes += used
    used = 0
  }
  const start = performance.now()
  try {
    for (let round = 0; round < rounds; round++) {
      for (let slot = 0; slot < records.length; slot++) {
        const { key, value } = records[slot]!
        const size = 8 + key.length + value.length
        if (used + size > chunk.length) flush()
        if (size > chunk.length) {
          // A record larger than the chunk goes out on its own.
          const single = Buffer.allocUnsafe(size)
          writeRecordAt(single, 0, key, value)
          fs.writeSync(fd, single)
          bytes += size
          continue
        }
        used = writeRecordAt(chunk, used, key, value)
      }
    }
    if (used > 0) flush()
  } finally {
    fs.closeSync(fd)
  }
  const seconds = (performance.now() - start) / 1000
  return { recordsPerSec: (rounds * records.length) / seconds, mbPerSec: bytes / 1e6 / seconds, bytes }
}

function writeRecordAt(buf: Buffer, position: number, key: Buffer, value: Buffer): number {
  buf.writeUInt32BE(key.length, position)
  key.copy(buf, position + 4)
  position += 4 + key.length
  buf.writeUInt32BE(value.length, position)
  value.copy(buf, position + 4)
  return position + 4 + value.length
}

/**
 * Reads the file back, calling `onRecord` with views of each key and value (so the work a reader
 * does with a record is the same for every reader compared); returns the rate and the count.
 */
export function readPlainRecords(file: string, onRecord: (key: Buffer, value: Buffer) => void): PlainResult & { records: number } {
  const fd = fs.openSync(file, 'r')
  let chunk = Buffer.allocUnsafe(PLAIN_CHUNK_BYTES)
  let records = 0
  let bytes = 0
  const start = performance.now()
  try {
    let position = 0
    let filled = 0
    for (;;) {
      const got = fs.readSync(fd, chunk, filled, chunk.length - filled, position)
      position += got
      filled += got
      bytes += got
      let at = 0
      for (;;) {
        if (at + 4 > filled) break
        const keyLength = chunk.readUInt32BE(at)
        if (at + 8 + keyLength > filled) break
        const valueLength = chunk.readUInt32BE(at + 4 + keyLength)
        const end = at + 8 + keyLength + valueLength
        if (end > filled) break
        onRecord(chunk.subarray(at + 4, at + 4 + keyLength), chunk.subarray(at + 8 + keyLength, end))
        records++
        at = end
      }
      if (got === 0) break
      // Keep the partial record at the start; grow when one record does not fit the chunk.
      const rest = filled - at
      const grown = rest === chunk.length ? Buffer.allocUnsafe(chunk.length * 2) : chunk
      chunk.copy(grown, 0, at, filled)
      chunk = grown
      filled = rest
    }
  } finally {
    fs.closeSync(fd)
  }
  const seconds = (performance.now() - start) / 1000
  return { recordsPerSec: records / seconds, mbPerSec: bytes / 1e6 / seconds, records }
}

export function plainFile(dir: string): string {
  return path.join(dir, 'plain-records.bin')
}

import { CorruptRecordError } from './errors.js'

const TWO_POW_32 = 0x1_0000_0000

/**
 * Reads a big-endian int64 as a number, exactly. Offsets, timestamps and producer ids are int64 on
 * disk; a value outside the safe integer range would be silently rounded, so it is rejected instead.
 */
export function readSafeInt64BE(buf: Buffer, position: number): number {
  const value = buf.readInt32BE(position) * TWO_POW_32 + buf.readUInt32BE(position + 4)
  if (!Number.isSafeInteger(value)) {
    throw new CorruptRecordError('unsafe-int64', position, `int64 ${buf.readBigInt64BE(position)} is outside the safe integer range`)
  }
  return value
}

/** Writes a safe integer as a big-endian int64 (two's complement for negatives). */
export function writeInt64BE(buf: Buffer, value: number, position: number): void {
  const high = Math.floor(value / TWO_POW_32)
  buf.writeInt32BE(high, position)
  buf.writeUInt32BE(value - high * TWO_POW_32, position + 4)
}

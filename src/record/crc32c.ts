import CRC32C from 'crc-32/crc32c.js'

/** CRC-32C (Castagnoli) as an unsigned 32-bit number, the checksum of record batch v2. */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0
}

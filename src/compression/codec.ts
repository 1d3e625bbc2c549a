/**
 * One compression codec, by Kafka's attribute id (bits 0-2 of a record batch's attributes).
 * Codecs are synchronous: batch encoding and decoding are pure functions over Buffers, and every
 * codec seglog ships (native lz4, snappy, zstd; zlib for gzip) is fast enough not to need a thread.
 */
export const COMPRESSION_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const

export type CompressionName = keyof typeof COMPRESSION_IDS
export type CompressionId = (typeof COMPRESSION_IDS)[CompressionName]

export interface Codec {
  readonly id: CompressionId
  readonly name: CompressionName
  /** Compresses the whole records area of a batch into Kafka's framing for this codec. */
  compress(input: Buffer): Buffer
  /**
   * Decompresses one records area. Throws CorruptCompressionError for malformed input, and also
   * when the output would exceed `maxOutputBytes`, so a hostile frame cannot make us allocate
   * gigabytes. `isLegacyHeaderChecksum` only matters to lz4: a magic-0 frame's header checksum is
   * not checked (it was computed wrongly by its writers).
   */
  decompress(input: Buffer, maxOutputBytes: number, isLegacyHeaderChecksum?: boolean): Buffer
}

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { codecForName, CorruptCompressionError, type CompressionName } from '../../src/compression/index.js'
import { randomBytes } from './helpers.js'

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/**
 * Short byte arrays straight from fast-check, and large ones (up to 200 KiB, across LZ4's 64 KiB
 * and snappy's 32 KiB block edges) from a size and a seed, since generating those byte by byte in
 * fast-check is slow. Both come as random bytes or as a 3-letter alphabet that compresses well.
 */
const shortPayloads = fc
  .oneof(fc.uint8Array(), fc.uint8Array({ min: 0x61, max: 0x63 }))
  .map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
const largePayloads = fc
  .record({ size: fc.integer({ min: 0, max: 200_000 }), seed: fc.integer(), isCompressible: fc.boolean() })
  .map(({ size, seed, isCompressible }) => {
    const bytes = randomBytes(size, seed)
    if (isCompressible) for (let position = 0; position < size; position++) bytes[position] = 0x61 + (bytes[position]! % 3)
    return bytes
  })
const payloads = fc.oneof(shortPayloads, largePayloads)

describe.each(CODECS)('%s (property)', (name) => {
  const codec = codecForName(name)

  it('decompress(compress(x)) is x, within a limit of exactly x.length', () => {
    fc.assert(
      fc.property(payloads, (input) => {
        expect(codec.decompress(codec.compress(input), input.length).equals(input)).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it('one byte under x.length is CorruptCompressionError', () => {
    fc.assert(
      fc.property(
        payloads.filter((input) => input.length > 0),
        (input) => {
          expect(() => codec.decompress(codec.compress(input), input.length - 1)).toThrow(CorruptCompressionError)
        },
      ),
      { numRuns: 30 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import { codecForName, type CompressionName } from '../../src/compression/index.js'
import { compressibleBytes, MIB, randomBytes, ROUND_TRIP_SIZES } from './helpers.js'

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const FIRST_BYTES: Record<CompressionName, string> = {
  none: '',
  gzip: '1f8b08',
  snappy: '82534e4150505900',
  lz4: '04224d18',
  zstd: '28b52ffd',
}

describe.each(CODECS)('%s', (name) => {
  const codec = codecForName(name)

  it.each(ROUND_TRIP_SIZES)('round-trips %i random bytes', (size) => {
    const input = randomBytes(size, size + 1)
    const compressed = codec.compress(input)
    expect(compressed.subarray(0, FIRST_BYTES[name].length / 2).toString('hex')).toBe(FIRST_BYTES[name])
    expect(codec.decompress(compressed, size).equals(input)).toBe(true)
  })

  it.each(ROUND_TRIP_SIZES)('round-trips %i compressible bytes', (size) => {
    const input = compressibleBytes(size, size + 2)
    const compressed = codec.compress(input)
    if (name !== 'none' && size >= 64 * 1024) expect(compressed.length).toBeLessThan(size / 2)
    expect(codec.decompress(compressed, size).equals(input)).toBe(true)
  })

  it('returns buffers that later calls do not overwrite', () => {
    const first = compressibleBytes(10_000, 7)
    const second = randomBytes(10_000, 8)
    const firstCompressed = codec.compress(first)
    const firstCopy = Buffer.from(firstCompressed)
    const secondCompressed = codec.compress(second)
    expect(firstCompressed.equals(firstCopy)).toBe(true)
    const firstOut = codec.decompress(firstCompressed, MIB)
    codec.decompress(secondCompressed, MIB)
    expect(firstOut.equals(first)).toBe(true)
  })

  it('rejects output one byte over maxOutputBytes, accepts it at exactly the limit', () => {
    const input = compressibleBytes(100_000, 9)
    const compressed = codec.compress(input)
    expect(codec.decompress(compressed, input.length).length).toBe(input.length)
    expect(() => codec.decompress(compressed, input.length - 1)).toThrow(expect.objectContaining({ code: 'CORRUPT_RECORD', codec: name }))
  })

  it('rejects a bad maxOutputBytes as a caller error', () => {
    const compressed = codec.compress(Buffer.from('x'))
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => codec.decompress(compressed, bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })
})

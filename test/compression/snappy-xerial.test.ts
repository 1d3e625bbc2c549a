import { describe, expect, it } from 'vitest'
import { CorruptCompressionError, SnappyXerialCodec, XERIAL_HEADER } from '../../src/compression/index.js'
import { compressibleBytes, KIB, MIB, randomBytes, snappy, thrownBy, uint32BE } from './helpers.js'

const codec = new SnappyXerialCodec(snappy)

/** A xerial stream built by hand from raw snappy blocks of the given inputs. */
function xerialStream(...inputs: Buffer[]): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER]
  for (const input of inputs) {
    const block = snappy.compressSync(input)
    parts.push(uint32BE(block.length), block)
  }
  return Buffer.concat(parts)
}

function corruptionOf(fn: () => unknown): CorruptCompressionError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(CorruptCompressionError)
  return error as CorruptCompressionError
}

describe('snappy (xerial): what we write', () => {
  it('writes the 16-byte header 82 53 4E 41 50 50 59 00 | 00000001 | 00000001, even for empty input', () => {
    expect(XERIAL_HEADER.toString('hex')).toBe('82534e4150505900' + '00000001' + '00000001')
    expect(codec.compress(Buffer.alloc(0)).toString('hex')).toBe(XERIAL_HEADER.toString('hex'))
  })

  it('writes chunks of int32-BE length + raw snappy block, each holding at most 32 KiB of input', () => {
    const input = compressibleBytes(100 * KIB, 1)
    const stream = codec.compress(input)
    const decoded: Buffer[] = []
    let position = 16
    while (position < stream.length) {
      const length = stream.readInt32BE(position)
      decoded.push(snappy.uncompressSync(stream.subarray(position + 4, position + 4 + length), { asBuffer: true }) as Buffer)
      position += 4 + length
    }
    expect(position).toBe(stream.length)
    expect(decoded.map((chunk) => chunk.length)).toEqual([32 * KIB, 32 * KIB, 32 * KIB, 4 * KIB])
    expect(Buffer.concat(decoded).equals(input)).toBe(true)
  })
})

describe('snappy (xerial): what we read', () => {
  const input = compressibleBytes(100 * KIB, 2)

  it('reads a payload without the xerial magic as one raw snappy block', () => {
    const raw = snappy.compressSync(input)
    expect(codec.decompress(raw, MIB).equals(input)).toBe(true)
  })

  it('reads a raw block shorter than the 16-byte header', () => {
    const raw = snappy.compressSync(Buffer.from('hi'))
    expect(raw.length).toBeLessThan(16)
    expect(codec.decompress(raw, MIB).toString()).toBe('hi')
  })

  it('reads concatenated xerial streams', () => {
    const first = codec.compress(input.subarray(0, 50 * KIB))
    const second = codec.compress(input.subarray(50 * KIB))
    const empty = codec.compress(Buffer.alloc(0))
    expect(codec.decompress(Buffer.concat([first, empty, second]), MIB).equals(input)).toBe(true)
  })

  it('reads chunks larger than 32 KiB, as other writers may produce', () => {
    const stream = xerialStream(input.subarray(0, 90 * KIB), input.subarray(90 * KIB))
    expect(codec.decompress(stream, MIB).equals(input)).toBe(true)
  })

  it('reads a header-only stream as empty', () => {
    expect(codec.decompress(XERIAL_HEADER, MIB).length).toBe(0)
  })
})

describe('snappy (xerial): rejects', () => {
  const input = compressibleBytes(100 * KIB, 3)

  it('a negative chunk length', () => {
    const stream = Buffer.concat([XERIAL_HEADER, uint32BE(0xfffffff0), Buffer.alloc(8)])
    expect(corruptionOf(() => codec.decompress(stream, MIB))).toMatchObject({ code: 'CORRUPT_RECORD', codec: 'snappy', position: 16 })
  })

  it('a zero chunk length, a chunk past the end, and a cut chunk length', () => {
    expect(corruptionOf(() => codec.decompress(Buffer.concat([XERIAL_HEADER, uint32BE(0)]), MIB)).position).toBe(16)
    const stream = codec.compress(input)
    expect(corruptionOf(() => codec.decompress(stream.subarray(0, stream.length - 1), MIB)).detail).toMatch(/past the end/)
    expect(corruptionOf(() => codec.decompress(Buffer.concat([stream, Buffer.from([0, 0])]), MIB)).position).toBe(stream.length)
  })

  it('a concatenated header that is cut short or has a bad magic', () => {
    const stream = codec.compress(input)
    const cut = Buffer.concat([stream, XERIAL_HEADER.subarray(0, 10)])
    expect(corruptionOf(() => codec.decompress(cut, MIB)).position).toBe(stream.length)
    const bad = Buffer.concat([stream, XERIAL_HEADER])
    bad[stream.length + 7] = 1
    expect(corruptionOf(() => codec.decompress(bad, MIB)).position).toBe(stream.length)
  })

  it('a stream version below 1', () => {
    const stream = codec.compress(input)
    stream.writeInt32BE(0, 8)
    expect(corruptionOf(() => codec.decompress(stream, MIB)).position).toBe(8)
  })

  it('a corrupt raw block, wrapping the native error', () => {
    const error = corruptionOf(() => codec.decompress(Buffer.from([0x10, 0xff, 0xff, 0xff]), MIB))
    expect(error.cause).toBeInstanceOf(Error)
    expect(corruptionOf(() => codec.decompress(Buffer.alloc(0), MIB)).code).toBe('CORRUPT_RECORD')
  })

  it('a chunk whose block decodes to a different length than its varint says', () => {
    const stream = xerialStream(Buffer.from('hello'), Buffer.from('world'))
    stream[20] = 6
    expect(corruptionOf(() => codec.decompress(stream, MIB)).position).toBe(20)
  })

  it('a length varint longer than 5 bytes or cut short', () => {
    expect(corruptionOf(() => codec.decompress(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), MIB)).detail).toMatch(/5 bytes/)
    expect(corruptionOf(() => codec.decompress(Buffer.from([0x80, 0x80]), MIB)).detail).toMatch(/varint/)
  })
})

describe('snappy (xerial): output bound', () => {
  it('rejects a raw block whose varint claims 4 GiB before the native decoder allocates', () => {
    const hostile = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01, 0x02])
    const started = performance.now()
    const error = corruptionOf(() => codec.decompress(hostile, 256 * MIB))
    expect(performance.now() - started).toBeLessThan(100)
    expect(error.detail).toMatch(/cannot decode to/)
  })

  it("rejects a varint claiming more than 22 bytes per stored byte (snappy's densest element)", () => {
    // 200 MiB claimed by a 10-byte block: under the limit, but no block that small can hold it.
    const hostile = Buffer.from([0x80, 0x80, 0x80, 0x64, 0x00, 0, 0, 0, 0, 0])
    expect(corruptionOf(() => codec.decompress(hostile, 256 * MIB)).detail).toMatch(/cannot decode to/)
    const zeros = snappy.compressSync(Buffer.alloc(MIB))
    expect(MIB / zeros.length).toBeGreaterThan(21)
    expect(codec.decompress(zeros, MIB).equals(Buffer.alloc(MIB))).toBe(true)
  })

  it('rejects a plausible varint over maxOutputBytes before decoding', () => {
    const block = snappy.compressSync(Buffer.alloc(100 * KIB))
    expect(corruptionOf(() => codec.decompress(block, 50 * KIB))).toMatchObject({
      position: 0,
      detail: expect.stringMatching(/maxOutputBytes/),
    })
  })

  it('rejects xerial chunks whose declared sizes add up past maxOutputBytes, before decoding', () => {
    const stream = codec.compress(randomBytes(200 * KIB, 4))
    const error = corruptionOf(() => codec.decompress(stream, 100 * KIB))
    expect(error.detail).toMatch(/maxOutputBytes/)
    expect(error.position).toBeGreaterThan(16)
  })
})

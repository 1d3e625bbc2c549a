import { describe, expect, it } from 'vitest'
import { CorruptCompressionError, LZ4_FRAME_HEADER, Lz4FrameCodec } from '../../src/compression/index.js'
import { buildLz4Frame, compressibleBytes, KIB, lz4, MIB, randomBytes, thrownBy, uint32LE } from './helpers.js'

const codec = new Lz4FrameCodec(lz4)

/** Walks a frame Kafka-style (7-byte header, no checksums) and returns its block size fields. */
function blockFields(frame: Buffer): number[] {
  const fields: number[] = []
  let position = 7
  for (;;) {
    const field = frame.readUInt32LE(position)
    if (field === 0) return fields
    fields.push(field)
    position += 4 + (field & 0x7fffffff)
  }
}

function corruptionOf(fn: () => unknown): CorruptCompressionError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(CorruptCompressionError)
  return error as CorruptCompressionError
}

describe('lz4 frame: what we write', () => {
  it('writes Kafka header bytes 04 22 4D 18 60 40 82', () => {
    expect(LZ4_FRAME_HEADER.toString('hex')).toBe('04224d18604082')
    expect(codec.compress(Buffer.from('hello')).subarray(0, 7).toString('hex')).toBe('04224d18604082')
  })

  it('computes the header checksum as the second byte of xxHash32(FLG, BD)', () => {
    expect(lz4.utils.descriptorChecksum(Buffer.from([0x60, 0x40]))).toBe(0x82)
  })

  it('has xxHash32 of empty input = 0x02CC5D05 (spec test vector)', () => {
    expect(lz4.utils.blockChecksum(Buffer.alloc(0)) >>> 0).toBe(0x02cc5d05)
  })

  it('writes an empty input as header plus end mark', () => {
    expect(codec.compress(Buffer.alloc(0)).toString('hex')).toBe('04224d18604082' + '00000000')
  })

  it('splits input into 64 KiB blocks and ends with 00 00 00 00, no content checksum', () => {
    const input = compressibleBytes(200 * KIB, 1)
    const frame = codec.compress(input)
    const fields = blockFields(frame)
    expect(fields).toHaveLength(4)
    for (const field of fields) expect(field & 0x80000000).toBe(0)
    expect(frame.subarray(frame.length - 4).toString('hex')).toBe('00000000')
    // Each block decodes on its own (independent blocks) to 64 KiB, the last to the rest.
    let position = 7
    const sizes: number[] = []
    for (const field of fields) {
      const out = Buffer.alloc(64 * KIB)
      sizes.push(lz4.decodeBlock(frame.subarray(position + 4, position + 4 + field), out))
      position += 4 + field
    }
    expect(sizes).toEqual([64 * KIB, 64 * KIB, 64 * KIB, 200 * KIB - 3 * 64 * KIB])
  })

  it('stores a block raw, bit 31 set, when compression does not shrink it', () => {
    const input = randomBytes(64 * KIB + 10, 2)
    const frame = codec.compress(input)
    expect(blockFields(frame)).toEqual([(0x80000000 | (64 * KIB)) >>> 0, (0x80000000 | 10) >>> 0])
    expect(frame.subarray(11, 11 + 64 * KIB).equals(input.subarray(0, 64 * KIB))).toBe(true)
    expect(frame.length).toBe(7 + 4 + 64 * KIB + 4 + 10 + 4)
  })

  it("is readable by the lz4 package's own frame decoder", () => {
    const input = compressibleBytes(300 * KIB, 3)
    expect(lz4.decode(codec.compress(input)).equals(input)).toBe(true)
  })
})

describe('lz4 frame: what we read beyond what we write', () => {
  const input = compressibleBytes(300 * KIB, 4)

  it('reads a frame with a content size (included in the header checksum)', () => {
    const frame = buildLz4Frame(input, { hasContentSize: true })
    expect(frame[4]).toBe(0x68)
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })

  it('reads a frame with block checksums', () => {
    const frame = buildLz4Frame(input, { hasBlockChecksum: true })
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })

  it('reads a frame with a content checksum', () => {
    const frame = buildLz4Frame(input, { hasContentChecksum: true })
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })

  it('reads every block maximum size code 4-7, including a 4 MiB block (BD 7)', () => {
    const big = compressibleBytes(4 * MIB + 100, 5)
    for (const bdCode of [4, 5, 6, 7]) {
      const frame = buildLz4Frame(big, { bdCode, hasBlockChecksum: true, hasContentSize: true, hasContentChecksum: true })
      expect(frame[5]).toBe(bdCode << 4)
      expect(codec.decompress(frame, 8 * MIB).equals(big)).toBe(true)
    }
  })

  it('reads raw 4 MiB blocks in a BD 7 frame', () => {
    const big = randomBytes(4 * MIB, 6)
    const frame = buildLz4Frame(big, { bdCode: 7, isRaw: true })
    expect(frame.readUInt32LE(7)).toBe((0x80000000 | (4 * MIB)) >>> 0)
    expect(codec.decompress(frame, 4 * MIB).equals(big)).toBe(true)
  })

  it('reads blocks smaller than the maximum', () => {
    const frame = buildLz4Frame(input, { bdCode: 5, blockSize: 10_000 })
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })

  it("reads the lz4 package's default stream output (BD 7, content checksum)", () => {
    const frame = lz4.encode(input)
    expect(frame.subarray(4, 6).toString('hex')).toBe('6470')
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })

  it('reads only the first frame and ignores bytes after it', () => {
    const frame = Buffer.concat([codec.compress(input), codec.compress(Buffer.from('second frame'))])
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })
})

describe('lz4 frame: rejects', () => {
  const input = compressibleBytes(100 * KIB, 7)

  function withHeaderByte(position: number, value: number): Buffer {
    const frame = buildLz4Frame(input, { hasContentSize: true })
    frame[position] = value
    // Recompute HC so the field under test, not the checksum, is what fails.
    frame[14] = lz4.utils.descriptorChecksum(frame.subarray(4, 14))
    return frame
  }

  it.each([
    ['another magic', Buffer.from('04224d19604082000000', 'hex'), 0],
    ['a legacy (magic 0) header checksum 0x1A', Buffer.from('04224d1860401a00000000', 'hex'), 6],
    ['input shorter than a header', Buffer.from('04224d1860', 'hex'), 0],
    ['empty input', Buffer.alloc(0), 0],
  ])('%s', (_label, frame, position) => {
    expect(corruptionOf(() => codec.decompress(frame, MIB))).toMatchObject({ code: 'CORRUPT_RECORD', codec: 'lz4', position })
  })

  it.each([
    ['version 00', 4, 0x28],
    ['version 10', 4, 0xa8],
    ['dependent blocks', 4, 0x48],
    ['a dictionary id', 4, 0x69],
    ['the reserved FLG bit', 4, 0x6a],
    ['block maximum size code 3', 5, 0x30],
    ['a reserved BD bit', 5, 0xc0],
    ['a reserved low BD bit', 5, 0x41],
  ])('%s', (_label, position, value) => {
    expect(corruptionOf(() => codec.decompress(withHeaderByte(position, value), MIB)).position).toBe(position)
  })

  it('a wrong header checksum', () => {
    const frame = codec.compress(input)
    frame[6] = 0x83
    expect(corruptionOf(() => codec.decompress(frame, MIB)).position).toBe(6)
  })

  it('a wrong block checksum, pointing at it', () => {
    const frame = buildLz4Frame(input, { hasBlockChecksum: true })
    const checksumPosition = 7 + 4 + frame.readUInt32LE(7)
    frame[checksumPosition] = frame[checksumPosition]! ^ 1
    expect(corruptionOf(() => codec.decompress(frame, MIB)).position).toBe(checksumPosition)
  })

  it('a corrupted block under a valid block checksum... is caught by the checksum', () => {
    const frame = buildLz4Frame(input, { hasBlockChecksum: true })
    frame[20] = frame[20]! ^ 0xff
    expect(corruptionOf(() => codec.decompress(frame, MIB)).detail).toMatch(/block checksum/)
  })

  it('a wrong content checksum', () => {
    const frame = buildLz4Frame(input, { hasContentChecksum: true })
    frame[frame.length - 1] = frame[frame.length - 1]! ^ 1
    expect(corruptionOf(() => codec.decompress(frame, MIB)).position).toBe(frame.length - 4)
  })

  it('a frame that ends before its content checksum', () => {
    const frame = buildLz4Frame(input, { hasContentChecksum: true })
    expect(corruptionOf(() => codec.decompress(frame.subarray(0, frame.length - 2), MIB)).code).toBe('CORRUPT_RECORD')
  })

  it('a content size that does not match the blocks', () => {
    for (const declaredContentSize of [input.length - 1, input.length + 1]) {
      const frame = buildLz4Frame(input, { hasContentSize: true, declaredContentSize })
      expect(corruptionOf(() => codec.decompress(frame, MIB)).detail).toMatch(/content size/)
    }
  })

  it('a block larger than the BD maximum', () => {
    const frame = buildLz4Frame(randomBytes(100 * KIB, 8), { bdCode: 5, isRaw: true })
    frame[5] = 0x40
    frame[6] = lz4.utils.descriptorChecksum(frame.subarray(4, 6))
    expect(corruptionOf(() => codec.decompress(frame, MIB))).toMatchObject({ position: 7 })
  })

  it('a compressed block that decodes past the BD maximum', () => {
    // 100 KiB of zeros in one block, declared under a 64 KiB maximum.
    const frame = buildLz4Frame(Buffer.alloc(100 * KIB), { bdCode: 5 })
    frame[5] = 0x40
    frame[6] = lz4.utils.descriptorChecksum(frame.subarray(4, 6))
    expect(corruptionOf(() => codec.decompress(frame, MIB)).detail).toMatch(/malformed/)
  })

  it('a missing end mark, and a block running past the end', () => {
    const frame = codec.compress(input)
    expect(corruptionOf(() => codec.decompress(frame.subarray(0, frame.length - 4), MIB)).detail).toMatch(/end mark/)
    expect(corruptionOf(() => codec.decompress(frame.subarray(0, frame.length - 100), MIB)).detail).toMatch(/past the end/)
  })

  it('a malformed block', () => {
    const frame = Buffer.concat([LZ4_FRAME_HEADER, uint32LE(3), Buffer.from([0x0f, 0x01, 0x00]), uint32LE(0)])
    expect(corruptionOf(() => codec.decompress(frame, MIB))).toMatchObject({ detail: 'malformed LZ4 block' })
  })
})

describe('lz4 frame: output bound', () => {
  it('rejects, quickly, a frame whose blocks decode past maxOutputBytes', () => {
    // 64 MiB of zeros compresses to ~256 KiB; the limit is 1 MiB.
    const frame = codec.compress(Buffer.alloc(64 * MIB))
    const started = performance.now()
    const error = corruptionOf(() => codec.decompress(frame, MIB))
    expect(performance.now() - started).toBeLessThan(1000)
    expect(error.detail).toMatch(/maxOutputBytes/)
  })

  it('rejects raw blocks past maxOutputBytes before decoding anything', () => {
    const frame = buildLz4Frame(randomBytes(300 * KIB, 9), { isRaw: true })
    expect(corruptionOf(() => codec.decompress(frame, 200 * KIB)).detail).toMatch(/maxOutputBytes/)
  })

  it('rejects a declared content size past maxOutputBytes before decoding anything', () => {
    const frame = buildLz4Frame(Buffer.from('small'), { hasContentSize: true, declaredContentSize: 2 ** 40 })
    expect(corruptionOf(() => codec.decompress(frame, MIB))).toMatchObject({ position: 6 })
  })

  it('accepts exactly maxOutputBytes, and 0 bytes under a limit of 0', () => {
    const input = compressibleBytes(128 * KIB, 10)
    expect(codec.decompress(codec.compress(input), 128 * KIB).equals(input)).toBe(true)
    expect(codec.decompress(codec.compress(Buffer.alloc(0)), 0).length).toBe(0)
  })
})

import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { buffer as collect } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { CorruptCompressionError, ZstdCodec } from '../../src/compression/index.js'
import { compressibleBytes, KIB, MIB, randomBytes, thrownBy, zstd } from './helpers.js'

const codec = new ZstdCodec(zstd)
const { CompressStream } = createRequire(import.meta.url)('zstd-napi') as typeof import('zstd-napi')

/** A frame the way a streaming writer (zstd-jni in Kafka) emits it: no content size field. */
function frameWithoutContentSize(input: Buffer, checksum = false): Buffer {
  const cctx = new zstd.CCtx()
  cctx.setParameter(zstd.CParameter.compressionLevel, 3)
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 0)
  cctx.setParameter(zstd.CParameter.checksumFlag, checksum ? 1 : 0)
  const out = Buffer.alloc(zstd.compressBound(input.length))
  return out.subarray(0, cctx.compress2(out, input))
}

/** A skippable frame (magic 0x184D2A50) holding `size` bytes of nothing in particular. */
function skippableFrame(size: number): Buffer {
  const frame = Buffer.alloc(8 + size, 0xab)
  frame.writeUInt32LE(0x184d2a50, 0)
  frame.writeUInt32LE(size, 4)
  return frame
}

function corruptionOf(fn: () => unknown): CorruptCompressionError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(CorruptCompressionError)
  return error as CorruptCompressionError
}

describe('zstd: what we write', () => {
  it('writes one frame with the content size and no checksum', () => {
    const input = compressibleBytes(100 * KIB, 1)
    const frame = codec.compress(input)
    expect(frame.readUInt32LE(0)).toBe(0xfd2fb528)
    expect(zstd.getFrameContentSize(frame)).toBe(input.length)
    expect(zstd.findFrameCompressedSize(frame)).toBe(frame.length)
    expect(frame[4]! & 0x04).toBe(0)
  })
})

describe('zstd: what we read', () => {
  const input = compressibleBytes(300 * KIB, 2)

  it("reads a frame without a content size, as zstd-napi's CompressStream writes it", async () => {
    const frame = await collect(Readable.from([input]).pipe(new CompressStream({ compressionLevel: 3 })))
    expect(zstd.getFrameContentSize(frame)).toBeNull()
    expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
  })

  it('reads frames without a content size, with and without a checksum', () => {
    for (const checksum of [false, true]) {
      const frame = frameWithoutContentSize(input, checksum)
      expect(zstd.getFrameContentSize(frame)).toBeNull()
      expect(codec.decompress(frame, MIB).equals(input)).toBe(true)
    }
  })

  it('reads a large incompressible frame without a content size (output buffer grows)', () => {
    const big = randomBytes(3 * MIB, 3)
    expect(codec.decompress(frameWithoutContentSize(big), 4 * MIB).equals(big)).toBe(true)
  })

  it('reads concatenated frames, mixing sized, unsized and skippable frames', () => {
    const parts = [input.subarray(0, 100 * KIB), input.subarray(100 * KIB, 200 * KIB), input.subarray(200 * KIB)]
    const sized = Buffer.concat([codec.compress(parts[0]!), skippableFrame(10), codec.compress(parts[1]!), codec.compress(parts[2]!)])
    expect(codec.decompress(sized, MIB).equals(input)).toBe(true)
    const mixed = Buffer.concat([
      codec.compress(parts[0]!),
      frameWithoutContentSize(parts[1]!),
      skippableFrame(3),
      codec.compress(parts[2]!),
    ])
    expect(codec.decompress(mixed, MIB).equals(input)).toBe(true)
  })

  it('reads an empty frame either way', () => {
    expect(codec.decompress(codec.compress(Buffer.alloc(0)), 0).length).toBe(0)
    expect(codec.decompress(frameWithoutContentSize(Buffer.alloc(0)), 0).length).toBe(0)
  })
})

describe('zstd: rejects', () => {
  const input = compressibleBytes(100 * KIB, 4)

  it('empty input, garbage, and trailing garbage after a frame', () => {
    expect(corruptionOf(() => codec.decompress(Buffer.alloc(0), MIB))).toMatchObject({ code: 'CORRUPT_RECORD', codec: 'zstd' })
    expect(corruptionOf(() => codec.decompress(Buffer.from('not zstd at all'), MIB)).cause).toBeInstanceOf(Error)
    const frame = codec.compress(input)
    expect(corruptionOf(() => codec.decompress(Buffer.concat([frame, Buffer.from([1, 2, 3])]), MIB)).position).toBe(frame.length)
  })

  it('a truncated frame, with and without a content size', () => {
    for (const frame of [codec.compress(input), frameWithoutContentSize(input)]) {
      corruptionOf(() => codec.decompress(frame.subarray(0, frame.length - 5), MIB))
    }
  })

  it('a frame whose checksum does not match', () => {
    const frame = frameWithoutContentSize(input, true)
    frame[frame.length - 1] = frame[frame.length - 1]! ^ 1
    corruptionOf(() => codec.decompress(frame, MIB))
  })
})

describe('zstd: output bound', () => {
  it('rejects a declared content size past maxOutputBytes before decoding', () => {
    const frame = codec.compress(Buffer.alloc(10 * MIB))
    const started = performance.now()
    expect(corruptionOf(() => codec.decompress(frame, MIB)).detail).toMatch(/maxOutputBytes/)
    expect(performance.now() - started).toBeLessThan(100)
  })

  it('stops, quickly, a frame without a content size at maxOutputBytes', () => {
    const frame = frameWithoutContentSize(Buffer.alloc(64 * MIB))
    expect(frame.length).toBeLessThan(16 * KIB)
    const started = performance.now()
    expect(corruptionOf(() => codec.decompress(frame, MIB)).detail).toMatch(/maxOutputBytes/)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('does not allocate a declared size the input cannot plausibly hold', () => {
    // Our own 100 KiB frame (single segment, 4-byte content size) rewritten to claim 100 MiB:
    // under the limit, but allocating it up front would let the frame choose our memory use.
    const frame = codec.compress(compressibleBytes(100 * KIB, 6))
    expect(frame[4]).toBe(0xa0)
    const lie = Buffer.from(frame)
    lie.writeUInt32LE(100 * MIB, 5)
    expect(zstd.getFrameContentSize(lie)).toBe(100 * MIB)
    const before = process.memoryUsage().arrayBuffers
    corruptionOf(() => codec.decompress(lie, 256 * MIB))
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MIB)
  })

  it('still reads honest frames with extreme ratios (streamed, not allocated up front)', () => {
    const zeros = Buffer.alloc(8 * MIB)
    const frame = codec.compress(zeros)
    expect(zstd.getFrameContentSize(frame)).toBe(zeros.length)
    expect(frame.length * 32).toBeLessThan(zeros.length)
    expect(codec.decompress(frame, 8 * MIB).equals(zeros)).toBe(true)
  })

  it('accepts exactly maxOutputBytes on both paths', () => {
    const input = compressibleBytes(100 * KIB, 5)
    expect(codec.decompress(codec.compress(input), input.length).equals(input)).toBe(true)
    expect(codec.decompress(frameWithoutContentSize(input), input.length).equals(input)).toBe(true)
    corruptionOf(() => codec.decompress(frameWithoutContentSize(input), input.length - 1))
  })
})

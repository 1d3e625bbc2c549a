import { COMPRESSION_IDS, type Codec } from './codec.js'
import { CorruptCompressionError } from './errors.js'
import { checkOutputLimit, ScratchBuffer } from './output-buffer.js'

/**
 * Compression id 4: standard zstd frames (RFC 8878, magic `28 B5 2F FD`). We write one frame at
 * level 3 with the content size field and no checksum or dictionary. See docs/format/compression.md.
 *
 * We read any sequence of frames (skippable frames included), with or without content sizes
 * (Kafka's zstd-jni stream writer leaves the size out) and with or without checksums. A declared
 * total over `maxOutputBytes` is rejected at once. Frames that all declare a plausible size are
 * decoded in one call into a buffer of exactly that size. Otherwise a streaming decoder writes into
 * a buffer that doubles as needed but never beyond `maxOutputBytes` + 1, so a hostile frame stops
 * at the limit and a lying size field allocates nothing up front.
 *
 * This uses zstd-napi's low-level binding rather than its `decompress`: that one allocates
 * whatever a frame declares and streams without any limit.
 */

/** zstd-napi's native binding (`zstd-napi/binding.js`). */
export type ZstdBinding = typeof import('zstd-napi/binding.js')
type CCtx = InstanceType<ZstdBinding['CCtx']>
type DCtx = InstanceType<ZstdBinding['DCtx']>
type StreamResult = ReturnType<DCtx['decompressStream']>

export const ZSTD_LEVEL = 3
/**
 * Declared sizes up to this many times the input (or up to EXACT_ALLOCATION_MIN_BYTES) are
 * allocated in one go. Typical record batches compress 3-10x; only extreme ratios take the
 * streaming path, which is somewhat slower but allocates only what decodes.
 */
const PLAUSIBLE_RATIO = 32
const EXACT_ALLOCATION_MIN_BYTES = 256 * 1024
/** First output buffer of the streaming path, as a multiple of the input size; it doubles when full. */
const STREAM_FIRST_CHUNK_RATIO = 4
const STREAM_MIN_CHUNK_SIZE = 64 * 1024

export class ZstdCodec implements Codec {
  readonly id = COMPRESSION_IDS.zstd
  readonly name = 'zstd'
  private readonly zstd: ZstdBinding
  private readonly cctx: CCtx
  private readonly dctx: DCtx
  private readonly scratch: ScratchBuffer

  constructor(zstd: ZstdBinding) {
    this.zstd = zstd
    this.cctx = new zstd.CCtx()
    this.cctx.setParameter(zstd.CParameter.compressionLevel, ZSTD_LEVEL)
    this.dctx = new zstd.DCtx()
    this.scratch = new ScratchBuffer()
  }

  compress(input: Buffer): Buffer {
    const out = this.scratch.take(this.zstd.compressBound(input.length))
    const size = this.cctx.compress2(out, input)
    return this.scratch.detach(out, size)
  }

  decompress(input: Buffer, maxOutputBytes: number): Buffer {
    checkOutputLimit(maxOutputBytes)
    if (input.length === 0) throw corrupt(0, 'empty input holds no zstd frame')
    const declared = this.declaredSize(input)
    if (declared !== null && declared > maxOutputBytes) {
      throw corrupt(0, `frames declare ${declared} bytes, more than maxOutputBytes (${maxOutputBytes})`)
    }
    // A declared size is only a claim: a few bytes can declare hundreds of MiB. Allocate it up
    // front only when the input could plausibly hold it; otherwise stream, so memory follows what
    // actually decodes (zstd still checks the declared size at the end of each frame).
    if (declared === null || declared > Math.max(EXACT_ALLOCATION_MIN_BYTES, input.length * PLAUSIBLE_RATIO)) {
      return this.decompressStreaming(input, maxOutputBytes)
    }
    const out = Buffer.allocUnsafe(declared)
    let size: number
    try {
      size = this.dctx.decompress(out, input)
    } catch (error) {
      throw corrupt(0, describe(error), error)
    }
    if (size !== declared) throw corrupt(0, `frames declare ${declared} bytes but hold ${size}`)
    return out
  }

  /** Sum of the frames' declared content sizes, or null if any frame leaves its size out. */
  private declaredSize(input: Buffer): number | null {
    let total: number | null = 0
    let position = 0
    while (position < input.length) {
      const frame = input.subarray(position)
      let frameSize: number
      try {
        const contentSize = this.zstd.getFrameContentSize(frame)
        total = contentSize === null || total === null ? null : total + contentSize
        frameSize = this.zstd.findFrameCompressedSize(frame)
      } catch (error) {
        throw corrupt(position, describe(error), error)
      }
      position += frameSize
    }
    return total
  }

  /** Streams frames without a declared size into one buffer that never grows past `maxOutputBytes`. */
  private decompressStreaming(input: Buffer, maxOutputBytes: number): Buffer {
    this.dctx.reset(this.zstd.ResetDirective.sessionOnly)
    // One byte over the limit lets us tell "exactly at the limit" from "past it".
    const maxCapacity = maxOutputBytes + 1
    let out = this.scratch.take(Math.min(Math.max(input.length * STREAM_FIRST_CHUNK_RATIO, STREAM_MIN_CHUNK_SIZE), maxCapacity))
    let size = 0
    let position = 0
    for (;;) {
      if (size === out.length) out = grow(out, size, Math.min(out.length * 2, maxCapacity))
      const target = out.subarray(size, Math.min(out.length, maxCapacity))
      let result: StreamResult
      try {
        result = this.dctx.decompressStream(target, input.subarray(position))
      } catch (error) {
        throw corrupt(position, describe(error), error)
      }
      const [hint, produced, consumed] = result
      position += consumed
      size += produced
      if (size > maxOutputBytes) throw corrupt(position, `output exceeds maxOutputBytes (${maxOutputBytes})`)
      const isInputDone = position === input.length
      // A hint of 0 means the current frame is complete and flushed.
      if (hint === 0 && isInputDone) break
      if (produced < target.length && isInputDone) throw corrupt(position, 'input ends inside a zstd frame')
      if (produced === 0 && consumed === 0) throw corrupt(position, 'zstd decoder made no progress')
    }
    return this.scratch.detach(out, size)
  }
}

function grow(buffer: Buffer, size: number, capacity: number): Buffer {
  const grown = Buffer.allocUnsafeSlow(capacity)
  buffer.copy(grown, 0, 0, size)
  return grown
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function corrupt(position: number, detail: string, cause?: unknown): CorruptCompressionError {
  return new CorruptCompressionError('zstd', position, detail, cause === undefined ? undefined : { cause })
}

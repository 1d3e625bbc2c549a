import { COMPRESSION_IDS, type Codec } from './codec.js'
import { CorruptCompressionError } from './errors.js'
import { checkOutputLimit, ScratchBuffer } from './output-buffer.js'

/**
 * Compression id 3: one LZ4 frame, as Kafka writes it for magic 1 and 2. Multi-byte fields are
 * little-endian. See docs/format/compression.md.
 *
 * | pos | size | field            | we write                          | we also read                         |
 * |----:|-----:|------------------|-----------------------------------|--------------------------------------|
 * |   0 |    4 | magic            | `04 22 4D 18` (0x184D2204)        | nothing else                         |
 * |   4 |    1 | FLG              | `60`: version 01, independent     | bits 4, 3, 2 (below) set             |
 * |   5 |    1 | BD               | `40`: 64 KiB blocks               | codes 4-7: 64 KiB to 4 MiB blocks    |
 * |   6 |  0/8 | content size     | absent                            | FLG bit 3; must equal the output     |
 * |   … |    1 | HC               | `82`                              | `(xxHash32(FLG..content size) >> 8) & 0xFF`, verified |
 * |   … |    4 | block size       | bit 31 set: block stored raw      | must not exceed the BD maximum       |
 * |   … |    n | block data       | independent LZ4 block of ≤ 64 KiB input, or the raw input        |
 * |   … |  0/4 | block checksum   | absent                            | FLG bit 4: xxHash32 of the data      |
 * |   … |    4 | end mark         | `00 00 00 00`                     |                                      |
 * |   … |  0/4 | content checksum | absent                            | FLG bit 2: xxHash32 of the output    |
 *
 * Block size, data and checksum repeat until the end mark. Rejected: another version, dependent
 * (linked) blocks, a dictionary id, reserved bits, a wrong header or block checksum. Only the first
 * frame is read; bytes after it are ignored, as Kafka does.
 *
 * Output is bounded before anything is allocated: by the caller's `maxOutputBytes`, and by what
 * the blocks could hold (raw blocks their size; compressed blocks at most 255 times their size,
 * LZ4's maximum ratio, and never more than the BD maximum).
 */

/** The raw-block and checksum functions of the `lz4` package, the only parts this codec uses. */
export type Lz4Binding = Pick<typeof import('lz4'), 'encodeBlock' | 'decodeBlock' | 'utils'>

export const LZ4_FRAME_MAGIC = 0x184d2204
/** Kafka's frame header: magic, FLG 0x60, BD 0x40 (64 KiB), header checksum 0x82. */
export const LZ4_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
/** Input bytes per block when writing. */
export const LZ4_WRITE_BLOCK_SIZE = 64 * 1024

const FLG_OFFSET = 4
const BD_OFFSET = 5
const CONTENT_SIZE_OFFSET = 6
const CONTENT_SIZE_SIZE = 8
const BLOCK_SIZE_SIZE = 4
const CHECKSUM_SIZE = 4
const END_MARK_SIZE = 4

const FLG_VERSION_MASK = 0xc0
const FLG_VERSION_01 = 0x40
const FLG_BLOCK_INDEPENDENCE = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_RESERVED = 0x02
const FLG_DICT_ID = 0x01
const BD_RESERVED_MASK = 0x8f
const BD_MAX_SIZE_SHIFT = 4
/** Block maximum sizes by BD code; codes 0-3 are undefined. */
const BLOCK_MAX_SIZES: readonly number[] = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]

/** Block size field: bit 31 marks a block stored uncompressed. */
const UNCOMPRESSED_BIT = 0x80000000
const BLOCK_SIZE_MASK = 0x7fffffff
/** No LZ4 block decodes to more than 255 bytes per input byte (one match-length byte adds 255). */
const MAX_BLOCK_RATIO = 255
const NO_CONTENT_SIZE = -1

interface FrameHeader {
  readonly blockMaxSize: number
  readonly hasBlockChecksum: boolean
  readonly hasContentChecksum: boolean
  /** Declared decompressed size, or NO_CONTENT_SIZE. */
  readonly contentSize: number
  /** Position of the first block size field. */
  readonly blocksPosition: number
}

interface BlockScan {
  /** Upper bound on the decoded size. */
  readonly bound: number
  readonly endMarkPosition: number
}

/** How much a decode may write, and what to call that limit in an error. */
interface OutputLimit {
  readonly capacity: number
  /** null when the capacity is only the frame's own bound, which valid blocks cannot pass. */
  readonly name: string | null
}

export class Lz4FrameCodec implements Codec {
  readonly id = COMPRESSION_IDS.lz4
  readonly name = 'lz4'
  private readonly lz4: Lz4Binding
  private readonly scratch: ScratchBuffer

  constructor(lz4: Lz4Binding) {
    this.lz4 = lz4
    this.scratch = new ScratchBuffer()
  }

  compress(input: Buffer): Buffer {
    const blockCount = Math.ceil(input.length / LZ4_WRITE_BLOCK_SIZE)
    // Worst case: every block stored raw, since a block that does not shrink is stored raw.
    const maxSize = LZ4_FRAME_HEADER.length + blockCount * BLOCK_SIZE_SIZE + input.length + END_MARK_SIZE
    const out = this.scratch.take(maxSize)
    LZ4_FRAME_HEADER.copy(out, 0)
    let position = LZ4_FRAME_HEADER.length
    for (let start = 0; start < input.length; start += LZ4_WRITE_BLOCK_SIZE) {
      const end = Math.min(start + LZ4_WRITE_BLOCK_SIZE, input.length)
      const dataPosition = position + BLOCK_SIZE_SIZE
      // Capacity one byte short of the input: the native encoder returns 0 exactly when the block
      // would not shrink, which is Kafka's rule for storing it raw. The binding does not check this
      // range against `out`, so maxSize above must cover it.
      const written = this.lz4.encodeBlock(input.subarray(start, end), out, dataPosition, dataPosition + end - start - 1)
      if (written > 0) {
        out.writeUInt32LE(written, position)
        position = dataPosition + written
      } else {
        out.writeUInt32LE((UNCOMPRESSED_BIT | (end - start)) >>> 0, position)
        input.copy(out, dataPosition, start, end)
        position = dataPosition + end - start
      }
    }
    out.writeUInt32LE(0, position)
    return this.scratch.detach(out, position + END_MARK_SIZE)
  }

  /**
   * `isLegacyHeaderChecksum`: the frame comes from a magic-0 message, whose writer computed the
   * header checksum over the frame magic too (KAFKA-3160); Kafka's reader skips the check for
   * those, and so do we. Every other frame's checksum is verified.
   */
  decompress(input: Buffer, maxOutputBytes: number, isLegacyHeaderChecksum = false): Buffer {
    checkOutputLimit(maxOutputBytes)
    const header = readFrameHeader(input, this.lz4, isLegacyHeaderChecksum)
    const hasContentSize = header.contentSize !== NO_CONTENT_SIZE
    if (header.contentSize > maxOutputBytes) {
      throw corrupt(CONTENT_SIZE_OFFSET, `declared content size ${header.contentSize} exceeds maxOutputBytes (${maxOutputBytes})`)
    }
    const scan = scanBlocks(input, header, this.lz4, maxOutputBytes)
    let out: Buffer
    let limit: OutputLimit
    if (hasContentSize) {
      if (header.contentSize > scan.bound) {
        throw corrupt(CONTENT_SIZE_OFFSET, `declared content size ${header.contentSize} is more than the blocks can hold`)
      }
      limit = { capacity: header.contentSize, name: 'the declared content size' }
      out = Buffer.allocUnsafe(limit.capacity)
    } else {
      limit = scan.bound < maxOutputBytes ? { capacity: scan.bound, name: null } : { capacity: maxOutputBytes, name: 'maxOutputBytes' }
      out = this.scratch.take(limit.capacity)
    }
    const size = decodeBlocks(input, header, this.lz4, out, limit)
    if (hasContentSize && size !== header.contentSize) {
      throw corrupt(CONTENT_SIZE_OFFSET, `declared content size ${header.contentSize} but the blocks hold ${size} bytes`)
    }
    const output = hasContentSize ? out : this.scratch.detach(out, size)
    if (header.hasContentChecksum) {
      // One native xxHash32 pass over the output runs at several GB/s, cheap next to decoding, so
      // we verify the content checksum although Kafka only skips it.
      const checksumPosition = scan.endMarkPosition + END_MARK_SIZE
      const expected = this.lz4.utils.blockChecksum(output) >>> 0
      const actual = input.readUInt32LE(checksumPosition)
      if (actual !== expected) {
        throw corrupt(checksumPosition, `content checksum 0x${actual.toString(16)}, expected 0x${expected.toString(16)}`)
      }
    }
    return output
  }
}

function readFrameHeader(input: Buffer, lz4: Lz4Binding, isLegacyHeaderChecksum: boolean): FrameHeader {
  if (input.length < LZ4_FRAME_HEADER.length) throw corrupt(0, `${input.length} bytes cannot hold an LZ4 frame header`)
  const magic = input.readUInt32LE(0)
  if (magic !== LZ4_FRAME_MAGIC) throw corrupt(0, `magic 0x${magic.toString(16)} is not an LZ4 frame`)
  const flg = input[FLG_OFFSET]!
  const bd = input[BD_OFFSET]!
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt(FLG_OFFSET, `unsupported frame version ${flg >>> 6}`)
  if ((flg & FLG_BLOCK_INDEPENDENCE) === 0) throw corrupt(FLG_OFFSET, 'dependent (linked) blocks are not supported')
  if ((flg & FLG_DICT_ID) !== 0) throw corrupt(FLG_OFFSET, 'a dictionary id is not supported')
  if ((flg & FLG_RESERVED) !== 0) throw corrupt(FLG_OFFSET, 'reserved FLG bit is set')
  if ((bd & BD_RESERVED_MASK) !== 0) throw corrupt(BD_OFFSET, `reserved BD bits are set (0x${bd.toString(16)})`)
  const blockMaxSize = BLOCK_MAX_SIZES[bd >>> BD_MAX_SIZE_SHIFT] ?? 0
  if (blockMaxSize === 0) throw corrupt(BD_OFFSET, `block maximum size code ${bd >>> BD_MAX_SIZE_SHIFT} is not 4-7`)

  const hasContentSize = (flg & FLG_CONTENT_SIZE) !== 0
  const checksumPosition = CONTENT_SIZE_OFFSET + (hasContentSize ? CONTENT_SIZE_SIZE : 0)
  if (input.length <= checksumPosition) throw corrupt(input.length, 'frame header is truncated')
  // The header checksum covers FLG through the content size: bytes [4, checksumPosition).
  const expected = lz4.utils.descriptorChecksum(input.subarray(FLG_OFFSET, checksumPosition))
  const actual = input[checksumPosition]!
  if (actual !== expected && !isLegacyHeaderChecksum) {
    throw corrupt(checksumPosition, `header checksum 0x${actual.toString(16)}, expected 0x${expected.toString(16)}`)
  }
  // 64-bit little-endian; above 2^53 it loses precision but is far past any output limit anyway.
  const contentSize = hasContentSize
    ? input.readUInt32LE(CONTENT_SIZE_OFFSET) + input.readUInt32LE(CONTENT_SIZE_OFFSET + 4) * 0x1_0000_0000
    : NO_CONTENT_SIZE
  return {
    blockMaxSize,
    hasBlockChecksum: (flg & FLG_BLOCK_CHECKSUM) !== 0,
    hasContentChecksum: (flg & FLG_CONTENT_CHECKSUM) !== 0,
    contentSize,
    blocksPosition: checksumPosition + 1,
  }
}

/**
 * First pass: checks every block's framing and checksum without decoding, and bounds the decoded
 * size. Raw blocks past `maxOutputBytes` fail here, before any allocation.
 */
function scanBlocks(input: Buffer, header: FrameHeader, lz4: Lz4Binding, maxOutputBytes: number): BlockScan {
  let position = header.blocksPosition
  let bound = 0
  let rawBytes = 0
  for (;;) {
    if (position + BLOCK_SIZE_SIZE > input.length) throw corrupt(position, 'frame ends before its end mark')
    const field = input.readUInt32LE(position)
    if (field === 0) break
    const isRaw = field >= UNCOMPRESSED_BIT
    const size = field & BLOCK_SIZE_MASK
    if (size > header.blockMaxSize)
      throw corrupt(position, `block of ${size} bytes exceeds the frame's ${header.blockMaxSize}-byte maximum`)
    const dataPosition = position + BLOCK_SIZE_SIZE
    const dataEnd = dataPosition + size
    const blockEnd = dataEnd + (header.hasBlockChecksum ? CHECKSUM_SIZE : 0)
    if (blockEnd > input.length) throw corrupt(position, `block of ${size} bytes runs past the end of the input`)
    if (header.hasBlockChecksum) {
      const expected = lz4.utils.blockChecksum(input.subarray(dataPosition, dataEnd)) >>> 0
      const actual = input.readUInt32LE(dataEnd)
      if (actual !== expected) throw corrupt(dataEnd, `block checksum 0x${actual.toString(16)}, expected 0x${expected.toString(16)}`)
    }
    if (isRaw) {
      rawBytes += size
      if (rawBytes > maxOutputBytes) throw corrupt(position, `output exceeds maxOutputBytes (${maxOutputBytes})`)
      bound += size
    } else {
      bound += Math.min(header.blockMaxSize, size * MAX_BLOCK_RATIO)
    }
    position = blockEnd
  }
  if (header.hasContentChecksum && position + END_MARK_SIZE + CHECKSUM_SIZE > input.length) {
    throw corrupt(position + END_MARK_SIZE, 'frame ends before its content checksum')
  }
  return { bound, endMarkPosition: position }
}

/**
 * Second pass: decodes every block into `out[0, limit.capacity)` and returns the decoded size.
 * scanBlocks has checked the framing, so only block contents and the limit can fail here.
 */
function decodeBlocks(input: Buffer, header: FrameHeader, lz4: Lz4Binding, out: Buffer, limit: OutputLimit): number {
  const checksumSize = header.hasBlockChecksum ? CHECKSUM_SIZE : 0
  let position = header.blocksPosition
  let size = 0
  for (;;) {
    const field = input.readUInt32LE(position)
    if (field === 0) return size
    const blockSize = field & BLOCK_SIZE_MASK
    const dataPosition = position + BLOCK_SIZE_SIZE
    const room = limit.capacity - size
    if (field >= UNCOMPRESSED_BIT) {
      if (blockSize > room) throw corrupt(position, `output exceeds ${limit.name ?? 'the frame bound'} (${limit.capacity} bytes)`)
      input.copy(out, size, dataPosition, dataPosition + blockSize)
      size += blockSize
    } else {
      const target = out.subarray(size, size + Math.min(room, header.blockMaxSize))
      const written = lz4.decodeBlock(input, target, dataPosition, dataPosition + blockSize)
      if (written < 0) {
        // LZ4_decompress_safe returns -(failing input position + 1); it cannot tell a malformed
        // block from one that does not fit, so name both when the room was short.
        const failedAt = dataPosition + Math.min(blockSize, -written - 1)
        const detail =
          room < header.blockMaxSize && limit.name !== null
            ? `malformed LZ4 block, or output exceeds ${limit.name} (${limit.capacity} bytes)`
            : 'malformed LZ4 block'
        throw corrupt(failedAt, detail)
      }
      size += written
    }
    position = dataPosition + blockSize + checksumSize
  }
}

function corrupt(position: number, detail: string): CorruptCompressionError {
  return new CorruptCompressionError('lz4', position, detail)
}

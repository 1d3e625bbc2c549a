import { COMPRESSION_IDS, type Codec } from './codec.js'
import { CorruptCompressionError } from './errors.js'
import { checkOutputLimit } from './output-buffer.js'

/**
 * Compression id 2: snappy-java's "xerial" stream, which is what Kafka means by snappy. It is not
 * the official snappy framing format (`FF 06 00 00 sNaPpY`), which Kafka cannot read. Big-endian.
 * See docs/format/compression.md.
 *
 * | pos | size | field              | value                                                      |
 * |----:|-----:|--------------------|------------------------------------------------------------|
 * |   0 |    8 | magic              | `82 53 4E 41 50 50 59 00` ("\x82SNAPPY\0")                  |
 * |   8 |    4 | version            | 1 (a reader rejects anything below 1)                      |
 * |  12 |    4 | compatible version | 1 (not checked when reading, as in snappy-java)            |
 * |  16 |    4 | chunk length       | int32; then that many bytes of one raw snappy block        |
 * |   … |    … | more chunks        | each block holds at most 32 KiB of input; no checksums     |
 *
 * Reading, as snappy-java does: a payload that is shorter than the header or does not start with
 * the magic is one raw snappy block; a chunk length equal to the magic's first four bytes starts a concatenated stream's
 * header; a negative length is an error. A raw block opens with its decoded length as a varint,
 * which is checked against the output budget before the native decoder allocates anything.
 */

/** The two one-shot functions of the `snappy` package (raw snappy blocks, no framing). */
export type SnappyBinding = Pick<typeof import('snappy'), 'compressSync' | 'uncompressSync'>

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
export const XERIAL_HEADER = Buffer.from([...XERIAL_MAGIC, 0, 0, 0, 1, 0, 0, 0, 1])
/** Input bytes per chunk when writing (snappy-java's default block size). */
export const XERIAL_CHUNK_INPUT_SIZE = 32 * 1024

const XERIAL_HEADER_SIZE = 16
const VERSION_OFFSET = 8
const MINIMUM_VERSION = 1
const CHUNK_LENGTH_SIZE = 4
/** The magic's first four bytes read as a chunk length: a concatenated stream starts here. */
const MAGIC_HEAD = 0x82534e41
/** A raw block's decoded length is a 32-bit varint: at most 5 bytes. */
const MAX_VARINT_SIZE = 5
/**
 * No raw snappy block decodes to more than 22 bytes per stored byte: the densest element, a
 * 3-byte copy, yields 64 bytes. A varint claiming more is a lie, caught before allocating.
 */
const MAX_BLOCK_RATIO = 22

export class SnappyXerialCodec implements Codec {
  readonly id = COMPRESSION_IDS.snappy
  readonly name = 'snappy'
  private readonly snappy: SnappyBinding

  constructor(snappy: SnappyBinding) {
    this.snappy = snappy
  }

  compress(input: Buffer): Buffer {
    const chunkCount = Math.ceil(input.length / XERIAL_CHUNK_INPUT_SIZE)
    const chunks: Buffer[] = new Array<Buffer>(chunkCount)
    let size = XERIAL_HEADER_SIZE
    for (let slot = 0; slot < chunkCount; slot++) {
      const start = slot * XERIAL_CHUNK_INPUT_SIZE
      const chunk = this.snappy.compressSync(input.subarray(start, Math.min(start + XERIAL_CHUNK_INPUT_SIZE, input.length)))
      chunks[slot] = chunk
      size += CHUNK_LENGTH_SIZE + chunk.length
    }
    const out = Buffer.allocUnsafe(size)
    XERIAL_HEADER.copy(out, 0)
    let position = XERIAL_HEADER_SIZE
    for (const chunk of chunks) {
      out.writeInt32BE(chunk.length, position)
      chunk.copy(out, position + CHUNK_LENGTH_SIZE)
      position += CHUNK_LENGTH_SIZE + chunk.length
    }
    return out
  }

  decompress(input: Buffer, maxOutputBytes: number): Buffer {
    checkOutputLimit(maxOutputBytes)
    if (input.length < XERIAL_HEADER_SIZE || !hasMagicAt(input, 0)) {
      const declared = readDecodedLength(input, 0, input.length)
      if (declared > maxOutputBytes) throw overBudget(0, declared, maxOutputBytes)
      return this.decodeBlock(input, 0, input.length, declared)
    }
    // First pass: find the chunks and add up their declared sizes, so the output is allocated once.
    const chunkPositions = findChunks(input)
    let size = 0
    for (let slot = 0; slot < chunkPositions.length; slot += 2) {
      const start = chunkPositions[slot]!
      const declared = readDecodedLength(input, start, chunkPositions[slot + 1]!)
      if (size + declared > maxOutputBytes) throw overBudget(start, size + declared, maxOutputBytes)
      size += declared
    }
    if (chunkPositions.length === 2) return this.decodeBlock(input, chunkPositions[0]!, chunkPositions[1]!, size)
    const out = Buffer.allocUnsafe(size)
    let position = 0
    for (let slot = 0; slot < chunkPositions.length; slot += 2) {
      const start = chunkPositions[slot]!
      const end = chunkPositions[slot + 1]!
      const block = this.decodeBlock(input, start, end, readDecodedLength(input, start, end))
      block.copy(out, position)
      position += block.length
    }
    return out
  }

  /** Decodes the raw snappy block at input[start, end), whose varint declared `declared` bytes. */
  private decodeBlock(input: Buffer, start: number, end: number, declared: number): Buffer {
    let block: Buffer
    try {
      block = this.snappy.uncompressSync(input.subarray(start, end), { asBuffer: true }) as Buffer
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new CorruptCompressionError('snappy', start, message, { cause: error })
    }
    if (block.length !== declared) {
      throw new CorruptCompressionError('snappy', start, `block declares ${declared} bytes but decodes to ${block.length}`)
    }
    return block
  }
}

function hasMagicAt(input: Buffer, position: number): boolean {
  return (
    input.length - position >= XERIAL_MAGIC.length &&
    input.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, position, position + XERIAL_MAGIC.length) === 0
  )
}

/**
 * Walks a xerial stream (input starts with the magic) and returns [start, end) pairs of its raw
 * snappy blocks. Checks headers, lengths and bounds; block contents are left to the decoder.
 */
function findChunks(input: Buffer): number[] {
  const positions: number[] = []
  let position = readStreamHeader(input, 0)
  while (position < input.length) {
    if (input.length - position < CHUNK_LENGTH_SIZE) throw corrupt(position, 'stream ends inside a chunk length')
    const length = input.readInt32BE(position)
    if (length >>> 0 === MAGIC_HEAD) {
      position = readStreamHeader(input, position)
      continue
    }
    if (length <= 0) throw corrupt(position, `chunk length ${length} is not positive`)
    const start = position + CHUNK_LENGTH_SIZE
    if (length > input.length - start) throw corrupt(position, `chunk of ${length} bytes runs past the end of the input`)
    positions.push(start, start + length)
    position = start + length
  }
  return positions
}

/** Checks the 16-byte stream header at `position` and returns the position after it. */
function readStreamHeader(input: Buffer, position: number): number {
  if (input.length - position < XERIAL_HEADER_SIZE) throw corrupt(position, 'stream header is truncated')
  if (!hasMagicAt(input, position)) throw corrupt(position, 'bad magic in a concatenated stream header')
  const version = input.readInt32BE(position + VERSION_OFFSET)
  if (version < MINIMUM_VERSION) throw corrupt(position + VERSION_OFFSET, `stream version ${version} is older than 1`)
  return position + XERIAL_HEADER_SIZE
}

/**
 * The decoded length a raw snappy block at input[start, end) declares: an unsigned 32-bit varint,
 * checked against what a block of that size can hold.
 */
function readDecodedLength(input: Buffer, start: number, end: number): number {
  let value = 0
  const limit = Math.min(end, start + MAX_VARINT_SIZE)
  for (let position = start; position < limit; position++) {
    const byte = input[position]!
    value += (byte & 0x7f) * 2 ** (7 * (position - start))
    if (byte < 0x80) {
      if (value > 0xffffffff) throw corrupt(start, 'decoded length does not fit in 32 bits')
      if (value > (end - start) * MAX_BLOCK_RATIO) {
        throw corrupt(start, `block of ${end - start} bytes cannot decode to the ${value} bytes it declares`)
      }
      return value
    }
  }
  throw corrupt(start, end - start < MAX_VARINT_SIZE ? 'block ends inside its length varint' : 'length varint is longer than 5 bytes')
}

function overBudget(position: number, size: number, maxOutputBytes: number): CorruptCompressionError {
  return corrupt(position, `output of ${size} bytes exceeds maxOutputBytes (${maxOutputBytes})`)
}

function corrupt(position: number, detail: string): CorruptCompressionError {
  return new CorruptCompressionError('snappy', position, detail)
}

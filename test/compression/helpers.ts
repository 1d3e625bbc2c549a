import { createRequire } from 'node:module'
import type { Lz4Binding, SnappyBinding, ZstdBinding } from '../../src/compression/index.js'
import { seededRandom } from '../../src/seeded-random.js'
export { seededRandom }

const require = createRequire(import.meta.url)

/** The raw native packages, for building frames by hand and checking against their own decoders. */
export const lz4 = require('lz4') as typeof import('lz4') & Lz4Binding
export const snappy = require('snappy') as SnappyBinding
export const zstd = require('zstd-napi/binding.js') as ZstdBinding

export const KIB = 1024
export const MIB = 1024 * 1024
/** Sizes every codec round-trips: empty, one byte, either side of an LZ4 block, and 1 MiB. */
export const ROUND_TRIP_SIZES = [0, 1, 64 * KIB - 1, 64 * KIB, 64 * KIB + 1, MIB]

export function randomBytes(size: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const out = Buffer.allocUnsafe(size)
  for (let position = 0; position < size; position++) out[position] = Math.floor(random() * 256)
  return out
}

/** JSON-ish records, roughly what a producer sends: compresses 3-5x with LZ4. */
export function compressibleBytes(size: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const events = ['click', 'view', 'purchase', 'signup', 'logout']
  const parts: string[] = []
  let length = 0
  for (let id = 0; length < size; id++) {
    const record = JSON.stringify({
      id,
      user: `user-${Math.floor(random() * 5000)}`,
      event: events[Math.floor(random() * events.length)],
      ts: 1_700_000_000_000 + Math.floor(random() * 1e6),
      value: Math.round(random() * 1e4) / 100,
    })
    parts.push(record)
    length += record.length
  }
  return Buffer.from(parts.join('')).subarray(0, size)
}

export interface Lz4FrameOptions {
  /** BD block maximum size code, 4-7. Default 4 (64 KiB). */
  bdCode?: number
  /** Input bytes per block; default the BD maximum. */
  blockSize?: number
  hasContentSize?: boolean
  /** Override the declared content size (to test a wrong one). */
  declaredContentSize?: number
  hasBlockChecksum?: boolean
  hasContentChecksum?: boolean
  /** Store every block raw (bit 31) instead of compressing it. */
  isRaw?: boolean
  /** FLG bits to set on top of version 01 and block independence. */
  extraFlg?: number
  /** Clear the block independence bit. */
  isDependent?: boolean
}

const BD_MAX_SIZES = [0, 0, 0, 0, 64 * KIB, 256 * KIB, MIB, 4 * MIB]

/** Builds an LZ4 frame with the options Kafka's reader accepts, using the lz4 package's raw blocks. */
export function buildLz4Frame(input: Buffer, options: Lz4FrameOptions = {}): Buffer {
  const bdCode = options.bdCode ?? 4
  const blockSize = options.blockSize ?? BD_MAX_SIZES[bdCode]!
  let flg = 0x40 | (options.isDependent === true ? 0 : 0x20) | (options.extraFlg ?? 0)
  if (options.hasBlockChecksum === true) flg |= 0x10
  if (options.hasContentSize === true) flg |= 0x08
  if (options.hasContentChecksum === true) flg |= 0x04
  const descriptor = [flg, bdCode << 4]
  if (options.hasContentSize === true) {
    const size = options.declaredContentSize ?? input.length
    const field = Buffer.alloc(8)
    field.writeUInt32LE(size % 0x1_0000_0000, 0)
    field.writeUInt32LE(Math.floor(size / 0x1_0000_0000), 4)
    descriptor.push(...field)
  }
  const descriptorBytes = Buffer.from(descriptor)
  const parts: Buffer[] = [
    Buffer.from([0x04, 0x22, 0x4d, 0x18]),
    descriptorBytes,
    Buffer.from([lz4.utils.descriptorChecksum(descriptorBytes)]),
  ]
  for (let start = 0; start < input.length; start += blockSize) {
    const block = input.subarray(start, Math.min(start + blockSize, input.length))
    const compressed = Buffer.alloc(lz4.encodeBound(block.length))
    const written = options.isRaw === true ? 0 : lz4.encodeBlock(block, compressed)
    const data = written > 0 && written < block.length ? compressed.subarray(0, written) : block
    const sizeField = Buffer.alloc(4)
    sizeField.writeUInt32LE(data === block ? (0x80000000 | block.length) >>> 0 : data.length)
    parts.push(sizeField, data)
    if (options.hasBlockChecksum === true) parts.push(uint32LE(lz4.utils.blockChecksum(data) >>> 0))
  }
  parts.push(Buffer.alloc(4))
  if (options.hasContentChecksum === true) parts.push(uint32LE(lz4.utils.blockChecksum(input) >>> 0))
  return Buffer.concat(parts)
}

export function uint32LE(value: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeUInt32LE(value >>> 0)
  return out
}

export function uint32BE(value: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(value >>> 0)
  return out
}

/** Runs `fn` and returns what it threw (failing if it did not throw). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

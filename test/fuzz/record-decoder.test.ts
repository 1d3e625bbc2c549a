import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { CompressionName } from '../../src/compression/codec.js'
import { SeglogError } from '../../src/errors.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RecordBatch,
} from '../../src/record/record-batch.js'
import { encodeBatch, writeBatchCrc } from '../../src/record/batch-encoder.js'
import type { RecordInput } from '../../src/record/record.js'
import { writeVarint } from '../../src/record/varint.js'

/**
 * Random and mutated bytes through BatchScanner and RecordBatch. Only SeglogErrors may escape (no
 * RangeError, TypeError or hang), and no single decode may allocate much more than its input could
 * hold. Time-bounded by SEGLOG_FUZZ_MS (default 3000 ms); SEGLOG_FUZZ_SEED replays a run.
 */

const FUZZ_MS = Number(process.env.SEGLOG_FUZZ_MS ?? 3000)
/**
 * Each fuzz test runs for its share of FUZZ_MS, so its timeout follows the knob: the share, plus
 * room for the last input (up to MAX_DECODE_MS) and the corpus, never below the suite's default.
 */
function timeoutFor(share: number): number {
  return Math.max(60_000, Math.ceil(FUZZ_MS * share) + 30_000)
}
const SEED = process.env.SEGLOG_FUZZ_SEED === undefined ? Math.floor(Math.random() * 0x1_0000_0000) : Number(process.env.SEGLOG_FUZZ_SEED)
const CODECS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** One decode may grow arrayBuffers by this much at most: the corpus batches decode to well under 1 MiB. */
const MAX_DECODE_GROWTH_BYTES = 32 * 1024 * 1024
/** One input may take this long at most: decodes here take well under 10 ms; the rest is room for GC pauses on a busy machine. */
const MAX_DECODE_MS = 2000
/** How many batches the scanner may return from one input before we call it a loop. */
const MAX_SCANNED_BATCHES = 64

/** mulberry32: small, fast and good enough to pick mutations; the seed replays a run exactly. */
class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** Integer in [0, bound). */
  below(bound: number): number {
    return bound <= 0 ? 0 : Math.floor((this.uint32() / 0x1_0000_0000) * bound)
  }

  chance(probability: number): boolean {
    return this.uint32() / 0x1_0000_0000 < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T
  }

  bytes(size: number): Buffer {
    const buf = Buffer.allocUnsafe(size)
    for (let position = 0; position < size; position++) buf[position] = this.uint32() & 0xff
    return buf
  }
}

// ---------------------------------------------------------------------------------------------
// Corpus: valid batches of every codec

interface CorpusBatch {
  bytes: Buffer
  compression: CompressionName
}

function randomRecords(prng: Prng): RecordInput[] {
  const records: RecordInput[] = []
  const count = prng.below(12)
  const baseTimestamp = 1_700_000_000_000 + prng.below(1_000_000)
  for (let slot = 0; slot < count; slot++) {
    const valueSize = prng.pick([0, 1, 10, 100, 1000])
    const value = prng.chance(0.5) ? Buffer.alloc(valueSize, slot) : prng.bytes(valueSize)
    records.push({
      key: prng.chance(0.3) ? null : Buffer.from(`key-${prng.below(100)}`),
      value: prng.chance(0.1) ? null : value,
      headers: prng.chance(0.3)
        ? [
            { key: 'h', value: Buffer.from('v') },
            { key: 'ünï', value: null },
          ]
        : [],
      timestamp: baseTimestamp + prng.below(10_000) - 5000,
    })
  }
  return records
}

function buildCorpus(prng: Prng): CorpusBatch[] {
  const corpus: CorpusBatch[] = []
  for (const compression of CODECS) {
    for (let copy = 0; copy < 8; copy++) {
      const bytes = encodeBatch(randomRecords(prng), {
        baseOffset: prng.below(1_000_000),
        partitionLeaderEpoch: prng.below(10),
        compression,
        producerId: prng.chance(0.5) ? -1 : prng.below(1_000_000),
        producerEpoch: prng.chance(0.5) ? -1 : prng.below(100),
        baseSequence: prng.chance(0.5) ? -1 : prng.below(1_000_000),
        isTransactional: prng.chance(0.3),
        isControl: prng.chance(0.1),
        timestampType: prng.chance(0.2) ? 'LogAppendTime' : 'CreateTime',
      })
      corpus.push({ bytes, compression })
    }
  }
  return corpus
}

// ---------------------------------------------------------------------------------------------
// Mutations

const INT32_FIELD_OFFSETS = [BATCH_LENGTH_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, LAST_OFFSET_DELTA_OFFSET, RECORDS_COUNT_OFFSET]
const INT64_FIELD_OFFSETS = [BASE_OFFSET_OFFSET, BASE_TIMESTAMP_OFFSET, MAX_TIMESTAMP_OFFSET, PRODUCER_ID_OFFSET]
const NASTY_INT32 = [0, 1, -1, -2, 0x7fffffff, -0x80000000, 48, 49, 60, 61, 1 << 20, 1 << 30]
const NASTY_VARINTS = [-2, -1000, 0x3fffffff, -0x40000000, 0x7fffffff, 1 << 20, 1 << 28]

function flipBytes(prng: Prng, input: Buffer): Buffer {
  const out = Buffer.from(input)
  const flips = 1 + prng.below(8)
  for (let flip = 0; flip < flips && out.length > 0; flip++) {
    const position = prng.below(out.length)
    out[position] = out[position]! ^ (1 + prng.below(255))
  }
  return out
}

function truncate(prng: Prng, input: Buffer): Buffer {
  return input.subarray(0, prng.below(input.length))
}

function overwriteInt32Field(prng: Prng, input: Buffer): Buffer {
  const out = Buffer.from(input)
  const position = prng.pick(INT32_FIELD_OFFSETS)
  const value = prng.chance(0.2) ? out.length - 12 + prng.below(64) - 32 : prng.pick(NASTY_INT32)
  if (position + 4 <= out.length) out.writeInt32BE(value | 0, position)
  return out
}

function overwriteInt64Field(prng: Prng, input: Buffer): Buffer {
  const out = Buffer.from(input)
  const position = prng.pick(INT64_FIELD_OFFSETS)
  if (position + 8 <= out.length)
    out.writeBigInt64BE(
      BigInt.asIntN(64, prng.pick([-1n, 0n, 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(prng.uint32()) << 32n])),
      position,
    )
  return out
}

/** A lying varint (a record length, key length, header count...) somewhere in the records area. */
function overwriteVarint(prng: Prng, input: Buffer): Buffer {
  const out = Buffer.from(input)
  if (out.length <= BATCH_HEADER_SIZE) return out
  const position = BATCH_HEADER_SIZE + prng.below(out.length - BATCH_HEADER_SIZE)
  if (prng.chance(0.2)) {
    // Overlong: continuation bits that never stop.
    out.fill(0xff, position, Math.min(out.length, position + 1 + prng.below(12)))
  } else if (position + 5 <= out.length) {
    writeVarint(out, prng.pick(NASTY_VARINTS), position)
  }
  return out
}

function splice(prng: Prng, a: Buffer, b: Buffer): Buffer {
  return Buffer.concat([a.subarray(0, prng.below(a.length + 1)), b.subarray(prng.below(b.length + 1))])
}

function insertOrDelete(prng: Prng, input: Buffer): Buffer {
  const position = prng.below(input.length + 1)
  if (prng.chance(0.5)) return Buffer.concat([input.subarray(0, position), prng.bytes(1 + prng.below(16)), input.subarray(position)])
  return Buffer.concat([input.subarray(0, position), input.subarray(Math.min(input.length, position + 1 + prng.below(16)))])
}

/** Garbage in the (compressed) records area under a valid CRC, so the decompressor gets it. */
function garbleRecordsArea(prng: Prng, input: Buffer): Buffer {
  if (input.length <= BATCH_HEADER_SIZE) return Buffer.from(input)
  const header = input.subarray(0, BATCH_HEADER_SIZE)
  const area = input.subarray(BATCH_HEADER_SIZE)
  let garbled: Buffer
  switch (prng.below(4)) {
    case 0:
      garbled = flipBytes(prng, area)
      break
    case 1:
      garbled = truncate(prng, area)
      break
    case 2:
      garbled = Buffer.concat([area.subarray(0, Math.min(area.length, 4 + prng.below(12))), prng.bytes(prng.below(200))])
      break
    default:
      garbled = prng.bytes(prng.below(300))
  }
  const out = Buffer.concat([header, garbled])
  out.writeInt32BE(out.length - 12, BATCH_LENGTH_OFFSET)
  return out
}

/** A header-only batch claiming magic 2 and a plausible length, followed by random bytes. */
function plausibleGarbage(prng: Prng): Buffer {
  const out = prng.bytes(BATCH_HEADER_SIZE + prng.below(200))
  out.writeInt32BE(out.length - 12, BATCH_LENGTH_OFFSET)
  out[16] = 2
  if (prng.chance(0.5)) out.writeInt32BE(prng.pick(NASTY_INT32), RECORDS_COUNT_OFFSET)
  if (prng.chance(0.5)) writeBatchCrc(out)
  return out
}

function fixCrc(input: Buffer): Buffer {
  if (input.length >= ATTRIBUTES_OFFSET) writeBatchCrc(input)
  return input
}

function mutate(prng: Prng, corpus: readonly CorpusBatch[], compressedOnly: boolean): Buffer {
  const pool = compressedOnly ? corpus.filter((entry) => entry.compression !== 'none') : corpus
  let out: Buffer = Buffer.from(prng.pick(pool).bytes)
  const rounds = 1 + prng.below(3)
  for (let round = 0; round < rounds; round++) {
    switch (compressedOnly ? 7 : prng.below(9)) {
      case 0:
        out = flipBytes(prng, out)
        break
      case 1:
        out = truncate(prng, out)
        break
      case 2:
        out = overwriteInt32Field(prng, out)
        break
      case 3:
        out = overwriteInt64Field(prng, out)
        break
      case 4:
        out = overwriteVarint(prng, out)
        break
      case 5:
        out = splice(prng, out, prng.pick(corpus).bytes)
        break
      case 6:
        out = insertOrDelete(prng, out)
        break
      case 7:
        out = garbleRecordsArea(prng, out)
        break
      default:
        out = prng.chance(0.5) ? prng.bytes(prng.below(300)) : plausibleGarbage(prng)
    }
  }
  // Half the time make the CRC match, so decoding goes past ensureValid into the records.
  return prng.chance(0.5) ? fixCrc(out) : out
}

/** Some inputs are several batches laid end to end, mutated or not, for the scanner. */
function concatenation(prng: Prng, corpus: readonly CorpusBatch[]): Buffer {
  const parts: Buffer[] = []
  const count = 1 + prng.below(4)
  for (let part = 0; part < count; part++) parts.push(prng.chance(0.7) ? prng.pick(corpus).bytes : mutate(prng, corpus, false))
  return Buffer.concat(parts)
}

// ---------------------------------------------------------------------------------------------
// The decoder under test

/**
 * Runs `step`; a SeglogError is an accepted outcome, anything else fails the test. A
 * CorruptRecordError must point inside the `size` bytes that were being read.
 */
function attempt(size: number, step: () => unknown): void {
  try {
    step()
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    if (error instanceof CorruptRecordError && !(error.position >= 0 && error.position <= size)) {
      throw new Error(`CorruptRecordError ${error.reason} at position ${error.position}, outside the ${size} bytes read`, { cause: error })
    }
  }
}

function exerciseBatch(batch: RecordBatch): void {
  const attemptOn = (step: () => unknown): void => attempt(batch.buffer.length, step)
  attemptOn(() => [batch.sizeInBytes, batch.batchLength, batch.partitionLeaderEpoch, batch.magic, batch.crc, batch.attributes])
  attemptOn(() => [batch.compressionId, batch.timestampType, batch.isTransactional, batch.isControl, batch.hasDeleteHorizon])
  attemptOn(() => [batch.lastOffsetDelta, batch.producerEpoch, batch.baseSequence, batch.lastSequence, batch.recordCount])
  attemptOn(() => batch.baseOffset)
  attemptOn(() => batch.lastOffset)
  attemptOn(() => batch.nextOffset)
  attemptOn(() => batch.baseTimestamp)
  attemptOn(() => batch.maxTimestamp)
  attemptOn(() => batch.producerId)
  attemptOn(() => batch.hasProducerId)
  attemptOn(() => batch.isValid())
  attemptOn(() => batch.ensureValid())
  attemptOn(() => batch.toArray())
  attemptOn(() => {
    let count = 0
    for (const record of batch.records(1024 * 1024)) count += record.headers.length >= 0 ? 1 : 0
    return count
  })
}

function exercise(input: Buffer, verifyCrc: boolean): void {
  const scanner = new BatchScanner(input, { verifyCrc })
  for (let scanned = 0; ; scanned++) {
    if (scanned > MAX_SCANNED_BATCHES) throw new Error('scanner keeps returning batches: it is not advancing')
    let batch: RecordBatch | null = null
    attempt(input.length, () => {
      batch = scanner.next()
    })
    if (batch === null) break
    exerciseBatch(batch)
  }
  if (scanner.trailingBytes < 0 || scanner.trailingBytes > input.length)
    throw new Error(`impossible trailingBytes ${scanner.trailingBytes}`)
  // The view on its own, without the scanner's framing checks.
  let view: RecordBatch | null = null
  attempt(input.length, () => {
    view = new RecordBatch(input)
  })
  if (view !== null) exerciseBatch(view)
}

interface DecodeCost {
  growthBytes: number
  elapsedMs: number
}

function measuredExercise(input: Buffer, verifyCrc: boolean): DecodeCost {
  const before = process.memoryUsage().arrayBuffers
  const started = performance.now()
  exercise(input, verifyCrc)
  const elapsedMs = performance.now() - started
  return { growthBytes: process.memoryUsage().arrayBuffers - before, elapsedMs }
}

/** The same failure again with stack traces enabled, when the decode fails the same way. */
function withStack(error: unknown, input: Buffer, verifyCrc: boolean): unknown {
  try {
    exercise(input, verifyCrc)
  } catch (again) {
    return again
  }
  return error
}

function describeFailure(phase: string, iteration: number, input: Buffer, error: unknown): Error {
  const hex = input.subarray(0, 256).toString('hex')
  return new Error(
    `record decoder fuzz failed: replay with SEGLOG_FUZZ_SEED=${SEED} (${phase}, iteration ${iteration}, ${input.length} bytes: ${hex}${input.length > 256 ? '…' : ''}): ${String(error)}`,
    { cause: error },
  )
}

interface FuzzStats {
  iterations: number
  maxGrowthBytes: number
  maxElapsedMs: number
}

/** How often a fuzz loop gives the event loop a turn (vitest's worker RPC times out after 60 s without one). */
const YIELD_EVERY_MS = 500

/**
 * Feeds inputs from `nextInput` until `durationMs` has passed; throws with the seed on the first
 * failure. Each phase draws from its own generator (SEED plus the phase number), so phases replay
 * independently of how long the others ran.
 */
async function fuzz(phase: number, durationMs: number, nextInput: (prng: Prng) => Buffer): Promise<FuzzStats> {
  const prng = new Prng(SEED + phase)
  const deadline = performance.now() + durationMs
  let nextYield = performance.now() + YIELD_EVERY_MS
  const stats: FuzzStats = { iterations: 0, maxGrowthBytes: 0, maxElapsedMs: 0 }
  // Most inputs throw several expected errors, and capturing their stacks is most of the cost. A
  // failing input is decoded again with stacks on, so the report still shows where it failed.
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    while (performance.now() < deadline) {
      if (performance.now() >= nextYield) {
        Error.stackTraceLimit = stackTraceLimit
        await new Promise((resolve) => setImmediate(resolve))
        Error.stackTraceLimit = 0
        nextYield = performance.now() + YIELD_EVERY_MS
      }
      const input = nextInput(prng)
      const verifyCrc = prng.chance(0.3)
      try {
        const cost = measuredExercise(input, verifyCrc)
        if (cost.growthBytes > MAX_DECODE_GROWTH_BYTES) throw new Error(`one decode grew arrayBuffers by ${cost.growthBytes} bytes`)
        if (cost.elapsedMs > MAX_DECODE_MS) throw new Error(`one decode took ${cost.elapsedMs.toFixed(0)} ms`)
        stats.maxGrowthBytes = Math.max(stats.maxGrowthBytes, cost.growthBytes)
        stats.maxElapsedMs = Math.max(stats.maxElapsedMs, cost.elapsedMs)
      } catch (error) {
        Error.stackTraceLimit = stackTraceLimit
        throw describeFailure(`phase ${phase}`, stats.iterations, input, withStack(error, input, verifyCrc))
      }
      stats.iterations++
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
  console.log(
    `fuzz seed ${SEED} phase ${phase}: ${stats.iterations} inputs, largest decode growth ${(stats.maxGrowthBytes / 1024).toFixed(0)} KiB, slowest ${stats.maxElapsedMs.toFixed(1)} ms`,
  )
  return stats
}

// ---------------------------------------------------------------------------------------------

describe(`record decoder fuzz (seed ${SEED}, ${FUZZ_MS} ms)`, () => {
  const corpus = buildCorpus(new Prng(SEED))

  it('accepts every corpus batch unchanged', () => {
    for (const { bytes } of corpus) {
      const batch = new RecordBatch(bytes)
      batch.ensureValid()
      expect(batch.toArray()).toHaveLength(batch.recordCount)
    }
  })

  it(
    'throws only SeglogErrors for random bytes, quickly and without big allocations',
    async () => {
      const stats = await fuzz(1, FUZZ_MS * 0.2, (prng) => {
        const input = prng.bytes(prng.below(400))
        // Mostly give it a magic byte, or almost everything stops at the prefix check.
        if (input.length > 16 && prng.chance(0.8)) input[16] = 2
        return input
      })
      expect(stats.iterations).toBeGreaterThan(0)
    },
    timeoutFor(0.2),
  )

  it(
    'throws only SeglogErrors for mutated valid batches and concatenations',
    async () => {
      const stats = await fuzz(2, FUZZ_MS * 0.5, (prng) => (prng.chance(0.2) ? concatenation(prng, corpus) : mutate(prng, corpus, false)))
      expect(stats.iterations).toBeGreaterThan(0)
    },
    timeoutFor(0.5),
  )

  it(
    'throws only SeglogErrors when the decompressors get garbage under a valid CRC',
    async () => {
      const stats = await fuzz(3, FUZZ_MS * 0.3, (prng) => fixCrc(mutate(prng, corpus, true)))
      expect(stats.iterations).toBeGreaterThan(0)
    },
    timeoutFor(0.3),
  )
})

/** arrayBuffers growth of one decode of `input` (scanner, getters, ensureValid, toArray). */
function growthOf(input: Buffer): number {
  return measuredExercise(input, false).growthBytes
}

/** Lies an honest buffer cannot back: a decode that believes them would allocate gigabytes. */
describe('lying counts and lengths do not allocate', () => {
  const small = encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('hello') }, { value: Buffer.from('world') }], { now: 1 })
  const LIMIT = 4 * 1024 * 1024

  it('ignores a record count of 2^31-1', () => {
    const bytes = fixCrc(Buffer.from(small))
    bytes.writeInt32BE(0x7fffffff, RECORDS_COUNT_OFFSET)
    fixCrc(bytes)
    expect(() => new RecordBatch(bytes).toArray()).toThrow(SeglogError)
    expect(growthOf(bytes)).toBeLessThan(LIMIT)
  })

  it('ignores record, key, value and header lengths of 2^30', () => {
    for (let position = BATCH_HEADER_SIZE; position < small.length; position++) {
      const bytes = Buffer.from(small)
      writeVarint(bytes, 0x3fffffff, position)
      fixCrc(bytes)
      expect(growthOf(bytes)).toBeLessThan(LIMIT)
    }
  })

  it('ignores a batch length of 2^31-1 in a short buffer', () => {
    const bytes = Buffer.from(small)
    bytes.writeInt32BE(0x7fffffff, BATCH_LENGTH_OFFSET)
    const scanner = new BatchScanner(bytes)
    expect(scanner.next()).toBeNull()
    expect(scanner.trailingBytes).toBe(bytes.length)
    expect(growthOf(bytes)).toBeLessThan(LIMIT)
  })

  const values = Array.from({ length: 50 }, (_, slot) => ({ value: Buffer.alloc(100, slot) }))
  for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`ignores a ${compression} frame that declares a huge decompressed size`, () => {
      const honest = encodeBatch(values, { compression, now: 1 })
      const area = Buffer.from(honest.subarray(BATCH_HEADER_SIZE))
      const lies = lyingFrames(compression, area)
      for (const lie of lies) {
        const bytes = fixCrc(Buffer.concat([honest.subarray(0, BATCH_HEADER_SIZE), lie]))
        bytes.writeInt32BE(bytes.length - 12, BATCH_LENGTH_OFFSET)
        fixCrc(bytes)
        expect(growthOf(bytes)).toBeLessThan(LIMIT)
      }
    })
  }
})

describe('a real decompression bomb', () => {
  it("stops at the caller's decompressed-size limit", () => {
    const honest = encodeBatch([{ value: Buffer.from('x') }], { compression: 'zstd', now: 1 })
    const bytes = Buffer.concat([honest.subarray(0, BATCH_HEADER_SIZE), zstdRleBomb()])
    bytes.writeInt32BE(bytes.length - 12, BATCH_LENGTH_OFFSET)
    fixCrc(bytes)
    const batch = new RecordBatch(bytes)
    batch.ensureValid()
    const before = process.memoryUsage().arrayBuffers
    let caught: unknown
    try {
      Array.from(batch.records(1024 * 1024))
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(SeglogError)
    expect((caught as SeglogError).code).toBe('CORRUPT_RECORD')
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024)
  })
})

/** Compressed records areas whose size fields claim far more output than they hold. */
function lyingFrames(compression: 'gzip' | 'snappy' | 'lz4' | 'zstd', area: Buffer): Buffer[] {
  switch (compression) {
    case 'gzip': {
      // ISIZE (the last 4 bytes, little-endian) says 4 GiB - 1; the deflate stream says otherwise.
      const lie = Buffer.from(area)
      lie.writeUInt32LE(0xffffffff, lie.length - 4)
      return [lie, gzipSync(Buffer.alloc(0)).subarray(0, 10)]
    }
    case 'snappy': {
      // A xerial chunk whose raw block starts with an uncompressed-length varint of 2^32-1, and a
      // bare raw block (no xerial header) claiming the same.
      const block = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])
      const chunk = Buffer.alloc(4)
      chunk.writeInt32BE(block.length)
      const xerial = Buffer.concat([area.subarray(0, 16), chunk, block])
      const chunkLie = Buffer.from(area)
      chunkLie.writeInt32BE(0x7ffffff0, 16)
      return [xerial, block, chunkLie]
    }
    case 'lz4': {
      // FLG with the content-size bit and a content size of 2^40, header checksum made valid
      // with a brute-force search over the one HC byte, then the honest blocks.
      const header = Buffer.alloc(15)
      header.writeUInt32LE(0x184d2204, 0)
      header[4] = 0x68
      header[5] = 0x40
      header.writeBigUInt64LE(2n ** 40n, 6)
      const blocks = area.subarray(7)
      const candidates: Buffer[] = []
      for (let hc = 0; hc < 256; hc++) {
        header[14] = hc
        candidates.push(Buffer.concat([header, blocks]))
      }
      // A block size field of 4 MiB in a 64 KiB-block frame, and one of 2^31-1 with the raw bit.
      const bigBlock = Buffer.from(area)
      bigBlock.writeUInt32LE(4 * 1024 * 1024, 7)
      const rawLie = Buffer.from(area)
      rawLie.writeUInt32LE(0xffffffff, 7)
      return [...candidates, bigBlock, rawLie]
    }
    case 'zstd': {
      // The frame header rewritten to carry an 8-byte content size field claiming 200 MiB (and,
      // being single-segment, a 200 MiB window).
      const fhd = area[4]!
      const isSingleSegment = (fhd & 0x20) !== 0
      const fcsSize = [isSingleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!
      const fieldsPosition = 5 + (isSingleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 0x03]!
      const fcs = Buffer.alloc(8)
      fcs.writeBigUInt64LE(200n * 1024n * 1024n)
      const lie = Buffer.concat([
        area.subarray(0, 4),
        Buffer.from([(fhd & 0x3f) | 0xc0]),
        area.subarray(5, fieldsPosition),
        fcs,
        area.subarray(fieldsPosition + fcsSize),
      ])
      return [lie]
    }
  }
}

/**
 * A zstd frame with no content size and 2,000 RLE blocks of 128 KiB each (250 MiB of output from
 * 8 KiB of input). The codec must stop at its output limit, not decode it all.
 */
function zstdRleBomb(): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]) // FHD 0: no FCS, window descriptor
  const blocks: Buffer[] = []
  const blockCount = 2000
  for (let block = 0; block < blockCount; block++) {
    const isLast = block === blockCount - 1 ? 1 : 0
    // Block header: 3 bytes LE, bit 0 last, bits 1-2 type (1 = RLE), bits 3-23 size (regenerated).
    const value = isLast | (1 << 1) | ((128 * 1024) << 3)
    blocks.push(Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, 0x61]))
  }
  return Buffer.concat([header, ...blocks])
}

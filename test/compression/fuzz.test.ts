import { describe, expect, it } from 'vitest'
import { codecForName, CorruptCompressionError, XERIAL_HEADER, type Codec, type CompressionName } from '../../src/compression/index.js'
import { buildLz4Frame, compressibleBytes, KIB, lz4, MIB, randomBytes, seededRandom, snappy, zstd } from './helpers.js'

/**
 * Random bytes and mutated valid frames go to every codec's decompress: the only thing allowed to
 * escape is CorruptCompressionError, and no output may pass maxOutputBytes. About 2 seconds in all
 * by default; set SEGLOG_FUZZ_MS for a longer run and SEGLOG_FUZZ_SEED to replay a failure.
 */
const TOTAL_MS = Number(process.env['SEGLOG_FUZZ_MS'] ?? 2000)
const SEED = Number(process.env['SEGLOG_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 32))
const NAMES: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const LIMITS = [0, 100, 64 * KIB, MIB]
const EXTREME_WORDS = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x82534e41, 0x184d2204, 0xfd2fb528, 0x00010000]

type Random = () => number

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!
}

function below(random: Random, limit: number): number {
  return Math.floor(random() * limit)
}

/** Valid payloads for one codec: what we write plus the variants its reader also accepts. */
function corpusFor(codec: Codec): Buffer[] {
  const inputs = [Buffer.alloc(0), Buffer.from('hello, world'), compressibleBytes(70 * KIB, 1), randomBytes(5 * KIB, 2)]
  const corpus = inputs.map((input) => codec.compress(input))
  const text = compressibleBytes(20 * KIB, 3)
  if (codec.name === 'lz4') {
    corpus.push(
      buildLz4Frame(text, { bdCode: 5, hasBlockChecksum: true, hasContentSize: true, hasContentChecksum: true, blockSize: 4 * KIB }),
    )
    corpus.push(buildLz4Frame(text, { bdCode: 7, hasContentChecksum: true }), lz4.encode(text))
  }
  if (codec.name === 'snappy')
    corpus.push(snappy.compressSync(text), Buffer.concat([codec.compress(text), XERIAL_HEADER, codec.compress(text).subarray(16)]))
  if (codec.name === 'zstd') {
    const cctx = new zstd.CCtx()
    cctx.setParameter(zstd.CParameter.contentSizeFlag, 0)
    cctx.setParameter(zstd.CParameter.checksumFlag, 1)
    const out = Buffer.alloc(zstd.compressBound(text.length))
    corpus.push(out.subarray(0, cctx.compress2(out, text)))
  }
  if (codec.name === 'gzip') corpus.push(Buffer.concat([codec.compress(text), codec.compress(text)]))
  return corpus
}

function mutate(random: Random, frame: Buffer, corpus: readonly Buffer[]): Buffer {
  const out = Buffer.from(frame)
  switch (below(random, 8)) {
    case 0: {
      for (let flips = 1 + below(random, 8); flips > 0 && out.length > 0; flips--) {
        const position = below(random, out.length)
        out[position] = out[position]! ^ (1 << below(random, 8))
      }
      return out
    }
    case 1: {
      if (out.length > 0) out[below(random, out.length)] = pick(random, [0x00, 0x7f, 0x80, 0xff])
      return out
    }
    case 2:
      return out.subarray(0, below(random, out.length + 1))
    case 3:
      return Buffer.concat([out, randomBytes(1 + below(random, 64), below(random, 2 ** 31))])
    case 4: {
      const start = below(random, out.length + 1)
      const end = start + below(random, Math.min(64, out.length - start) + 1)
      return random() < 0.5
        ? Buffer.concat([out.subarray(0, start), out.subarray(end)])
        : Buffer.concat([out.subarray(0, start), randomBytes(end - start + 1, below(random, 2 ** 31)), out.subarray(start)])
    }
    case 5: {
      if (out.length >= 4) {
        const position = below(random, out.length - 3)
        const word = pick(random, EXTREME_WORDS)
        if (random() < 0.5) out.writeUInt32LE(word, position)
        else out.writeUInt32BE(word, position)
      }
      return out
    }
    case 6: {
      const other = pick(random, corpus)
      return Buffer.concat([out.subarray(0, below(random, out.length + 1)), other.subarray(below(random, other.length + 1))])
    }
    default: {
      // Keep the frame's first bytes (its magic), randomise the rest.
      const keep = Math.min(out.length, below(random, 24))
      return Buffer.concat([out.subarray(0, keep), randomBytes(below(random, 300), below(random, 2 ** 31))])
    }
  }
}

/** For LZ4, fix up the header checksum half the time so mutations reach the blocks. */
function fixLz4HeaderChecksum(random: Random, frame: Buffer): Buffer {
  if (random() < 0.5 || frame.length < 7 || frame.readUInt32LE(0) !== 0x184d2204) return frame
  const checksumPosition = (frame[4]! & 0x08) !== 0 ? 14 : 6
  if (frame.length <= checksumPosition) return frame
  frame[checksumPosition] = lz4.utils.descriptorChecksum(frame.subarray(4, checksumPosition))
  return frame
}

/** How often a fuzz loop gives the event loop a turn (vitest's worker RPC times out after 60 s without one). */
const YIELD_EVERY_MS = 500

describe('fuzz: only CorruptCompressionError escapes decompress', () => {
  const perCodecMs = TOTAL_MS / NAMES.length

  it.each(NAMES)(
    '%s',
    async (name) => {
      const codec = codecForName(name)
      const corpus = corpusFor(codec)
      const random = seededRandom(SEED ^ (name.length * 0x9e3779b9))
      const deadline = performance.now() + perCodecMs
      let cases = 0
      let nextYield = performance.now() + YIELD_EVERY_MS
      while (performance.now() < deadline) {
        if (performance.now() >= nextYield) {
          await new Promise((resolve) => setImmediate(resolve))
          nextYield = performance.now() + YIELD_EVERY_MS
        }
        cases++
        let input = random() < 0.15 ? randomBytes(below(random, 512), below(random, 2 ** 31)) : mutate(random, pick(random, corpus), corpus)
        if (name === 'lz4') input = fixLz4HeaderChecksum(random, input)
        const limit = pick(random, LIMITS)
        try {
          const output = codec.decompress(input, limit)
          expect(output.length).toBeLessThanOrEqual(limit)
        } catch (error) {
          if (!(error instanceof CorruptCompressionError)) {
            throw new Error(
              `SEGLOG_FUZZ_SEED=${SEED}: ${name} case ${cases} (limit ${limit}) threw ${String(error)}; ` +
                `input ${input.subarray(0, 128).toString('hex')}${input.length > 128 ? '…' : ''}`,
              { cause: error },
            )
          }
        }
      }
      expect(cases).toBeGreaterThan(20)
    },
    TOTAL_MS + 30_000,
  )
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allApis,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  ProtocolDecodeError,
  type ApiName,
} from '../../../src/server/protocol/index.js'
import { planFor } from '../../../src/server/protocol/plan.js'
import { structValue } from './arbitraries.js'
import { PINNED_REQUESTS } from './pinned-requests.data.js'

/**
 * Random and mutated frames through decodeRequest and decodeResponse: only ProtocolDecodeErrors may
 * escape (no RangeError, TypeError or hang), and no decode may allocate much more than its frame.
 * Time-bounded by SEGLOG_FUZZ_MS (default 2000 ms); SEGLOG_FUZZ_SEED replays a run.
 */

const FUZZ_MS = Number(process.env.SEGLOG_FUZZ_MS ?? 2000)
const SEED = process.env.SEGLOG_FUZZ_SEED === undefined ? Math.floor(Math.random() * 0x1_0000_0000) : Number(process.env.SEGLOG_FUZZ_SEED)
/** Corpus frames are a few KiB at most: a decode that grows arrayBuffers by more has allocated from a length field. */
const MAX_DECODE_GROWTH_BYTES = 16 * 1024 * 1024
const MAX_DECODE_MS = 2000

/** mulberry32: small, fast, and the seed replays a run exactly. */
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

  below(bound: number): number {
    return bound <= 0 ? 0 : Math.floor((this.uint32() / 0x1_0000_0000) * bound)
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

interface CorpusFrame {
  kind: 'request' | 'response'
  api: ApiName
  version: number
  /** The frame without its size prefix. */
  bytes: Buffer
}

function buildCorpus(seed: number): CorpusFrame[] {
  const corpus: CorpusFrame[] = PINNED_REQUESTS.map((pinned) => ({
    kind: 'request',
    api: pinned.api,
    version: pinned.version,
    bytes: Buffer.from(pinned.hex, 'hex').subarray(4),
  }))
  for (const api of allApis()) {
    for (let version = api.validVersions.lowest; version <= api.validVersions.highest; version++) {
      const [request] = fc.sample(structValue(planFor(api.request, version)), { seed: seed + version, numRuns: 1 })
      const [response] = fc.sample(structValue(planFor(api.response, version)), { seed: seed + version + 1, numRuns: 1 })
      corpus.push({
        kind: 'request',
        api: api.name,
        version,
        bytes: Buffer.concat(encodeRequest(api.name, version, { correlationId: 7, clientId: 'fuzz' }, request as never)).subarray(4),
      })
      corpus.push({
        kind: 'response',
        api: api.name,
        version,
        bytes: Buffer.concat(encodeResponse(api.name, version, 7, response as never)).subarray(4),
      })
    }
  }
  return corpus
}

const NASTY_INT32 = [-1, -2, 0x7fff_ffff, -0x8000_0000, 0x10000, 0xff, 0x7fff]
const NASTY_INT16 = [-1, -2, 0x7fff, -0x8000, 0xff]
const NASTY_UVARINTS = [[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0xff, 0xff, 0xff, 0xff, 0x0f], [0x00], [0xff, 0x7f]]

function mutate(prng: Prng, input: Buffer): Buffer {
  const out = Buffer.from(input)
  switch (prng.below(6)) {
    case 0: {
      for (let flip = 1 + prng.below(6); flip > 0 && out.length > 0; flip--) {
        const position = prng.below(out.length)
        out[position] = out[position]! ^ (1 + prng.below(255))
      }
      return out
    }
    case 1:
      return out.subarray(0, prng.below(out.length))
    case 2:
      if (out.length >= 4) out.writeInt32BE(prng.pick(NASTY_INT32) | 0, prng.below(out.length - 3))
      return out
    case 3:
      if (out.length >= 2) out.writeInt16BE((prng.pick(NASTY_INT16) << 16) >> 16, prng.below(out.length - 1))
      return out
    case 4: {
      const position = prng.below(out.length + 1)
      return Buffer.concat([out.subarray(0, position), Buffer.from(prng.pick(NASTY_UVARINTS)), out.subarray(position)])
    }
    default: {
      // keep the api key and version so the garbage reaches the body decoder
      const keep = Math.min(out.length, 4 + prng.below(12))
      return Buffer.concat([out.subarray(0, keep), prng.bytes(prng.below(64))])
    }
  }
}

function decode(frame: CorpusFrame, bytes: Buffer): void {
  if (frame.kind === 'request') decodeRequest(bytes)
  else decodeResponse(bytes, frame.api, frame.version)
}

describe(`protocol decoder fuzz (seed ${SEED}, ${FUZZ_MS} ms)`, () => {
  it('lets only ProtocolDecodeErrors escape and allocates no more than the frame allows', () => {
    const prng = new Prng(SEED)
    const corpus = buildCorpus(SEED)
    const deadline = Date.now() + FUZZ_MS
    let inputs = 0
    const reasons = new Map<string, number>()
    while (Date.now() < deadline || inputs < 2000) {
      const frame = prng.pick(corpus)
      const bytes = prng.below(10) === 0 ? prng.bytes(prng.below(128)) : mutate(prng, frame.bytes)
      const before = process.memoryUsage().arrayBuffers
      const started = Date.now()
      try {
        decode(frame, bytes)
      } catch (error) {
        if (!(error instanceof ProtocolDecodeError)) {
          throw new Error(
            `seed ${SEED}: ${frame.kind} ${frame.api} v${frame.version} input ${bytes.toString('hex')} threw ${String(error)}`,
          )
        }
        expect(error.position).toBeGreaterThanOrEqual(0)
        expect(error.position).toBeLessThanOrEqual(bytes.length)
        reasons.set(error.reason, (reasons.get(error.reason) ?? 0) + 1)
      }
      expect(process.memoryUsage().arrayBuffers - before, `seed ${SEED}: input ${bytes.toString('hex')}`).toBeLessThan(
        MAX_DECODE_GROWTH_BYTES,
      )
      expect(Date.now() - started).toBeLessThan(MAX_DECODE_MS)
      inputs++
    }
    // the mutations reach the interesting failures, not only truncation
    for (const reason of ['truncated', 'length-past-end', 'negative-length', 'trailing-bytes'])
      expect(reasons.get(reason) ?? 0, reason).toBeGreaterThan(0)
  })
})

import fc from 'fast-check'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/index.js'
import { allApis, encodeRequest, type ApiName } from '../../src/server/protocol/index.js'
import { planFor } from '../../src/server/protocol/plan.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, waitFor, type ProtocolClient, type TestServer } from './helpers.js'
import { structValue } from './protocol/arbitraries.js'

/**
 * Random and mutated frames against a live server: each fuzz connection gets an answer or is
 * closed, the server never crashes or logs a failed handler, and a bystander connection keeps
 * being served throughout. Afterwards no connection, and no fetch waiting on a partition, is left
 * behind. Time-bounded by SEGLOG_FUZZ_MS (default 2000 ms); SEGLOG_FUZZ_SEED replays a run.
 */

const FUZZ_MS = Number(process.env.SEGLOG_FUZZ_MS ?? 2000)
const SEED = process.env.SEGLOG_FUZZ_SEED === undefined ? Math.floor(Math.random() * 0x1_0000_0000) : Number(process.env.SEGLOG_FUZZ_SEED)
/** How long one fuzz connection may stay silent before the test moves on (a long poll, acks=0). */
const SILENCE_MS = 150
/**
 * CreateTopics and CreatePartitions are left out: a mutated partition count of, say, 65536 is a
 * valid request that makes 65536 directories, which is slow, not wrong.
 */
const SKIPPED_API_KEYS = new Set([19, 37])

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

function frame<N extends ApiName>(api: N, version: number, body: unknown): Buffer {
  return Buffer.concat(encodeRequest(api, version, { correlationId: 1, clientId: 'fuzz' }, body as never)).subarray(4)
}

/** Requests as real clients send them, to the topic the fuzz server has. */
function realisticFrames(): Buffer[] {
  const records = encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('fuzz') }], { compression: 'gzip' })
  return [
    frame('ApiVersions', 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }),
    frame('Metadata', 9, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false }),
    frame('Produce', 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records }] }] }),
    frame('Produce', 7, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 1, records }] }] }),
    frame('Fetch', 12, {
      maxWaitMs: 50,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 16 }] }],
    }),
    frame('ListOffsets', 7, { replicaId: -1, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, timestamp: -3 }] }] }),
    frame('DescribeConfigs', 4, { resources: [{ resourceType: 2, resourceName: 'fuzz', configurationKeys: null }] }),
    frame('IncrementalAlterConfigs', 1, {
      resources: [{ resourceType: 2, resourceName: 'fuzz', configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }],
    }),
    frame('DeleteRecords', 2, { topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 1, offset: 1 }] }], timeoutMs: 100 }),
    frame('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 1000 }),
    frame('DescribeCluster', 1, { endpointType: 1 }),
    frame('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['g'] }),
  ]
}

/** A request of every API and version the codec defines, with generated field values. */
function generatedFrames(seed: number): Buffer[] {
  const frames: Buffer[] = []
  for (const api of allApis()) {
    if (SKIPPED_API_KEYS.has(api.apiKey)) continue
    for (let version = api.validVersions.lowest; version <= api.validVersions.highest; version++) {
      const [body] = fc.sample(structValue(planFor(api.request, version)), { seed: seed + api.apiKey * 100 + version, numRuns: 1 })
      frames.push(frame(api.name, version, body))
    }
  }
  return frames
}

const NASTY_INT32 = [-1, -2, 0x7fff_ffff, -0x8000_0000, 0x10000, 0xff]
const NASTY_INT16 = [-1, -2, 0x7fff, -0x8000, 0xff]

function mutate(prng: Prng, input: Buffer): Buffer {
  const out = Buffer.from(input)
  switch (prng.below(5)) {
    case 0:
      for (let flip = 1 + prng.below(6); flip > 0 && out.length > 8; flip--) {
        // Past the header's api key and version, which the size-prefix case and pure noise vary.
        const position = 4 + prng.below(out.length - 4)
        out[position] = out[position]! ^ (1 + prng.below(255))
      }
      return out
    case 1:
      return out.subarray(0, prng.below(out.length))
    case 2:
      if (out.length >= 8) out.writeInt32BE(prng.pick(NASTY_INT32) | 0, 4 + prng.below(out.length - 7))
      return out
    case 3:
      if (out.length >= 6) out.writeInt16BE((prng.pick(NASTY_INT16) << 16) >> 16, 4 + prng.below(out.length - 5))
      return out
    default:
      return Buffer.concat([out.subarray(0, Math.min(out.length, 4 + prng.below(16))), prng.bytes(prng.below(64))])
  }
}

/** Bytes for one fuzz connection: a framed mutation, a frame with a lying size, or noise. */
function nextInput(prng: Prng, corpus: readonly Buffer[]): Buffer | null {
  const choice = prng.below(10)
  if (choice === 0) return prng.bytes(1 + prng.below(64))
  const body = choice === 1 ? prng.bytes(prng.below(64)) : mutate(prng, prng.pick(corpus))
  if (body.length >= 2 && SKIPPED_API_KEYS.has(body.readInt16BE(0))) return null
  const size = Buffer.alloc(4)
  size.writeInt32BE(choice === 2 ? prng.pick(NASTY_INT32) | 0 : body.length)
  return Buffer.concat([size, body])
}

/** Sends one input; resolves once the server answered, closed the connection, or stayed silent. */
function probe(port: number, input: Buffer): Promise<'answered' | 'closed' | 'silent'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let outcome: 'answered' | 'closed' | 'silent' | null = null
    const finish = (result: 'answered' | 'closed' | 'silent'): void => {
      if (outcome !== null) return
      outcome = result
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => finish('silent'), SILENCE_MS)
    socket.on('error', () => finish('closed'))
    socket.on('close', () => finish('closed'))
    socket.on('data', () => finish('answered'))
    socket.on('connect', () => socket.write(input))
  })
}

describe(`server fuzz (seed ${SEED}, ${FUZZ_MS} ms)`, () => {
  let started: TestServer
  let bystander: ProtocolClient

  beforeAll(async () => {
    started = await startServer({ maxRequestBytes: 1 << 20 })
    await started.server.engine.createTopic('fuzz', { partitions: 2 })
    bystander = await connect(started.port)
  })

  afterAll(async () => {
    await closeAll()
    await removeTmpDirs()
  })

  it(
    'answers or closes each connection, never fails a handler, and keeps serving the others',
    async () => {
      const prng = new Prng(SEED)
      const corpus = [...realisticFrames(), ...generatedFrames(SEED)]
      const outcomes = new Map<string, number>()
      const deadline = Date.now() + FUZZ_MS
      let inputs = 0
      while (Date.now() < deadline || inputs < 200) {
        const batch: Promise<string>[] = []
        for (let slot = 0; slot < 8; slot++) {
          const input = nextInput(prng, corpus)
          if (input !== null) batch.push(probe(started.port, input))
        }
        for (const outcome of await Promise.all(batch)) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        inputs += batch.length
        const metadata = await bystander.request('Metadata', 4, { topics: [{ name: 'fuzz' }], allowAutoTopicCreation: false })
        expect(metadata.topics[0]!.partitions).toHaveLength(2)
      }
      expect(outcomes.get('answered') ?? 0, `seed ${SEED}`).toBeGreaterThan(0)
      expect(outcomes.get('closed') ?? 0, `seed ${SEED}`).toBeGreaterThan(0)
      const failures = started.logs.filter(
        (line) => !/^(closing connection from |created topic |deleted topic |changed the configs |auto-creating topic )/.test(line),
      )
      expect(failures, `seed ${SEED}`).toEqual([])
      // Nothing is left behind: every fuzz connection is gone, and so are their fetches' waits.
      await waitFor(() => started.server.connectionCount === 1, 5000, 'fuzz connections to close')
      for (const topic of started.server.engine.listTopics()) {
        for (const log of started.server.engine.partitions(topic.name))
          expect(log.events.listenerCount('append'), `${topic.name}-${log.partition}`).toBe(0)
      }
    },
    FUZZ_MS + 60_000,
  )
})

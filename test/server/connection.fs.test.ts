import fc from 'fast-check'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeBatch } from '../../src/index.js'
import { KafkaErrorCode, servedApis } from '../../src/server/index.js'
import { allApis, APIS, encodeRequest } from '../../src/server/protocol/index.js'
import { planFor } from '../../src/server/protocol/plan.js'
import { structValue } from './protocol/arbitraries.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, waitFor } from './helpers.js'

/** Connections: version negotiation, pipelining, limits, bad frames, idle time, slow readers. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

describe('ApiVersions', () => {
  it('advertises exactly the APIs and versions served, at every version it speaks', async () => {
    const { port } = await startServer()
    const client = await connect(port)
    const served = servedApis().map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
    expect(served.map(({ apiKey }) => apiKey)).toEqual([
      0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 32, 33, 37, 42, 44, 47, 60,
    ])
    for (let version = 0; version <= 3; version++) {
      const response = await client.request('ApiVersions', version, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })
      expect(response.errorCode).toBe(KafkaErrorCode.NONE)
      expect(response.apiKeys).toEqual(served)
    }
  })

  it('answers a newer ApiVersions with UNSUPPORTED_VERSION and its versions, in v0 (KIP-511)', async () => {
    const { port } = await startServer()
    const client = await connect(port)
    // The answer is v0, whatever was asked: that is what lets the client read it and retry lower.
    const answer = client.expect('ApiVersions', 0)
    client.send('ApiVersions', 4, { clientSoftwareName: 'future', clientSoftwareVersion: '9' })
    const response = await answer
    expect(response.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION)
    expect(response.apiKeys.find((api) => api.apiKey === APIS.ApiVersions.apiKey)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 })
  }, 10_000)

  it('answers a version it does not serve with UNSUPPORTED_VERSION in every partition', async () => {
    const { port } = await startServer()
    const client = await connect(port)
    const fetch = await client.request('Fetch', 3, {
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topic: 'a', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }] }],
    })
    expect(fetch.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION)
    const metadata = await client.request('Metadata', 10, { topics: [{ name: 'a' }] })
    expect(metadata.topics[0]!.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_VERSION)
    // The connection is still good.
    expect((await client.request('Metadata', 1, { topics: [] })).brokers).toHaveLength(1)
  })
})

describe('every API and version the codec defines', () => {
  it('is answered at its own version when served, with UNSUPPORTED_VERSION outside the range, or ends the connection', async () => {
    const { port, logs } = await startServer()
    const served = new Map(servedApis().map((api) => [api.apiKey, api]))
    let answered = 0
    for (const api of allApis()) {
      for (let version = api.validVersions.lowest; version <= api.validVersions.highest; version++) {
        const [generated] = fc.sample(structValue(planFor(api.request, version)), { seed: api.apiKey * 100 + version, numRuns: 1 })
        const body = tame(api.name, generated as Record<string, unknown>)
        const client = await connect(port)
        const range = served.get(api.apiKey)
        if (range === undefined) {
          client.send(api.name, version, body as never)
          await client.closed
          continue
        }
        const isServed = version >= range.minVersion && version <= range.maxVersion
        // An ApiVersions version the server does not speak is answered in v0 (KIP-511).
        const answerVersion = api.name === 'ApiVersions' && !isServed ? 0 : version
        const response = client.expect(api.name, answerVersion)
        client.send(api.name, version, body as never)
        const decoded = (await response) as Record<string, unknown>
        if (!isServed) {
          // Every error code in the answer says so (a version without a top-level code and a request
          // without entries leaves nowhere to say it, as in Kafka).
          const codes = [...JSON.stringify(decoded).matchAll(/"errorCode":(-?\d+)/g)].map((match) => Number(match[1]))
          expect(
            codes.filter((code) => code !== KafkaErrorCode.UNSUPPORTED_VERSION && code !== KafkaErrorCode.NONE),
            `${api.name} v${version}`,
          ).toEqual([])
        }
        answered++
        client.destroy()
      }
    }
    expect(answered).toBeGreaterThan(100)
    expect(logs.filter((line) => / failed: /.test(line))).toEqual([])
  }, 60_000)
})

/** Keeps generated requests quick: no long polls, no acks=0 silence, no thousands of partitions. */
function tame(apiName: string, body: Record<string, unknown>): Record<string, unknown> {
  if (apiName === 'Fetch') return { ...body, maxWaitMs: 0 }
  if (apiName === 'Produce') return { ...body, acks: 1 }
  if (apiName === 'CreateTopics')
    return { ...body, topics: (body.topics as Record<string, unknown>[]).map((topic) => ({ ...topic, numPartitions: 1, assignments: [] })) }
  if (apiName === 'CreatePartitions')
    return { ...body, topics: (body.topics as Record<string, unknown>[]).map((topic) => ({ ...topic, count: 2, assignments: null })) }
  return body
}

describe('requests on one connection', () => {
  it('are answered in the order they were sent, however long each takes', async () => {
    const { port } = await startServer()
    const client = await connect(port)
    await client.request('CreateTopics', 3, { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 })
    // A long-polling fetch first: everything after it waits for it, in order.
    const fetch = client.expect('Fetch', 11)
    const fetchId = client.send('Fetch', 11, {
      maxWaitMs: 300,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    })
    const rest: Promise<unknown>[] = []
    const ids: number[] = []
    for (let slot = 0; slot < 20; slot++) {
      rest.push(client.expect('Metadata', 4))
      ids.push(client.send('Metadata', 4, { topics: [{ name: 'orders' }], allowAutoTopicCreation: false }))
    }
    await Promise.all([fetch, ...rest])
    expect(client.correlationIds.slice(-21)).toEqual([fetchId, ...ids])
  })

  it('stay in order across appends: pipelined produce requests to one partition land in the order sent', async () => {
    const { port, server } = await startServer()
    const client = await connect(port)
    await client.request('CreateTopics', 3, { topics: [{ name: 'seq', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 })
    const pending = []
    for (let slot = 0; slot < 50; slot++) {
      pending.push(
        client.request('Produce', 7, {
          acks: 1,
          timeoutMs: 1000,
          topicData: [{ name: 'seq', partitionData: [{ index: 0, records: encodeBatch([{ value: Buffer.from(String(slot)) }]) }] }],
        }),
      )
    }
    const responses = await Promise.all(pending)
    expect(responses.map((response) => response.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual([...Array(50).keys()])
    const values: string[] = []
    for await (const record of server.engine.partition('seq', 0).records({ from: 0 })) values.push(record.value!.toString())
    expect(values).toEqual([...Array(50).keys()].map(String))
  })
})

describe('a connection is closed, with one log line, and no other connection notices', () => {
  async function expectClosed(frame: Buffer, logPattern: RegExp, options = {}): Promise<void> {
    const { port, logs } = await startServer(options)
    const bystander = await connect(port)
    const client = await connect(port)
    client.writeRaw(frame)
    await client.closed
    await waitFor(() => logs.length > 0, 2000, 'a log line')
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(logPattern)
    expect((await bystander.request('Metadata', 1, { topics: [] })).brokers).toHaveLength(1)
  }

  it('for a frame larger than socket.request.max.bytes, before it arrives', async () => {
    const header = Buffer.alloc(4)
    header.writeInt32BE(2048)
    await expectClosed(header, /over socket\.request\.max\.bytes \(1024\)/, { maxRequestBytes: 1024 })
  })

  it('for a negative frame size', async () => {
    await expectClosed(Buffer.from('ffffff00', 'hex'), /negative request size -256/)
  })

  it('for a frame that does not decode', async () => {
    const [prefix, ...rest] = encodeRequest('Metadata', 1, { correlationId: 1, clientId: 'x' }, { topics: [{ name: 'a' }] })
    const frame = Buffer.concat([prefix!, ...rest])
    // Claims a topic name longer than the frame.
    frame.writeInt16BE(0x7fff, frame.length - 3)
    await expectClosed(frame, /malformed request \(api key 3, version 1\): length-past-end/)
  })

  it('for an API the server does not serve', async () => {
    const frame = Buffer.concat(encodeRequest('SaslHandshake', 1, { correlationId: 1, clientId: 'x' }, { mechanism: 'PLAIN' }))
    await expectClosed(frame, /SaslHandshake requests \(api key 17\) are not supported/)
  })

  it('for an api key nobody defines', async () => {
    const frame = Buffer.from('0000000a' + '0fa0' + '0000' + '00000001' + '0000', 'hex')
    await expectClosed(frame, /unknown-api-key/)
  })
})

describe('connection limits', () => {
  it('closes a connection idle for connections.max.idle.ms', async () => {
    const { port } = await startServer({ idleTimeoutMs: 200 })
    const client = await connect(port)
    await client.request('ApiVersions', 0, {})
    const startMs = Date.now()
    await client.closed
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(150)
  })

  it('does not close a connection whose fetch is long-polling past the idle time', async () => {
    const { port } = await startServer({ idleTimeoutMs: 100 })
    const client = await connect(port)
    await client.request('CreateTopics', 3, { topics: [{ name: 'quiet', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 })
    const response = await client.request('Fetch', 11, {
      maxWaitMs: 400,
      minBytes: 1,
      maxBytes: 1000,
      topics: [{ topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1000 }] }],
    })
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.NONE)
  })

  it('stops reading from a client that does not read its responses, and catches up when it does', async () => {
    const { port, server } = await startServer({ maxUnsentBytes: 1 << 20, maxInFlightRequests: 8 })
    await server.engine.createTopic('big', { partitions: 1 })
    const log = server.engine.partition('big', 0)
    // One batch of 256 KiB; every fetch below returns it.
    await log.appendBatch(encodeBatch([{ value: Buffer.alloc(256 * 1024, 7) }]))
    const requests = 400
    const frames: Buffer[] = []
    for (let slot = 0; slot < requests; slot++) {
      frames.push(
        ...encodeRequest(
          'Fetch',
          11,
          { correlationId: slot, clientId: 'slow' },
          {
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
          },
        ),
      )
    }
    const socket = net.connect({ host: '127.0.0.1', port })
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.pause()
    // 100 MB of responses if the server answered everything: it must not buffer them.
    const before = process.memoryUsage().arrayBuffers
    socket.write(Buffer.concat(frames))
    await new Promise((resolve) => setTimeout(resolve, 500))
    const grown = process.memoryUsage().arrayBuffers - before
    expect(grown).toBeLessThan(40 * 1024 * 1024)
    let received = 0
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    socket.resume()
    const expected = requests * (256 * 1024)
    await waitFor(() => received > expected, 20_000, 'every response')
    socket.destroy()
  }, 30_000)
})

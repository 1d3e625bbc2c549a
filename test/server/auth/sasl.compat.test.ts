import { afterEach, describe, expect, it } from 'vitest'
import { KafkaErrorCode } from '../../../src/server/index.js'
import { removeTmpDirs } from '../../helpers/tmp-dir.js'
import { closeAll, connect, startServer, waitFor } from '../helpers.js'
import { kafkaFor } from '../kafkajs-client.js'
import { TEST_LIMITS, writeUsers } from './helpers.js'

/**
 * SASL against KafkaJS 2.2.4 (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 with good and bad passwords),
 * and the gate before authentication, seen with seglog's own protocol client.
 */

const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  await closeAll()
  await removeTmpDirs()
})

async function saslServer() {
  const usersFile = await writeUsers({ alice: 'alice-secret', bob: 'bob-secret' })
  return startServer({ usersFile, failedAuthLimits: TEST_LIMITS })
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

describe('KafkaJS with SASL', () => {
  it.each(MECHANISMS)('%s: the right password produces and reads back', async (mechanism) => {
    const { port, server } = await saslServer()
    expect(server.securityProtocol).toBe('SASL_PLAINTEXT')
    const kafka = kafkaFor(port, { sasl: { mechanism, username: 'alice', password: 'alice-secret' } })
    const producer = kafka.producer()
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    await producer.send({ topic: 'orders', messages: [{ key: 'k', value: `via ${mechanism}` }] })
    const records = []
    for await (const record of server.engine.partition('orders', 0).records({ from: 0 })) records.push(record.value?.toString())
    expect(records).toEqual([`via ${mechanism}`])
  })

  it.each(MECHANISMS)('%s: a wrong password or unknown user is refused, logged, and nothing is written', async (mechanism) => {
    const { port, server, logs } = await saslServer()
    for (const [username, password] of [
      ['alice', 'wrong'],
      ['mallory', 'alice-secret'],
    ]) {
      const kafka = kafkaFor(port, { sasl: { mechanism, username, password }, retry: { retries: 0 } })
      const producer = kafka.producer()
      const error = await producer.connect().then(
        () => null,
        (caught: Error) => caught,
      )
      cleanups.push(() => producer.disconnect())
      expect(error?.name).toBe('KafkaJSSASLAuthenticationError')
    }
    expect(server.engine.hasTopic('orders')).toBe(false)
    const failures = logs.filter((line) => line.includes('authentication failed'))
    expect(failures).toHaveLength(2)
    expect(failures[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT.* authentication failed: peer 127\\.0\\.0\\.1:\\d+ user "alice" mechanism ${mechanism.toUpperCase()}`,
      ),
    )
    expect(failures[1]).toContain('user "mallory"')
  })
})

describe('before authentication', () => {
  it('answers ApiVersions (listing the SASL APIs) and closes the connection on anything else', async () => {
    const { port, logs } = await saslServer()
    const client = await connect(port)
    const versions = await client.request('ApiVersions', 2, {})
    expect(versions.apiKeys.map((api) => api.apiKey)).toEqual(expect.arrayContaining([17, 36]))
    const metadata = client.request('Metadata', 4, { topics: null, allowAutoTopicCreation: true })
    await expect(metadata).rejects.toThrow('connection closed')
    await waitFor(() => client.isClosed)
    expect(logs.some((line) => /Metadata request before authenticating/.test(line))).toBe(true)
  })

  it('a handshake for an unknown mechanism lists the ones served; authenticate before a handshake fails and closes', async () => {
    const { port } = await saslServer()
    const client = await connect(port)
    const handshake = await client.request('SaslHandshake', 1, { mechanism: 'GSSAPI' })
    expect(handshake.errorCode).toBe(KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM)
    expect(handshake.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])
    const early = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from('\0alice\0alice-secret') })
    expect(early.errorCode).toBe(KafkaErrorCode.ILLEGAL_SASL_STATE)
    await waitFor(() => client.isClosed)
  })

  it('PLAIN over the raw protocol: authenticated connections may do anything, a failed one is closed', async () => {
    const { port } = await saslServer()
    const good = await connect(port)
    expect((await good.request('SaslHandshake', 1, { mechanism: 'PLAIN' })).errorCode).toBe(0)
    const ok = await good.request('SaslAuthenticate', 1, { authBytes: Buffer.from('\0bob\0bob-secret') })
    expect(ok.errorCode).toBe(0)
    const metadata = await good.request('Metadata', 4, { topics: [{ name: 'fresh' }], allowAutoTopicCreation: true })
    expect(metadata.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([['fresh', 0]])

    const bad = await connect(port)
    await bad.request('SaslHandshake', 1, { mechanism: 'PLAIN' })
    const refused = await bad.request('SaslAuthenticate', 1, { authBytes: Buffer.from('\0bob\0nope') })
    expect(refused.errorCode).toBe(KafkaErrorCode.SASL_AUTHENTICATION_FAILED)
    await waitFor(() => bad.isClosed)
  })

  it('SCRAM for an unknown user looks like any other until the proof, so user names cannot be probed', async () => {
    const { port, logs } = await saslServer()
    const first = async (user: string) => {
      const client = await connect(port)
      await client.request('SaslHandshake', 1, { mechanism: 'SCRAM-SHA-256' })
      const answer = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from(`n,,n=${user},r=clientnonce`) })
      return { client, answer }
    }
    for (const user of ['alice', 'mallory']) {
      const { client, answer } = await first(user)
      expect(answer.errorCode).toBe(KafkaErrorCode.NONE)
      const serverFirst = answer.authBytes.toString()
      expect(serverFirst).toMatch(/^r=clientnonce[0-9a-f]{48},s=[A-Za-z0-9+/]{43}=,i=4096$/)
      const nonce = /^r=([^,]+)/.exec(serverFirst)![1]!
      const final = await client.request('SaslAuthenticate', 1, {
        authBytes: Buffer.from(`c=biws,r=${nonce},p=${Buffer.alloc(32).toString('base64')}`),
      })
      expect(final.errorCode).toBe(KafkaErrorCode.SASL_AUTHENTICATION_FAILED)
      expect(final.errorMessage).toBe('Authentication failed: Invalid username or password')
    }
    expect(logs.filter((line) => line.includes('authentication failed')).map((line) => /\((.+)\)$/.exec(line)![1])).toEqual([
      'bad-proof',
      'unknown-user',
    ])
  })

  it('a frame over 512 KiB before authenticating closes the connection', async () => {
    const { port, logs } = await saslServer()
    const client = await connect(port)
    const size = Buffer.alloc(4)
    size.writeInt32BE(600 * 1024)
    client.writeRaw(size)
    await waitFor(() => client.isClosed)
    expect(logs.some((line) => line.includes('before authenticating (at most 524288)'))).toBe(true)
  })
})

import fs from 'node:fs/promises'
import path from 'node:path'
import tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { removeTmpDirs } from '../../helpers/tmp-dir.js'
import { closeAll, startServer, waitFor } from '../helpers.js'
import { kafkaFor } from '../kafkajs-client.js'
import { hasOpenssl, makeCertificates } from './certs.js'
import { TEST_LIMITS, writeUsers } from './helpers.js'

/** TLS listeners with KafkaJS 2.2.4: SSL, SASL_SSL, and client certificates (mutual TLS) as principals. */

const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  await closeAll()
  await removeTmpDirs()
})

if (!hasOpenssl) console.warn('skipping the TLS tests: the openssl command is not installed (apt-get install -y openssl)')

async function produceAndCount(kafka: ReturnType<typeof kafkaFor>, topic: string): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  cleanups.push(() => producer.disconnect())
  await producer.send({ topic, messages: [{ value: 'over tls' }] })
}

describe.skipIf(!hasOpenssl)('TLS', () => {
  it('SSL: KafkaJS produces over TLS, checking the server certificate against the CA; plaintext clients get nowhere', async () => {
    const certs = await makeCertificates()
    const { port, server, logs } = await startServer({ tls: { cert: certs.serverCert, key: certs.serverKey } })
    expect(server.securityProtocol).toBe('SSL')
    expect(server.address.host).toBe('127.0.0.1')
    await produceAndCount(kafkaFor(port, { ssl: { ca: [certs.ca], servername: 'localhost' } }), 'secure')
    expect(server.engine.partition('secure', 0).logEndOffset).toBe(1)

    const plain = kafkaFor(port, { retry: { retries: 0 }, connectionTimeout: 1000, requestTimeout: 1000 })
    const admin = plain.admin()
    await expect(admin.connect()).rejects.toThrow()
    cleanups.push(() => admin.disconnect())
    await waitFor(() => logs.some((line) => line.includes('TLS handshake')), 5000, 'the handshake failure line')
  })

  it('SASL_SSL: SCRAM over TLS', async () => {
    const certs = await makeCertificates()
    const usersFile = await writeUsers({ alice: 'alice-secret' })
    const { port, server } = await startServer({
      usersFile,
      failedAuthLimits: TEST_LIMITS,
      tls: { cert: certs.serverCert, key: certs.serverKey },
    })
    expect(server.securityProtocol).toBe('SASL_SSL')
    const kafka = kafkaFor(port, {
      ssl: { ca: [certs.ca], servername: 'localhost' },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' },
    })
    await produceAndCount(kafka, 'secure')
    expect(server.engine.partition('secure', 0).logEndOffset).toBe(1)
  })

  it('mutual TLS: a client certificate is required, and names the principal ACLs see', async () => {
    const certs = await makeCertificates('alice-client')
    const aclFile = path.join(certs.dir, 'acls.json')
    await fs.writeFile(
      aclFile,
      JSON.stringify({
        version: 1,
        acls: [
          { principal: 'User:CN=alice-client,O=seglog', operation: 'ALL', resourceType: 'TOPIC', resourceName: '*', permission: 'ALLOW' },
        ],
      }),
    )
    const { port, server } = await startServer({
      aclFile,
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, clientAuth: 'required' },
    })
    await produceAndCount(
      kafkaFor(port, { ssl: { ca: [certs.ca], servername: 'localhost', cert: certs.clientCert, key: certs.clientKey } }),
      'mutual',
    )
    expect(server.engine.partition('mutual', 0).logEndOffset).toBe(1)

    // Without a certificate the handshake itself fails.
    const refused = await new Promise<Error | null>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }, () => {
        // TLS 1.3 reports the server's refusal after the handshake, on the first read.
        socket.once('data', () => resolve(null))
        socket.write(Buffer.from([0, 0, 0, 0]))
      })
      socket.once('error', (error) => resolve(error))
      socket.once('close', () => resolve(new Error('closed')))
    })
    expect(refused).not.toBeNull()
  })
})

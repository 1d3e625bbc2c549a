import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FailedAuthLimiter } from '../../../src/server/auth/failed-auth-limiter.js'
import { KafkaErrorCode as K } from '../../../src/server/index.js'
import { encodeRequest } from '../../../src/server/protocol/index.js'
import { removeTmpDirs } from '../../helpers/tmp-dir.js'
import { closeAll, connect, startServer, waitFor } from '../helpers.js'
import { writeUsers } from './helpers.js'

/** Failed authentications: the delay, the block after N failures per address, and other addresses unaffected. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

describe('FailedAuthLimiter', () => {
  it('blocks an address at the Nth failure within the window, for blockMs, and no other address', () => {
    let nowMs = 0
    const limiter = new FailedAuthLimiter({ delayMs: 0, maxFailures: 3, windowMs: 1000, blockMs: 5000 }, () => nowMs)
    expect(limiter.recordFailure('10.0.0.1')).toBe(false)
    nowMs = 1500 // the first failure has left the window
    expect(limiter.recordFailure('10.0.0.1')).toBe(false)
    expect(limiter.recordFailure('10.0.0.1')).toBe(false)
    expect(limiter.isBlocked('10.0.0.1')).toBe(false)
    expect(limiter.recordFailure('10.0.0.1')).toBe(true)
    expect(limiter.isBlocked('10.0.0.1')).toBe(true)
    expect(limiter.isBlocked('10.0.0.2')).toBe(false)
    nowMs = 1500 + 5000
    expect(limiter.isBlocked('10.0.0.1')).toBe(false)
  })
})

async function plainLogin(port: number, password: string): Promise<number | 'closed'> {
  const client = await connect(port)
  try {
    await client.request('SaslHandshake', 1, { mechanism: 'PLAIN' })
    return (await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from(`\0alice\0${password}`) })).errorCode
  } catch {
    return 'closed'
  }
}

/** An ApiVersions round trip from another loopback address (Linux routes all of 127/8 to lo). */
function apiVersionsFrom(localAddress: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress }, () => {
      for (const chunk of encodeRequest('ApiVersions', 0, { correlationId: 1, clientId: 'x' }, {})) socket.write(chunk)
    })
    socket.once('data', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
  })
}

describe('a password guesser', () => {
  it('is slowed by the delay, then refused (even with the right password) while others still connect', async () => {
    const usersFile = await writeUsers({ alice: 'right' })
    const { port, logs } = await startServer({
      usersFile,
      failedAuthLimits: { delayMs: 150, maxFailures: 3, windowMs: 60_000, blockMs: 60_000 },
    })
    const startedMs = Date.now()
    expect(await plainLogin(port, 'guess-1')).toBe(K.SASL_AUTHENTICATION_FAILED)
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(140)
    expect(await plainLogin(port, 'guess-2')).toBe(K.SASL_AUTHENTICATION_FAILED)
    expect(await plainLogin(port, 'guess-3')).toBe(K.SASL_AUTHENTICATION_FAILED)
    await waitFor(() => logs.some((line) => line.startsWith('refusing 127.0.0.1')), 2000, 'the block line')
    // Blocked: the connection is closed as it is accepted, so the right password gets nowhere.
    expect(await plainLogin(port, 'right')).toBe('closed')
    expect(await apiVersionsFrom('127.0.0.2', port)).toBe(true)
  })
})

import fs from 'node:fs'
import os from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { createKafkaServer, LogEngine, SeglogError } from '../../src/index.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect } from './helpers.js'

/** createKafkaServer itself: ephemeral servers for test suites, embedding, options, closing. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

async function rejection(promise: Promise<unknown>): Promise<SeglogError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(SeglogError)
    return error as SeglogError
  }
  throw new Error('expected a rejection')
}

describe('createKafkaServer', () => {
  it('ephemeral: ready on a free loopback port in well under a second, and close() removes its directory', async () => {
    const startMs = Date.now()
    const server = await createKafkaServer({ ephemeral: true, onLog: () => undefined })
    expect(Date.now() - startMs).toBeLessThan(1000)
    expect(server.address.host).toBe('127.0.0.1')
    expect(server.address.port).toBeGreaterThan(0)
    const dir = server.engine.dir
    expect(fs.existsSync(dir)).toBe(true)
    const client = await connect(server.address.port)
    expect((await client.request('ApiVersions', 3, {})).errorCode).toBe(0)
    expect(server.connectionCount).toBe(1)
    await server.close()
    await client.closed
    expect(fs.existsSync(dir)).toBe(false)
    // Closing twice is harmless.
    await server.close()
  })

  it('serves an engine it was given, leaves it open at close(), and stops accepting connections', async () => {
    const engine = await LogEngine.open({ dir: await makeTmpDir(), onWarning: () => undefined })
    try {
      const server = await createKafkaServer({ engine, port: 0, onLog: () => undefined })
      expect(server.engine).toBe(engine)
      await server.close()
      await engine.createTopic('still-open')
      await expect(connect(server.address.port)).rejects.toThrow()
    } finally {
      await engine.close()
    }
  })

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    const engine = await LogEngine.open({ dir: await makeTmpDir(), onWarning: () => undefined })
    try {
      expect((await rejection(createKafkaServer({}))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(createKafkaServer({ engine, ephemeral: true }))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(createKafkaServer({ engine, port: 70000 }))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(createKafkaServer({ engine, maxInFlightRequests: 0 }))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(createKafkaServer({ engine, host: '' }))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(createKafkaServer({ engine, autoCreateTopics: 'yes' as never }))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(createKafkaServer({ engine, nope: 1 } as never))).code).toBe('INVALID_ARGUMENT')
    } finally {
      await engine.close()
    }
  })

  it('reports a port in use as IO_FAILED with the errno, and an ephemeral server cleans up after it', async () => {
    const first = await createKafkaServer({ ephemeral: true, onLog: () => undefined })
    try {
      const before = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('seglog-kafka-')).length
      const error = await rejection(createKafkaServer({ ephemeral: true, port: first.address.port }))
      expect(error.code).toBe('IO_FAILED')
      expect((error as SeglogError & { errno?: string }).errno).toBe('EADDRINUSE')
      const after = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('seglog-kafka-')).length
      expect(after).toBe(before)
    } finally {
      await first.close()
    }
  })
})

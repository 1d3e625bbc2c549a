import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeBatch, LogEngine } from '../../src/index.js'
import { KafkaErrorCode } from '../../src/server/index.js'
import { assertCliBuilt, CLI_PATH, REPO_ROOT, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { connect } from './helpers.js'

/** `seglog serve` as a user runs it: the ready line, serving, a clean stop on a signal, errors. */

const children: ChildProcessWithoutNullStreams[] = []

beforeAll(() => assertCliBuilt())

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await removeTmpDirs()
})

interface Serving {
  child: ChildProcessWithoutNullStreams
  port: number
  readyLine: string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const READY = /^seglog: listening on (\S+):(\d+) \(kafka\), data (.+)$/

/** Starts `seglog serve ...args` and resolves once it printed its ready line. */
function serve(args: string[]): Promise<Serving> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, 'serve', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1' } })
    children.push(child)
    let stdout = ''
    let stderr = ''
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('close', (code, signal) => done({ code, signal })),
    )
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${stderr}`)), 20_000)
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const line = stdout.split('\n')[0]!
      const match = READY.exec(line)
      if (match !== null && stdout.includes('\n')) {
        clearTimeout(timer)
        resolve({ child, port: Number(match[2]), readyLine: line, stderr: () => stderr, exited })
      }
    })
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`seglog serve exited with ${code} before it was ready: ${stderr}`))
    })
  })
}

describe('seglog serve', () => {
  it('prints where it listens, serves, and on SIGTERM closes the directory cleanly and exits 0', async () => {
    const dir = await makeTmpDir()
    const serving = await serve([dir, '--port', '0', '--flush', 'interval:200'])
    expect(serving.readyLine).toBe(`seglog: listening on 127.0.0.1:${serving.port} (kafka), data ${dir}`)
    const client = await connect(serving.port)
    await client.request('CreateTopics', 3, { topics: [{ name: 'cli', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 })
    const produced = await client.request('Produce', 7, {
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'cli', partitionData: [{ index: 0, records: encodeBatch([{ value: Buffer.from('kept') }]) }] }],
    })
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrorCode.NONE)
    // A fetch parked on the partition is answered when the server stops, not cut off.
    const parked = client.request('Fetch', 11, {
      maxWaitMs: 30_000,
      minBytes: 1,
      maxBytes: 1000,
      topics: [{ topic: 'cli', partitions: [{ partition: 0, fetchOffset: 1, partitionMaxBytes: 1000 }] }],
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    serving.child.kill('SIGTERM')
    expect((await parked).responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrorCode.NONE)
    expect(await serving.exited).toEqual({ code: 0, signal: null })
    expect(serving.stderr()).toContain(`created topic 'cli'`)
    expect(fs.existsSync(path.join(dir, '.clean-shutdown'))).toBe(true)
    const engine = await LogEngine.open({ dir, onWarning: () => undefined })
    try {
      expect(engine.wasCleanShutdown).toBe(true)
      expect(engine.partition('cli', 0).logEndOffset).toBe(1)
    } finally {
      await engine.close()
    }
  })

  it('stops on SIGINT too, and reads its settings from a server.properties file and --override', async () => {
    const dir = await makeTmpDir()
    const config = path.join(await makeTmpDir(), 'server.properties')
    fs.writeFileSync(config, `log.dirs=${dir}\nnum.partitions=3\nnode.id=5\nnum.network.threads=8\nlisteners=PLAINTEXT://127.0.0.1:0\n`)
    const serving = await serve(['--config', config, '--override', 'auto.create.topics.enable=true', '--override', 'num.partitions=2'])
    expect(serving.readyLine).toBe(`seglog: listening on 127.0.0.1:${serving.port} (kafka), data ${dir}`)
    expect(serving.stderr()).toContain('config keys seglog does not use, ignored: num.network.threads')
    const client = await connect(serving.port)
    const metadata = await client.request('Metadata', 4, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true })
    expect(metadata.brokers[0]!.nodeId).toBe(5)
    expect(metadata.topics[0]!.partitions).toHaveLength(2)
    serving.child.kill('SIGINT')
    expect((await serving.exited).code).toBe(0)
  })

  it('fails with one line and exit 1 when the directory is locked or the port is taken', async () => {
    const dir = await makeTmpDir()
    const engine = await LogEngine.open({ dir, onWarning: () => undefined })
    try {
      const locked = await runCli(['serve', dir, '--port', '0'])
      expect(locked.code).toBe(1)
      expect(locked.stderr.trim().split('\n')).toHaveLength(1)
      expect(locked.stderr).toMatch(/^seglog: .*lock/i)
    } finally {
      await engine.close()
    }
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => resolve()))
    try {
      const taken = await runCli(['serve', dir, '--port', String((blocker.address() as net.AddressInfo).port)])
      expect(taken.code).toBe(1)
      expect(taken.stderr.trim().split('\n')).toHaveLength(1)
      expect(taken.stderr).toMatch(/^seglog: listen on 127\.0\.0\.1:\d+ failed: .*EADDRINUSE/)
    } finally {
      blocker.close()
    }
    // The failed start left the directory closed cleanly: it opens without recovery.
    const reopened = await LogEngine.open({ dir, onWarning: () => undefined })
    expect(reopened.wasCleanShutdown).toBe(true)
    await reopened.close()
  })

  it('refuses a bad command line with exit 2', async () => {
    const dir = await makeTmpDir()
    for (const args of [
      ['serve'],
      ['serve', dir, '--port', 'ninety'],
      ['serve', dir, '--port', '70000'],
      ['serve', dir, '--flush', 'sometimes'],
      ['serve', dir, '--config', path.join(dir, 'missing.properties')],
      ['serve', dir, '--override', 'num.partitions'],
      ['serve', dir, '--override', 'num.partitions=0'],
      ['serve', dir, 'extra'],
    ]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toMatch(/^seglog: .*\nTry 'seglog serve --help'\n$/)
    }
  })

  it('has --help with examples', async () => {
    const result = await runCli(['serve', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: seglog serve DIR \[options\]/)
    expect(result.stdout).toContain('Examples:')
    expect((await runCli(['--help'])).stdout).toMatch(/\n {2}serve +serve a data directory to Kafka clients/)
  })
})

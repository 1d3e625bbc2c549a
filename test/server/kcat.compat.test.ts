import { execFileSync, spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { COMPRESSION_IDS, type CompressionName } from '../../src/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServer } from './helpers.js'

/**
 * kcat (librdkafka) against the server: produce with every codec, consume from the beginning, the
 * end and a timestamp (no consumer group needed), and metadata. Skipped with a message when kcat
 * is not installed (CI installs it with apt-get install -y kcat).
 */

function kcatVersion(): string | null {
  try {
    return execFileSync('kcat', ['-V'], { encoding: 'utf8', timeout: 5000 })
  } catch {
    return null
  }
}

const version = kcatVersion()
if (version === null) console.warn('kcat is not installed: skipping the kcat tests (apt-get install -y kcat)')

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

interface KcatResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs kcat; `onStart` runs once it is started (for consumers waiting on records produced after). */
function kcat(args: string[], input = '', timeoutMs = 20_000): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

describe.skipIf(version === null)('kcat', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[])(
    'produces %s batches (kcat -P -z) and consumes them from the beginning',
    async (compression) => {
      const { port, server } = await startServer()
      const broker = `127.0.0.1:${port}`
      const lines = Array.from({ length: 100 }, (_, slot) => `key-${slot % 4}:value ${slot}`)
      const produced = await kcat(
        ['-P', '-b', broker, '-t', 'kc', '-z', compression, '-K', ':', '-X', 'enable.idempotence=true'],
        lines.join('\n') + '\n',
      )
      expect(produced.code, produced.stderr).toBe(0)
      const log = server.engine.partition('kc', 0)
      expect(log.logEndOffset).toBe(100)
      for await (const batch of log.batches({ from: 0 })) {
        expect(batch.compressionId).toBe(COMPRESSION_IDS[compression])
        expect(batch.producerId).toBeGreaterThanOrEqual(0)
      }
      const consumed = await kcat(['-C', '-b', broker, '-t', 'kc', '-o', 'beginning', '-e', '-f', '%k:%s|%o\\n'])
      expect(consumed.code, consumed.stderr).toBe(0)
      expect(consumed.stdout.trim().split('\n')).toEqual(lines.map((line, offset) => `${line}|${offset}`))
    },
  )

  it('consumes from the end: waits, then gets what is produced after it started', async () => {
    const { port, server } = await startServer()
    const broker = `127.0.0.1:${port}`
    await server.engine.createTopic('tail')
    await server.engine.partition('tail', 0).appendRecords([{ value: Buffer.from('old') }])
    const consumer = kcat(['-C', '-b', broker, '-t', 'tail', '-o', 'end', '-c', '2', '-f', '%s|%o\\n'])
    // kcat has resolved the end offset once the partition has a reader waiting on it.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const produced = await kcat(['-P', '-b', broker, '-t', 'tail'], 'new-1\nnew-2\n')
    expect(produced.code, produced.stderr).toBe(0)
    const consumed = await consumer
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.trim().split('\n')).toEqual(['new-1|1', 'new-2|2'])
  })

  it('consumes from a timestamp (-o s@TS)', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('clock')
    const log = server.engine.partition('clock', 0)
    for (let slot = 0; slot < 6; slot++) await log.appendRecords([{ value: Buffer.from(`at-${slot}`), timestamp: 1_000_000 + slot * 1000 }])
    const consumed = await kcat(['-C', '-b', `127.0.0.1:${port}`, '-t', 'clock', '-o', 's@1003500', '-e', '-f', '%s|%T\\n'])
    expect(consumed.code, consumed.stderr).toBe(0)
    expect(consumed.stdout.trim().split('\n')).toEqual(['at-4|1004000', 'at-5|1005000'])
  })

  it('lists metadata (kcat -L -J)', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('listed', { partitions: 3 })
    const listed = await kcat(['-L', '-J', '-b', `127.0.0.1:${port}`])
    expect(listed.code, listed.stderr).toBe(0)
    const metadata = JSON.parse(listed.stdout) as {
      brokers: { id: number; name: string }[]
      topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[] }[] }[]
    }
    expect(metadata.brokers).toEqual([{ id: 0, name: `127.0.0.1:${port}` }])
    const topic = metadata.topics.find((entry) => entry.topic === 'listed')!
    expect(
      topic.partitions.map((partition) => [partition.partition, partition.leader, partition.replicas.map((replica) => replica.id)]),
    ).toEqual([
      [0, 0, [0]],
      [1, 0, [0]],
      [2, 0, [0]],
    ])
  })
})

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { EachMessagePayload } from 'kafkajs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/index.js'
import { LivePartitionReader } from '../../src/cli/live-reader.js'
import { assertCliBuilt, CLI_PATH, REPO_ROOT, runCli } from '../helpers/cli.js'
import { openIdleEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { fetchAll, kafkaFor, kafkajsBroker } from './kafkajs-client.js'

/**
 * `seglog mirror` against `seglog serve` as the other side (docs/scaling.md): out with a SIGKILL
 * in the middle and a resume, record for record with no loss and no duplicate; a group's offsets
 * translated so a KafkaJS consumer resumes at the same record; and back in.
 */

const children: ChildProcessWithoutNullStreams[] = []
beforeAll(() => assertCliBuilt())
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await removeTmpDirs()
})

const RECORDS_PER_PARTITION = 20_000

function serve(dir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, 'serve', dir, '--port', '0', '--override', 'group.initial.rebalance.delay.ms=0'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
    })
    children.push(child)
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = /listening on \S+:(\d+)/.exec(stdout)
      if (match !== null) resolve(Number(match[1]))
    })
    child.on('close', (code) => reject(new Error(`serve exited with ${code}`)))
  })
}

/** A source directory: two partitions of records with keys, headers and timestamps, two groups' commits. */
async function sourceDir(): Promise<string> {
  const dir = await makeTmpDir('seglog-mirror-src-')
  const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
  await engine.createTopic('orders', { partitions: 2, retentionMs: 3_600_000, segmentBytes: 4 << 20, maxBatchBytes: 500_000 })
  for (const partition of [0, 1]) {
    const records = Array.from({ length: RECORDS_PER_PARTITION }, (_, n) => ({
      key: n % 5 === 0 ? null : Buffer.from(`k${n}`),
      value: n % 97 === 0 ? null : Buffer.from(`p${partition}-${n}-`.repeat(4)),
      headers: n % 3 === 0 ? [{ key: 'n', value: Buffer.from(String(n)) }] : [],
      timestamp: 1_700_000_000_000 + n,
    }))
    for (let from = 0; from < records.length; from += 1000)
      await engine.partition('orders', partition).appendRecords(records.slice(from, from + 1000))
  }
  await engine.offsets.commit('billing', 'orders', 0, 12_345)
  await engine.offsets.commit('billing', 'orders', 1, RECORDS_PER_PARTITION)
  await engine.offsets.commit('audit', 'orders', 0, 0)
  await engine.close()
  return dir
}

function line(record: {
  offset?: unknown
  key: Buffer | null
  value: Buffer | null
  timestamp: number | string
  headers: unknown
}): string {
  return JSON.stringify([record.key?.toString() ?? null, record.value?.toString() ?? null, String(record.timestamp), record.headers])
}

async function localRecords(dir: string, partition: number): Promise<string[]> {
  const engine = await openIdleEngine(dir)
  try {
    const out: string[] = []
    for await (const record of engine.partition('orders', partition).records({ from: 0 }))
      out.push(line({ ...record, headers: Object.fromEntries(record.headers.map((header) => [header.key, header.value?.toString()])) }))
    return out
  } finally {
    await engine.close()
  }
}

async function remoteRecords(port: number, partition: number): Promise<string[]> {
  const broker = await kafkajsBroker(port)
  try {
    const messages = await fetchAll(broker, 'orders', partition)
    return messages.map((message) =>
      line({ ...message, headers: Object.fromEntries(Object.entries(message.headers).map(([key, value]) => [key, value?.toString()])) }),
    )
  } finally {
    await broker.disconnect()
  }
}

async function highWatermarks(port: number): Promise<number> {
  const admin = kafkaFor(port).admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets('orders').catch(() => [])
    return offsets.reduce((sum: number, entry: { high: string }) => sum + Number(entry.high), 0)
  } finally {
    await admin.disconnect()
  }
}

async function describedConfigs(port: number, topic: string): Promise<Record<string, string>> {
  const admin = kafkaFor(port).admin()
  await admin.connect()
  try {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] })
    return Object.fromEntries(
      described.resources[0].configEntries.map((entry: { configName: string; configValue: string }) => [
        entry.configName,
        entry.configValue,
      ]),
    )
  } finally {
    await admin.disconnect()
  }
}

describe('seglog mirror', () => {
  it('mirrors out, survives SIGKILL midway, resumes without loss or duplicates, translates group offsets, and mirrors back in', async () => {
    const source = await sourceDir()
    const port = await serve(await makeTmpDir('seglog-mirror-dst-'))
    const target = `127.0.0.1:${port}`

    const first = spawn(process.execPath, [CLI_PATH, 'mirror', source, '--to', target], { cwd: REPO_ROOT })
    children.push(first)
    const firstExit = new Promise<NodeJS.Signals | null>((done) => first.on('close', (_code, signal) => done(signal)))
    let copied = 0
    for (let tries = 0; tries < 2000 && copied === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      copied = await highWatermarks(port)
    }
    first.kill('SIGKILL')
    expect(await firstExit).toBe('SIGKILL')
    expect(copied).toBeGreaterThan(0)
    expect(copied).toBeLessThan(2 * RECORDS_PER_PARTITION)

    const resumed = await runCli(['mirror', source, '--to', target])
    expect(resumed.stderr).toBe('')
    expect(resumed.code).toBe(0)
    expect(resumed.stdout).toMatch(/^checksum sha256:[0-9a-f]{64}$/m)
    for (const partition of [0, 1]) expect(await remoteRecords(port, partition)).toEqual(await localRecords(source, partition))
    // The destination topic was created with the source topic's configs.
    expect(await describedConfigs(port, 'orders')).toMatchObject({
      'retention.ms': '3600000',
      'segment.bytes': String(4 << 20),
      'max.message.bytes': '500000',
      'cleanup.policy': 'delete',
    })

    // A KafkaJS consumer of the group starts where the group stood in seglog.
    const kafka = kafkaFor(port)
    const consumer = kafka.consumer({ groupId: 'billing', maxWaitTimeInMs: 100 })
    await consumer.connect()
    const firstSeen = new Map<number, string>()
    await consumer.subscribe({ topic: 'orders', fromBeginning: true })
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          if (!firstSeen.has(partition)) firstSeen.set(partition, message.value?.toString() ?? 'null')
          if (firstSeen.has(0)) resolve()
        },
      })
    })
    await consumer.disconnect()
    expect(firstSeen.get(0)).toBe('p0-12345-'.repeat(4))
    // Partition 1 was consumed to its end: nothing is delivered there.
    expect(firstSeen.has(1)).toBe(false)

    // A run killed after a chunk was acknowledged but before its progress was saved: put partition
    // 0's progress back to offset 6000 as such a run leaves it. The next run finds the 14000 records
    // already on the destination, skips them instead of sending them again, and still translates
    // the group that committed among them.
    const progressFile = path.join(source, `.mirror-progress-127.0.0.1_${port}.json`)
    const saved = JSON.parse(fs.readFileSync(progressFile, 'utf8')) as { partitions: Record<string, unknown> }
    expect(saved.partitions['orders/0']).toEqual({ next: 20_000, dest: 20_000, copied: [[0, 20_000, 0]] })
    saved.partitions['orders/0'] = { next: 6000, dest: 6000, copied: [[0, 6000, 0]] }
    fs.writeFileSync(progressFile, JSON.stringify(saved))
    const again = await runCli(['mirror', source, '--to', target])
    expect(again.stdout).toContain('mirrored 0 records')
    expect(again.stdout).toContain('14000 delivered by an interrupted run were not sent again')
    expect(await remoteRecords(port, 0)).toEqual(await localRecords(source, 0))
    const resaved = JSON.parse(fs.readFileSync(progressFile, 'utf8')) as { partitions: Record<string, unknown> }
    expect(resaved.partitions['orders/0']).toEqual({ next: 20_000, dest: 20_000, copied: [[0, 20_000, 0]] })

    // Back in: the records and the group offsets.
    const back = path.join(await makeTmpDir(), 'back')
    const inbound = await runCli(['mirror', '--from', target, back, '--topics', 'orders'])
    expect(inbound.stderr).toBe('')
    expect(inbound.code).toBe(0)
    for (const partition of [0, 1]) expect(await localRecords(back, partition)).toEqual(await localRecords(source, partition))
    const engine = await openIdleEngine(back)
    try {
      // Created locally with the configs the cluster describes (DescribeConfigs).
      expect(engine.topicConfig('orders')).toMatchObject({ retentionMs: 3_600_000, segmentBytes: 4 << 20, maxBatchBytes: 500_000 })
      expect(engine.offsets.fetch('billing', 'orders', 0)?.offset).toBe(12_345)
      expect(engine.offsets.fetch('audit', 'orders', 0)?.offset).toBe(0)
    } finally {
      await engine.close()
    }
  }, 120_000)

  it('follows a directory another seglog serve owns, through a SIGKILL and a restart, carries group commits meanwhile, and stops on SIGINT', async () => {
    const source = await sourceDir()
    const sourcePort = await serve(source)
    const targetPort = await serve(await makeTmpDir('seglog-mirror-dst-'))
    const target = `127.0.0.1:${targetPort}`

    // Another process (the source's serve) appends all along, through a KafkaJS producer.
    const producer = kafkaFor(sourcePort).producer()
    await producer.connect()
    let appending = true
    let appended = 0
    const appender = (async () => {
      while (appending) {
        const partition = appended % 2
        const messages = Array.from({ length: 50 }, (_, n) => ({
          key: n % 7 === 0 ? null : `live-${appended + n}`,
          value: `live-value-${appended + n}`,
          headers: { at: String(appended + n) },
          timestamp: String(1_800_000_000_000 + appended + n),
          partition,
        }))
        await producer.send({ topic: 'orders', messages })
        appended += messages.length
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()

    const follow = (): {
      child: ChildProcessWithoutNullStreams
      exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
      stdout: () => string
    } => {
      const child = spawn(process.execPath, [CLI_PATH, 'mirror', source, '--to', target, '--follow'], { cwd: REPO_ROOT })
      children.push(child)
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.on('close', (code, signal) => done({ code, signal })),
      )
      return { child, exit, stdout: () => stdout }
    }
    const waitFor = async (what: string, condition: () => Promise<boolean>): Promise<void> => {
      for (let tries = 0; tries < 600; tries++) {
        if (await condition()) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error(`timed out waiting for ${what}`)
    }

    const first = follow()
    await waitFor('a first part on the target', async () => (await highWatermarks(targetPort)) >= 5000)
    first.child.kill('SIGKILL')
    expect((await first.exit).signal).toBe('SIGKILL')

    const second = follow()
    await waitFor('the initial records on the target', async () => (await highWatermarks(targetPort)) > 2 * RECORDS_PER_PARTITION)
    // A group commit on the source while the mirror follows reaches the target, translated.
    const sourceAdmin = kafkaFor(sourcePort).admin()
    await sourceAdmin.connect()
    await sourceAdmin.setOffsets({
      groupId: 'live',
      topic: 'orders',
      partitions: [{ partition: 0, offset: String(RECORDS_PER_PARTITION + 10) }],
    })
    await sourceAdmin.disconnect()
    const targetAdmin = kafkaFor(targetPort).admin()
    await targetAdmin.connect()
    const committedOnTarget = async (): Promise<string | undefined> =>
      (await targetAdmin.fetchOffsets({ groupId: 'live', topics: ['orders'] }))[0]?.partitions.find(
        (entry: { partition: number }) => entry.partition === 0,
      )?.offset
    await waitFor('the group commit on the target', async () => (await committedOnTarget()) === String(RECORDS_PER_PARTITION + 10))
    await targetAdmin.disconnect()

    appending = false
    await appender
    await producer.disconnect()
    const sourceTotal = await highWatermarks(sourcePort)
    expect(sourceTotal).toBe(2 * RECORDS_PER_PARTITION + appended)
    await waitFor('the target to catch up', async () => (await highWatermarks(targetPort)) === sourceTotal)
    second.child.kill('SIGINT')
    const stopped = await second.exit
    expect(second.stdout()).toMatch(/^mirrored \d+ records/m)
    expect(stopped.code).toBe(0)
    expect(second.stdout()).toMatch(/^checksum sha256:[0-9a-f]{64}$/m)

    // Record for record: keys, values, headers, timestamps; nothing lost, nothing twice.
    for (const partition of [0, 1]) {
      const copied = await remoteRecords(targetPort, partition)
      expect(copied).toEqual(await remoteRecords(sourcePort, partition))
    }
    // A KafkaJS consumer of the group resumes at the record it committed on the source.
    const expected = (await remoteRecords(sourcePort, 0))[RECORDS_PER_PARTITION + 10]!
    const consumer = kafkaFor(targetPort).consumer({ groupId: 'live', maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'orders', fromBeginning: true })
    const firstOnPartition0 = await new Promise<string>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          if (partition !== 0) return
          resolve(
            line({
              ...message,
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, value?.toString()])),
            }),
          )
        },
      })
    })
    await consumer.disconnect()
    expect(firstOnPartition0).toBe(expected)
  }, 180_000)

  it('follows a cluster into a directory with --from --follow, carries a group commit made meanwhile, and stops on SIGINT', async () => {
    const sourcePort = await serve(await sourceDir())
    const back = path.join(await makeTmpDir(), 'back')
    const child = spawn(
      process.execPath,
      [CLI_PATH, 'mirror', '--from', `127.0.0.1:${sourcePort}`, back, '--follow', '--topics', 'orders'],
      {
        cwd: REPO_ROOT,
      },
    )
    children.push(child)
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
    // The directory is the mirror's (locked): its files are read the way `seglog consume` reads them.
    const localEnd = (partition: number): number => {
      const dir = path.join(back, `orders-${partition}`)
      return fs.existsSync(dir)
        ? new LivePartitionReader({ topic: 'orders', partition, dir, warn: () => undefined }).scanEnd().nextOffset
        : 0
    }
    const waitFor = async (what: string, condition: () => boolean): Promise<void> => {
      for (let tries = 0; tries < 600 && !condition(); tries++) await new Promise((resolve) => setTimeout(resolve, 50))
      if (!condition()) throw new Error(`timed out waiting for ${what}`)
    }
    await waitFor('the first records', () => localEnd(0) + localEnd(1) === 2 * RECORDS_PER_PARTITION)

    const producer = kafkaFor(sourcePort).producer()
    await producer.connect()
    for (const partition of [0, 1])
      await producer.send({
        topic: 'orders',
        messages: Array.from({ length: 100 }, (_, n) => ({
          key: `new-${n}`,
          value: `new-${partition}-${n}`,
          headers: { n: String(n) },
          partition,
        })),
      })
    await producer.disconnect()
    const admin = kafkaFor(sourcePort).admin()
    await admin.connect()
    await admin.setOffsets({ groupId: 'live', topic: 'orders', partitions: [{ partition: 1, offset: String(RECORDS_PER_PARTITION + 50) }] })
    await admin.disconnect()
    await waitFor('the new records', () => localEnd(0) + localEnd(1) === 2 * RECORDS_PER_PARTITION + 200)
    // The group sync runs every second: give it two.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    child.kill('SIGINT')
    expect(await exit).toBe(0)
    expect(output).toMatch(/^checksum sha256:[0-9a-f]{64}$/m)

    for (const partition of [0, 1]) expect(await localRecords(back, partition)).toEqual(await remoteRecords(sourcePort, partition))
    const engine = await openIdleEngine(back)
    try {
      expect(engine.offsets.fetch('live', 'orders', 1)?.offset).toBe(RECORDS_PER_PARTITION + 50)
      expect(engine.offsets.fetch('billing', 'orders', 0)?.offset).toBe(12_345)
    } finally {
      await engine.close()
    }
  }, 120_000)

  it('says what is wrong with its arguments', async () => {
    const dir = await makeTmpDir()
    expect((await runCli(['mirror', dir])).code).toBe(2)
    expect((await runCli(['mirror', dir, '--to', 'nohost'])).code).toBe(2)
    expect((await runCli(['mirror', dir, '--to', 'a:1', '--from', 'b:2'])).code).toBe(2)
  })
})

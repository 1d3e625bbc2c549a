import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, CLI_PATH, outputLines, REPO_ROOT, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from './helpers.js'
import { kafkaFor } from './kafkajs-client.js'

/**
 * `seglog groups`, `seglog topics` and `seglog delete-records` against a live `seglog serve` child
 * process, with KafkaJS as the consumer the commands must respect and as the witness of what they
 * changed: a group with a member is not reset, a dry run changes nothing, an executed reset is
 * where the next consumer starts, and a directory a server owns is refused with the server's address.
 */

beforeAll(() => assertCliBuilt())

const children: ChildProcessWithoutNullStreams[] = []
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await removeTmpDirs()
})

const T0 = 1_700_000_000_000
const READY = /^seglog: listening on (\S+):(\d+) \(kafka\)/

/** `seglog serve DIR` on an ephemeral port, resolved once it prints where it listens. */
function serve(dir: string): Promise<{ address: string; port: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const args = [CLI_PATH, 'serve', dir, '--port', '0', '--flush', 'os', '--override', 'group.initial.rebalance.delay.ms=0']
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1' } })
    children.push(child)
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`seglog serve did not start: ${stderr}`)), 20_000)
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = READY.exec(stdout)
      if (match === null) return
      clearTimeout(timer)
      resolve({ address: `${match[1]}:${match[2]}`, port: Number(match[2]), pid: child.pid! })
    })
    child.on('close', (code) => reject(new Error(`seglog serve exited with ${code}: ${stderr}`)))
  })
}

async function ok(...args: string[]): Promise<string> {
  const result = await runCli(args)
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS's client objects */
async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect()
  cleanups.push(() => client.disconnect())
  return client
}

/** Starts a KafkaJS consumer in `group` on `jobs`, collecting the values it reads. */
async function startConsumer(kafka: any, group: string): Promise<{ consumer: any; values: string[] }> {
  const consumer = await connected(kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200 }))
  await consumer.subscribe({ topic: 'jobs', fromBeginning: true })
  const values: string[] = []
  await consumer.run({ eachMessage: async ({ message }: any) => void values.push(message.value.toString()) })
  return { consumer, values }
}

async function committedOffset(admin: any, group: string): Promise<number> {
  const [topic] = await admin.fetchOffsets({ groupId: group, topics: ['jobs'] })
  return Number(topic.partitions[0].offset)
}

describe('admin commands through a live seglog serve', () => {
  it('refuses to reset a group with a member; a dry run changes nothing; --execute moves where a consumer starts', async () => {
    const dir = await makeTmpDir()
    const server = await serve(dir)
    const kafka = kafkaFor(server.port)
    const admin = await connected(kafka.admin())
    await ok('topics', 'create', server.address, '--topic', 'jobs')
    const producer = await connected(kafka.producer())
    await producer.send({
      topic: 'jobs',
      acks: -1,
      messages: Array.from({ length: 10 }, (_, slot) => ({ value: String(slot), timestamp: String(T0 + slot * 1000) })),
    })

    const first = await startConsumer(kafka, 'workers')
    await waitFor(() => first.values.length === 10, 15_000, 'the first consumer to read 10 records')
    await expect.poll(() => committedOffset(admin, 'workers'), { timeout: 10_000 }).toBe(10)

    const described = outputLines(await ok('groups', 'describe', server.address, '--group', 'workers'))
    const row = described[1]!.split(/\s+/)
    expect(row.slice(0, 6)).toEqual(['workers', 'jobs', '0', '10', '10', '0'])
    expect(row[6]).not.toBe('-') // the member's id
    const members = outputLines(await ok('groups', 'describe', server.address, '--group', 'workers', '--members', '--verbose'))
    expect(members[1]!.split(/\s+/).slice(-2)).toEqual(['1', 'jobs(0)'])

    const refused = await runCli([
      'groups',
      'reset-offsets',
      server.address,
      '--group',
      'workers',
      '--topic',
      'jobs',
      '--to-earliest',
      '--execute',
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      "seglog: Assignments can only be reset if the group 'workers' is inactive, but the current state is Stable.\n",
    )
    expect(await committedOffset(admin, 'workers')).toBe(10)

    await first.consumer.disconnect()
    const state = outputLines(await ok('groups', 'describe', server.address, '--group', 'workers', '--state'))
    expect(state[1]!.split(/\s+/).slice(-2)).toEqual(['Empty', '0'])

    const dryRun = await ok('groups', 'reset-offsets', server.address, '--group', 'workers', '--topic', 'jobs', '--to-offset', '4')
    expect(outputLines(dryRun)[1]!.split(/\s+/)).toEqual(['workers', 'jobs', '0', '4'])
    const byTime = await ok(
      'groups',
      'reset-offsets',
      server.address,
      '--group',
      'workers',
      '--topic',
      'jobs',
      '--to-datetime',
      new Date(T0 + 6500).toISOString(),
    )
    expect(outputLines(byTime)[1]!.split(/\s+/)).toEqual(['workers', 'jobs', '0', '7'])
    expect(await committedOffset(admin, 'workers')).toBe(10)

    await ok(
      'groups',
      'reset-offsets',
      '--bootstrap-server',
      server.address,
      '--group',
      'workers',
      '--topic',
      'jobs',
      '--shift-by',
      '-6',
      '--execute',
    )
    expect(await committedOffset(admin, 'workers')).toBe(4)
    const second = await startConsumer(kafka, 'workers')
    await waitFor(() => second.values.length === 6, 15_000, 'the second consumer to read from offset 4')
    expect(second.values).toEqual(['4', '5', '6', '7', '8', '9'])
    await second.consumer.disconnect()

    expect(outputLines(await ok('groups', 'list', server.address, '--state'))).toEqual(['GROUP    STATE', 'workers  Empty'])
    await ok('groups', 'delete-offsets', server.address, '--group', 'workers', '--topic', 'jobs')
    expect(await committedOffset(admin, 'workers')).toBe(-1)
    await ok('groups', 'reset-offsets', server.address, '--group', 'workers', '--topic', 'jobs', '--to-earliest', '--execute')
    await ok('groups', 'delete', server.address, '--group', 'workers')
    expect(await ok('groups', 'list', server.address)).toBe('')
    const gone = await runCli(['groups', 'describe', server.address, '--group', 'workers'])
    expect([gone.code, gone.stderr]).toEqual([1, "seglog: Consumer group 'workers' does not exist.\n"])
  })

  it('topics round trip and delete-records through the server', async () => {
    const dir = await makeTmpDir()
    const server = await serve(dir)
    const kafka = kafkaFor(server.port)
    const admin = await connected(kafka.admin())
    await ok('topics', 'create', server.address, '--topic', 'orders', '--partitions', '2', '--config', 'retention.ms=3600000')
    await ok('topics', 'alter', server.address, '--topic', 'orders', '--partitions', '3', '--add-config', 'segment.bytes=1048576')
    await ok(
      'topics',
      'alter',
      server.address,
      '--topic',
      'orders',
      '--delete-config',
      'retention.ms',
      '--add-config',
      'retention.bytes=99999',
    )
    const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] })
    expect(metadata.topics[0].partitions).toHaveLength(3)
    const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders' }], includeSynonyms: false })
    const values = new Map(resources[0].configEntries.map((entry: any) => [entry.configName, entry.configValue]))
    expect([values.get('segment.bytes'), values.get('retention.bytes'), values.get('retention.ms')]).toEqual([
      '1048576',
      '99999',
      '604800000',
    ])
    const described = outputLines(await ok('topics', 'describe', server.address, '--topic', 'orders'))
    expect(described[0]).toBe('Topic: orders\tPartitionCount: 3\tConfigs: retention.bytes=99999,segment.bytes=1048576')

    const producer = await connected(kafka.producer())
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: 5 }, (_, slot) => ({ value: String(slot), partition: 1 })),
    })
    const deleted = await ok('delete-records', server.address, '--topic', 'orders', '--partition', '1', '--offset', '3')
    expect(deleted).toBe('Records delete operation completed:\npartition: orders-1\tlow_watermark: 3\n')
    const offsets = await admin.fetchTopicOffsets('orders')
    expect(offsets.find((entry: any) => entry.partition === 1)).toMatchObject({ low: '3', high: '5' })

    await ok('topics', 'delete', server.address, '--topic', 'orders')
    expect(await admin.listTopics()).not.toContain('orders')
    const missing = await runCli(['topics', 'describe', server.address, '--topic', 'orders'])
    expect([missing.code, missing.stderr]).toEqual([1, `seglog: topic 'orders' does not exist on ${server.address}\n`])
  })

  it('a directory a server owns is refused with the address to use instead', async () => {
    const dir = await makeTmpDir()
    const server = await serve(dir)
    const result = await runCli(['topics', 'list', dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`is served by process ${server.pid} (seglog serve); run the command against the server instead`)
    if (process.platform === 'linux') expect(result.stderr).toContain(server.address)
    const unreachable = await runCli(['groups', 'list', '127.0.0.1:1'])
    expect(unreachable.code).toBe(1)
    expect(outputLines(unreachable.stderr)).toHaveLength(1)
  })
})

import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServer, waitFor } from './helpers.js'
import { kafkaFor } from './kafkajs-client.js'

/**
 * KafkaJS 2.2.4 consumer groups against the server: two and three members in this process and in
 * child processes, every record consumed and the partitions split without overlap; a member's
 * process SIGKILLed mid-way, whose partitions move to the others within the session timeout with
 * nothing committed lost; the admin client's group calls.
 */

const require = createRequire(import.meta.url)
const { AssignerProtocol } = require('kafkajs') as {
  AssignerProtocol: { MemberAssignment: { decode(buffer: Buffer): { assignment: Record<string, number[]> } | null } }
}
const CHILD = fileURLToPath(new URL('./fixtures/group-consumer.mjs', import.meta.url))
const SESSION_MS = 6000
const PARTITIONS = 6

const cleanups: (() => Promise<unknown>)[] = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  await closeAll()
  await removeTmpDirs()
})

/* eslint-disable @typescript-eslint/no-explicit-any -- KafkaJS's client objects */
async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
  await client.connect()
  cleanups.push(() => client.disconnect())
  return client
}

/** A server with a topic of PARTITIONS partitions holding `count` records "0".."count-1". */
async function serverWithRecords(count: number) {
  const started = await startServer({ groupInitialRebalanceDelayMs: 200 })
  const kafka = kafkaFor(started.port)
  const admin = await connected(kafka.admin())
  await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: PARTITIONS }] })
  const producer = await connected(kafka.producer())
  await produce(producer, 0, count)
  return { ...started, kafka, admin, producer }
}

async function produce(producer: any, from: number, to: number): Promise<void> {
  const messages = Array.from({ length: to - from }, (_, slot) => ({ key: `k${from + slot}`, value: String(from + slot) }))
  await producer.send({ topic: 'jobs', acks: -1, messages })
}

/** The partitions each member of a Stable group holds, from DescribeGroups. */
async function assignments(admin: any, groupId: string): Promise<number[][]> {
  const { groups } = await admin.describeGroups([groupId])
  expect(groups[0].state).toBe('Stable')
  return groups[0].members.map(
    (member: { memberAssignment: Buffer }) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment.jobs ?? [],
  )
}

function expectPartitionsSplit(split: number[][], members: number): void {
  expect(split).toHaveLength(members)
  const all = split.flat().sort((a, b) => a - b)
  expect(all).toEqual(Array.from({ length: PARTITIONS }, (_, partition) => partition))
  for (const partitions of split) expect(partitions.length).toBeGreaterThan(0)
}

/** Waits until the group's committed offsets reach the end of every partition. */
async function waitForCommitsAtEnd(admin: any, groupId: string, end: number[]): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: ['jobs'] })
    const committed = partitions.sort((a: any, b: any) => a.partition - b.partition).map((entry: any) => Number(entry.offset))
    if (committed.every((offset: number, partition: number) => offset === end[partition])) return
    if (Date.now() > deadline) expect(committed).toEqual(end)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function highWatermarks(admin: any): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets('jobs')
  return offsets.sort((a: any, b: any) => a.partition - b.partition).map((entry: any) => Number(entry.high))
}

describe('KafkaJS consumer groups in one process', () => {
  it.each([2, 3])(
    '%i members consume every record between them, each holding its own partitions; admin lists, describes and deletes the group',
    async (members) => {
      const { kafka, admin } = await serverWithRecords(600)
      const seen = new Map<string, number>()
      const consumers = []
      for (let slot = 0; slot < members; slot++) {
        const consumer = await connected(
          kafka.consumer({ groupId: 'workers', sessionTimeout: SESSION_MS, heartbeatInterval: 300, maxWaitTimeInMs: 500 }),
        )
        await consumer.subscribe({ topic: 'jobs', fromBeginning: true })
        consumers.push(consumer)
      }
      await Promise.all(
        consumers.map((consumer) =>
          consumer.run({
            eachMessage: async ({ message }: any) => void seen.set(message.value.toString(), (seen.get(message.value.toString()) ?? 0) + 1),
          }),
        ),
      )
      await waitFor(() => seen.size === 600, 30_000, 'every record consumed')
      await waitForCommitsAtEnd(admin, 'workers', await highWatermarks(admin))
      expectPartitionsSplit(await assignments(admin, 'workers'), members)

      // Admin calls: listed, described, not deletable while it has members, deletable once empty.
      expect((await admin.listGroups()).groups).toEqual([{ groupId: 'workers', protocolType: 'consumer' }])
      await expect(admin.deleteGroups(['workers'])).rejects.toMatchObject({ groups: [{ groupId: 'workers', errorCode: 68 }] })
      for (const consumer of consumers) await consumer.disconnect()
      const { groups } = await admin.describeGroups(['workers'])
      expect(groups[0]).toMatchObject({ groupId: 'workers', state: 'Empty', members: [] })
      expect(await admin.deleteGroups(['workers'])).toEqual([{ groupId: 'workers', errorCode: 0 }])
      expect((await admin.listGroups()).groups).toEqual([])
      const [{ partitions }] = await admin.fetchOffsets({ groupId: 'workers', topics: ['jobs'] })
      expect(partitions.every((entry: any) => entry.offset === '-1')).toBe(true)
    },
    60_000,
  )
})

interface ChildEvent {
  type: 'join' | 'record' | 'running' | 'crash'
  pid: number
  partition?: number
  offset?: number
  value?: string
  assignment?: number[]
  at: number
  error?: string
}

function startChild(port: number, events: ChildEvent[]): ChildProcess {
  const child = spawn(process.execPath, [CHILD, String(port), 'workers', 'jobs', String(SESSION_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  let pending = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) if (line !== '') events.push(JSON.parse(line) as ChildEvent)
  })
  return child
}

/** The partitions each live child holds after its latest join. */
function latestAssignments(events: ChildEvent[], pids: number[]): Map<number, number[]> {
  const latest = new Map<number, number[]>()
  for (const event of events) if (event.type === 'join' && pids.includes(event.pid)) latest.set(event.pid, event.assignment!)
  return latest
}

describe('KafkaJS consumer groups in child processes', () => {
  it.each([2, 3])(
    '%i processes split the partitions and consume every record',
    async (members) => {
      const { port, admin, producer } = await serverWithRecords(300)
      const events: ChildEvent[] = []
      const pids = Array.from({ length: members }, () => startChild(port, events).pid!)
      await waitFor(
        () => {
          const latest = latestAssignments(events, pids)
          return latest.size === members && [...latest.values()].flat().length === PARTITIONS
        },
        30_000,
        'every child assigned',
      )
      await produce(producer, 300, 600)
      await waitFor(
        () => new Set(events.filter((event) => event.type === 'record').map((event) => event.value)).size === 600,
        30_000,
        'every record consumed',
      )
      expect(events.filter((event) => event.type === 'crash')).toEqual([])
      expectPartitionsSplit([...latestAssignments(events, pids).values()], members)
      await waitForCommitsAtEnd(admin, 'workers', await highWatermarks(admin))
    },
    60_000,
  )

  it('moves the partitions of a SIGKILLed member to the others within the session timeout, losing nothing committed', async () => {
    const { port, admin, producer } = await serverWithRecords(300)
    const events: ChildEvent[] = []
    const processes = [startChild(port, events), startChild(port, events), startChild(port, events)]
    const pids = processes.map((child) => child.pid!)
    await waitFor(
      () => [...latestAssignments(events, pids).values()].flat().length === PARTITIONS && latestAssignments(events, pids).size === 3,
      30_000,
      'every child assigned',
    )
    await waitFor(
      () => new Set(events.filter((event) => event.type === 'record').map((event) => event.value)).size === 300,
      30_000,
      'the first records consumed',
    )

    const victim = processes[1]!
    const orphaned = latestAssignments(events, pids).get(victim.pid!)!
    victim.kill('SIGKILL')
    const killedAt = Date.now()
    await new Promise((resolve) => victim.once('exit', resolve))
    await produce(producer, 300, 600)
    const survivors = pids.filter((pid) => pid !== victim.pid)
    await waitFor(
      () => {
        const latest = latestAssignments(events, survivors)
        return [...latest.values()].flat().length === PARTITIONS && events.some((event) => event.type === 'join' && event.at > killedAt)
      },
      SESSION_MS + 6000,
      'the orphaned partitions reassigned',
    )
    const movedAt = Math.max(...events.filter((event) => event.type === 'join' && survivors.includes(event.pid)).map((event) => event.at))
    expect(movedAt - killedAt).toBeLessThan(SESSION_MS + 3000)
    expectPartitionsSplit([...latestAssignments(events, survivors).values()], 2)
    expect(orphaned.length).toBeGreaterThan(0)

    // At least once: every record, before and after the kill, reached a consumer, and the
    // survivors read the orphaned partitions on from the victim's last commit.
    await waitFor(
      () => new Set(events.filter((event) => event.type === 'record').map((event) => event.value)).size === 600,
      30_000,
      'every record consumed',
    )
    await waitForCommitsAtEnd(admin, 'workers', await highWatermarks(admin))
    const { groups } = await admin.describeGroups(['workers'])
    expect(groups[0].members).toHaveLength(2)
  }, 90_000)
})

// Consumer groups through the Kafka server: rebalance time and commit throughput.
//
//   npm run build && node bench/groups.mjs [--runs 20] [--members 2,10,50] [--commits 5000]
//        [--commit-runs 5] [--depth 16] [--flush sync] [--kafkajs-runs 5] [--before DIR]
//
// --before DIR: also measure the build in DIR (a checkout of another commit with its dist/ built),
// in the same run: both servers run side by side and every measurement alternates between them,
// so "before" and "after" see the same machine load.
//
// The server runs as `seglog serve` in a child process with group.initial.rebalance.delay.ms=0
// (Kafka's default of 3000 ms would add 3 s to every first rebalance); this process is the client.
//
// 1. rebalance, raw clients: N members on N connections (seglog's codec) join a new group at once
//    (JoinGroup v5: MEMBER_ID_REQUIRED, then the join with the id), the leader assigns, all send
//    SyncGroup; timed from the first JoinGroup sent to the last SyncGroup answered (join -> Stable).
// 2. rebalance, KafkaJS 2.2.4: N consumers of one process subscribe and run; timed from run() to
//    the moment every consumer has reported GROUP_JOIN for one generation holding all N members.
// 3. commits, raw OffsetCommit v8 of one partition per request, --depth requests in flight, as a
//    member of a Stable group: commits/s (median and min-max of --commit-runs runs of --commits)
//    and latency; the flush mode is --flush (sync: each commit is fsynced, shared by those in flight).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { option } from './lib/options.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!fs.existsSync(path.join(root, 'dist/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(1)
}
const { encodeRequest, decodeResponse } = await import(path.join(root, 'dist/server/protocol/index.js'))
const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs')

const RUNS = Number(option('runs', 20))
const MEMBER_COUNTS = option('members', '2,10,50').split(',').map(Number)
const COMMITS = Number(option('commits', 5000))
const COMMIT_RUNS = Number(option('commit-runs', 5))
const BEFORE = option('before', null)
const DEPTH = Number(option('depth', 16))
const FLUSH = option('flush', 'sync')
const KAFKAJS_RUNS = Number(option('kafkajs-runs', 5))

async function startServer(dir, buildRoot = root) {
  const child = spawn(
    process.execPath,
    [
      path.join(buildRoot, 'dist/cli/main.js'),
      'serve',
      dir,
      '--port',
      '0',
      '--flush',
      FLUSH,
      '--override',
      'group.initial.rebalance.delay.ms=0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const port = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /listening on [^:]+:(\d+)/.exec(out)
      if (match) resolve(Number(match[1]))
    })
    child.on('exit', (code) => reject(new Error(`seglog serve exited with ${code}`)))
  })
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

class RawClient {
  static connect(port) {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)))
      socket.setNoDelay(true)
    })
  }

  constructor(socket) {
    this.socket = socket
    this.buffered = Buffer.alloc(0)
    this.waiting = []
    this.correlationId = 0
    socket.on('data', (chunk) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0)
        const frame = this.buffered.subarray(4, 4 + size)
        this.buffered = this.buffered.subarray(4 + size)
        const waiter = this.waiting.shift()
        waiter.resolve(decodeResponse(frame, waiter.api, waiter.version).body)
      }
    })
  }

  request(api, version, body) {
    return new Promise((resolve) => {
      this.waiting.push({ api, version, resolve })
      for (const chunk of encodeRequest(api, version, { correlationId: ++this.correlationId, clientId: 'bench' }, body))
        this.socket.write(chunk)
    })
  }

  close() {
    this.socket.destroy()
  }
}

const PROTOCOLS = [{ name: 'range', metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 5, 0x74, 0x6f, 0x70, 0x69, 0x63, 0, 0, 0, 0]) }]

/**
 * N raw members join a new group as clients do: JoinGroup (again with the id after
 * MEMBER_ID_REQUIRED), SyncGroup (the leader with assignments), rejoin on REBALANCE_IN_PROGRESS,
 * and a heartbeat every 10 ms once synced. Resolves with ms from the first JoinGroup sent until
 * every member holds its assignment of one generation that has all N members (the group Stable).
 */
async function rawRebalance(clients, groupId) {
  const started = performance.now()
  const state = clients.map(() => ({ memberId: '', generationId: -1, synced: false }))
  const isStable = () => state.every((member) => member.synced && member.generationId === state[0].generationId)
  const join = (client, memberId) =>
    client.request('JoinGroup', 5, {
      groupId,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: PROTOCOLS,
    })
  let stableAt = 0
  await Promise.all(
    clients.map(async (client, slot) => {
      const member = state[slot]
      while (!isStable()) {
        if (member.synced) {
          await new Promise((resolve) => setTimeout(resolve, 10))
          if (isStable()) break
          const beat = await client.request('Heartbeat', 3, {
            groupId,
            generationId: member.generationId,
            memberId: member.memberId,
            groupInstanceId: null,
          })
          if (beat.errorCode !== 0) member.synced = false
          continue
        }
        const joined = await join(client, member.memberId)
        if (joined.errorCode === 79) {
          member.memberId = joined.memberId
          continue
        }
        assert.equal(joined.errorCode, 0)
        const synced = await client.request('SyncGroup', 3, {
          groupId,
          generationId: joined.generationId,
          memberId: member.memberId,
          groupInstanceId: null,
          assignments: joined.members.map((entry) => ({ memberId: entry.memberId, assignment: Buffer.from(entry.memberId) })),
        })
        if (synced.errorCode !== 0) continue
        assert.equal(synced.assignment.toString(), member.memberId)
        member.generationId = joined.generationId
        member.synced = true
        if (isStable() && stableAt === 0) stableAt = performance.now()
      }
    }),
  )
  const elapsed = (stableAt || performance.now()) - started
  await Promise.all(clients.map((client, slot) => client.request('LeaveGroup', 1, { groupId, memberId: state[slot].memberId })))
  return elapsed
}

/** N KafkaJS consumers join a new group; ms from run() until all report a join of one N-member generation. */
async function kafkajsRebalance(port, members, groupId) {
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING })
  const consumers = []
  for (let slot = 0; slot < members; slot++) {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'bench-topic', fromBeginning: true })
    consumers.push(consumer)
  }
  const latest = new Map()
  let finishedAt = 0
  let resolveAll
  const done = new Promise((resolve) => (resolveAll = resolve))
  // A generation is complete when the members' latest assignments cover the 12 partitions once.
  consumers.forEach((consumer, slot) =>
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      latest.set(slot, payload.memberAssignment['bench-topic'] ?? [])
      const all = [...latest.values()].flat()
      if (latest.size === members && all.length === 12 && new Set(all).size === 12) {
        finishedAt = performance.now()
        resolveAll()
      }
    }),
  )
  const started = performance.now()
  await Promise.all(consumers.map((consumer) => consumer.run({ eachMessage: async () => undefined })))
  await done
  // Joins settle when no rebalance follows: wait a little and take the last all-joined moment.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const elapsed = finishedAt - started
  await Promise.all(consumers.map((consumer) => consumer.disconnect()))
  return elapsed
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, min ${sorted[0].toFixed(1)}, max ${sorted.at(-1).toFixed(1)} (${sorted.length} runs)`
}

/** Joins a Stable one-member group `groupId` on `client`; its member id and generation. */
async function stableMember(client, groupId) {
  const body = (memberId) => ({
    groupId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: PROTOCOLS,
  })
  const first = await client.request('JoinGroup', 5, body(''))
  const joined = await client.request('JoinGroup', 5, body(first.memberId))
  await client.request('SyncGroup', 3, {
    groupId,
    generationId: joined.generationId,
    memberId: first.memberId,
    groupInstanceId: null,
    assignments: [],
  })
  return { memberId: first.memberId, generationId: joined.generationId }
}

/** COMMITS offset commits of partition 0 by one member, DEPTH in flight: commits/s and latencies. */
async function commitRun(port, groupId) {
  const client = await RawClient.connect(port)
  const { memberId, generationId } = await stableMember(client, groupId)
  // The topic is empty, so offset 0 is the one offset that may be committed, again and again.
  const latencies = []
  let next = 0
  const heartbeat = setInterval(() => void client.request('Heartbeat', 3, { groupId, generationId, memberId, groupInstanceId: null }), 1000)
  const started = performance.now()
  await Promise.all(
    Array.from({ length: DEPTH }, async () => {
      while (next < COMMITS) {
        next++
        const sentAt = performance.now()
        const response = await client.request('OffsetCommit', 8, {
          groupId,
          generationIdOrMemberEpoch: generationId,
          memberId,
          groupInstanceId: null,
          topics: [
            {
              name: 'bench-topic',
              partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }],
            },
          ],
        })
        latencies.push(performance.now() - sentAt)
        assert.equal(response.topics[0].partitions[0].errorCode, 0)
      }
    }),
  )
  const elapsedMs = performance.now() - started
  clearInterval(heartbeat)
  client.close()
  return { perSecond: (COMMITS / elapsedMs) * 1000, latencies }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

const builds = [{ label: 'after', root }]
if (BEFORE !== null) builds.unshift({ label: 'before', root: path.resolve(BEFORE) })
const started = []
try {
  for (const build of builds) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `seglog-bench-groups-${build.label}-`))
    const server = await startServer(dir, build.root)
    started.push({ ...build, dir, server, port: server.port })
    const admin = await RawClient.connect(server.port)
    const created = await admin.request('CreateTopics', 4, {
      topics: [{ name: 'bench-topic', numPartitions: 12, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
    })
    assert.equal(created.topics[0].errorCode, 0)
    admin.close()
  }
  console.log(
    `seglog serve (flush ${FLUSH}), ${os.cpus().length} CPUs, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}; builds: ${started.map((build) => `${build.label} ${build.root}`).join(', ')}`,
  )
  for (const members of MEMBER_COUNTS) {
    const samples = new Map(started.map((build) => [build.label, []]))
    const clients = new Map()
    for (const build of started)
      clients.set(build.label, await Promise.all(Array.from({ length: members }, () => RawClient.connect(build.port))))
    // Alternate the builds run by run, so both see the same load.
    for (let run = 0; run < RUNS; run++)
      for (const build of started) samples.get(build.label).push(await rawRebalance(clients.get(build.label), `raw-${members}-${run}`))
    for (const build of started) {
      clients.get(build.label).forEach((client) => client.close())
      console.log(`[${build.label}] rebalance, raw clients, ${members} members, join -> Stable: ${summary(samples.get(build.label))}`)
    }
  }
  for (const members of MEMBER_COUNTS) {
    if (KAFKAJS_RUNS === 0) break
    for (const build of started) {
      const samples = []
      for (let run = 0; run < KAFKAJS_RUNS; run++) samples.push(await kafkajsRebalance(build.port, members, `kafkajs-${members}-${run}`))
      console.log(`[${build.label}] rebalance, KafkaJS consumers, ${members} members, run() -> all joined: ${summary(samples)}`)
    }
  }
  const commits = new Map(started.map((build) => [build.label, { rates: [], latencies: [] }]))
  for (let run = 0; run < COMMIT_RUNS; run++) {
    for (const build of started) {
      const result = await commitRun(build.port, `committer-${run}`)
      commits.get(build.label).rates.push(result.perSecond)
      commits.get(build.label).latencies.push(...result.latencies)
    }
  }
  for (const build of started) {
    const { rates, latencies } = commits.get(build.label)
    latencies.sort((a, b) => a - b)
    const fmt = (value) => Math.round(value).toLocaleString('en-US')
    console.log(
      `[${build.label}] commits, raw OffsetCommit v8, ${DEPTH} in flight, flush ${FLUSH}: median ${fmt(median(rates))} commits/s (min ${fmt(Math.min(...rates))}, max ${fmt(Math.max(...rates))}, ${COMMIT_RUNS} runs of ${COMMITS}), p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
    )
  }
} finally {
  for (const build of started) {
    await build.server.stop()
    fs.rmSync(build.dir, { recursive: true, force: true })
  }
}

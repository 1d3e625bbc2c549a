// Access control's costs, against a seglog server in a child process, on loopback.
//
//   npm run build && node bench/auth.mjs [--runs 5] [--records 200000] [--batch 200] [--attack-ms 2000] [--guessers 8]
//
// 1. TLS: the same produce (acks=1, flush os, 2 connections x 4 requests in flight, 100-byte
//    records in batches of --batch, uncompressed) and fetch (1 MiB responses, one partition per
//    connection) through a PLAINTEXT and an SSL server (self-signed EC P-256 certificate made with
//    openssl; TLS 1.3), alternating, --runs times. Records/s and MB/s, median (min-max), TLS/plain.
// 2. Failed authentications: --guessers connections at a time from 127.0.0.2, each a new
//    connection with one wrong password (as a guesser must: the server closes after a failure),
//    for --attack-ms, --runs times, while an authenticated client on 127.0.0.1 sends Metadata
//    requests one at a time. Reports failed attempts handled per second and the other client's
//    Metadata latency (p50 / p99), next to its latency with nobody guessing. Limits:
//    - "no limits": no delay, no block (what the server costs per failure): PLAIN (PBKDF2 of the
//      guess, 4096 rounds) and SCRAM-SHA-256 (two round trips, HMACs only);
//    - "default limits": 100 ms delay, blocked after 10 failures a minute: after the block, every
//      guess is a connection closed at accept.
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { option } from './lib/options.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const distIndex = path.join(root, 'dist/index.js')
if (!fs.existsSync(distIndex)) {
  console.error(`${distIndex} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const { encodeBatch, BatchScanner } = await import(distIndex)
const { encodeRequest, decodeResponse } = await import(path.join(root, 'dist/server/protocol/index.js'))
const { deriveCredential } = await import(path.join(root, 'dist/server/auth/scram.js'))
const { writeUsersFile } = await import(path.join(root, 'dist/server/auth/users-file.js'))

const RUNS = Number(option('runs', 5))
const RECORDS = Number(option('records', 200_000))
const BATCH = Number(option('batch', 200))
const ATTACK_MS = Number(option('attack-ms', 2000))
const GUESSERS = Number(option('guessers', 8))
const VALUE_BYTES = 100
const PARTITIONS = 2
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-auth-'))

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const spread = (values, digits = 0) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`
function percentile(samples, p) {
  const sorted = Float64Array.from(samples).sort()
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

// ------------------------------------------------------------------------------ a server child
/** Runs createKafkaServer in a child process with these options (files by path); resolves with its port. */
async function startServer(name, options) {
  const dir = path.join(tmp, name)
  fs.mkdirSync(dir)
  const script = `
    const { LogEngine, createKafkaServer } = await import(${JSON.stringify(distIndex)})
    const fs = await import('node:fs')
    const options = JSON.parse(process.env.SERVER_OPTIONS)
    if (options.tls) options.tls = { cert: fs.readFileSync(options.tls.cert), key: fs.readFileSync(options.tls.key) }
    const engine = await LogEngine.open({ dir: ${JSON.stringify(dir)}, flush: 'os', onWarning: () => {} })
    const server = await createKafkaServer({ ...options, engine, port: 0, onLog: () => {} })
    console.log('port ' + server.address.port)
    process.on('SIGTERM', async () => { await server.close(); await engine.close(); process.exit(0) })
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SERVER_OPTIONS: JSON.stringify(options) },
  })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /port (\d+)/.exec(out)
      if (match) resolve(Number(match[1]))
    })
    child.on('exit', (code) => reject(new Error(`server child exited with ${code}`)))
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

/** A pipelining client over a plain or TLS socket: frames out, responses matched in order. */
class RawClient {
  static connect(port, { tlsCa = null, localAddress = '127.0.0.1' } = {}) {
    return new Promise((resolve, reject) => {
      const socket =
        tlsCa === null
          ? net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(new RawClient(socket)))
          : tls.connect({ host: '127.0.0.1', port, localAddress, ca: tlsCa, servername: 'localhost' }, () => resolve(new RawClient(socket)))
      socket.setNoDelay(true)
      socket.once('error', reject)
    })
  }

  constructor(socket) {
    this.socket = socket
    this.chunks = []
    this.bytes = 0
    this.waiting = []
    socket.on('data', (chunk) => {
      this.chunks.push(chunk)
      this.bytes += chunk.length
      this.drain()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('closed'))
    })
  }

  drain() {
    while (this.bytes >= 4) {
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)]
      const size = this.chunks[0].readInt32BE(0)
      if (this.bytes < 4 + size) return
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)
      const frame = all.subarray(4, 4 + size)
      const rest = all.subarray(4 + size)
      this.chunks = rest.length > 0 ? [rest] : []
      this.bytes -= 4 + size
      const waiter = this.waiting.shift()
      waiter.resolve(decodeResponse(frame, waiter.api, waiter.version).body)
    }
  }

  send(api, version, frameChunks) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ api, version, resolve, reject })
      this.socket.cork()
      for (const chunk of frameChunks) this.socket.write(chunk)
      this.socket.uncork()
    })
  }

  request(api, version, body) {
    return this.send(api, version, encodeRequest(api, version, { correlationId: 1, clientId: 'bench' }, body))
  }

  close() {
    this.socket.destroy()
  }
}

async function pool(count, parallel, task) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

// ------------------------------------------------------------------------------ 1. TLS
function makeCertificate() {
  const run = (args) => {
    const result = spawnSync('openssl', args, { cwd: tmp, stdio: 'ignore' })
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed (is openssl installed?)`)
  }
  fs.writeFileSync(path.join(tmp, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=bench CA'])
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    'server.pem',
    '-extfile',
    'san.ext',
  ])
  return { ca: fs.readFileSync(path.join(tmp, 'ca.pem')), cert: path.join(tmp, 'server.pem'), key: path.join(tmp, 'server.key') }
}

// Hex text of random bytes: 100-byte values that do not repeat (encoded before any clock starts).
const batches = Array.from({ length: Math.ceil(RECORDS / BATCH) }, (_, slot) =>
  encodeBatch(
    Array.from({ length: Math.min(BATCH, RECORDS - slot * BATCH) }, () => ({
      value: Buffer.from(crypto.randomBytes(VALUE_BYTES / 2).toString('hex')),
    })),
  ),
)

async function produceAndFetch(port, tlsCa, topic) {
  const clients = await Promise.all([0, 1].map(() => RawClient.connect(port, { tlsCa })))
  await clients[0].request('CreateTopics', 3, {
    topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    timeoutMs: 5000,
  })
  const frames = batches.map((records, slot) =>
    encodeRequest(
      'Produce',
      9,
      { correlationId: slot, clientId: 'bench' },
      { acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: slot % PARTITIONS, records }] }] },
    ),
  )
  let started = performance.now()
  await pool(frames.length, 8, async (slot) => {
    const response = await clients[slot % 2].send('Produce', 9, frames[slot])
    if (response.responses[0].partitionResponses[0].errorCode !== 0) throw new Error('produce failed')
  })
  const produceMs = performance.now() - started
  started = performance.now()
  let count = 0
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      let offset = 0
      for (;;) {
        const response = await clients[partition].request('Fetch', 12, {
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        })
        const data = response.responses[0].partitions[0]
        for (const batch of new BatchScanner(data.records)) {
          count += batch.recordCount
          offset = batch.nextOffset
        }
        if (offset >= data.highWatermark) break
      }
    }),
  )
  const fetchMs = performance.now() - started
  if (count !== RECORDS) throw new Error(`fetched ${count} of ${RECORDS}`)
  for (const client of clients) client.close()
  return { produce: RECORDS / (produceMs / 1000), fetch: RECORDS / (fetchMs / 1000) }
}

async function tlsCost() {
  const certificate = makeCertificate()
  const plain = await startServer('plain', {})
  const secure = await startServer('tls', { tls: { cert: certificate.cert, key: certificate.key } })
  const results = { plain: { produce: [], fetch: [] }, tls: { produce: [], fetch: [] } }
  await produceAndFetch(plain.port, null, 'warmup')
  await produceAndFetch(secure.port, certificate.ca, 'warmup')
  for (let run = 0; run < RUNS; run++) {
    for (const [name, server, ca] of [
      ['plain', plain, null],
      ['tls', secure, certificate.ca],
    ]) {
      const rates = await produceAndFetch(server.port, ca, `run-${run}`)
      results[name].produce.push(rates.produce)
      results[name].fetch.push(rates.fetch)
    }
  }
  await plain.stop()
  await secure.stop()
  const mb = (rates) => rates.map((rate) => (rate * VALUE_BYTES) / 1e6)
  console.log(`\n1. TLS cost: ${RECORDS} records of ${VALUE_BYTES} B, batches of ${BATCH}, median (min-max) of ${RUNS} runs`)
  console.table(
    ['produce', 'fetch'].flatMap((what) => [
      ...['plain', 'tls'].map((name) => ({
        workload: `${what}, ${name === 'plain' ? 'PLAINTEXT' : 'SSL'}`,
        'records/s': spread(results[name][what]),
        'MB/s': spread(mb(results[name][what]), 1),
      })),
      {
        workload: `${what}, SSL / PLAINTEXT`,
        'records/s': `${Math.round((100 * median(results.tls[what])) / median(results.plain[what]))}%`,
        'MB/s': '',
      },
    ]),
  )
}

// ------------------------------------------------------------------------------ 2. failed authentications
/** One wrong-password attempt on a new connection; resolves with how it ended. */
async function guess(port, mechanism) {
  let client
  try {
    client = await RawClient.connect(port, { localAddress: '127.0.0.2' })
  } catch {
    return 'refused'
  }
  try {
    await client.request('SaslHandshake', 1, { mechanism })
    if (mechanism === 'PLAIN') {
      const answer = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from('\0alice\0wrong-guess') })
      return answer.errorCode === 58 ? 'failed' : 'other'
    }
    const nonce = crypto.randomBytes(12).toString('hex')
    const first = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from(`n,,n=alice,r=${nonce}`) })
    if (first.errorCode !== 0) return first.errorCode === 58 ? 'failed' : 'other'
    const serverNonce = /r=([^,]+)/.exec(first.authBytes.toString())[1]
    const final = `c=biws,r=${serverNonce},p=${crypto.randomBytes(32).toString('base64')}`
    const answer = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from(final) })
    return answer.errorCode === 58 ? 'failed' : 'other'
  } catch {
    return 'refused'
  } finally {
    client.close()
  }
}

/** Metadata round trips of an authenticated client until `untilMs`; their latencies. */
async function legitimateLatencies(port, untilMs) {
  const client = await RawClient.connect(port)
  await client.request('SaslHandshake', 1, { mechanism: 'PLAIN' })
  const login = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from('\0alice\0right-password') })
  if (login.errorCode !== 0) throw new Error('the legitimate client could not log in')
  const latencies = []
  while (performance.now() < untilMs) {
    const sentAt = performance.now()
    await client.request('Metadata', 4, { topics: null, allowAutoTopicCreation: false })
    latencies.push(performance.now() - sentAt)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  client.close()
  return latencies
}

async function bruteForce(usersFile, limits, mechanism) {
  const attempts = []
  const p50s = []
  const p99s = []
  const outcomes = { failed: 0, refused: 0, other: 0 }
  for (let run = 0; run < RUNS; run++) {
    // A fresh server each run: the block of the previous run must not carry over.
    const server = await startServer(`attack-${mechanism}-${limits.maxFailures}-${run}`, { usersFile, failedAuthLimits: limits })
    const startedMs = performance.now()
    const untilMs = startedMs + ATTACK_MS
    let count = 0
    const latencies = legitimateLatencies(server.port, untilMs)
    await Promise.all(
      Array.from({ length: GUESSERS }, async () => {
        while (performance.now() < untilMs) {
          outcomes[await guess(server.port, mechanism)]++
          count++
        }
      }),
    )
    const samples = await latencies
    attempts.push(count / ((performance.now() - startedMs) / 1000))
    p50s.push(percentile(samples, 0.5))
    p99s.push(percentile(samples, 0.99))
    await server.stop()
  }
  return { attempts, p50s, p99s, outcomes }
}

async function failedAuth() {
  const dir = path.join(tmp, 'users')
  fs.mkdirSync(dir)
  const usersFile = path.join(dir, 'users.json')
  const credential = await deriveCredential('SCRAM-SHA-256', 'right-password')
  await writeUsersFile(usersFile, new Map([['alice', new Map([['SCRAM-SHA-256', credential]])]]))
  // Baseline: the legitimate client alone.
  const quiet = []
  for (let run = 0; run < RUNS; run++) {
    const server = await startServer(`quiet-${run}`, { usersFile })
    quiet.push(await legitimateLatencies(server.port, performance.now() + ATTACK_MS / 2))
    await server.stop()
  }
  const rows = [
    {
      scenario: 'nobody guessing',
      'attempts/s handled': '',
      'other client p50 ms': spread(
        quiet.map((samples) => percentile(samples, 0.5)),
        2,
      ),
      'p99 ms': spread(
        quiet.map((samples) => percentile(samples, 0.99)),
        2,
      ),
      outcomes: '',
    },
  ]
  const none = { delayMs: 0, maxFailures: 1_000_000_000, windowMs: 60_000, blockMs: 60_000 }
  for (const [label, limits, mechanism] of [
    ['PLAIN, no limits', none, 'PLAIN'],
    ['SCRAM-SHA-256, no limits', none, 'SCRAM-SHA-256'],
    ['PLAIN, default limits', { delayMs: 100, maxFailures: 10, windowMs: 60_000, blockMs: 60_000 }, 'PLAIN'],
  ]) {
    const result = await bruteForce(usersFile, limits, mechanism)
    rows.push({
      scenario: label,
      'attempts/s handled': spread(result.attempts),
      'other client p50 ms': spread(result.p50s, 2),
      'p99 ms': spread(result.p99s, 2),
      outcomes: `${result.outcomes.failed} failed, ${result.outcomes.refused} refused, ${result.outcomes.other} other`,
    })
  }
  console.log(`\n2. Failed authentications: ${GUESSERS} guessers from 127.0.0.2 for ${ATTACK_MS} ms, median (min-max) of ${RUNS} runs`)
  console.table(rows)
}

console.log(
  `node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
try {
  await tlsCost()
  await failedAuth()
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}

// The Kafka server's throughput and latency on loopback, against the same workload in-process.
//
//   npm run build && node bench/server.mjs [--records 1000000] [--batch 200] [--flush interval:1000]
//        [--connections 4] [--depth 4] [--kafkajs-records 200000] [--no-kafkajs] [--no-kcat]
//
// Records are 100 bytes (seeded, text-like), in batches of --batch records, to a 4-partition topic.
// The server runs as `seglog serve` in a child process (its own core); this process is the client.
//
// 1. in-process: appendBatch of the pre-encoded batches (acks=1), then appendBatch + waitDurable
//    (acks=all), --depth x --connections appends in flight; readRaw of everything, 1 MiB at a time.
// 2. raw protocol client (seglog's codec, frames encoded before the clock starts, so the client
//    costs next to nothing): the same batches as Produce requests over --connections connections,
//    --depth requests in flight each, acks 1 and all, none and lz4; then Fetch of everything. This
//    measures the server; the ratios to (1) are the server's overhead.
// 3. KafkaJS 2.2.4 producer (send() of --batch records, --connections x --depth sends in flight)
//    and KafkaJS's Broker.fetch (what its consumer calls, decoding every record): a real
//    JavaScript client, on --kafkajs-records records.
// 4. kcat (librdkafka 2): -P of a file of lines and -C -e of the topic, timed as whole runs.
//
// "CPU ms/100k" is the CPU time the server process (or, in-process, this process) spent per
// 100,000 records: on a loaded machine it says more about the server's own cost than the rates do.
// A last row measures plain Node.js loopback TCP (1 MiB request-response round trips between two
// processes), the ceiling for any fetch through a socket here.
//
// Prints a table; asserts only that every record arrived. The server flushes in the mode given
// (default interval:1000, so acks=1 waits for the write and acks=all for an fsync).
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { option } from './lib/options.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const distIndex = path.join(root, 'dist/index.js')
if (!fs.existsSync(distIndex)) {
  console.error(`${distIndex} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const { LogEngine, BatchScanner, encodeBatch, codecForName } = await import(distIndex)
const { encodeRequest, decodeResponse } = await import(path.join(root, 'dist/server/protocol/index.js'))

const flag = (name) => process.argv.includes(`--${name}`)

const RECORDS = Number(option('records', 1_000_000))
/** KafkaJS encodes every record in JavaScript: a smaller run says as much about it. */
const KAFKAJS_RECORDS = Math.min(RECORDS, Number(option('kafkajs-records', 200_000)))
const BATCH = Number(option('batch', 200))
const FLUSH = option('flush', 'interval:1000')
const CONNECTIONS = Number(option('connections', 4))
const DEPTH = Number(option('depth', 4))
const VALUE_BYTES = 100
const PARTITIONS = 4
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-server-'))
const quiet = { onWarning: () => {} }

// The project's one seeded generator (src/seeded-random.ts), built.
const { seededRandom: prng } = await import(new URL('../dist/seeded-random.js', import.meta.url).href)
const random = prng(42)
const WORDS = [
  'order',
  'customer',
  'id',
  'amount',
  'EUR',
  'USD',
  'status',
  'shipped',
  'pending',
  'sku',
  'qty',
  'ts',
  'region',
  'eu-west',
  'us-east',
]
function makeValue(n) {
  let text = `{"n":${n}`
  while (text.length < VALUE_BYTES) text += `,"${WORDS[Math.floor(random() * WORDS.length)]}":${Math.floor(random() * 100000)}`
  return Buffer.from(text.slice(0, VALUE_BYTES - 1) + '}')
}
const values = Array.from({ length: RECORDS }, (_, n) => makeValue(n))
const batchCount = Math.ceil(RECORDS / BATCH)
function encodedBatches(compression) {
  const batches = []
  for (let slot = 0; slot < batchCount; slot++)
    batches.push(
      encodeBatch(
        values.slice(slot * BATCH, (slot + 1) * BATCH).map((value) => ({ value })),
        { compression },
      ),
    )
  return batches
}
const BATCHES = { none: encodedBatches('none'), lz4: encodedBatches('lz4') }
const payloadBytes = RECORDS * VALUE_BYTES

const rows = []
function row(what, records, ms, extra = {}) {
  rows.push({
    what,
    'records/s': Math.round(records / (ms / 1000)),
    'MB/s': +((records * VALUE_BYTES) / 1e6 / (ms / 1000)).toFixed(1),
    ...extra,
  })
}
function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}
function latency(samples) {
  const sorted = Float64Array.from(samples).sort()
  return { 'p50 ms': +percentile(sorted, 0.5).toFixed(2), 'p99 ms': +percentile(sorted, 0.99).toFixed(2) }
}
function flushPolicy(text) {
  if (text === 'sync' || text === 'os') return text
  const ms = Number(text.split(':')[1] ?? 1000)
  return { mode: 'interval', ms }
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100
/** CPU time (user + system, every thread) a process has used, in ms; null where /proc is missing. */
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
  } catch {
    return null
  }
}
/** CPU ms per 100,000 records, the cost that machine load does not change. */
function cpuPer100k(cpuMs, records) {
  return cpuMs === null ? '' : +((cpuMs * 100_000) / records).toFixed(1)
}

/**
 * Server CPU per 100k records and how busy the server was (its CPU time over the elapsed time):
 * well below 100% busy means the client, not the server, set the pace.
 */
function serverColumns(pid, cpuBefore, records, ms) {
  const cpuMs = cpuBefore === null ? null : processCpuMs(pid) - cpuBefore
  return { 'CPU ms/100k': cpuPer100k(cpuMs, records), 'server busy': cpuMs === null ? '' : `${Math.round((100 * cpuMs) / ms)}%` }
}

/** Runs `task(slot)` for every slot with `parallel` of them in flight. */
async function pool(count, parallel, task) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

// ---------------------------------------------------------------------------------- in-process
async function inProcess() {
  const results = {}
  for (const compression of ['none', 'lz4']) {
    for (const acks of [1, -1]) {
      const dir = fs.mkdtempSync(path.join(tmp, 'engine-'))
      const engine = await LogEngine.open({ dir, flush: flushPolicy(FLUSH), ...quiet })
      await engine.createTopic('bench', { partitions: PARTITIONS })
      const logs = engine.partitions('bench')
      const batches = BATCHES[compression]
      const cpuBefore = process.cpuUsage()
      const started = performance.now()
      await pool(batches.length, CONNECTIONS * DEPTH, async (slot) => {
        const log = logs[slot % PARTITIONS]
        const info = await log.appendBatch(Buffer.from(batches[slot]))
        if (acks === -1) await log.waitDurable(info.lastOffset + 1)
      })
      const ms = performance.now() - started
      const cpu = process.cpuUsage(cpuBefore)
      results[`${compression}/${acks}`] = RECORDS / (ms / 1000)
      results[`cpu ${compression}/${acks}`] = (cpu.user + cpu.system) / 1000
      row(`in-process appendBatch ${compression} acks=${acks === 1 ? '1' : 'all'}`, RECORDS, ms, {
        'CPU ms/100k': cpuPer100k(results[`cpu ${compression}/${acks}`], RECORDS),
      })
      if (compression === 'lz4' && acks === 1) {
        const readCpu = process.cpuUsage()
        const readStarted = performance.now()
        let count = 0
        for (const log of logs) {
          for (let offset = 0; offset < log.highWatermark;) {
            const raw = await log.readRaw(offset, { maxBytes: 1 << 20 })
            for (const batch of new BatchScanner(raw.bytes)) count += batch.recordCount
            offset = raw.nextOffset
          }
        }
        const readMs = performance.now() - readStarted
        const cpu = process.cpuUsage(readCpu)
        assert.equal(count, RECORDS)
        results.fetch = RECORDS / (readMs / 1000)
        results['cpu fetch'] = (cpu.user + cpu.system) / 1000
        row('in-process readRaw (lz4 batches, 1 MiB reads)', RECORDS, readMs, { 'CPU ms/100k': cpuPer100k(results['cpu fetch'], RECORDS) })
      }
      await engine.close()
    }
  }
  return results
}

// ---------------------------------------------------------------------------------- the server
async function startServer(dir) {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'serve', dir, '--port', '0', '--flush', FLUSH], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
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
    child,
    port,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

/** A minimal pipelining client: frames out, responses matched in order. */
class RawClient {
  static connect(port) {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)))
      socket.setNoDelay(true)
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
    return new Promise((resolve) => {
      this.waiting.push({ api, version, resolve })
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

async function rawClient(port, pid, inProcessRates) {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(port)))
  await clients[0].request('CreateTopics', 3, {
    topics: ['none', 'lz4'].flatMap((compression) =>
      [1, -1].map((acks) => ({ name: `raw-${compression}-${acks === 1 ? '1' : 'all'}`, numPartitions: PARTITIONS, replicationFactor: 1 })),
    ),
    timeoutMs: 5000,
  })
  const ratios = {}
  for (const compression of ['none', 'lz4']) {
    for (const acks of [1, -1]) {
      const topic = `raw-${compression}-${acks === 1 ? '1' : 'all'}`
      // Frames are encoded before the clock starts: this measures the server, not the client.
      const frames = BATCHES[compression].map((records, slot) =>
        encodeRequest(
          'Produce',
          9,
          { correlationId: slot, clientId: 'bench' },
          { acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: slot % PARTITIONS, records }] }] },
        ),
      )
      const latencies = []
      const cpuBefore = processCpuMs(pid)
      const started = performance.now()
      await pool(frames.length, CONNECTIONS * DEPTH, async (slot) => {
        const sentAt = performance.now()
        const response = await clients[slot % CONNECTIONS].send('Produce', 9, frames[slot])
        latencies.push(performance.now() - sentAt)
        assert.equal(response.responses[0].partitionResponses[0].errorCode, 0)
      })
      const ms = performance.now() - started
      const rate = RECORDS / (ms / 1000)
      ratios[`${compression}/${acks}`] = rate / inProcessRates[`${compression}/${acks}`]
      row(`server, raw client: produce ${compression} acks=${acks === 1 ? '1' : 'all'}`, RECORDS, ms, {
        ...latency(latencies),
        'vs in-process': `${Math.round(100 * ratios[`${compression}/${acks}`])}%`,
        ...serverColumns(pid, cpuBefore, RECORDS, ms),
      })
    }
  }
  // Latency alone: one connection, one request at a time.
  {
    const frames = BATCHES.none
      .slice(0, 2000)
      .map((records) =>
        encodeRequest(
          'Produce',
          9,
          { correlationId: 1, clientId: 'bench' },
          { acks: 1, timeoutMs: 30_000, topicData: [{ name: 'raw-none-1', partitionData: [{ index: 0, records }] }] },
        ),
      )
    const latencies = []
    const cpuBefore = processCpuMs(pid)
    const started = performance.now()
    for (const frame of frames) {
      const sentAt = performance.now()
      await clients[0].send('Produce', 9, frame)
      latencies.push(performance.now() - sentAt)
    }
    const ms = performance.now() - started
    row('server, raw client: produce none acks=1, one request at a time', frames.length * BATCH, ms, {
      ...latency(latencies),
      ...serverColumns(pid, cpuBefore, frames.length * BATCH, ms),
    })
  }
  // Fetch everything of the lz4 acks=1 topic, one partition per connection, 1 MiB per response.
  const cpuBefore = processCpuMs(pid)
  const started = performance.now()
  let count = 0
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      const client = clients[partition % CONNECTIONS]
      let offset = 0
      for (;;) {
        const response = await client.request('Fetch', 12, {
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [{ topic: 'raw-lz4-1', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
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
  const ms = performance.now() - started
  assert.equal(count, RECORDS)
  ratios.fetch = RECORDS / (ms / 1000) / inProcessRates.fetch
  row('server, raw client: fetch (lz4 batches, 1 MiB responses)', RECORDS, ms, {
    'vs in-process': `${Math.round(100 * ratios.fetch)}%`,
    ...serverColumns(pid, cpuBefore, RECORDS, ms),
  })
  for (const client of clients) client.close()
  return ratios
}

// ---------------------------------------------------------------------------------- loopback
/** Plain Node.js TCP on loopback: a child answers each 1-byte request with 1 MiB. */
async function loopbackCeiling() {
  const script =
    "const net=require('net');const b=Buffer.alloc(1<<20,7);net.createServer((s)=>s.on('data',()=>s.write(b))).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve) => child.stdout.once('data', (chunk) => resolve(Number(chunk.toString()))))
  const socket = await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s))
  })
  const rounds = 500
  const started = performance.now()
  await new Promise((resolve) => {
    let got = 0
    let done = 0
    let chunks = []
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      got += chunk.length
      if (got < 1 << 20) return
      Buffer.concat(chunks)
      chunks = []
      got -= 1 << 20
      if (++done === rounds) resolve()
      else socket.write('x')
    })
    socket.write('x')
  })
  const ms = performance.now() - started
  rows.push({
    what: 'Node.js loopback TCP, 1 MiB round trips (the ceiling for fetch)',
    'records/s': '',
    'MB/s': +((rounds * 1.048576) / (ms / 1000)).toFixed(1),
  })
  socket.destroy()
  child.kill()
}

// ---------------------------------------------------------------------------------- KafkaJS
async function kafkajs(port, pid) {
  const require = createRequire(import.meta.url)
  const { Kafka, CompressionTypes, CompressionCodecs, logLevel, Partitioners } = require('kafkajs')
  const lz4 = codecForName('lz4')
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder) => lz4.compress(encoder.buffer),
    decompress: async (buffer) => lz4.decompress(buffer, 1 << 28),
  })
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'kafkajs', numPartitions: PARTITIONS }] })
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  for (const [name, compression] of [
    ['none', CompressionTypes.None],
    ['lz4', CompressionTypes.LZ4],
  ]) {
    for (const acks of [1, -1]) {
      const latencies = []
      const cpuBefore = processCpuMs(pid)
      const clientCpu = process.cpuUsage()
      const started = performance.now()
      await pool(Math.ceil(KAFKAJS_RECORDS / BATCH), CONNECTIONS * DEPTH, async (slot) => {
        const messages = values.slice(slot * BATCH, Math.min(KAFKAJS_RECORDS, (slot + 1) * BATCH)).map((value) => ({ value }))
        const sentAt = performance.now()
        await producer.send({
          topic: 'kafkajs',
          acks,
          compression,
          messages: messages.map((message) => ({ ...message, partition: slot % PARTITIONS })),
        })
        latencies.push(performance.now() - sentAt)
      })
      const ms = performance.now() - started
      const client = process.cpuUsage(clientCpu)
      row(`KafkaJS producer ${name} acks=${acks === 1 ? '1' : 'all'}`, KAFKAJS_RECORDS, ms, {
        ...latency(latencies),
        ...serverColumns(pid, cpuBefore, KAFKAJS_RECORDS, ms),
        'client CPU ms/100k': cpuPer100k((client.user + client.system) / 1000, KAFKAJS_RECORDS),
      })
    }
  }
  await producer.disconnect()
  // Fetch through KafkaJS's Broker (its consumer's fetch path; it decodes every record).
  const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js')
  const ConnectionPool = require('kafkajs/src/network/connectionPool.js')
  const Broker = require('kafkajs/src/broker/index.js')
  const socketFactory = require('kafkajs/src/network/socketFactory.js')
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} })
  const broker = new Broker({
    connectionPool: new ConnectionPool({
      host: '127.0.0.1',
      port,
      logger,
      socketFactory: socketFactory(),
      clientId: 'bench',
      requestTimeout: 30000,
      connectionTimeout: 3000,
    }),
    logger,
    nodeId: 0,
  })
  await broker.connect()
  const cpuBefore = processCpuMs(pid)
  const clientCpu = process.cpuUsage()
  const started = performance.now()
  let count = 0
  for (let partition = 0; partition < PARTITIONS; partition++) {
    let offset = 0n
    for (;;) {
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic: 'kafkajs', partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: 1 << 20 }] }],
      })
      const data = response.responses[0].partitions[0]
      for (const message of data.messages) {
        if (BigInt(message.offset) < offset) continue
        count++
        offset = BigInt(message.offset) + 1n
      }
      // The topic holds the four runs above: read the first KAFKAJS_RECORDS of them.
      if (offset >= BigInt(data.highWatermark) || count >= KAFKAJS_RECORDS) break
    }
    if (count >= KAFKAJS_RECORDS) break
  }
  const ms = performance.now() - started
  const client = process.cpuUsage(clientCpu)
  row('KafkaJS Broker.fetch (decodes every record)', count, ms, {
    ...serverColumns(pid, cpuBefore, count, ms),
    'client CPU ms/100k': cpuPer100k((client.user + client.system) / 1000, count),
  })
  await broker.disconnect()
  await admin.disconnect()
}

// ---------------------------------------------------------------------------------- kcat
function kcat(port, pid) {
  if (spawnSync('kcat', ['-V']).status !== 0) {
    console.log('kcat is not installed: skipping its rows')
    return
  }
  const input = path.join(tmp, 'lines.txt')
  fs.writeFileSync(input, values.map((value) => value.toString()).join('\n') + '\n')
  const broker = `127.0.0.1:${port}`
  for (const compression of ['none', 'lz4']) {
    for (const acks of ['1', 'all']) {
      const topic = `kcat-${compression}-${acks}`
      const cpuBefore = processCpuMs(pid)
      const started = performance.now()
      const produced = spawnSync(
        'kcat',
        [
          '-P',
          '-b',
          broker,
          '-t',
          topic,
          '-z',
          compression,
          '-X',
          `acks=${acks}`,
          '-X',
          'linger.ms=5',
          '-X',
          'batch.num.messages=10000',
          '-l',
          input,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      )
      assert.equal(produced.status, 0, produced.stderr?.toString())
      const ms = performance.now() - started
      row(`kcat -P ${compression} acks=${acks} (whole run)`, RECORDS, ms, serverColumns(pid, cpuBefore, RECORDS, ms))
    }
  }
  const cpuBefore = processCpuMs(pid)
  const started = performance.now()
  const consumed = spawnSync('kcat', ['-C', '-b', broker, '-t', 'kcat-lz4-1', '-o', 'beginning', '-e', '-q', '-f', '%o\\n'], {
    maxBuffer: 1 << 30,
  })
  assert.equal(consumed.status, 0, consumed.stderr?.toString())
  assert.equal(consumed.stdout.toString().trim().split('\n').length, RECORDS)
  const ms = performance.now() - started
  row('kcat -C -e (whole run)', RECORDS, ms, serverColumns(pid, cpuBefore, RECORDS, ms))
}

console.log(
  `server bench: ${RECORDS.toLocaleString('en-US')} records x ${VALUE_BYTES} B in batches of ${BATCH}, ${PARTITIONS} partitions, flush ${FLUSH}, ${CONNECTIONS} connections x ${DEPTH} in flight; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`,
)
console.log(
  `payload ${(payloadBytes / 1e6).toFixed(0)} MB; lz4 batches ${(BATCHES.lz4.reduce((sum, batch) => sum + batch.length, 0) / 1e6).toFixed(1)} MB, uncompressed ${(BATCHES.none.reduce((sum, batch) => sum + batch.length, 0) / 1e6).toFixed(1)} MB`,
)
try {
  const inProcessRates = await inProcess()
  const server = await startServer(path.join(tmp, 'served'))
  try {
    await rawClient(server.port, server.pid, inProcessRates)
    await loopbackCeiling()
    if (!flag('no-kafkajs')) await kafkajs(server.port, server.pid)
    if (!flag('no-kcat')) kcat(server.port, server.pid)
  } finally {
    await server.stop()
  }
  console.table(rows)
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}

// Fetch through `seglog serve` with two builds taking turns on the same data directory: each round
// starts the server of one build (bench/lib/serve.mjs), fetches the whole partition --passes times
// over --connections connections (each from its own offset, 1 MiB per partition and response,
// one request in flight per connection) with seglog's own protocol codec, and stops it; rounds go
// A B, B A, ... Reported per build: records/s (wall clock) and the server's CPU ms per 100,000
// records (from /proc, user + system, every thread), median (min-max) over the rounds.
//
//   npm run build && cp -r dist tmp/seglog-before   (then make the change and build again)
//   node bench/fetch-ab.mjs --a tmp/seglog-before --b dist [--records 1000000] [--rounds 5] [--passes 3]
//                           [--connections 2] [--value-bytes 100]
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startServe } from './lib/serve.mjs'
import { option } from './lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const recordCount = Number(option('records', 1_000_000))
const rounds = Number(option('rounds', 5))
const passes = Number(option('passes', 3))
const connections = Number(option('connections', 2))
const valueBytes = Number(option('value-bytes', 100))
const batchRecords = 1000

const { encodeRequest, decodeResponse } = await import(path.join(distB, 'server/protocol/index.js'))
const seglog = await import(path.join(distB, 'index.js'))

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100
function processCpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
}

/** One connection, one request at a time: frames in, decoded bodies out. */
class Client {
  static connect(port) {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new Client(socket)))
      socket.setNoDelay(true)
    })
  }

  constructor(socket) {
    this.socket = socket
    this.chunks = []
    this.bytes = 0
    this.waiter = null
    socket.on('data', (chunk) => {
      this.chunks.push(chunk)
      this.bytes += chunk.length
      if (this.bytes >= 4 && this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)]
      if (this.bytes < 4 || this.bytes < 4 + this.chunks[0].readInt32BE(0)) return
      const frame = Buffer.concat(this.chunks)
      this.chunks = []
      this.bytes = 0
      const { resolve, version } = this.waiter
      this.waiter = null
      resolve(decodeResponse(frame.subarray(4), 'Fetch', version).body)
    })
  }

  fetch(offset) {
    return new Promise((resolve) => {
      this.waiter = { resolve, version: 12 }
      const body = {
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: 'f', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
      }
      for (const chunk of encodeRequest('Fetch', 12, { correlationId: 1, clientId: 'bench' }, body)) this.socket.write(chunk)
    })
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-fetch-ab-'))
{
  const engine = await seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  await engine.createTopic('f', { partitions: 1 })
  const log = engine.partition('f', 0)
  const value = Buffer.alloc(valueBytes, 7)
  const records = Array.from({ length: batchRecords }, (_, slot) => ({ key: null, value, timestamp: 1_700_000_000_000 + slot }))
  for (let batch = 0; batch < Math.ceil(recordCount / batchRecords); batch++) await log.appendRecords(records)
  await engine.close()
}
const total = Math.ceil(recordCount / batchRecords) * batchRecords

async function round(side) {
  const { child, port } = await startServe(path.join(side.dist, 'cli/main.js'), dir, ['--flush', 'os'])
  try {
    const clients = await Promise.all(Array.from({ length: connections }, () => Client.connect(port)))
    // Warm-up: one pass over the first connection, so both builds are measured compiled.
    await fetchAll(clients[0], 0)
    const cpuBefore = processCpuMs(child.pid)
    const start = performance.now()
    let fetched = 0
    for (let pass = 0; pass < passes; pass++) {
      const counts = await Promise.all(clients.map((client, slot) => fetchAll(client, Math.floor((slot * total) / connections))))
      for (const count of counts) fetched += count
    }
    const seconds = (performance.now() - start) / 1000
    const cpuMs = processCpuMs(child.pid) - cpuBefore
    side.rate.push(fetched / seconds)
    side.cpu.push((cpuMs * 100_000) / fetched)
    for (const client of clients) client.socket.destroy()
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

/** Fetches every record once, starting at `from` and wrapping around; returns the count. */
async function fetchAll(client, from) {
  let count = 0
  let offset = from
  let wrapped = false
  for (;;) {
    const data = (await client.fetch(offset)).responses[0].partitions[0]
    for (const batch of new seglog.BatchScanner(data.records)) {
      if (wrapped && batch.baseOffset >= from) return count
      count += batch.recordCount
      offset = batch.nextOffset
    }
    if (offset >= data.highWatermark) {
      if (from === 0 || wrapped) return count
      wrapped = true
      offset = 0
    }
  }
}

const sides = [
  { name: 'A', dist: distA, rate: [], cpu: [] },
  { name: 'B', dist: distB, rate: [], cpu: [] },
]
try {
  for (let slot = 0; slot < rounds; slot++) for (const side of slot % 2 === 0 ? sides : [...sides].reverse()) await round(side)
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]
  const cell = (values, digits) =>
    `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`
  console.log(
    `Fetch of ${total} records (${valueBytes} B values, ${batchRecords}-record batches), ${passes} passes over ${connections} connections, 1 MiB responses, ${rounds} rounds`,
  )
  for (const side of sides) {
    console.log(
      `${side.name} ${side.dist}\n  M records/s ${cell(
        side.rate.map((rate) => rate / 1e6),
        2,
      )}   server CPU ms/100k records ${cell(side.cpu, 1)}`,
    )
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

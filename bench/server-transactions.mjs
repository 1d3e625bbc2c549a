// KafkaJS's transactional producer against `seglog serve` on loopback, against its idempotent
// producer on the same records: what a transaction costs per record at three sizes.
//
//   npm run build && node bench/server-transactions.mjs [--runs 5] [--flush os]
//        [--records-1 500] [--records-100 5000] [--records-10000 20000]
//
// The server runs as `seglog serve` in a child process (its own core); this process is the KafkaJS
// client (maxInFlightRequests 1, as a transactional producer must). Records are 100-byte values
// to a one-partition topic. For each size S (1, 100, 10,000 records):
//   transactional: transaction(), send() of the S records (in sends of at most 1,000), commit()
//   idempotent:    the same send() calls without a transaction
// Each row is records/s over --runs runs, and the CPU time the server process spent per 1,000
// records (less sensitive to a busy machine than the rates): the median and min-max; the two modes alternate, so both
// see the same load. The server flushes with --flush os by default, so the figures are the
// coordinator's and the protocol's cost rather than fsync waits. Asserts that every record is in
// the log (by the partition's end offset, one marker per transaction counted).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServe } from './lib/serve.mjs'
import { option } from './lib/options.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = path.join(root, 'dist/cli/main.js')
if (!fs.existsSync(cli)) {
  console.error(`${cli} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs')

const RUNS = Number(option('runs', 5))
const FLUSH = option('flush', 'os')
const SIZES = [1, 100, 10_000]
const RECORDS = {
  1: Number(option('records-1', 500)),
  100: Number(option('records-100', 5000)),
  10000: Number(option('records-10000', 20_000)),
}
const SEND_MAX = 1000
const VALUE = 'x'.repeat(100)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-txn-'))
const { child, port } = await startServe(cli, dir, ['--flush', FLUSH], ['ignore', 'pipe', 'ignore'])

const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING })
const admin = kafka.admin()
await admin.connect()

async function sendAll(target, topic, count) {
  for (let sent = 0; sent < count; sent += SEND_MAX) {
    const messages = Array.from({ length: Math.min(SEND_MAX, count - sent) }, () => ({ value: VALUE }))
    await target.send({ topic, messages })
  }
}

const TICKS_PER_SECOND = 100
/** CPU time the server process has used so far, in ms (Linux: utime + stime from /proc). */
function serverCpuMs() {
  const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

/** Records/s of one run: `records` in units of `size`, with or without a transaction per unit. */
async function run(mode, size, records, slot) {
  const topic = `${mode}-${size}-${slot}`
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
  const producer =
    mode === 'transactional'
      ? kafka.producer({ transactionalId: `bench-${topic}`, idempotent: true, maxInFlightRequests: 1 })
      : kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  // Outside the clock: metadata, and for the transactional producer InitProducerId and one transaction.
  if (mode === 'transactional') {
    const warmUp = await producer.transaction()
    await warmUp.send({ topic, messages: [{ value: VALUE }] })
    await warmUp.commit()
  } else await producer.send({ topic, messages: [{ value: VALUE }] })
  const cpuBefore = serverCpuMs()
  const started = process.hrtime.bigint()
  for (let done = 0; done < records; done += size) {
    if (mode === 'transactional') {
      const transaction = await producer.transaction()
      await sendAll(transaction, topic, size)
      await transaction.commit()
    } else await sendAll(producer, topic, size)
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpuMs = serverCpuMs() - cpuBefore
  await producer.disconnect()
  const [offsets] = await admin.fetchTopicOffsets(topic).then((list) => [list[0]])
  // Each committed transaction adds one marker offset.
  const expected = 1 + records + (mode === 'transactional' ? 1 + Math.ceil(records / size) : 0)
  assert.equal(Number(offsets.high), expected, `${topic}: end offset`)
  return { rate: records / seconds, cpuPer1k: (cpuMs * 1000) / records }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const rows = []
for (const size of SIZES) {
  const results = { transactional: [], idempotent: [] }
  for (let slot = 0; slot < RUNS; slot++) {
    // Alternated, so both modes see the same machine load.
    for (const mode of ['idempotent', 'transactional']) results[mode].push(await run(mode, size, RECORDS[size], slot))
  }
  for (const mode of ['idempotent', 'transactional']) {
    const rates = results[mode].map((result) => result.rate)
    const cpu = results[mode].map((result) => result.cpuPer1k)
    rows.push({ size, mode, records: RECORDS[size], median: median(rates), min: Math.min(...rates), max: Math.max(...rates), cpu })
  }
}
await admin.disconnect()
child.kill('SIGTERM')
await new Promise((resolve) => child.on('close', resolve))
fs.rmSync(dir, { recursive: true, force: true })

const format = (value) => Math.round(value).toLocaleString('en-US')
console.log(`seglog serve --flush ${FLUSH}; KafkaJS 2.2.4; 100-byte values; median of ${RUNS} (min-max), records/s`)
console.log('| records per transaction | mode | records per run | records/s | ratio to idempotent | server CPU ms per 1,000 records |')
console.log('|---|---|---|---|---|---|')
for (const row of rows) {
  const base = rows.find((other) => other.size === row.size && other.mode === 'idempotent').median
  console.log(
    `| ${row.size.toLocaleString('en-US')} | ${row.mode} | ${row.records.toLocaleString('en-US')} | ${format(row.median)} (${format(row.min)}-${format(row.max)}) | ${(row.median / base).toFixed(2)} | ${median(row.cpu).toFixed(1)} (${Math.min(...row.cpu).toFixed(1)}-${Math.max(...row.cpu).toFixed(1)}) |`,
  )
}

// Lag of `seglog mirror DIR --to HOST:PORT --follow`: the time from an append to the source until
// the record is readable on the destination.
//
//   npm run build && node bench/mirror-follow-lag.mjs [--records 3000] [--rate 500] [--runs 5]
//
// The source directory is owned by a `seglog serve` child (the mirror reads it without the lock);
// the destination is a second `seglog serve`. A KafkaJS producer appends --records records of
// 100 B to the source at about --rate records/s, in sends of 10, each value carrying its send
// time; a KafkaJS consumer on the destination takes the difference on arrival. Each run is fresh
// (new directories, new mirror). Prints p50 and p99 per run, and their medians with min-max.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { startServe } from './lib/serve.mjs'
import { option } from './lib/options.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = path.join(root, 'dist/cli/main.js')
if (!fs.existsSync(cli)) {
  console.error(`${cli} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const { Kafka, logLevel } = createRequire(import.meta.url)('kafkajs')
const { LogEngine } = await import(path.join(root, 'dist/index.js'))

const numberOption = (name, fallback) => Number(option(name, fallback))
const RECORDS = numberOption('records', 3000)
const RATE = numberOption('rate', 500)
const RUNS = numberOption('runs', 5)
const SEND = 10
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-follow-'))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const serve = (dir) => startServe(cli, dir, ['--override', 'group.initial.rebalance.delay.ms=0'])

async function stop(child, signal = 'SIGTERM') {
  const closed = new Promise((done) => child.on('close', done))
  child.kill(signal)
  await closed
}

const kafkaFor = (port) => new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING })
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

async function run(index) {
  const sourceDir = path.join(work, `source-${index}`)
  const engine = await LogEngine.open({ dir: sourceDir, flush: 'os', onWarning: () => undefined })
  await engine.createTopic('events', { partitions: 2 })
  await engine.close()
  const source = await serve(sourceDir)
  const dest = await serve(path.join(work, `dest-${index}`))
  const mirror = spawn(process.execPath, [cli, 'mirror', sourceDir, '--to', `127.0.0.1:${dest.port}`, '--follow'])
  const lags = []
  const producer = kafkaFor(source.port).producer()
  const consumer = kafkaFor(dest.port).consumer({ groupId: `lag-${index}`, maxWaitTimeInMs: 20 })
  try {
    await producer.connect()
    // The mirror creates the destination topic: wait for it before subscribing.
    const admin = kafkaFor(dest.port).admin()
    await admin.connect()
    while (!(await admin.listTopics()).includes('events')) await sleep(50)
    await admin.disconnect()
    await consumer.connect()
    await consumer.subscribe({ topic: 'events', fromBeginning: true })
    let seen = 0
    const all = new Promise((resolve) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          lags.push(Date.now() - Number(message.value.subarray(0, 13).toString()))
          if (++seen === RECORDS) resolve()
        },
      })
    })
    const pad = 'x'.repeat(100 - 13)
    for (let sent = 0; sent < RECORDS; sent += SEND) {
      const messages = Array.from({ length: SEND }, (_, n) => ({ key: `k${sent + n}`, value: `${Date.now()}${pad}` }))
      await producer.send({ topic: 'events', messages })
      await sleep((1000 * SEND) / RATE)
    }
    await all
  } finally {
    await consumer.disconnect().catch(() => undefined)
    await producer.disconnect().catch(() => undefined)
    await stop(mirror, 'SIGINT')
    await stop(source.child)
    await stop(dest.child)
  }
  const sorted = lags.sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return `${sorted[Math.floor(sorted.length / 2)]} ms (${sorted[0]}-${sorted[sorted.length - 1]})`
}

try {
  const results = []
  for (let index = 0; index < RUNS; index++) {
    const result = await run(index)
    console.log(`run ${index + 1}: p50 ${result.p50} ms, p99 ${result.p99} ms`)
    results.push(result)
  }
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, load ${os.loadavg()[0].toFixed(1)}; node ${process.version}; ${RUNS} runs`,
  )
  console.log(
    `mirror --follow, source owned by seglog serve, ${RECORDS} records of 100 B at ~${RATE}/s, append to visible on the destination:`,
  )
  console.log(`  p50  ${summary(results.map((result) => result.p50))}`)
  console.log(`  p99  ${summary(results.map((result) => result.p99))}`)
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}

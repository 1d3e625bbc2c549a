// Consumer throughput end to end, and offset-commit rates.
//
//   npm run build && node bench/consumer-e2e.mjs [--records 1000000] [--compression lz4] [--dir DIR] [--skip-commits]
//                                               [--dist DIST] (another build, e.g. one from before a change)
//
// 1. Produces 1 M records of 100 bytes (seeded, text-like, so lz4 has something to do) with lz4
//    into 4 partitions, flush 'os'.
// 2. Consumes all of them with a fresh group per pass, committing every 100,000 records:
//    once through the per-record async iterator, once through batches().
// 3. Commit rates: commit() in a loop (one offset per call) under flush 'sync' and 'os', and
//    commitMany() of 100 offsets per call under both.
// Each consume pass also prints the share of its time spent in garbage collection (perf_hooks 'gc'
// entries). Plain ESM importing the BUILT engine (dist/index.js). Prints figures; asserts only
// correctness.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { option } from './lib/options.mjs'

const distArg = process.argv.indexOf('--dist')
const distDir = distArg < 0 ? fileURLToPath(new URL('../dist', import.meta.url)) : path.resolve(process.argv[distArg + 1])
const distIndex = path.join(distDir, 'index.js')
if (!fs.existsSync(distIndex)) {
  console.error(`${distIndex} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const { LogEngine } = await import(distIndex)

const RECORDS = Number(option('records', 1_000_000))
const COMPRESSION = option('compression', 'lz4')
const VALUE_BYTES = 100
const PARTITIONS = 4
const COMMIT_EVERY = 100_000
const root = path.resolve(option('dir', null) ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-consumer-')))
const quiet = { onWarning: () => {} }

// The project's one seeded generator (src/seeded-random.ts), built.
const { seededRandom: prng } = await import(path.join(distDir, 'seeded-random.js'))

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

function rate(count, ms) {
  return Math.round(count / (ms / 1000)).toLocaleString('en-US')
}

function mbPerSecond(bytes, ms) {
  return (bytes / 1e6 / (ms / 1000)).toFixed(1)
}

console.log(
  `consumer e2e: ${RECORDS.toLocaleString('en-US')} records x ${VALUE_BYTES} B, ${COMPRESSION}, ${PARTITIONS} partitions, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`,
)

const dir = path.join(root, 'data')
const engine = await LogEngine.open({ dir, flush: 'os', ...quiet })
await engine.createTopic('events', { partitions: PARTITIONS })

{
  const producer = engine.producer({ compression: COMPRESSION, lingerMs: 5, batchBytes: 64 * 1024 })
  const started = performance.now()
  const chunk = 1000
  const inFlight = []
  for (let n = 0; n < RECORDS; n += chunk) {
    const records = []
    for (let slot = n; slot < Math.min(RECORDS, n + chunk); slot++) records.push({ value: makeValue(slot), partition: slot % PARTITIONS })
    inFlight.push(producer.send('events', records))
    if (inFlight.length >= 64) await inFlight.shift()
  }
  await Promise.all(inFlight)
  await producer.close()
  const ms = performance.now() - started
  const bytes = engine.partitions('events').reduce((sum, log) => sum + log.sizeInBytes, 0)
  console.log(
    `produce: ${rate(RECORDS, ms)} records/s, ${mbPerSecond(RECORDS * VALUE_BYTES, ms)} MB/s of values; on disk ${(bytes / 1e6).toFixed(1)} MB (${((bytes / (RECORDS * VALUE_BYTES)) * 100).toFixed(0)}% of the value bytes)`,
  )
}

async function consumePass(label, group, read) {
  const consumer = await engine.consumer({ group, topics: ['events'] })
  let gcMs = 0
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration
  })
  gcObserver.observe({ entryTypes: ['gc'] })
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const { count, bytes } = await read(consumer)
  const ms = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  // CPU time of the process (the thread pool's reads included): on a shared machine, where waiting
  // for a CPU inflates the wall clock, records per CPU second compare builds better.
  const cpuMs = (cpu.user + cpu.system) / 1000
  // Entries are delivered asynchronously: let the last ones arrive before stopping.
  await new Promise((resolve) => setImmediate(resolve))
  gcObserver.disconnect()
  assert.equal(count, RECORDS)
  assert.equal(bytes, RECORDS * VALUE_BYTES)
  await consumer.commit()
  for (let partition = 0; partition < PARTITIONS; partition++)
    assert.equal(engine.offsets.fetch(group, 'events', partition)?.offset, engine.partition('events', partition).logEndOffset)
  await consumer.close()
  console.log(
    `consume (${label}): ${rate(count, ms)} records/s, ${mbPerSecond(bytes, ms)} MB/s of values, ${(ms / 1000).toFixed(2)} s, committing every ${COMMIT_EVERY.toLocaleString('en-US')}; GC ${((gcMs / ms) * 100).toFixed(1)}% of the time; ${rate(count, cpuMs)} records per CPU second`,
  )
}

await consumePass('per-record iterator', 'iterate', async (consumer) => {
  let count = 0
  let bytes = 0
  for await (const record of consumer) {
    count++
    bytes += record.value.length
    if (count % COMMIT_EVERY === 0) await consumer.commit()
    if (count === RECORDS) break
  }
  return { count, bytes }
})

await consumePass('batches()', 'bulk', async (consumer) => {
  let count = 0
  let bytes = 0
  let nextCommit = COMMIT_EVERY
  for await (const batch of consumer.batches()) {
    for (const record of batch.records) bytes += record.value.length
    count += batch.records.length
    if (count >= nextCommit) {
      await consumer.commit()
      nextCommit += COMMIT_EVERY
    }
    if (count === RECORDS) break
  }
  return { count, bytes }
})
await engine.close()

async function commitRates(flush) {
  const commitDir = path.join(root, `commits-${flush}`)
  const target = await LogEngine.open({ dir: commitDir, flush, ...quiet })
  await target.createTopic('wide', { partitions: 100 })
  for (let partition = 0; partition < 100; partition++) {
    await target.partition('wide', partition).appendRecords(Array.from({ length: 1000 }, () => ({ key: null, value: null, timestamp: 0 })))
  }
  const store = target.offsets
  const singles = flush === 'sync' ? 3000 : 30_000
  let started = performance.now()
  for (let n = 0; n < singles; n++) await store.commit('single', 'wide', n % 100, n % 1001)
  const singleMs = performance.now() - started
  const batched = flush === 'sync' ? 1000 : 5000
  started = performance.now()
  for (let n = 0; n < batched; n++) {
    const entries = new Array(100)
    for (let partition = 0; partition < 100; partition++) entries[partition] = { topic: 'wide', partition, offset: (n + partition) % 1001 }
    await store.commitMany('batched', entries)
  }
  const batchedMs = performance.now() - started
  console.log(
    `commits, flush '${flush}': commit() ${rate(singles, singleMs)}/s (${((singleMs / singles) * 1000).toFixed(0)} us each); commitMany(100) ${rate(batched, batchedMs)} calls/s = ${rate(batched * 100, batchedMs)} offsets/s; compactions ${store.compactions}`,
  )
  await target.close()
}

if (!process.argv.includes('--skip-commits')) {
  await commitRates('sync')
  await commitRates('os')
}

if (option('dir', null) === null) fs.rmSync(root, { recursive: true, force: true })

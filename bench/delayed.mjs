// Delayed delivery and consumer.run: how fast, how late, how much memory.
//
//   npm run build && node --expose-gc bench/delayed.mjs [--pending 100000] [--burst 100000] [--only burst,lateness,memory,consume]
//        [--memory 1000000] [--run-records 200000] [--runs 3]
//
// 1. burst: --burst records all due at one moment T (scheduled before T); the time from T until a
//    tailing consumer has seen the last of them: records moved per second at due time.
// 2. lateness: --pending records due over the next 20 s (fine buckets); a tailing consumer notes
//    when it sees each record, minus its seglog-deliver-at header: p50/p99/max lateness.
// 3. memory: --memory records due 1-3 h ahead (coarse buckets); heap used after a GC with them
//    pending, against the same engine with none (the index lives on disk).
// 4. consumer.run: --run-records records handled by a no-op handler, with 0 % and 1 % failing
//    (failures are retried after 10 ms and succeed), and with the trace on, against the plain
//    iterator; records/s.
// Each figure: the median of --runs runs, with min-max. Flush mode 'os' (writes, not fsyncs).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!fs.existsSync(path.join(root, 'dist/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(1)
}
const { LogEngine } = await import(path.join(root, 'dist/index.js'))
const { values } = parseArgs({
  options: {
    pending: { type: 'string', default: '100000' },
    burst: { type: 'string', default: '100000' },
    memory: { type: 'string', default: '1000000' },
    'run-records': { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string', default: 'burst,lateness,memory,consume' },
  },
})
const RUNS = Number(values.runs)
const value = Buffer.alloc(100, 7)

async function freshEngine() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-delay-'))
  const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
  await engine.createTopic('t', { partitions: 4 })
  return { dir, engine }
}

async function dispose({ dir, engine }) {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
}

/** Schedules `count` records, `dueOf(i)` each, in sends of 1000. */
async function schedule(engine, count, dueOf) {
  const producer = engine.producer({ lingerMs: 0 })
  for (let start = 0; start < count; start += 1000) {
    const records = []
    for (let i = start; i < Math.min(count, start + 1000); i++) records.push({ key: `k${i}`, value, deliverAt: dueOf(i) })
    await producer.send('t', records)
  }
}

/** Calls `onRecord(record, nowMs)` for every record of topic t until `count` were seen. */
async function tail(engine, count, onRecord) {
  // From the start of the (fresh) topic: deliveries may begin before scheduling has finished.
  const consumer = await engine.consumer({ group: `tail-${Math.random()}`, topics: ['t'], from: 'earliest' })
  let seen = 0
  for await (const batch of consumer.batches()) {
    const now = Date.now()
    for (const record of batch.records) onRecord(record, now)
    seen += batch.records.length
    if (seen >= count) break
  }
  await consumer.close()
}

function dueHeader(record) {
  return Number(record.headers.find((h) => h.key === 'seglog-deliver-at').value.toString())
}

async function burst(count) {
  const setup = await freshEngine()
  const due = Date.now() + 3000 + count / 50
  await schedule(setup.engine, count, () => due)
  let last = 0
  await tail(setup.engine, count, (_record, now) => (last = now))
  await dispose(setup)
  return count / ((last - due) / 1000)
}

async function lateness(count) {
  const setup = await freshEngine()
  const start = Date.now() + 2000 + count / 50
  await schedule(setup.engine, count, (i) => start + Math.floor((i * 20_000) / count))
  const late = []
  await tail(setup.engine, count, (record, now) => late.push(now - dueHeader(record)))
  await dispose(setup)
  late.sort((a, b) => a - b)
  const at = (q) => late[Math.min(late.length - 1, Math.floor(q * late.length))]
  return { p50: at(0.5), p99: at(0.99), max: late[late.length - 1] }
}

async function memory(count) {
  const setup = await freshEngine()
  await setup.engine.delayed()
  globalThis.gc?.()
  const before = process.memoryUsage().heapUsed
  await schedule(setup.engine, count, (i) => Date.now() + 3_600_000 + (i % 7_200_000))
  globalThis.gc?.()
  const after = process.memoryUsage().heapUsed
  const files = fs.readdirSync(path.join(setup.dir, '__delayed-index')).length
  await dispose(setup)
  return { heapMiB: (after - before) / 2 ** 20, files }
}

async function runThroughput(count, failEvery, trace = false) {
  const setup = await freshEngine()
  const producer = setup.engine.producer()
  for (let start = 0; start < count; start += 1000) {
    const records = []
    for (let i = start; i < Math.min(count, start + 1000); i++) records.push({ key: `k${i}`, value })
    await producer.send('t', records)
  }
  await producer.flush()
  const consumer = await setup.engine.consumer({ group: 'g', topics: ['t'] })
  const begin = process.hrtime.bigint()
  let handled = 0
  if (failEvery === null) {
    for await (const batch of consumer.batches()) {
      handled += batch.records.length
      if (handled >= count) break
    }
  } else {
    const failed = new Set()
    const running = consumer.run(
      (record) => {
        const id = `${record.key}`
        if (failEvery > 0 && record.offset % failEvery === 0 && !failed.has(id) && record.topic === 't') {
          failed.add(id)
          throw new Error('once')
        }
        if (++handled === count) void consumer.close()
      },
      { retry: { maxAttempts: 3, backoffMs: 10 }, trace },
    )
    await running
  }
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9
  await consumer.close()
  await dispose(setup)
  return count / seconds
}

function summary(samples, unit, digits = 0) {
  const sorted = [...samples].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  const f = (x) => x.toLocaleString('en-US', { maximumFractionDigits: digits })
  return `${f(median)} ${unit} (${f(sorted[0])}-${f(sorted[sorted.length - 1])})`
}

async function repeat(fn) {
  const out = []
  for (let i = 0; i < RUNS; i++) out.push(await fn())
  return out
}

// The scheduler's timer does not keep a process alive (as the engine's own): this does.
const keepAlive = setInterval(() => undefined, 1000)
console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${RUNS} runs each, flush os`)
const parts = new Set(values.only.split(','))
const bursts = !parts.has('burst') ? [0] : await repeat(() => burst(Number(values.burst)))
console.log(`burst of ${values.burst} due at once: ${summary(bursts, 'records/s')}`)
const lates = !parts.has('lateness') ? [{ p50: 0, p99: 0, max: 0 }] : await repeat(() => lateness(Number(values.pending)))
console.log(
  `lateness, ${values.pending} pending over 20 s: p50 ${summary(
    lates.map((l) => l.p50),
    'ms',
  )}, p99 ${summary(
    lates.map((l) => l.p99),
    'ms',
  )}, max ${summary(
    lates.map((l) => l.max),
    'ms',
  )}`,
)
const mems = !parts.has('memory') ? [{ heapMiB: 0, files: 0 }] : await repeat(() => memory(Number(values.memory)))
console.log(
  `memory with ${values.memory} pending 1-3 h ahead: heap +${summary(
    mems.map((m) => m.heapMiB),
    'MiB',
    1,
  )}, ${mems[0].files} index files${globalThis.gc ? '' : ' (run with --expose-gc for exact heap figures)'}`,
)
const n = Number(values['run-records'])
const plain = await repeat(() => runThroughput(n, null))
const run0 = await repeat(() => runThroughput(n, 0))
const run1 = await repeat(() => runThroughput(n, 100))
const traced = await repeat(() => runThroughput(n, 0, true))
console.log(
  `consume ${n}: iterator ${summary(plain, 'rec/s')}; run, 0 % failing ${summary(run0, 'rec/s')}; run, 1 % failing once ${summary(run1, 'rec/s')}; run with the trace, 0 % failing ${summary(traced, 'rec/s')}`,
)
clearInterval(keepAlive)

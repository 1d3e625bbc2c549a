// Log compaction and lookup by key (docs/compaction.md), on the BUILT engine:
//   node bench/compaction.mjs [DIST_DIR] [--keys N] [--updates N] [--runs N]
// 1. space: `updates` updates of `keys` keys (100-byte values, batches of 100, 1 MiB segments),
//    bytes before and after one cleaning pass, and the pass's time, map size and process RSS;
// 2. cleaner throughput (MB of log read per second by the pass), unthrottled and throttled to
//    4 MB/s, on a fresh log of `updates / 5` updates each run;
// 3. appends (1000-record batches to another partition) per second while a pass runs, and idle;
// 4. lookupKey latency (p50, p99) for keys with a few records, by scan (there is no key index).
// Each figure is the median of `runs` runs with min-max.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  return at < 0 ? fallback : Number(args[at + 1])
}
const distDir = path.resolve(args[0] !== undefined && !args[0].startsWith('--') ? args[0] : 'dist')
const keys = option('--keys', 10_000)
const updates = option('--updates', 1_000_000)
const runs = option('--runs', 5)

const { LogEngine, encodeBatch } = await import(pathToFileURL(path.join(distDir, 'index.js')).href)

const summary = (values, unit, digits = 1) => {
  const sorted = [...values].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  return `${median.toFixed(digits)} ${unit} (${sorted[0].toFixed(digits)}-${sorted[sorted.length - 1].toFixed(digits)})`
}

async function withEngine(work, options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-compaction-'))
  const engine = await LogEngine.open({ dir, flush: 'os', tickMs: 60_000, cleaner: { enabled: false, ...options }, onWarning: () => {} })
  try {
    return await work(engine)
  } finally {
    await engine.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function fill(log, count) {
  const value = Buffer.alloc(100, 7)
  for (let at = 0; at < count; at += 100) {
    const records = Array.from({ length: Math.min(100, count - at) }, (_, slot) => ({
      key: Buffer.from(`key-${(at + slot) % keys}`),
      value,
      timestamp: 1_700_000_000_000 + at + slot,
    }))
    await log.appendRecords(records)
  }
  await log.rollNow()
}

async function createCompacted(engine, name) {
  await engine.createTopic(name, { partitions: 1, cleanupPolicy: 'compact', segmentBytes: 1024 * 1024 })
  return engine.partition(name, 0)
}

// 1. Space.
await withEngine(async (engine) => {
  const log = await createCompacted(engine, 'space')
  const fillStart = performance.now()
  await fill(log, updates)
  const fillSeconds = (performance.now() - fillStart) / 1000
  const before = log.sizeInBytes
  const rssBefore = process.memoryUsage().rss
  const start = performance.now()
  const [result] = await engine.cleaner.cleanNow({ ignoreDirtyRatio: true, dedupeBufferBytes: 16 * 1024 * 1024 })
  const seconds = (performance.now() - start) / 1000
  console.log(
    `space: ${keys} keys, ${updates} updates (written in ${fillSeconds.toFixed(1)} s): ${(before / 1e6).toFixed(1)} MB in ${result.segmentsBefore} segments -> ${(log.sizeInBytes / 1e6).toFixed(2)} MB in ${log.segmentCount} after one pass of ${seconds.toFixed(1)} s (${(result.bytesRead / 1e6 / seconds).toFixed(1)} MB/s read); map ${result.mapEntries} keys in ${(result.mapBytes / 1e6).toFixed(1)} MB; RSS ${(rssBefore / 1e6).toFixed(0)} -> ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  )
})

// 2. Throughput, unthrottled and throttled.
for (const [label, ioMaxBytesPerSecond] of [
  ['unthrottled', undefined],
  ['throttled to 4 MB/s', 4e6],
]) {
  const rates = []
  const memory = []
  for (let run = 0; run < runs; run++) {
    await withEngine(
      async (engine) => {
        const log = await createCompacted(engine, 'rate')
        await fill(log, Math.floor(updates / 5))
        const start = performance.now()
        const [result] = await engine.cleaner.cleanNow({ ignoreDirtyRatio: true, dedupeBufferBytes: 16 * 1024 * 1024 })
        rates.push(result.bytesRead / 1e6 / ((performance.now() - start) / 1000))
        memory.push(result.mapBytes / 1e6)
      },
      { ioMaxBytesPerSecond },
    )
  }
  console.log(`cleaner ${label}: ${summary(rates, 'MB/s read')}, map memory ${summary(memory, 'MB')}`)
}

// 3. Appends while cleaning vs idle.
const batch = encodeBatch(Array.from({ length: 1000 }, (_, slot) => ({ key: Buffer.from(`a${slot}`), value: Buffer.alloc(100, slot) })))
async function appendRate(log, whileRunning) {
  let appends = 0
  const start = performance.now()
  let running = true
  const done = whileRunning === null ? new Promise((resolve) => setTimeout(resolve, 1500)) : whileRunning
  done.then(() => (running = false))
  while (running) {
    await log.appendBatch(batch)
    appends++
  }
  return (appends * batch.length) / 1e6 / ((performance.now() - start) / 1000)
}
const idle = []
const cleaning = []
for (let run = 0; run < runs; run++) {
  await withEngine(async (engine) => {
    const log = await createCompacted(engine, 'dirty')
    await fill(log, Math.floor(updates / 5))
    await engine.createTopic('appends', { partitions: 1 })
    const target = engine.partition('appends', 0)
    idle.push(await appendRate(target, null))
    cleaning.push(await appendRate(target, engine.cleaner.cleanNow({ ignoreDirtyRatio: true })))
  })
}
console.log(`appends idle: ${summary(idle, 'MB/s')}; while a pass runs: ${summary(cleaning, 'MB/s')}`)

// 4. Key lookup by scan.
await withEngine(async (engine) => {
  await engine.createTopic('lookup', { partitions: 1, segmentBytes: 16 * 1024 * 1024 })
  const log = engine.partition('lookup', 0)
  await fill(log, Math.floor(updates / 5))
  const latencies = []
  for (let query = 0; query < 50; query++) {
    const start = performance.now()
    await log.lookupKey(Buffer.from(`key-${(query * 7919) % keys}`), { limit: 10 })
    latencies.push(performance.now() - start)
  }
  latencies.sort((a, b) => a - b)
  console.log(
    `lookupKey by scan over ${(log.sizeInBytes / 1e6).toFixed(0)} MB: p50 ${latencies[25].toFixed(0)} ms, p99 ${latencies[49].toFixed(0)} ms (50 queries)`,
  )
})

// Lookup by key (docs/compaction.md) with and without the key index, on the BUILT engine:
//   node bench/key-lookup.mjs [DIST_DIR] [--mb N] [--keys N] [--runs N] [--queries N] [--scan-queries N]
// Fills one partition of a keyIndex: true topic with about `mb` MB of 200-byte values (batches of
// 100, 16 MiB segments, keys `key-0`.. `key-(keys-1)` in a seeded order, so each key has a few
// records spread over the partition), then for each of `runs` runs reopens the engine and measures:
// - the first lookup after the reopen (it loads every segment's .keyindex file),
// - `queries` lookups of random keys through the index: p50 and p99 of the wall-clock time, and of
//   the process's CPU time (user + system, all threads: what the lookup costs, without the time
//   other processes on a shared machine take the core away),
// - `scan-queries` lookups with keyIndex switched off (the scan): p50 and max.
// Each figure is the median of the runs with min-max. The first lookup after filling is printed
// once: builds that index as records are appended have nothing left to do then, older builds
// built every index from the log in it.
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
const megabytes = option('--mb', 100)
const keys = option('--keys', 100_000)
const runs = option('--runs', 5)
const queries = option('--queries', 1000)
const scanQueries = option('--scan-queries', 5)

const { LogEngine } = await import(pathToFileURL(path.join(distDir, 'index.js')).href)

let seed = 42
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32
}
const percentile = (values, share) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))]
const summary = (values, unit, digits = 3) => {
  const sorted = [...values].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  return `${median.toFixed(digits)} ${unit} (${sorted[0].toFixed(digits)}-${sorted[sorted.length - 1].toFixed(digits)})`
}
const open = (dir) => LogEngine.open({ dir, flush: 'os', tickMs: 600_000, cleaner: { enabled: false }, onWarning: () => {} })
const keyOf = () => Buffer.from(`key-${Math.floor(random() * keys)}`)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-key-lookup-'))
try {
  let engine = await open(dir)
  await engine.createTopic('lookup', { partitions: 1, segmentBytes: 16 * 1024 * 1024, keyIndex: true })
  let log = engine.partition('lookup', 0)
  const value = Buffer.alloc(200)
  while (log.sizeInBytes < megabytes * 1e6) {
    const records = Array.from({ length: 100 }, () => ({
      key: keyOf(),
      value: value.fill(Math.floor(random() * 256)) && Buffer.from(value),
    }))
    await log.appendRecords(records)
  }
  await log.rollNow()
  console.log(
    `partition: ${(log.sizeInBytes / 1e6).toFixed(1)} MB, ${log.logEndOffset} records, ${log.segmentCount} segments, ${keys} keys`,
  )
  let start = performance.now()
  await log.lookupKey(keyOf())
  console.log(`first lookup after filling: ${(performance.now() - start).toFixed(0)} ms`)
  await engine.close()

  const firstAfterOpen = []
  const indexedP50 = []
  const indexedP99 = []
  const cpuP50 = []
  const cpuP99 = []
  const scanP50 = []
  const scanMax = []
  let found = 0
  for (let run = 0; run < runs; run++) {
    engine = await open(dir)
    log = engine.partition('lookup', 0)
    start = performance.now()
    await log.lookupKey(keyOf())
    firstAfterOpen.push(performance.now() - start)
    const latencies = []
    const cpuTimes = []
    for (let query = 0; query < queries; query++) {
      const key = keyOf()
      const cpuStart = process.cpuUsage()
      start = performance.now()
      found += (await log.lookupKey(key, { limit: 10 })).length
      latencies.push(performance.now() - start)
      const cpu = process.cpuUsage(cpuStart)
      cpuTimes.push((cpu.user + cpu.system) / 1000)
    }
    indexedP50.push(percentile(latencies, 0.5))
    indexedP99.push(percentile(latencies, 0.99))
    cpuP50.push(percentile(cpuTimes, 0.5))
    cpuP99.push(percentile(cpuTimes, 0.99))
    await engine.alterTopicConfig('lookup', { keyIndex: false })
    const scans = []
    for (let query = 0; query < scanQueries; query++) {
      start = performance.now()
      await log.lookupKey(keyOf(), { limit: 10 })
      scans.push(performance.now() - start)
    }
    scanP50.push(percentile(scans, 0.5))
    scanMax.push(Math.max(...scans))
    await engine.alterTopicConfig('lookup', { keyIndex: true })
    await engine.close()
  }
  console.log(`records per indexed lookup: ${(found / (runs * queries)).toFixed(1)}`)
  console.log(`first lookup after open (loads the .keyindex files): ${summary(firstAfterOpen, 'ms', 1)}`)
  console.log(`indexed lookup p50: ${summary(indexedP50, 'ms')}, p99: ${summary(indexedP99, 'ms')} (${queries} queries a run)`)
  console.log(`indexed lookup CPU time p50: ${summary(cpuP50, 'ms')}, p99: ${summary(cpuP99, 'ms')}`)
  console.log(`scan lookup p50: ${summary(scanP50, 'ms', 0)}, max: ${summary(scanMax, 'ms', 0)} (${scanQueries} queries a run)`)
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

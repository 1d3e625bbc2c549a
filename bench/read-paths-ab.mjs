// The read paths a change touched, timed for two builds of seglog in one run, alternating:
// BatchScanner over a buffer of v2 batches (as log.batches() and the consumer scan), FileBatchReader
// over a segment file (recovery, dump, verify), and PartitionLog.records() over a partition.
//
//   node bench/read-paths-ab.mjs BEFORE_DIST AFTER_DIST [--runs 7]
//
// Each dist is a `npm run build` output directory. Input: 400,000 records of 100 bytes in
// batches of 200, uncompressed, one partition. Prints the median and min-max of --runs rounds
// per build, in millions of records per second.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [beforeDist, afterDist] = process.argv.slice(2)
if (beforeDist === undefined || afterDist === undefined) {
  console.error('usage: node bench/read-paths-ab.mjs BEFORE_DIST AFTER_DIST [--runs 7]')
  process.exit(2)
}
const runsAt = process.argv.indexOf('--runs')
const RUNS = runsAt < 0 ? 7 : Number(process.argv[runsAt + 1])
const RECORDS = 400_000
const BATCH = 200

const builds = {}
for (const [name, dist] of [
  ['before', beforeDist],
  ['after', afterDist],
]) {
  builds[name] = {
    index: await import(path.resolve(dist, 'index.js')),
    reader: await import(path.resolve(dist, 'log/file-batch-reader.js')),
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-ab-'))
const { LogEngine, encodeBatch } = builds.before.index
const dir = path.join(work, 'data')
const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
await engine.createTopic('t', { partitions: 1 })
const value = Buffer.alloc(100, 97)
const batches = []
for (let base = 0; base < RECORDS; base += BATCH) {
  const records = Array.from({ length: BATCH }, (_, n) => ({ key: null, value, timestamp: 1_700_000_000_000 + base + n }))
  batches.push(encodeBatch(records, { baseOffset: base }))
  await engine.partition('t', 0).appendBatch(batches[batches.length - 1])
}
await engine.close()
const bytes = Buffer.concat(batches)
const segment = path.join(dir, 't-0', '00000000000000000000.log')

const cases = {
  'BatchScanner, records of every batch': (build) => {
    let count = 0
    const scanner = new build.index.BatchScanner(bytes, { acceptLegacy: true })
    for (let batch = scanner.next(); batch !== null; batch = scanner.next())
      for (const record of batch.records()) if (record.value !== null) count++
    return count
  },
  'FileBatchReader, CRC of every batch': (build) => {
    let count = 0
    const reader = build.reader.FileBatchReader.openSync(segment)
    for (let batch = reader.next(); batch !== null; batch = reader.next()) if (batch.isValid()) count += batch.recordCount
    reader.close()
    return count
  },
  'PartitionLog.records()': async (build) => {
    const opened = await build.index.LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
    let count = 0
    for await (const record of opened.partition('t', 0).records({ from: 0 })) if (record.value !== null) count++
    await opened.close()
    return count
  },
}

const results = {}
for (let round = 0; round < RUNS; round++) {
  for (const [caseName, run] of Object.entries(cases)) {
    for (const buildName of round % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
      const start = process.hrtime.bigint()
      const count = await run(builds[buildName])
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      if (count !== RECORDS) throw new Error(`${caseName} ${buildName}: ${count} records`)
      ;(results[caseName] ??= { before: [], after: [] })[buildName].push(RECORDS / seconds / 1e6)
    }
  }
}
fs.rmSync(work, { recursive: true, force: true })

const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return `${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (${sorted[0].toFixed(2)}-${sorted[sorted.length - 1].toFixed(2)})`
}
console.log(`${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}, node ${process.version}, ${RUNS} rounds, M records/s`)
for (const [caseName, { before, after }] of Object.entries(results)) {
  console.log(`${caseName.padEnd(40)} before ${summary(before)}  after ${summary(after)}`)
}

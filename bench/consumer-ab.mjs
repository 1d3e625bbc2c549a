// The consumer's read path (Consumer.batches() over one partition) timed for two builds of seglog,
// alternating, in CPU time: a change to how the consumer reads is judged by the ratio.
//
//   npm run build && node bench/consumer-ab.mjs BEFORE_DIST AFTER_DIST [--runs 7]
//
// Input: 400,000 records of 100 bytes in batches of 200, uncompressed, one partition, written once
// by the BEFORE build. Every pass runs in a child process of its own (one build, one fresh group,
// the whole partition read), so one build's classes never train the JIT against the other's, which
// in a shared process skews the result by 15-20% towards whichever build loads first. Prints the
// median and min-max per build, in millions of records per second of CPU time.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const RECORDS = 400_000
const BATCH = 200
const quiet = { flush: 'os', onWarning: () => undefined }

if (process.argv[2] === '--child') {
  // node bench/consumer-ab.mjs --child write|read DIST DIR: prints the CPU ms of the read.
  const [, , , mode, dist, dir] = process.argv
  const { LogEngine } = await import(path.resolve(dist, 'index.js'))
  const engine = await LogEngine.open({ dir, ...quiet })
  if (mode === 'write') {
    await engine.createTopic('t', { partitions: 1 })
    const value = Buffer.alloc(100, 97)
    for (let base = 0; base < RECORDS; base += BATCH)
      await engine.partition('t', 0).appendRecords(Array.from({ length: BATCH }, () => ({ key: null, value })))
  } else {
    const consumer = await engine.consumer({ group: `g${process.pid}`, topics: ['t'] })
    const start = process.cpuUsage()
    let count = 0
    for await (const { records } of consumer.batches()) {
      count += records.length
      if (count >= RECORDS) break
    }
    const used = process.cpuUsage(start)
    await consumer.close()
    if (count !== RECORDS) throw new Error(`read ${count} of ${RECORDS}`)
    console.log((used.user + used.system) / 1000)
  }
  await engine.close()
  process.exit(0)
}

const [beforeDist, afterDist] = process.argv.slice(2)
if (beforeDist === undefined || afterDist === undefined) {
  console.error('usage: node bench/consumer-ab.mjs BEFORE_DIST AFTER_DIST [--runs 7]')
  process.exit(2)
}
const runsAt = process.argv.indexOf('--runs')
const RUNS = runsAt < 0 ? 7 : Number(process.argv[runsAt + 1])
const self = fileURLToPath(import.meta.url)
const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-consumer-ab-')), 'data')
const child = (mode, dist) => execFileSync(process.execPath, [self, '--child', mode, dist, dir], { encoding: 'utf8' })

child('write', beforeDist)
const dists = { before: beforeDist, after: afterDist }
const times = { before: [], after: [] }
for (let run = 0; run < RUNS; run++)
  for (const name of run % 2 === 0 ? ['before', 'after'] : ['after', 'before']) times[name].push(Number(child('read', dists[name]).trim()))
const stats = (ms) => {
  const rates = ms.map((value) => RECORDS / value / 1000).sort((a, b) => a - b)
  return { median: rates[rates.length >> 1], min: rates[0], max: rates[rates.length - 1] }
}
for (const name of ['before', 'after']) {
  const { median, min, max } = stats(times[name])
  console.log(`${name}: ${median.toFixed(2)} M records/s CPU (min ${min.toFixed(2)}, max ${max.toFixed(2)}) over ${RUNS} runs`)
}
console.log(`after/before (median): ${(stats(times.after).median / stats(times.before).median).toFixed(3)}`)
fs.rmSync(path.dirname(dir), { recursive: true, force: true })

// Concurrent single-record appenders against two builds of seglog in one process, alternated in
// rounds (A B, B A, ...), each round a fresh engine with one partition in the given flush mode.
// Prints the median per build of appends per CPU second (process.cpuUsage: the thread pool's
// writes and fsyncs count too) and of appends per wall-clock second, and the median (min-max)
// of the per-round CPU ratio B/A. The durability suite measures the same pattern in wall clock
// only, which a shared machine's load swamps.
//
//   node bench/ab-appenders.mjs --a OLD_DIST --b dist [--flush os|sync|interval] [--appenders 64]
//                               [--appends 100000] [--rounds 6] [--value-bytes 100]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { option } from './lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const flushMode = option('flush', 'os')
const appenders = Number(option('appenders', 64))
const appends = Number(option('appends', 100_000))
const rounds = Number(option('rounds', 6))
const value = Buffer.alloc(Number(option('value-bytes', 100)), 0x61)
const flush = flushMode === 'interval' ? { mode: 'interval', ms: 1000 } : { mode: flushMode }

async function measure(seglog) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-ab-appenders-'))
  const engine = await seglog.LogEngine.open({ dir, flush, onWarning: () => undefined })
  try {
    await engine.createTopic('t', { partitions: 1 })
    const log = engine.partition('t', 0)
    const records = [{ value }]
    let issued = 0
    const cpuStart = process.cpuUsage()
    const wallStart = performance.now()
    await Promise.all(
      Array.from({ length: appenders }, async () => {
        while (issued < appends) {
          issued++
          await log.appendRecords(records)
        }
      }),
    )
    const cpu = process.cpuUsage(cpuStart)
    const wallSeconds = (performance.now() - wallStart) / 1000
    return { perCpuSecond: appends / ((cpu.user + cpu.system) / 1e6), perSecond: appends / wallSeconds }
  } finally {
    await engine.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const sides = { A: await import(path.join(distA, 'index.js')), B: await import(path.join(distB, 'index.js')) }
const figures = { A: [], B: [] }
const ratios = []
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A']
  const got = {}
  for (const side of order) {
    got[side] = await measure(sides[side])
    figures[side].push(got[side])
  }
  ratios.push(got.B.perCpuSecond / got.A.perCpuSecond)
}
const k = (rate) => `${(rate / 1000).toFixed(1)} k`
console.log(`A ${distA}\nB ${distB}`)
console.log(`${appenders} appenders, flush ${flushMode}, ${rounds} rounds of ${appends} single-record appends`)
for (const side of ['A', 'B']) {
  const perCpu = median(figures[side].map((figure) => figure.perCpuSecond))
  const perWall = median(figures[side].map((figure) => figure.perSecond))
  console.log(`${side}  ${k(perCpu)} appends per CPU second, ${k(perWall)} per second`)
}
console.log(`B/A per CPU second ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`)

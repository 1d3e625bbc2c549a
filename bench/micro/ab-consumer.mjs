// The consumer of two builds of seglog side by side in one process: the same records (100 B
// JSON-like values, 4 partitions, written once per build with the producer), read by a fresh group
// per round through the per-record async iterator and through `batches()`, rounds alternated
// (A B, B A, …) and timed in CPU time of the process, so the load of a shared machine falls on both
// builds alike. The share of garbage collection is GC pause time over the pass's CPU time.
// Caveat: both builds share one heap, so garbage one leaves may be collected in the other's time
// (seen with lz4: 0.51 one way round, about 1.04 with --a and --b swapped). Check a surprising
// ratio with the builds swapped, and compare GC shares with bench/consumer-e2e.mjs --dist instead.
//
//   npm run build && node bench/micro/ab-consumer.mjs --a BEFORE_DIST --b dist [--rounds 7]
//                    [--records 500000] [--compression none|lz4]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { option } from '../lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const rounds = Number(option('rounds', 7))
const recordCount = Number(option('records', 500_000))
const compression = option('compression', 'none')
const PARTITIONS = 4

const values = Array.from({ length: 1000 }, (_, slot) =>
  Buffer.from(`{"n":${slot},"order":${slot * 7},"status":"shipped","region":"eu-west","sku":${slot * 13}}`.padEnd(100, ' ')),
)

let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

async function openSide(dist) {
  const seglog = await import(path.join(dist, 'index.js'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-ab-consumer-'))
  const engine = await seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  await engine.createTopic('events', { partitions: PARTITIONS })
  const producer = engine.producer({ compression, lingerMs: 5, batchBytes: 64 * 1024 })
  for (let first = 0; first < recordCount; first += 1000) {
    const records = []
    for (let slot = first; slot < Math.min(recordCount, first + 1000); slot++)
      records.push({ value: values[slot % values.length], partition: slot % PARTITIONS })
    await producer.send('events', records)
  }
  await producer.close()
  return { dist, dir, engine, figures: { iterator: { cpu: [], gc: [] }, batches: { cpu: [], gc: [] } } }
}

const passes = {
  async iterator(consumer) {
    let count = 0
    for await (const record of consumer) {
      if (record.value.length !== 100) throw new Error('wrong value')
      if (++count === recordCount) break
    }
    return count
  },
  async batches(consumer) {
    let count = 0
    for await (const batch of consumer.batches()) {
      for (const record of batch.records) if (record.value.length !== 100) throw new Error('wrong value')
      count += batch.records.length
      if (count === recordCount) break
    }
    return count
  },
}

async function consume(side, pass, round) {
  const consumer = await side.engine.consumer({ group: `${pass}-${round}`, topics: ['events'] })
  await new Promise((resolve) => setImmediate(resolve))
  const gcBefore = gcMs
  const cpuBefore = process.cpuUsage()
  const count = await passes[pass](consumer)
  const cpu = process.cpuUsage(cpuBefore)
  await new Promise((resolve) => setImmediate(resolve)) // GC entries arrive asynchronously
  await consumer.close()
  if (count !== recordCount) throw new Error(`read ${count} of ${recordCount}`)
  const cpuMs = (cpu.user + cpu.system) / 1000
  return { cpu: count / (cpuMs / 1000), gc: ((gcMs - gcBefore) / cpuMs) * 100 }
}

const sides = [await openSide(distA), await openSide(distB)]
for (let round = 0; round <= rounds; round++) {
  for (const pass of Object.keys(passes)) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const figures = await consume(side, pass, round)
      // Round 0 warms both builds up and is not counted.
      if (round > 0) {
        side.figures[pass].cpu.push(figures.cpu)
        side.figures[pass].gc.push(figures.gc)
      }
    }
  }
}

const median = (list) => [...list].sort((x, y) => x - y)[list.length >> 1]
const spread = (list, scale, digits) =>
  `${(median(list) / scale).toFixed(digits)} (${(Math.min(...list) / scale).toFixed(digits)}–${(Math.max(...list) / scale).toFixed(digits)})`
console.log(`A ${distA}\nB ${distB}`)
console.log(`${recordCount} records of 100 B, ${compression}, ${PARTITIONS} partitions, ${rounds} rounds`)
for (const pass of Object.keys(passes)) {
  const [a, b] = sides.map((side) => side.figures[pass])
  const ratios = a.cpu.map((value, round) => b.cpu[round] / value)
  console.log(
    `${pass.padEnd(8)} M records per CPU second A ${spread(a.cpu, 1e6, 2)}, B ${spread(b.cpu, 1e6, 2)}; B/A ${spread(ratios, 1, 2)}; GC % of CPU A ${spread(a.gc, 1, 0)}, B ${spread(b.gc, 1, 0)}`,
  )
}
for (const side of sides) {
  await side.engine.close()
  fs.rmSync(side.dir, { recursive: true, force: true })
}

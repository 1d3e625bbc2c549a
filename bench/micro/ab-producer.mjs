// The producer of two builds of seglog side by side in one process: the sending pattern of
// `seglog bench` (4 senders of 100-record sends, 8 sends in flight each, 100 B values, 4
// partitions, 1 MiB batches, no linger, flush 'os'), rounds alternated (A B, B A, …) and timed in
// CPU time of the process, so the load of a shared machine falls on both builds alike.
//
//   npm run build && node bench/micro/ab-producer.mjs --a BEFORE_DIST --b dist [--rounds 7]
//                    [--records 1000000] [--compression none|lz4]
//
// Prints per build the median (min–max) of records/s per CPU second and of wall-clock records/s,
// then the median (min–max) of the per-round ratio B/A.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { option } from '../lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const rounds = Number(option('rounds', 7))
const recordCount = Number(option('records', 1_000_000))
const compression = option('compression', 'none')
const SEND_RECORDS = 100
const SENDERS = 4
const IN_FLIGHT_PER_SENDER = 8

const values = Array.from({ length: 1000 }, (_, slot) =>
  Buffer.from(`{"n":${slot},"order":${slot * 7},"status":"shipped","region":"eu-west","sku":${slot * 13}}`.padEnd(100, ' ')),
)

async function openSide(dist) {
  const seglog = await import(path.join(dist, 'index.js'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-ab-producer-'))
  const engine = await seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  return { dist, dir, engine, cpu: [], wall: [] }
}

async function produce(side, round) {
  const topic = `round-${round}`
  await side.engine.createTopic(topic, { partitions: 4 })
  const producer = side.engine.producer({ batchBytes: 1024 * 1024, lingerMs: 0, compression, idempotent: false })
  let next = 0
  const sender = async () => {
    const pending = []
    while (next < recordCount) {
      const first = next
      next += SEND_RECORDS
      const records = new Array(SEND_RECORDS)
      for (let slot = 0; slot < SEND_RECORDS; slot++) records[slot] = { value: values[(first + slot) % values.length] }
      pending.push(producer.send(topic, records))
      if (pending.length >= IN_FLIGHT_PER_SENDER) await pending.shift()
    }
    await Promise.all(pending)
  }
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  await Promise.all(Array.from({ length: SENDERS }, sender))
  await producer.close()
  const cpu = process.cpuUsage(cpuBefore)
  const wallMs = performance.now() - started
  await side.engine.deleteTopic(topic)
  return { cpu: recordCount / ((cpu.user + cpu.system) / 1e6), wall: recordCount / (wallMs / 1000) }
}

const sides = [await openSide(distA), await openSide(distB)]
for (let round = 0; round <= rounds; round++) {
  for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
    const figures = await produce(side, round)
    // Round 0 warms both builds up and is not counted.
    if (round > 0) {
      side.cpu.push(figures.cpu)
      side.wall.push(figures.wall)
    }
  }
}

const median = (list) => [...list].sort((x, y) => x - y)[list.length >> 1]
const spread = (list, scale, digits) =>
  `${(median(list) / scale).toFixed(digits)} (${(Math.min(...list) / scale).toFixed(digits)}–${(Math.max(...list) / scale).toFixed(digits)})`
console.log(`A ${distA}\nB ${distB}`)
console.log(`${recordCount} records of 100 B, ${compression}, ${rounds} rounds`)
for (const [name, side] of [
  ['A', sides[0]],
  ['B', sides[1]],
]) {
  console.log(`${name} M records per CPU second ${spread(side.cpu, 1e6, 2)}; wall M records/s ${spread(side.wall, 1e6, 2)}`)
}
const ratio = (key) => sides[0][key].map((a, round) => sides[1][key][round] / a)
console.log(`B/A per CPU second ${spread(ratio('cpu'), 1, 2)}; wall ${spread(ratio('wall'), 1, 2)}`)
for (const side of sides) {
  await side.engine.close()
  fs.rmSync(side.dir, { recursive: true, force: true })
}

// The log suite's records() / plain-reader ratio (seglog bench --suite log) with two builds in
// one process: each build gets its own partition of the same records, written once; then every
// round reads the plain length-prefixed file (the plain JavaScript reader of
// src/cli/bench/plain-records.ts), the log with batches() + records() through one build and
// through the other (order alternated from round to round), and the plain file again. Each
// build's ratio is its records/s over the mean of the two plain reads around it, so the load of a
// shared machine at that moment falls on both sides of the ratio. Wall clock (as the log suite)
// and CPU time (process.cpuUsage, thread pool included) are both printed; median (min-max).
//
//   npm run build && cp -r dist tmp/seglog-before   (then make the change and build again)
//   node bench/records-ratio.mjs --a tmp/seglog-before --b dist [--records 1000000] [--rounds 9]
//                                [--value-bytes 100] [--key-bytes 10]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { option } from './lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const recordCount = Number(option('records', 1_000_000))
const rounds = Number(option('rounds', 9))
const valueBytes = Number(option('value-bytes', 100))
const keyBytes = Number(option('key-bytes', 10))
const batchRecords = Math.max(1, Math.min(1000, Math.floor((1024 * 1024) / (valueBytes + keyBytes + 16))))
const batches = Math.ceil(recordCount / batchRecords)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-records-ratio-'))
const value = Buffer.alloc(valueBytes, 7)
const keys = Array.from({ length: batchRecords }, (_, slot) => Buffer.alloc(keyBytes, slot))
const records = keys.map((key, slot) => ({ key: keyBytes === 0 ? null : key, value, timestamp: 1_700_000_000_000 + slot }))

const cpuMs = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

async function openSide(name, dist) {
  const seglog = await import(path.join(dist, 'index.js'))
  const plain = await import(path.join(dist, 'cli', 'bench', 'plain-records.js'))
  const engine = await seglog.LogEngine.open({ dir: path.join(dir, name), flush: 'os', onWarning: () => {} })
  await engine.createTopic('r', { partitions: 1, segmentBytes: 64 * 1024 * 1024 })
  const log = engine.partition('r', 0)
  for (let batch = 0; batch < batches; batch++) await log.appendRecords(records)
  return { name, dist, engine, log, plain, wall: [], cpu: [] }
}

const a = await openSide('A', distA)
const b = await openSide('B', distB)
const plainPath = path.join(dir, 'plain.bin')
a.plain.writePlainRecords(
  plainPath,
  keys.map((key) => ({ key, value })),
  batches,
)

function readPlain() {
  let sink = 0
  const startWall = performance.now()
  const startCpu = cpuMs()
  const { records: count } = a.plain.readPlainRecords(plainPath, (_key, record) => {
    sink += record.length
  })
  return { wall: count / (performance.now() - startWall), cpu: count / (cpuMs() - startCpu), sink }
}

async function readLog(side) {
  let count = 0
  let sink = 0
  const startWall = performance.now()
  const startCpu = cpuMs()
  for await (const batch of side.log.batches({ from: 0 })) {
    for (const record of batch.records()) {
      if (record.value !== null) sink += record.value.length
      count++
    }
  }
  if (count !== batches * batchRecords) throw new Error(`${side.name} read ${count} records`)
  return { wall: count / (performance.now() - startWall), cpu: count / (cpuMs() - startCpu), sink }
}

async function measure(side) {
  const before = readPlain()
  const log = await readLog(side)
  const after = readPlain()
  side.wall.push(log.wall / ((before.wall + after.wall) / 2))
  side.cpu.push(log.cpu / ((before.cpu + after.cpu) / 2))
}

try {
  // Unmeasured warm-up of both, then alternated rounds.
  await measure(a)
  await measure(b)
  for (const side of [a, b]) side.wall.length = side.cpu.length = 0
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? [a, b] : [b, a]) await measure(side)
  }
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]
  const percent = (values) =>
    `${(median(values) * 100).toFixed(0)} % (${(Math.min(...values) * 100).toFixed(0)}-${(Math.max(...values) * 100).toFixed(0)})`
  console.log(
    `records() / plain JS reader, ${batches * batchRecords} records of ${valueBytes} B values and ${keyBytes} B keys, ${rounds} rounds`,
  )
  for (const side of [a, b]) console.log(`${side.name} ${side.dist}\n  wall clock ${percent(side.wall)}   CPU time ${percent(side.cpu)}`)
} finally {
  for (const side of [a, b]) await side.engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
}

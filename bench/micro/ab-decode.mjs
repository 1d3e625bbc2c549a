// Decoding record batches with two builds of seglog side by side in one process: no I/O, the same
// pre-encoded batches, rounds alternated (A B, B A, …) and timed in CPU time, so the load of a
// shared machine falls on both alike. For changes to the record parser, where the differences are
// smaller than the noise of a whole-log benchmark.
//
//   npm run build && node bench/micro/ab-decode.mjs --a BEFORE_DIST --b dist [--rounds 15]
//                    [--value-bytes 100] [--key-bytes 10] [--compression none|lz4] [--headers 0]
//
// Figures (records/s per CPU second; median of each build, then median (min–max) of the per-round
// ratio B/A):
//   records   batch.records(), reading each value's length (one object and two views per record)
//   recordsAs batch.recordsAs(make) with a 7-field consumer-shaped object
//   visitor   visitRecords, reading each value's length (no object per record)
import path from 'node:path'
import { option } from '../lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const rounds = Number(option('rounds', 15))
const valueBytes = Number(option('value-bytes', 100))
const keyBytes = Number(option('key-bytes', 10))
const compression = option('compression', 'none')
const headerCount = Number(option('headers', 0))
const RECORDS_PER_BATCH = 1000
const BATCHES = Math.max(20, Math.round(2_000_000 / RECORDS_PER_BATCH / Math.max(1, valueBytes / 100)) / 10)

const sides = [await import(path.join(distA, 'index.js')), await import(path.join(distB, 'index.js'))]
const records = Array.from({ length: RECORDS_PER_BATCH }, (_, slot) => ({
  key: keyBytes > 0 ? Buffer.alloc(keyBytes, slot) : null,
  value: Buffer.from(`${slot} `.repeat(valueBytes).slice(0, valueBytes)),
  headers: Array.from({ length: headerCount }, (_, h) => ({ key: `h${h}`, value: Buffer.from(String(slot)) })),
  timestamp: 1_700_000_000_000 + slot,
}))
// The same bytes for both sides (the format is pinned), encoded once.
const batchBytes = Array.from({ length: BATCHES }, (_, n) =>
  sides[0].encodeBatch(records, { baseOffset: n * RECORDS_PER_BATCH, compression }),
)

function cpuMs() {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

const figures = {
  records(seglog) {
    let sum = 0
    for (const bytes of batchBytes) for (const record of new seglog.RecordBatch(bytes).records()) sum += record.value.length
    return sum
  },
  recordsAs(seglog) {
    let sum = 0
    const topic = 'events'
    const partition = 0
    const make = (offset, timestamp, key, value, headers) => ({ topic, partition, offset, timestamp, key, value, headers })
    for (const bytes of batchBytes) for (const record of new seglog.RecordBatch(bytes).recordsAs(make)) sum += record.value.length
    return sum
  },
  visitor(seglog) {
    let sum = 0
    const view = new seglog.RecordView()
    const visit = (record) => {
      sum += record.valueLength
    }
    for (const bytes of batchBytes) seglog.visitRecords(new seglog.RecordBatch(bytes), visit, undefined, view)
    return sum
  },
}

const results = Object.fromEntries(Object.keys(figures).map((name) => [name, [[], []]]))
for (let round = 0; round < rounds + 1; round++) {
  const order = round % 2 === 0 ? [0, 1] : [1, 0]
  for (const [name, figure] of Object.entries(figures)) {
    for (const side of order) {
      const started = cpuMs()
      const sum = figure(sides[side])
      const ms = cpuMs() - started
      if (sum !== BATCHES * RECORDS_PER_BATCH * valueBytes) throw new Error(`${name}: wrong sum ${sum}`)
      // Round 0 warms both builds up and is not counted.
      if (round > 0) results[name][side].push((BATCHES * RECORDS_PER_BATCH) / (ms / 1000))
    }
  }
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)]
}
const millions = (value) => `${(value / 1e6).toFixed(2)} M`
console.log(`A ${distA}\nB ${distB}`)
console.log(
  `${valueBytes} B values, ${keyBytes} B keys, ${headerCount} headers, ${compression}, ${BATCHES} batches of ${RECORDS_PER_BATCH}, ${rounds} rounds, CPU time`,
)
for (const [name, [a, b]] of Object.entries(results)) {
  const ratios = a.map((value, round) => b[round] / value)
  console.log(
    `${name.padEnd(9)} A ${millions(median(a)).padStart(8)}  B ${millions(median(b)).padStart(8)}  B/A ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
  )
}

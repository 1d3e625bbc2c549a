// Random-read latency on a large log: readRaw of one batch (with and without the `buffer` option)
// and offsetForTimestamp, measured on one partition of --log-bytes (default 1g) written once, in
// the topic's default segment size (1 GiB) unless --segment-bytes says otherwise. Two builds can
// take turns on the same directory (--a and --b): each round opens the directory with one build,
// warms up, times the probes and closes it, in the order A B, B A, ... so both read the same file
// from the same (warm) page cache. Wall-clock latency per call (performance.now), p50/p99/p99.9
// in microseconds per round; printed: the median of each over the rounds, with min-max.
//
//   npm run build && cp -r dist tmp/seglog-before   (then make the change and build again)
//   node bench/read-latency.mjs --a tmp/seglog-before --b dist [--log-bytes 1g] [--rounds 5] [--probes 5000]
//                               [--value-bytes 100] [--key-bytes 10] [--dir DIR] [--keep]
//
// The log holds batches of 1,000 records (or fewer, to keep a batch near 1 MiB), each record's
// timestamp one above the last, so a timestamp names one record. --dir reuses a directory an
// earlier run left with --keep (same options) instead of writing the log again.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { option } from './lib/options.mjs'

function byteCount(text) {
  const match = /^(\d+)([kmg]?)$/i.exec(text)
  if (match === null) throw new Error(`not a byte count: ${text}`)
  return Number(match[1]) * { '': 1, k: 1024 ** 1, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase()]
}

const distA = path.resolve(option('a', 'dist'))
const distB = option('b', null) === null ? null : path.resolve(option('b', 'dist'))
const logBytes = byteCount(option('log-bytes', '1g'))
const segmentBytes = option('segment-bytes', null) === null ? undefined : byteCount(option('segment-bytes', '0'))
const rounds = Number(option('rounds', 5))
const probes = Number(option('probes', 5000))
const valueBytes = Number(option('value-bytes', 100))
const keyBytes = Number(option('key-bytes', 10))
const keep = process.argv.includes('--keep')
const givenDir = option('dir', null)
const baseTime = 1_700_000_000_000
const batchRecords = Math.max(1, Math.min(1000, Math.floor((1024 * 1024) / (valueBytes + keyBytes + 16))))

const dir = givenDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-read-latency-'))
const sides = [{ name: 'A', dist: distA }, ...(distB === null ? [] : [{ name: 'B', dist: distB }])]
for (const side of sides) side.seglog = await import(path.join(side.dist, 'index.js'))

/** Writes the log with the last build given (pre-encoded batches through appendBatch). */
async function writeLog(seglog) {
  const engine = await seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  await engine.createTopic('reads', { partitions: 1, ...(segmentBytes === undefined ? {} : { segmentBytes }) })
  const log = engine.partition('reads', 0)
  const value = Buffer.alloc(valueBytes, 7)
  const records = Array.from({ length: batchRecords }, (_, slot) => ({
    key: keyBytes > 0 ? Buffer.alloc(keyBytes, slot) : null,
    value,
    timestamp: 0,
  }))
  let next = 0
  while (log.sizeInBytes < logBytes) {
    for (let slot = 0; slot < batchRecords; slot++) records[slot].timestamp = baseTime + next + slot
    await log.appendBatch(seglog.encodeBatch(records))
    next += batchRecords
  }
  const summary = { records: log.logEndOffset, bytes: log.sizeInBytes, segments: log.segmentCount }
  await engine.close()
  return summary
}

let seed = 1
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff

function percentiles(latencies) {
  latencies.sort((x, y) => x - y)
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999) }
}

async function timeProbes(count, call) {
  const latencies = []
  for (let probe = 0; probe < count; probe++) {
    const start = performance.now()
    await call()
    latencies.push((performance.now() - start) * 1000)
  }
  return percentiles(latencies)
}

const buffer = Buffer.alloc(2 * 1024 * 1024)

async function round(side, figures) {
  const engine = await side.seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  try {
    const log = engine.partition('reads', 0)
    const end = log.logEndOffset
    const readOne = () => log.readRaw(Math.floor(random() * end), { maxBytes: 1 })
    const readInto = () => log.readRaw(Math.floor(random() * end), { maxBytes: 1, buffer })
    const lookup = () => log.offsetForTimestamp(baseTime + Math.floor(random() * end))
    // Warm-up: compiled code, loaded indexes, CRCs checked once since open (as a broker that has run a while).
    for (let probe = 0; probe < 500; probe++) {
      await readOne()
      await lookup()
    }
    const results = {
      readRaw: await timeProbes(probes, readOne),
      readRawBuffer: await timeProbes(probes, readInto),
      offsetForTimestamp: await timeProbes(probes, lookup),
    }
    for (const [name, result] of Object.entries(results)) {
      for (const [p, value] of Object.entries(result)) (figures[`${name} ${p}`] ??= []).push(value)
    }
  } finally {
    await engine.close()
  }
}

try {
  let summary
  if (givenDir === null || !fs.existsSync(path.join(dir, 'reads-0'))) summary = await writeLog(sides[sides.length - 1].seglog)
  const sizes = fs.readdirSync(path.join(dir, 'reads-0')).filter((name) => name.endsWith('.log'))
  // Read the whole log once so every round starts from the same warm page cache.
  for (const name of sizes) {
    const fd = fs.openSync(path.join(dir, 'reads-0', name), 'r')
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024)
    for (let position = 0; fs.readSync(fd, chunk, 0, chunk.length, position) > 0; position += chunk.length);
    fs.closeSync(fd)
  }
  for (const side of sides) side.figures = {}
  // One unmeasured round each, then the measured ones in alternating order.
  for (const side of sides) await round(side, {})
  for (let slot = 0; slot < rounds; slot++) {
    const order = slot % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) await round(side, side.figures)
  }
  const bytes = sizes.reduce((sum, name) => sum + fs.statSync(path.join(dir, 'reads-0', name)).size, 0)
  console.log(
    `${(bytes / 1e9).toFixed(2)} GB in ${sizes.length} segment(s)${summary ? `, ${summary.records} records` : ''}, ${batchRecords}-record batches of ${valueBytes} B values and ${keyBytes} B keys; ${rounds} rounds of ${probes} probes per figure, wall clock (µs), warm page cache`,
  )
  for (const side of sides) console.log(`${side.name} ${side.dist}`)
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]
  const cell = (values) => `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`.padStart(20)
  for (const name of Object.keys(sides[0].figures)) {
    console.log(`${name.padEnd(26)} ${sides.map((side) => `${side.name} ${cell(side.figures[name])}`).join('  ')}`)
  }
} finally {
  if (!keep && givenDir === null) fs.rmSync(dir, { recursive: true, force: true })
  else console.log(`log kept in ${dir}`)
}

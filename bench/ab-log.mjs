// Two builds of seglog side by side in one process: the same appends and reads through each,
// alternated in rounds (A B, B A, ...) so the load of a shared machine falls on both alike, and
// timed in CPU time of the process (process.cpuUsage: the thread pool's work counts too), which
// waiting for a busy CPU does not inflate. Prints per figure the median of each build and the
// median (min-max) of the per-round ratio B/A.
//
//   npm run build && cp -r dist tmp/seglog-before   (then make the change and build again)
//   node bench/ab-log.mjs --a tmp/seglog-before --b dist [--value-bytes 100] [--key-bytes 10]
//                         [--rounds 9] [--round-records 300000] [--wall] [--key-index a|b|both]
//                         [--recovery-bytes 256m] [--recovery-batch-records 1000] [--read-raw 2000]
//   --key-index   that side's topics get keyIndex: true (e.g. `--a dist --b dist --key-index b`
//                 measures what the key index costs appends)
//
// Figures (records/s or MB/s per CPU second; --wall for wall-clock time):
//   append   appendRecords of batches near 1 MiB (at most 1000 records)
//   encode   encodeBatch of the same records, no I/O
//   batch    appendBatch of one pre-encoded batch (MB/s)
//   records  batches() + records() over what the round appended
//   visitor  batches() + visitRecords over the same (A's run uses B's visitRecords if A has none)
//   single64 single-record appends from 64 concurrent appenders
//   recovery (with --recovery-bytes) opening a partition of that many bytes after an unclean
//            shutdown with a recovery point of 0, so every batch is read and CRC-checked (MB/s);
//            its batches hold --recovery-batch-records records of the round's size
//   readRaw  (with --read-raw N) N random readRaw(offset, { maxBytes: 1 }) over the batches the
//            round appended: p50 and p99 wall-clock latency in microseconds (lower is better, so
//            the ratio printed is A over B: above 1 still means B is faster); --read-raw-buffer
//            passes one reused 1 MiB buffer as readRaw's `buffer` option (a build without the
//            option ignores it and allocates per read)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { option } from './lib/options.mjs'

const distA = path.resolve(option('a', 'dist'))
const distB = path.resolve(option('b', 'dist'))
const valueBytes = Number(option('value-bytes', 100))
const keyBytes = Number(option('key-bytes', 10))
const rounds = Number(option('rounds', 9))
const roundRecords = Number(option('round-records', 300_000))
const useWall = process.argv.includes('--wall')
const recoveryBytes = byteCount(option('recovery-bytes', '0'))
const recoveryBatchRecords = Number(option('recovery-batch-records', 1000))
const readRawCount = Number(option('read-raw', 0))
const readBuffer = process.argv.includes('--read-raw-buffer') ? Buffer.alloc(1024 * 1024) : undefined

function byteCount(text) {
  const match = /^(\d+)([kmg]?)$/i.exec(text)
  if (match === null) throw new Error(`not a byte count: ${text}`)
  return Number(match[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase()]
}
const keyIndexSides = option('key-index', '')

const batchRecords = Math.max(1, Math.min(1000, Math.floor((1024 * 1024) / (valueBytes + keyBytes + 16))))
const batchesPerRound = Math.max(2, Math.floor(roundRecords / batchRecords))
const value = Buffer.alloc(valueBytes, 7)
const records = Array.from({ length: batchRecords }, (_, slot) => ({
  key: keyBytes > 0 ? Buffer.alloc(keyBytes, slot) : null,
  value,
  timestamp: 1_700_000_000_000 + slot,
}))
const clock = useWall
  ? () => performance.now()
  : () => {
      const usage = process.cpuUsage()
      return (usage.user + usage.system) / 1000
    }

async function openSide(dist, side) {
  const keyIndex = keyIndexSides === 'both' || keyIndexSides === side
  const seglog = await import(path.join(dist, 'index.js'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-ab-'))
  const engine = await seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  for (const topic of ['append', 'batch', 'single'])
    await engine.createTopic(topic, { partitions: 1, segmentBytes: 256 * 1024 * 1024, ...(keyIndex ? { keyIndex } : {}) })
  return {
    seglog,
    dir,
    engine,
    encoded: seglog.encodeBatch(records),
    figures: { append: [], encode: [], batch: [], records: [], visitor: [], single64: [], recovery: [], readRawP50: [], readRawP99: [] },
    recoveryDir: recoveryBytes > 0 ? await writeRecoveryLog(seglog, dir) : null,
  }
}

/** A data directory of one partition of about `recoveryBytes`, written once per side. */
async function writeRecoveryLog(seglog, parent) {
  const dir = path.join(parent, 'recovery')
  const engine = await seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  await engine.createTopic('r', { partitions: 1, segmentBytes: 0x7fffffff })
  const log = engine.partition('r', 0)
  const batch = seglog.encodeBatch(records.slice(0, recoveryBatchRecords))
  const batches = Array.from({ length: Math.max(1, Math.floor((1024 * 1024) / batch.length)) }, () => batch)
  const chunk = Buffer.concat(batches)
  while (log.sizeInBytes < recoveryBytes) await log.appendBatch(Buffer.from(chunk))
  await engine.close()
  return dir
}

/** Opens the side's recovery directory as after a crash: no clean-shutdown marker, recovery point 0. */
async function measureRecovery(side) {
  const dir = side.recoveryDir
  fs.rmSync(path.join(dir, '.clean-shutdown'), { force: true })
  fs.writeFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), '0\n0\n')
  const start = clock()
  const engine = await side.seglog.LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
  const seconds = (clock() - start) / 1000
  const bytes = engine.partition('r', 0).sizeInBytes
  await engine.close()
  return bytes / 1e6 / seconds
}

let seed = 1
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff

/** p50 and p99 wall-clock latency (µs) of random one-batch readRaw calls in [from, end). */
async function measureReadRaw(log, from, end) {
  const latencies = []
  for (let probe = 0; probe < readRawCount; probe++) {
    const offset = from + Math.floor(random() * (end - from))
    const start = performance.now()
    await log.readRaw(offset, { maxBytes: 1, buffer: readBuffer })
    latencies.push((performance.now() - start) * 1000)
  }
  latencies.sort((x, y) => x - y)
  return [latencies[Math.floor(latencies.length * 0.5)], latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]]
}

const a = await openSide(distA, 'a')
const b = await openSide(distB, 'b')
const visitRecords = b.seglog.visitRecords ?? a.seglog.visitRecords

async function round(side) {
  const { seglog, engine, figures } = side
  const log = engine.partition('append', 0)
  let start = clock()
  for (let batch = 0; batch < batchesPerRound; batch++) await log.appendRecords(records)
  figures.append.push((batchesPerRound * batchRecords) / ((clock() - start) / 1000))

  start = clock()
  for (let batch = 0; batch < batchesPerRound; batch++) seglog.encodeBatch(records)
  figures.encode.push((batchesPerRound * batchRecords) / ((clock() - start) / 1000))

  const batchLog = engine.partition('batch', 0)
  start = clock()
  for (let batch = 0; batch < batchesPerRound; batch++) await batchLog.appendBatch(side.encoded)
  figures.batch.push((batchesPerRound * side.encoded.length) / 1e6 / ((clock() - start) / 1000))

  const from = log.logEndOffset - batchesPerRound * batchRecords
  let count = 0
  let sink = 0
  start = clock()
  for await (const batch of log.batches({ from })) {
    for (const record of batch.records()) {
      count++
      sink += record.value.length
    }
  }
  figures.records.push(count / ((clock() - start) / 1000))
  if (visitRecords !== undefined) {
    count = 0
    start = clock()
    for await (const batch of log.batches({ from }))
      count += visitRecords(batch, (view) => {
        sink += view.valueLength
      })
    figures.visitor.push(count / ((clock() - start) / 1000))
  }

  const singleLog = engine.partition('single', 0)
  const single = [{ key: null, value, timestamp: 1_700_000_000_000 }]
  const perAppender = Math.max(10, Math.floor((batchesPerRound * batchRecords) / 50 / 64))
  start = clock()
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let append = 0; append < perAppender; append++) await singleLog.appendRecords(single)
    }),
  )
  figures.single64.push((64 * perAppender) / ((clock() - start) / 1000))
  if (side.recoveryDir !== null) figures.recovery.push(await measureRecovery(side))
  if (readRawCount > 0) {
    const [p50, p99] = await measureReadRaw(log, from, log.logEndOffset)
    figures.readRawP50.push(p50)
    figures.readRawP99.push(p99)
  }
  return sink
}

// One unmeasured round each, then the measured ones in alternating order.
await round(a)
await round(b)
for (const side of [a, b]) for (const name of Object.keys(side.figures)) side.figures[name] = []
for (let slot = 0; slot < rounds; slot++) {
  if (slot % 2 === 0) {
    await round(a)
    await round(b)
  } else {
    await round(b)
    await round(a)
  }
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]
const format = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1))
console.log(
  `A ${distA}\nB ${distB}\n${valueBytes} B values, ${keyBytes} B keys, ${batchRecords} records per batch, ${rounds} rounds of ${batchesPerRound} batches, ${useWall ? 'wall-clock' : 'CPU'} time`,
)
for (const name of Object.keys(a.figures)) {
  if (a.figures[name].length === 0) continue
  // Latencies: lower is better, so the ratio is A over B.
  const isLatency = name.startsWith('readRaw')
  const ratios = a.figures[name]
    .map((figure, slot) => (isLatency ? figure / b.figures[name][slot] : b.figures[name][slot] / figure))
    .sort((x, y) => x - y)
  console.log(
    `${name.padEnd(10)} A ${format(median(a.figures[name])).padStart(9)}  B ${format(median(b.figures[name])).padStart(9)}  B/A ${median(ratios).toFixed(2)} (${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)})`,
  )
}
for (const side of [a, b]) {
  await side.engine.close()
  fs.rmSync(side.dir, { recursive: true, force: true })
}

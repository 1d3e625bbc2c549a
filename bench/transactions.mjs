// Transactions on one partition log, flush mode 'os' (no fsync per append):
//  1. produce: transactional appends (transactions of 1, 100 and 10,000 records, 100-record batches,
//     a COMMIT marker per transaction) against the same batches from an idempotent producer;
//  2. fetch: the whole log read with readRaw (a broker's fetch) and with records() (decoded), at
//     read_uncommitted and read_committed, with 0 %, 10 % and 50 % of the transactions aborted.
// Each figure is the median of RUNS runs with min-max.
//   node bench/transactions.mjs [DIST_DIR] [--runs N] [--records N]
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
const runs = option('--runs', 5)
const totalRecords = option('--records', 20_000)
const { LogEngine } = await import(pathToFileURL(path.join(distDir, 'index.js')).href)
const VALUE = Buffer.alloc(100, 7)

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1))
  return `${fmt(sorted[Math.floor(sorted.length / 2)])} (${fmt(sorted[0])}-${fmt(sorted[sorted.length - 1])})`
}

async function withLog(run) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-txn-'))
  const engine = await LogEngine.open({ dir, flush: 'os' })
  try {
    await engine.createTopic('t', { partitions: 1, segmentBytes: 64 * 1024 * 1024 })
    return await run(engine.partition('t', 0))
  } finally {
    await engine.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Appends `totalRecords` records in 100-record batches; a marker after every `txnRecords` if transactional. */
async function produce(log, txnRecords, isTransactional, abortEvery = 0) {
  let sequence = 0
  let txn = 0
  for (let written = 0; written < totalRecords; txn++) {
    const inTxn = Math.min(txnRecords, totalRecords - written)
    for (let done = 0; done < inTxn;) {
      const count = Math.min(100, inTxn - done)
      const records = Array.from({ length: count }, () => ({ value: VALUE }))
      await log.appendRecords(records, { producerId: 1, producerEpoch: 0, baseSequence: sequence, isTransactional })
      sequence += count
      done += count
    }
    if (isTransactional) await log.writeTxnMarker(1, 0, abortEvery > 0 && txn % abortEvery === 0 ? 'abort' : 'commit', 0)
    written += inTxn
  }
}

async function timed(task) {
  const start = process.hrtime.bigint()
  const result = await task()
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result }
}

console.log(`seglog transactions bench: ${totalRecords} records of 100 bytes, ${runs} runs, dist ${distDir}`)
console.log('\nproduce (records/s, median (min-max))')
const idempotent = []
for (let run = 0; run < runs; run++)
  idempotent.push(await withLog(async (log) => totalRecords / (await timed(() => produce(log, 100, false))).seconds))
console.log(`  idempotent, 100-record batches       ${summary(idempotent)}`)
for (const txnRecords of [1, 100, 10_000]) {
  const rates = []
  for (let run = 0; run < runs; run++)
    rates.push(await withLog(async (log) => totalRecords / (await timed(() => produce(log, txnRecords, true))).seconds))
  console.log(`  transactional, ${String(txnRecords).padEnd(6)} records per txn ${summary(rates)}`)
}

console.log('\nfetch of the whole log (records/s, median (min-max)); transactions of 1,000 records')
for (const abortedPercent of [0, 10, 50]) {
  const abortEvery = abortedPercent === 0 ? 0 : Math.round(100 / abortedPercent)
  await withLog(async (log) => {
    await produce(log, 1000, true, abortEvery)
    for (const isolation of ['read_uncommitted', 'read_committed']) {
      const raw = []
      const decoded = []
      for (let run = 0; run < runs; run++) {
        raw.push(
          totalRecords /
            (
              await timed(async () => {
                for (let offset = 0; ;) {
                  const read = await log.readRaw(offset, { isolation })
                  if (read.bytes.length === 0) break
                  offset = read.nextOffset
                }
              })
            ).seconds,
        )
        decoded.push(
          totalRecords /
            (
              await timed(async () => {
                let count = 0
                for await (const record of log.records({ from: 0, isolation })) count += record.value.length > 0 ? 1 : 0
                return count
              })
            ).seconds,
        )
      }
      console.log(
        `  ${String(abortedPercent).padStart(2)} % aborted, ${isolation.padEnd(16)} readRaw ${summary(raw)}  records() ${summary(decoded)}`,
      )
    }
  })
}

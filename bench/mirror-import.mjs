// Throughput of `seglog mirror` to a `seglog serve` on loopback, and the time `seglog import` takes
// per GiB of segments, copying and hard-linking.
//
//   npm run build && node bench/mirror-import.mjs [--records 200000] [--import-mib 256] [--runs 5] [--base DIR] [--no-import]
//
// --base DIR (a build of an earlier version, e.g. a copy of dist/ made before a change) times its mirror too, run for
// run alternating with this one, so both see the same machine load.
//
// Mirror: a source directory with --records records of 100 bytes (seeded, text-like, keys of 8
// bytes) on a 4-partition topic and no consumer group (setting a group's offsets through KafkaJS
// joins the group, a few seconds of its own per group, whatever the data); each run mirrors a
// fresh copy of it (the progress lives in the source) to a fresh `seglog serve` child process,
// timed as the whole command (start-up, connecting, topic creation). Import: a Kafka-style log
// directory of --import-mib MiB (4 partitions of 64 MiB segments, no topics.json) imported whole,
// with and without --link. Prints medians of --runs runs with min-max.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServe } from './lib/serve.mjs'
import { option } from './lib/options.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = path.join(root, 'dist/cli/main.js')
const baseAt = process.argv.indexOf('--base')
const baseCli = baseAt < 0 ? null : path.join(path.resolve(process.argv[baseAt + 1]), 'cli/main.js')
const withImport = !process.argv.includes('--no-import')
if (!fs.existsSync(cli)) {
  console.error(`${cli} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const { LogEngine } = await import(path.join(root, 'dist/index.js'))
const { seededRandom } = await import(path.join(root, 'dist/seeded-random.js'))

const numberOption = (name, fallback) => Number(option(name, fallback))
const RECORDS = numberOption('records', 200_000)
const IMPORT_MIB = numberOption('import-mib', 256)
const RUNS = numberOption('runs', 5)
const VALUE_BYTES = 100
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-mirror-'))

function text(random, size) {
  const bytes = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) bytes[i] = 97 + Math.floor(random() * 26)
  return bytes
}

async function writeSource(dir, records, segmentBytes) {
  const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
  await engine.createTopic('events', { partitions: 4, segmentBytes })
  const random = seededRandom(42)
  for (let partition = 0; partition < 4; partition++) {
    const log = engine.partition('events', partition)
    for (let from = 0; from < records / 4; from += 1000) {
      const batch = []
      for (let n = 0; n < 1000; n++)
        batch.push({ key: text(random, 8), value: text(random, VALUE_BYTES), timestamp: 1_700_000_000_000 + from + n })
      await log.appendRecords(batch)
    }
  }
  await engine.close()
}

const serve = (dir) => startServe(cli, dir, ['--override', 'group.initial.rebalance.delay.ms=0'])

function timed(args, program = cli) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8' })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (result.status !== 0) throw new Error(`seglog ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return seconds
}

function summary(values, format) {
  const sorted = [...values].sort((a, b) => a - b)
  return `${format(sorted[Math.floor(sorted.length / 2)])} (${format(sorted[0])}-${format(sorted[sorted.length - 1])})`
}

function dirBytes(dir) {
  let total = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.log')) total += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).size
  }
  return total
}

try {
  // Mirror.
  const source = path.join(work, 'source')
  await writeSource(source, RECORDS, 1 << 30)
  const payloadBytes = RECORDS * (8 + VALUE_BYTES)
  const mirrorSeconds = []
  const baseSeconds = []
  for (let run = 0; run < RUNS; run++) {
    for (const [program, seconds] of baseCli === null
      ? [[cli, mirrorSeconds]]
      : [
          [baseCli, baseSeconds],
          [cli, mirrorSeconds],
        ]) {
      const copy = path.join(work, `source-${run}`)
      fs.cpSync(source, copy, { recursive: true })
      const { child, port } = await serve(path.join(work, `dest-${run}`))
      try {
        seconds.push(timed(['mirror', copy, '--to', `127.0.0.1:${port}`], program))
      } finally {
        child.kill('SIGTERM')
        await new Promise((done) => child.on('close', done))
        fs.rmSync(copy, { recursive: true, force: true })
        fs.rmSync(path.join(work, `dest-${run}`), { recursive: true, force: true })
      }
    }
  }

  // Import: a Kafka log directory is the partition directories alone.
  const kafkaDir = path.join(work, 'kafka-logs')
  const importRecords = Math.floor((IMPORT_MIB * 1024 * 1024) / (VALUE_BYTES + 8 + 12))
  if (withImport) await writeSource(kafkaDir, importRecords, 64 << 20)
  for (const name of withImport ? fs.readdirSync(kafkaDir) : [])
    if (!/^events-\d+$/.test(name)) fs.rmSync(path.join(kafkaDir, name), { recursive: true, force: true })
  const importBytes = withImport ? dirBytes(kafkaDir) : 0
  const importSeconds = { copy: [], link: [] }
  for (let run = 0; run < (withImport ? RUNS : 0); run++) {
    for (const mode of ['copy', 'link']) {
      const dest = path.join(work, `imported-${mode}-${run}`)
      importSeconds[mode].push(timed(['import', ...(mode === 'link' ? ['--link'] : []), kafkaDir, dest]))
      fs.rmSync(dest, { recursive: true, force: true })
    }
  }

  const mib = (bytes) => bytes / (1024 * 1024)
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, load ${os.loadavg()[0].toFixed(1)}; node ${process.version}; ${RUNS} runs`,
  )
  console.log(`mirror to seglog serve on loopback, ${RECORDS} records of ${VALUE_BYTES} B (+8 B keys), 4 partitions, no group:`)
  console.log(
    `  records/s  ${summary(
      mirrorSeconds.map((s) => RECORDS / s),
      (v) => Math.round(v).toString(),
    )}`,
  )
  console.log(
    `  MB/s       ${summary(
      mirrorSeconds.map((s) => mib(payloadBytes) / s),
      (v) => v.toFixed(1),
    )}`,
  )
  console.log(`  seconds    ${summary(mirrorSeconds, (v) => v.toFixed(2))}`)
  if (baseCli !== null) {
    console.log(
      `  base build ${baseCli}: records/s ${summary(
        baseSeconds.map((s) => RECORDS / s),
        (v) => Math.round(v).toString(),
      )}`,
    )
    console.log(
      `  ratio this/base (time per run, paired): ${summary(
        mirrorSeconds.map((s, run) => baseSeconds[run] / s),
        (v) => v.toFixed(2),
      )}`,
    )
  }
  if (withImport) console.log(`import of ${mib(importBytes).toFixed(0)} MiB of segments (${importRecords} records), seconds per GiB:`)
  for (const mode of withImport ? ['copy', 'link'] : []) {
    console.log(
      `  ${mode.padEnd(5)}  ${summary(
        importSeconds[mode].map((s) => (s * 1024) / mib(importBytes)),
        (v) => v.toFixed(2),
      )}  (whole run ${summary(importSeconds[mode], (v) => v.toFixed(2))} s)`,
    )
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}

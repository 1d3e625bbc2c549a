// How long LogEngine.open takes when the consumer-offset store holds 10,000 groups x 100
// partitions = 1,000,000 committed offsets (the store replays its whole log on open).
//
//   npm run build && node bench/offset-store-open.mjs [--groups 10000] [--partitions 100] [--dir DIR]
//
// Builds the store with one commitMany per group (flush 'os'), closes the engine, then times:
//   - a clean reopen (the offsets log is replayed: every batch decoded, the last value per key kept);
//   - an unclean reopen of a copy taken before the close (the offsets log is also CRC-checked by
//     recovery from its recovery point), as after kill -9;
//   - compact() of the 1 M offsets, and a clean reopen after it.
// Plain ESM importing the BUILT engine (dist/index.js). Prints figures; asserts only correctness.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { option } from './lib/options.mjs'

const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url))
if (!fs.existsSync(distIndex)) {
  console.error(`${distIndex} is missing: run \`npm run build\` first`)
  process.exit(1)
}
const { LogEngine, OFFSETS_TOPIC } = await import(distIndex)

const GROUPS = Number(option('groups', 10_000))
const PARTITIONS = Number(option('partitions', 100))
const RECORDS_PER_PARTITION = 1_000
const root = path.resolve(option('dir', null) ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-offsets-')))
const dir = path.join(root, 'data')
const crashCopy = path.join(root, 'crash-copy')
const quiet = { onWarning: () => {} }

function offsetFor(group, partition) {
  return (group * 7 + partition * 13) % (RECORDS_PER_PARTITION + 1)
}

function mib(bytes) {
  return (bytes / 1024 / 1024).toFixed(1)
}

async function timedOpen(target, label) {
  global.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const started = performance.now()
  const engine = await LogEngine.open({ dir: target, flush: 'os', ...quiet })
  const ms = performance.now() - started
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
  const store = engine.offsets
  assert.equal(store.size, GROUPS * PARTITIONS)
  for (let check = 0; check < 1000; check++) {
    const group = Math.floor(Math.random() * GROUPS)
    const partition = Math.floor(Math.random() * PARTITIONS)
    assert.equal(store.fetch(`group-${group}`, 'orders', partition)?.offset, offsetFor(group, partition))
  }
  const log = engine.partition(OFFSETS_TOPIC, 0)
  console.log(
    `${label}: ${ms.toFixed(0)} ms (${((GROUPS * PARTITIONS) / (ms / 1000) / 1e6).toFixed(2)} M offsets/s; heap +${heapMiB.toFixed(0)} MiB; offsets log ${log.logEndOffset - log.logStartOffset} records, ${mib(log.sizeInBytes)} MiB, ${log.segmentCount} segment(s); clean=${engine.wasCleanShutdown})`,
  )
  return engine
}

console.log(
  `offset store open: ${GROUPS} groups x ${PARTITIONS} partitions = ${(GROUPS * PARTITIONS).toLocaleString('en-US')} offsets, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`,
)
console.log(`data dir ${dir}`)

{
  const started = performance.now()
  const engine = await LogEngine.open({ dir, flush: 'os', ...quiet })
  await engine.createTopic('orders', { partitions: PARTITIONS })
  for (let partition = 0; partition < PARTITIONS; partition++) {
    await engine
      .partition('orders', partition)
      .appendRecords(Array.from({ length: RECORDS_PER_PARTITION }, () => ({ key: null, value: null, timestamp: 0 })))
  }
  const store = engine.offsets
  for (let group = 0; group < GROUPS; group++) {
    const entries = new Array(PARTITIONS)
    for (let partition = 0; partition < PARTITIONS; partition++)
      entries[partition] = { topic: 'orders', partition, offset: offsetFor(group, partition) }
    await store.commitMany(`group-${group}`, entries)
  }
  const buildMs = performance.now() - started
  const log = engine.partition(OFFSETS_TOPIC, 0)
  console.log(
    `build: ${(buildMs / 1000).toFixed(1)} s for ${GROUPS} commitMany calls (${((GROUPS * PARTITIONS) / (buildMs / 1000) / 1e6).toFixed(2)} M offsets/s); offsets log ${mib(log.sizeInBytes)} MiB, compactions ${store.compactions}`,
  )
  // The copy taken before close() is what a kill -9 right now would leave (the page cache survives).
  fs.cpSync(dir, crashCopy, { recursive: true })
  await engine.close()
}

{
  const engine = await timedOpen(dir, 'clean reopen')
  await engine.close()
}
{
  const engine = await timedOpen(crashCopy, 'unclean reopen (copy taken before close)')
  await engine.close()
  fs.rmSync(crashCopy, { recursive: true, force: true })
}
{
  const engine = await LogEngine.open({ dir, flush: 'os', ...quiet })
  const started = performance.now()
  await engine.offsets.compact()
  console.log(`compact(): ${(performance.now() - started).toFixed(0)} ms`)
  await engine.close()
  const again = await timedOpen(dir, 'clean reopen after compaction')
  await again.close()
}

if (option('dir', null) === null) fs.rmSync(root, { recursive: true, force: true })

// A child process for the compaction crash test (compaction.crash.test.ts). Plain ESM JavaScript
// that imports the BUILT engine (dist/index.js).
//
// Usage: node compaction-child.mjs '<json config>'. Config: { dir, killAt }. It writes the
// workload of `workload()` below to topic kv (compacted, small segments), fsyncs it, then runs one
// cleaning pass. Every rename the pass makes (.cleaned -> .swap, old segments -> .deleted,
// .swap -> final name, the checkpoint's temp file -> its name) is a step; with killAt = k the
// process SIGKILLs itself just before the k-th. With killAt null it runs through and reports
// { t: 'steps', count }, then { t: 'done' }.
import fs from 'node:fs'

const { LogEngine } = await import(new URL('../../../dist/index.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

let counting = false
let steps = 0
const renameSync = fs.renameSync
fs.renameSync = function (...args) {
  if (counting) {
    steps++
    if (steps === cfg.killAt) process.kill(process.pid, 'SIGKILL')
  }
  return renameSync.apply(this, args)
}

/** The same records the parent's model expects: 400 updates of 12 keys, every 7th a tombstone, and
 * 16 keys written once. */
export function workload() {
  return Array.from({ length: 400 }, (_, slot) => ({
    // Every 25th key is written once, so losing any segment loses a live key.
    key: slot % 25 === 0 ? `u${slot}` : `k${(slot * 7) % 12}`,
    value: slot % 7 === 3 ? null : `v${slot}`,
    timestamp: 1_700_000_000_000 + slot,
  }))
}

try {
  const engine = await LogEngine.open({ dir: cfg.dir, flush: 'os', tickMs: 60_000, cleaner: { enabled: false }, onWarning: () => {} })
  await engine.createTopic('kv', { partitions: 1, cleanupPolicy: 'compact', segmentBytes: 1500 })
  const log = engine.partition('kv', 0)
  const records = workload()
  for (let at = 0; at < records.length; at += 4) {
    const batch = records.slice(at, at + 4).map((record) => ({
      key: Buffer.from(record.key),
      value: record.value === null ? null : Buffer.from(record.value),
      timestamp: record.timestamp,
    }))
    await log.appendRecords(batch, { compression: at % 8 === 0 ? 'gzip' : 'none' })
  }
  await engine.flush()
  counting = true
  await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
  counting = false
  send({ t: 'steps', count: steps })
  send({ t: 'done' })
  await new Promise(() => {})
} catch (error) {
  send({ t: 'fatal', message: error instanceof Error ? error.stack : String(error) })
  process.exit(1)
}

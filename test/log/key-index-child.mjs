// A keyed writer for key-index.crash.test.ts. Plain ESM importing the BUILT engine (dist/).
// Appends keyed records to topic `t` (keyIndex: true, small segments), so the index grows with the
// appends and `.keyindex` files are written at each roll when the parent's SIGKILL lands; with
// `lookups` it also looks keys up between appends.
// Usage: node key-index-child.mjs '<json {dir, seed, lookups}>'; forked with an IPC channel; sends
// { t: 'ready' } once the engine is open.
const { LogEngine } = await import(new URL('../../dist/engine/log-engine.js', import.meta.url).href)
const { seededRandom } = await import(new URL('../../dist/seeded-random.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2])
const random = seededRandom(cfg.seed)
const engine = await LogEngine.open({ dir: cfg.dir, flush: { mode: 'os' }, onWarning: () => {} })
if (!engine.hasTopic('t')) await engine.createTopic('t', { partitions: 1, segmentBytes: 2048, keyIndex: true })
const log = engine.partition('t', 0)
process.send({ t: 'ready' })
for (let batch = 0; ; batch++) {
  const records = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
    key: Buffer.from(`k-${Math.floor(random() * 12)}`),
    value: Buffer.from(`v${batch}`),
  }))
  await log.appendRecords(records)
  if (cfg.lookups && batch % 5 === 0) await log.lookupKey(Buffer.from(`k-${Math.floor(random() * 12)}`))
}

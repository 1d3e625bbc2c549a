// A child process for the delayed-delivery crash test (delayed-delivery.crash.test.ts). Plain ESM
// JavaScript importing the BUILT engine (dist/index.js).
//
// Usage: node delay-child.mjs '<json config>'. It opens the directory (flush 'os'), makes sure
// topic t (3 partitions) exists, and sends `count` records with ids `<cycle>:<i>` in sends of 1-20,
// each delayed by 0-`spreadMs` ms, reporting each acknowledged send on stdout as one JSON line
// { t: 'ack', ids }; the scheduler delivers due records meanwhile. The parent SIGKILLs it at a
// random moment after it reported { t: 'ready' }.
const { LogEngine } = await import(new URL('../../dist/index.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')
let seed = cfg.seed >>> 0
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

try {
  const engine = await LogEngine.open({ dir: cfg.dir, flush: 'os', onWarning: () => undefined })
  if (!engine.hasTopic('t')) await engine.createTopic('t', { partitions: 3 })
  const producer = engine.producer({ lingerMs: 0 })
  process.stdout.write(JSON.stringify({ t: 'ready' }) + '\n')
  let sent = 0
  while (sent < cfg.count) {
    const size = Math.min(cfg.count - sent, 1 + Math.floor(random() * 20))
    const records = []
    for (let i = 0; i < size; i++) {
      const id = `${cfg.cycle}:${sent + i}`
      records.push({ key: `k${(sent + i) % 11}`, value: id, deliverAt: Date.now() + Math.floor(random() * cfg.spreadMs) })
    }
    await producer.send('t', records)
    process.stdout.write(JSON.stringify({ t: 'ack', ids: records.map((r) => r.value) }) + '\n')
    sent += size
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 5)))
  }
  process.stdout.write(JSON.stringify({ t: 'sent' }) + '\n')
  await new Promise(() => undefined)
} catch (error) {
  process.stdout.write(JSON.stringify({ t: 'fatal', message: String(error?.stack ?? error) }) + '\n')
  process.exit(1)
}

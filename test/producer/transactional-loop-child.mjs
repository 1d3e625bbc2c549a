// A consume-transform-produce loop for test/producer/transactional-loop.crash.test.ts. Plain ESM
// JavaScript importing a BUILT engine (config.dist, normally dist/index.js).
//
// Usage: node transactional-loop-child.mjs '<json config>'
// Config: dir (topics `in` and `out` exist there), seed, dist (path of the built index.js).
// Each transaction reads a few records of one `in` partition from the group's committed offset,
// sends `p:offset` for each to random `out` partitions, commits the offsets with sendOffsets and
// commits (now and then it aborts instead). Messages (one JSON object a line on stdout):
//   { t: 'committing' }  just before commitTransaction (the parent kills around these)
//   { t: 'done' }        every input record is consumed
//   { t: 'fatal', message }
import { pathToFileURL } from 'node:url'

const cfg = JSON.parse(process.argv[2] ?? '{}')
const { LogEngine, openTransactionalProducer } = await import(pathToFileURL(cfg.dist).href)

const say = (message) => process.stdout.write(JSON.stringify(message) + '\n')

let state = cfg.seed >>> 0 || 1
function random() {
  state ^= state << 13
  state ^= state >>> 17
  state ^= state << 5
  return (state >>> 0) / 0x100000000
}

try {
  const engine = await LogEngine.open({ dir: cfg.dir, flush: 'sync', onWarning: () => {} })
  const producer = await openTransactionalProducer(engine, { transactionalId: 'loop' })
  const inputs = engine.partitions('in')
  const outputs = engine.partitions('out').length
  for (;;) {
    const open = inputs.filter((log) => (engine.offsets.fetch('loop-group', 'in', log.partition)?.offset ?? 0) < log.logEndOffset)
    if (open.length === 0) break
    const log = open[Math.floor(random() * open.length)]
    const from = engine.offsets.fetch('loop-group', 'in', log.partition)?.offset ?? 0
    const count = 1 + Math.floor(random() * 5)
    const records = []
    for await (const record of log.records({ from, to: Math.min(log.logEndOffset, from + count) })) records.push(record)
    producer.beginTransaction()
    for (const record of records)
      await producer.send('out', [{ value: `${log.partition}:${record.offset}`, partition: Math.floor(random() * outputs) }])
    const next = records[records.length - 1].offset + 1
    await producer.sendOffsets('loop-group', [{ topic: 'in', partition: log.partition, offset: next }])
    if (random() < 0.15) {
      await producer.abortTransaction()
      continue
    }
    say({ t: 'committing' })
    await producer.commitTransaction()
  }
  say({ t: 'done' })
  await engine.close()
} catch (error) {
  say({ t: 'fatal', message: error.stack })
  process.exitCode = 3
}

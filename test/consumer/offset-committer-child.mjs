// A committer process for test/consumer/offset-store.crash.test.ts (docs/testing.md T12: the kill -9
// loop of T1 applied to the consumer-offset store). Plain ESM JavaScript importing the BUILT engine (dist/index.js).
//
// Usage: node offset-committer-child.mjs '<json config>'; the parent forks it with an IPC channel.
//
// Config (set by the parent):
//   dir            data directory; topic `topic` already exists there with enough records
//   topic          the topic whose offsets are committed
//   groups         number of groups (g0, g1, ...)
//   partitions     partitions of `topic` to commit for
//   seed           seeds every random choice
//   workers        commits in flight at once
//   compactMinBytes, compactMinRatio   offset store options (tiny, so compaction runs often)
//   attemptsFile   every commit is appended here (writeSync) BEFORE it is issued: the parent's
//                  bound for "never greater than anything attempted" survives the kill
//   killAt         null (the parent kills at a random moment) or { compaction, phase }: the child
//                  SIGKILLs itself in its `compaction`-th compaction at `phase`, one of
//                  'before-roll' | 'after-roll' | 'after-append' | 'after-flush' | 'after-delete'
//
// Messages to the parent:
//   { t: 'ready', compactions }               engine open, commits about to start
//   { t: 'ack', entries: [[key, offset]...] } sent only after the commit's promise resolved
//   { t: 'compaction', phase, count }         progress of a compaction (count = compactions so far)
//   { t: 'fatal', message }
import fs from 'node:fs'

const { LogEngine, OFFSETS_TOPIC, PartitionLog } = await import(new URL('../../dist/index.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')

function send(message) {
  if (process.send) process.send(message)
}

function fatal(message) {
  send({ t: 'fatal', message })
  setTimeout(() => process.exit(3), 50)
}

// The project's one seeded generator (src/seeded-random.ts), built.
const { seededRandom: prng } = await import(new URL('../../dist/seeded-random.js', import.meta.url).href)

const random = prng(cfg.seed)
const attempts = fs.openSync(cfg.attemptsFile, 'a')

let engine
try {
  engine = await LogEngine.open({
    dir: cfg.dir,
    flush: 'sync',
    offsetStore: { compactMinBytes: cfg.compactMinBytes, compactMinRatio: cfg.compactMinRatio },
    onWarning: () => {},
  })
} catch (error) {
  fatal(`open failed: ${error.stack}`)
  await new Promise(() => {})
}

const store = engine.offsets
const logEnds = engine.partitions(cfg.topic).map((log) => log.logEndOffset)

// Follow the compaction through the offsets log's methods (only compaction calls rollNow), and die
// at the requested point of the requested compaction. The engine hands out a view of that log that
// refuses writes, while the store calls the log itself: the wrappers go on the class, for that
// topic only.
let compactionNumber = 0
let inCompaction = false
function at(phase) {
  send({ t: 'compaction', phase, count: compactionNumber })
  if (cfg.killAt !== null && cfg.killAt.compaction === compactionNumber && cfg.killAt.phase === phase) process.kill(process.pid, 'SIGKILL')
}
function wrapOffsetsLog(method, around) {
  const original = PartitionLog.prototype[method]
  PartitionLog.prototype[method] = function (...args) {
    return this.topic === OFFSETS_TOPIC ? around(() => original.apply(this, args)) : original.apply(this, args)
  }
}
wrapOffsetsLog('rollNow', async (call) => {
  compactionNumber++
  inCompaction = true
  at('before-roll')
  await call()
  at('after-roll')
})
wrapOffsetsLog('appendRecords', async (call) => {
  const info = await call()
  if (inCompaction) at('after-append')
  return info
})
wrapOffsetsLog('flush', async (call) => {
  await call()
  if (inCompaction) at('after-flush')
})
wrapOffsetsLog('deleteRecordsBefore', async (call) => {
  const start = await call()
  inCompaction = false
  at('after-delete')
  return start
})

/** Next offset to commit per key: one past the stored value, so a restart keeps climbing. */
const next = new Map()
for (let group = 0; group < cfg.groups; group++) {
  for (let partition = 0; partition < cfg.partitions; partition++) {
    next.set(`g${group}/${partition}`, (store.fetch(`g${group}`, cfg.topic, partition)?.offset ?? 0) + 1)
  }
}

/** Reserves the next offsets for some keys of one group and records the attempt before issuing it. */
function plan(group, partitions) {
  const entries = []
  for (const partition of partitions) {
    const key = `g${group}/${partition}`
    const offset = next.get(key)
    if (offset > logEnds[partition]) continue
    next.set(key, offset + 1 + Math.floor(random() * 3))
    entries.push({ key, partition, offset })
  }
  if (entries.length > 0) fs.writeSync(attempts, entries.map((entry) => `${entry.key} ${entry.offset}\n`).join(''))
  return entries
}

async function worker() {
  for (;;) {
    const group = Math.floor(random() * cfg.groups)
    const many = random() < 0.3
    const partitions = many ? Array.from({ length: cfg.partitions }, (_, partition) => partition) : [Math.floor(random() * cfg.partitions)]
    const entries = plan(group, partitions)
    if (entries.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      continue
    }
    if (many)
      await store.commitMany(
        `g${group}`,
        entries.map((entry) => ({ topic: cfg.topic, partition: entry.partition, offset: entry.offset })),
      )
    else await store.commit(`g${group}`, cfg.topic, entries[0].partition, entries[0].offset)
    send({ t: 'ack', entries: entries.map((entry) => [entry.key, entry.offset]) })
  }
}

send({ t: 'ready', compactions: store.compactions })
const workers = []
for (let slot = 0; slot < cfg.workers; slot++) workers.push(worker())
Promise.all(workers).catch((error) => fatal(`commit failed: ${error.stack}`))

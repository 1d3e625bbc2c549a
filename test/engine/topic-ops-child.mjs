// A child process for the topic crash tests (topic-ops.crash.test.ts). Plain ESM JavaScript that
// imports the BUILT engine (dist/index.js), so it runs without a TypeScript loader.
//
// Usage: node topic-ops-child.mjs '<json config>'; the parent reads one JSON line per message on
// stdout and SIGKILLs this process, or this process SIGKILLs itself.
//
// Config:
//   dir        data directory
//   scenario   'recreate': topic t gets 100 records, its log start moves to 50 and everything is
//                flushed (so both checkpoints name t); then t is deleted, created again and given
//                20 records, each acknowledged under flush 'sync'; then 'done' and wait to be killed.
//              'delete': topics t (2 partitions) and keep get 20 records each; then deleteTopic('t').
//              'create': topic t (2 partitions) is made, filled, trimmed and deleted as in
//                'recreate'; then createTopic('t', 2 partitions).
//   killAt     for 'delete' and 'create': SIGKILL this process just before the killAt-th step of
//              the operation (1-based), or null to run it through and report how many steps it took.
//
// A step is a call that changes the directory tree or replaces a file: mkdir, open for writing,
// rename, rm/unlink, writeFile (sync or callback form, as fs's methods are looked up when called).
//
// Messages: { t: 'ack', offset }, { t: 'steps', count }, { t: 'done' }, { t: 'fatal', message }.
import fs from 'node:fs'

const { LogEngine } = await import(new URL('../../dist/index.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')
const T = 1_700_000_000_000

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

let counting = false
let steps = 0
const WRITE_FLAGS = /[wa+]/
function step() {
  if (!counting) return
  steps++
  if (steps === cfg.killAt) process.kill(process.pid, 'SIGKILL')
}
function countCalls(name, isStep = () => true) {
  const original = fs[name]
  fs[name] = function (...args) {
    if (isStep(...args)) step()
    return original.apply(this, args)
  }
}
for (const name of ['mkdirSync', 'mkdir', 'renameSync', 'rename', 'rmSync', 'rm', 'unlinkSync', 'unlink', 'rmdirSync', 'writeFileSync'])
  countCalls(name)
for (const name of ['openSync', 'open']) countCalls(name, (_file, flags) => typeof flags === 'string' && WRITE_FLAGS.test(flags))

async function fill(log, count, tag) {
  for (let at = 0; at < count; at += 10) {
    const records = Array.from({ length: Math.min(10, count - at) }, (_, slot) => ({
      value: Buffer.from(`${tag}-${at + slot}`),
      timestamp: T + at + slot,
    }))
    await log.appendRecords(records)
  }
}

/** t with 100 records, log start 50, everything flushed: both checkpoints name t. Then t is deleted. */
async function churn(engine, partitions) {
  await engine.createTopic('t', { partitions })
  for (const log of engine.partitions('t'))
    await log.appendRecords(Array.from({ length: 100 }, (_, slot) => ({ value: Buffer.from(`old-${slot}`), timestamp: T + slot })))
  for (let partition = 0; partition < partitions; partition++) await engine.deleteRecordsBefore('t', partition, 50)
  await engine.flush()
  await engine.deleteTopic('t')
}

try {
  // No background checkpoint during the run: only what the topic operations write themselves.
  // Only 'recreate' acknowledges under 'sync'; the others fsync what they need themselves.
  const flush = cfg.scenario === 'recreate' ? 'sync' : 'os'
  const engine = await LogEngine.open({ dir: cfg.dir, flush, checkpointIntervalMs: 3_600_000, onWarning: () => {} })
  if (cfg.scenario === 'recreate') {
    await churn(engine, 1)
    await engine.createTopic('t')
    const log = engine.partition('t', 0)
    for (let slot = 0; slot < 20; slot++) {
      const info = await log.appendRecords([{ value: Buffer.from(`new-${slot}`), timestamp: T + slot }])
      send({ t: 'ack', offset: info.baseOffset })
    }
  } else if (cfg.scenario === 'delete') {
    await engine.createTopic('t', { partitions: 2 })
    await engine.createTopic('keep')
    for (const log of engine.partitions('t')) await fill(log, 20, `t${log.partition}`)
    await fill(engine.partition('keep', 0), 20, 'keep')
    counting = true
    await engine.deleteTopic('t')
    counting = false
  } else if (cfg.scenario === 'create') {
    await engine.createTopic('keep')
    await fill(engine.partition('keep', 0), 20, 'keep')
    await churn(engine, 2)
    counting = true
    await engine.createTopic('t', { partitions: 2 })
    counting = false
  } else {
    throw new Error(`unknown scenario ${cfg.scenario}`)
  }
  send({ t: 'steps', count: steps })
  send({ t: 'done' })
  setInterval(() => {}, 60_000)
} catch (error) {
  send({ t: 'fatal', message: String(error?.stack ?? error) })
  process.exitCode = 3
}

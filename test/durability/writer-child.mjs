// A writer process for the crash tests (docs/testing.md T1 and T2).
// Plain ESM JavaScript that imports the BUILT engine (dist/), so it runs without a TypeScript loader.
//
// Usage: node writer-child.mjs '<json config>'; the parent forks it with an IPC channel.
//
// Config (all set by the parent):
//   dir            data directory (the topic must already exist there)
//   topic          topic name (partition 0 is written)
//   mode           'sync' | 'os' | 'interval'
//   seed           seeds every random choice (sizes, codecs, bodies)
//   cycle          written into every value, so a value from an earlier cycle is recognisable
//   startSeq       the log end the parent verified; the child checks the engine agrees
//   concurrency    appends in flight at once
//   flushEvery     call flush() every N acknowledged appends (0: never)
//   snapshots      also report the .log file sizes at each flush() call (power-loss harness)
//   scenario       'write' (default) or 'fsync-fault' (see runFsyncFault)
//
// Messages to the parent (each sent only after the engine's promise resolved):
//   { t: 'ready', logEnd }
//   { t: 'ack', mode, base, hashes: [hex sha256 of each record body] }
//   { t: 'flushing', id, upTo, sizes }      (snapshots only) sizes of the .log files at the call
//   { t: 'flushed', id, upTo }              everything below upTo is fsynced
//   { t: 'fatal', message }                 something the parent must report as a failure
//
// Value layout (52-byte header, then the body); the parent checks it without the engine's CRC:
//   0  'SGLV'   magic
//   4  uint32   cycle
//   8  float64  seq (== the offset the record must get)
//   16 uint32   body length
//   20 32 bytes sha256(body)
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const { LogEngine } = await import(new URL('../../dist/engine/log-engine.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')
const HEADER_BYTES = 52

function send(message) {
  if (process.send) process.send(message)
  else process.stdout.write(JSON.stringify(message) + '\n')
}

function fatal(message) {
  send({ t: 'fatal', message })
  // Give the IPC message a moment to leave, then stop with a distinct code.
  setTimeout(() => process.exit(3), 50)
}

// The project's one seeded generator (src/seeded-random.ts), built.
const { seededRandom: prng } = await import(new URL('../../dist/seeded-random.js', import.meta.url).href)

const random = prng(cfg.seed ?? 1)

/** 1 MiB of seeded noise that bodies are cut from (random bytes compress badly, as they should). */
const POOL_BYTES = 1024 * 1024
const pool = Buffer.allocUnsafe(POOL_BYTES + 65536)
for (let at = 0; at < pool.length; at += 4) pool.writeUInt32LE((random() * 0x100000000) >>> 0, at)

/** A log-uniform size in [1, max]: many small values, some large ones. */
function logUniform(max) {
  return Math.max(1, Math.min(max, Math.floor(Math.exp(random() * Math.log(max + 1)))))
}

function makeValue(cycle, seq) {
  const length = logUniform(64 * 1024)
  let body
  if (random() < 0.5) {
    const start = Math.floor(random() * POOL_BYTES)
    body = pool.subarray(start, start + length)
  } else {
    // Compressible: a short seeded pattern repeated.
    body = Buffer.alloc(length, `seq ${seq} cycle ${cycle} `)
  }
  const hash = createHash('sha256').update(body).digest()
  const value = Buffer.allocUnsafe(HEADER_BYTES + length)
  value.write('SGLV', 0, 'latin1')
  value.writeUInt32BE(cycle, 4)
  value.writeDoubleBE(seq, 8)
  value.writeUInt32BE(length, 16)
  hash.copy(value, 20)
  body.copy(value, HEADER_BYTES)
  return { value, hash: hash.toString('hex') }
}

function pickCompression() {
  const roll = random()
  if (roll < 0.5) return 'none'
  if (roll < 0.8) return 'lz4'
  return 'gzip'
}

function logFileSizes(dir) {
  const sizes = {}
  for (const name of fs.readdirSync(dir)) {
    if (/^\d{20}\.log$/.test(name)) sizes[name] = fs.statSync(path.join(dir, name)).size
  }
  return sizes
}

function flushOption(mode) {
  if (mode === 'interval') return { mode: 'interval', ms: cfg.intervalMs ?? 25, messages: cfg.intervalMessages ?? 300 }
  return mode
}

async function runWriter() {
  const engine = await LogEngine.open({
    dir: cfg.dir,
    flush: flushOption(cfg.mode),
    tickMs: 10,
    // Checkpoints often, so kills land between them and power-loss cuts must respect them.
    checkpointIntervalMs: cfg.checkpointIntervalMs ?? 50,
    retentionCheckIntervalMs: 24 * 60 * 60 * 1000,
    onWarning: () => {},
  })
  const log = engine.partition(cfg.topic, 0)
  if (log.logEndOffset !== cfg.startSeq) {
    fatal(`the reopened log ends at ${log.logEndOffset} but the parent verified ${cfg.startSeq}`)
    return
  }
  send({ t: 'ready', logEnd: log.logEndOffset })
  let seq = cfg.startSeq
  let appends = 0
  let flushId = 0
  const partitionDir = log.dir

  async function flushNow() {
    const id = ++flushId
    const upTo = log.logEndOffset
    if (cfg.snapshots) send({ t: 'flushing', id, upTo, sizes: logFileSizes(partitionDir) })
    await (random() < 0.5 ? engine.flush() : log.flush())
    send({ t: 'flushed', id, upTo })
  }

  async function worker() {
    for (;;) {
      const count = logUniform(8)
      const records = []
      const hashes = []
      const firstSeq = seq
      for (let slot = 0; slot < count; slot++) {
        const { value, hash } = makeValue(cfg.cycle, seq++)
        records.push({ key: random() < 0.3 ? null : Buffer.from(`k${firstSeq + slot}`), value })
        hashes.push(hash)
      }
      // No await between taking the seqs and this call: offsets follow call order.
      const info = await log.appendRecords(records, { compression: pickCompression() })
      if (info.baseOffset !== firstSeq || info.lastOffset !== firstSeq + count - 1) {
        fatal(`append of seqs ${firstSeq}..${firstSeq + count - 1} got offsets ${info.baseOffset}..${info.lastOffset}`)
        return
      }
      send({ t: 'ack', mode: cfg.mode, base: info.baseOffset, hashes })
      appends++
      if (cfg.flushEvery > 0 && appends % cfg.flushEvery === 0) await flushNow()
    }
  }

  const workers = []
  for (let slot = 0; slot < (cfg.concurrency ?? 4); slot++) workers.push(worker())
  await Promise.all(workers)
}

/**
 * Runs under strace, which makes fdatasync fail from its Nth call on (UV_THREADPOOL_SIZE=1 so the
 * count is deterministic). Appends are awaited one by one until one fails, then a burst of
 * concurrent appends is made and every outcome reported; the parent checks fail-stop.
 */
async function runFsyncFault() {
  const engine = await LogEngine.open({ dir: cfg.dir, flush: 'sync', onWarning: () => {} })
  const log = engine.partition(cfg.topic, 0)
  send({ t: 'ready', logEnd: log.logEndOffset })
  const outcome = (error) => ({
    code: error?.code ?? null,
    causeCode: error?.cause?.code ?? null,
    causeErrno: error?.cause?.errno ?? null,
    message: String(error?.message ?? error),
  })
  let seq = log.logEndOffset
  for (let round = 0; round < 50; round++) {
    const { value, hash } = makeValue(cfg.cycle, seq)
    try {
      const info = await log.appendRecords([{ value }])
      seq++
      send({ t: 'ack', mode: 'sync', base: info.baseOffset, hashes: [hash] })
    } catch (error) {
      send({ t: 'append-failed', seq, ...outcome(error) })
      break
    }
  }
  // The log is fail-stop now: every later append must be refused without being written.
  const later = []
  for (let slot = 0; slot < 4; slot++) {
    const { value, hash } = makeValue(cfg.cycle, 1_000_000 + slot)
    later.push(
      log.appendRecords([{ value }]).then(
        (info) => ({ ok: true, offset: info.baseOffset, hash }),
        (error) => ({ ok: false, hash, ...outcome(error) }),
      ),
    )
  }
  send({ t: 'later', results: await Promise.all(later), hasFailed: log.hasFailed })
  try {
    await log.flush()
    send({ t: 'flush-after-failure', ok: true })
  } catch (error) {
    send({ t: 'flush-after-failure', ok: false, ...outcome(error) })
  }
  // close() cannot fsync either (every fdatasync fails now): it may reject, but must not write the
  // clean-shutdown marker.
  const closeError = await engine.close().then(
    () => null,
    (error) => outcome(error),
  )
  send({ t: 'closed', closeError, cleanMarker: fs.existsSync(path.join(cfg.dir, '.clean-shutdown')) })
  process.exit(0)
}

try {
  if (cfg.scenario === 'fsync-fault') await runFsyncFault()
  else await runWriter()
} catch (error) {
  fatal(`${error?.code ?? ''} ${error?.stack ?? error}`)
}

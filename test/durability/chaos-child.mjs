// The worker of the chaos kill test (chaos-kill.crash.test.ts). Plain ESM JavaScript importing the
// BUILT engine (dist/), so it runs without a TypeScript loader.
//
// Usage: node chaos-child.mjs '<json config>'; the parent forks it with an IPC channel and kills it
// with SIGKILL at a moment of its choosing.
//
// Config (set by the parent):
//   dir       data directory
//   journal   file the child appends its journal to (one JSON object per line)
//   role      'work': random operations until killed; 'recover': open (recovery) and idle
//   seed      seeds every choice the child makes
//   cycle     cycle number, part of every record's id
//   engine    { checkpointIntervalMs, retentionCheckIntervalMs, fileDeleteDelayMs, compactMinBytes, compactMinRatio }
//   readers   number of concurrent reader loops
//   pauseChance  chance of an idle gap before an operation (kills land there with nothing in flight)
//
// The journal is written with writeSync, so every line is in the kernel before the next step: an
// intent line ({k:'i'}) before an operation starts, an ack line ({k:'a'} / {k:'done'}) only after
// its promise resolved, {k:'r'} when it rejected. SIGKILL does not lose the page cache, so the
// parent sees every line written before the kill (the last one may be torn, and is then ignored:
// a torn intent means the operation never started). Other lines:
//   {k:'open'}            the engine opened
//   {k:'w', m}            a warning the engine reported
//   {k:'bad', m}          something the child saw that is wrong whatever the model says
//   {k:'bad', m, read}    a wrong read by a racing reader (nothing on disk depends on it)
// Every line also carries `ms`, the child's uptime, to place it against the kill.
//
// Record encoding in the journal: { k: base64|null, v: base64|null, h: [[key, base64|null]...],
// ts: number|null (null: stamped by the engine), p: explicit partition|null }. Every record
// carries a unique id (in its value, its key or an 'id' header), so the parent can tell which
// written record an unacknowledged survivor is.
import fs from 'node:fs'

const { LogEngine } = await import(new URL('../../dist/engine/log-engine.js', import.meta.url).href)
const { BatchScanner } = await import(new URL('../../dist/record/batch-scanner.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')
const journalFd = fs.openSync(cfg.journal, 'a')

function journal(entry) {
  fs.writeSync(journalFd, JSON.stringify({ ...entry, ms: Math.round(performance.now()) }) + '\n')
}

function bad(message) {
  journal({ k: 'bad', m: message })
}

/** A wrong read: reported, but it changes nothing on disk, so the parent's model stays valid. */
function badRead(message) {
  journal({ k: 'bad', m: message, read: true })
}

// The project's one seeded generator (src/seeded-random.ts), built.
const { seededRandom: prng } = await import(new URL('../../dist/seeded-random.js', import.meta.url).href)

const random = prng(cfg.seed ?? 1)
const randInt = (min, max) => min + Math.floor(random() * (max - min + 1))
const pick = (items) => items[Math.floor(random() * items.length)]
const chance = (p) => random() < p
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function randomBytes(length) {
  const bytes = Buffer.allocUnsafe(length)
  for (let at = 0; at < length; at++) bytes[at] = (random() * 256) | 0
  return bytes
}

/** Names and retention kinds are fixed; the rest of a topic's config is drawn at each creation. */
const TOPICS = { 'keep-a': 'none', 'keep-b': 'none', 'ret-time': 'ms', 'ret-size': 'bytes' }
const TOPIC_NAMES = Object.keys(TOPICS)
const GROUPS = ['g1', 'g2', 'g3']
const CODECS = ['none', 'gzip', 'lz4', 'snappy', 'zstd']
/** A partition holding more records than this is trimmed with deleteRecordsBefore, so verifying stays cheap. */
const TRIM_ABOVE_RECORDS = 160

function topicConfig(name) {
  const kind = TOPICS[name]
  return {
    partitions: randInt(1, 3),
    segmentBytes: pick([512, 1024, 2048, 4096]),
    segmentMs: pick([7 * 24 * 3600 * 1000, 150]),
    segmentIndexBytes: pick([10 * 1024 * 1024, 64, 160]),
    indexIntervalBytes: pick([0, 256, 4096]),
    retentionMs: kind === 'ms' ? randInt(100, 400) : -1,
    retentionBytes: kind === 'bytes' ? randInt(2048, 8192) : -1,
  }
}

function valueBytes() {
  const roll = random()
  if (roll < 0.85) return randomBytes(randInt(0, 200))
  if (roll < 0.97) return randomBytes(randInt(200, 1500))
  return randomBytes(randInt(1500, 5000))
}

function timestamp() {
  const roll = random()
  if (roll < 0.5) return undefined
  if (roll < 0.98) return Date.now() - randInt(0, 3000)
  return Date.now() + 3600 * 1000 // a future timestamp blocks time retention of its segment
}

/** One record with a unique id in its value, its key or a header. */
function makeRecord(id) {
  let key = chance(0.3) ? null : randomBytes(randInt(0, 16))
  let value
  const headers = []
  const roll = random()
  if (roll < 0.1) {
    value = null // a tombstone: the id goes into the key
    key = Buffer.concat([Buffer.from(id), key ?? Buffer.alloc(0)])
  } else if (roll < 0.15) {
    value = Buffer.alloc(0)
    headers.push({ key: 'id', value: Buffer.from(id) })
  } else {
    value = Buffer.concat([Buffer.from(`${id}|`), valueBytes()])
  }
  for (let count = randInt(0, 3); count > 0; count--)
    headers.push({ key: pick(['h', 'ünï', '', 'trace-id']), value: chance(0.3) ? null : randomBytes(randInt(0, 20)) })
  return { key, value, headers, timestamp: timestamp() }
}

const b64 = (buffer) => (buffer === null || buffer === undefined ? null : buffer.toString('base64'))

function journalRecord(record, partition = null) {
  return {
    k: b64(record.key),
    v: b64(record.value),
    h: record.headers.map((header) => [header.key, b64(header.value)]),
    ts: record.timestamp ?? null,
    p: partition,
  }
}

function errorInfo(error) {
  return { code: error?.code ?? null, m: String(error?.stack ?? error).slice(0, 2000) }
}

const engine = await LogEngine.open({
  dir: cfg.dir,
  flush: 'sync',
  tickMs: 5,
  checkpointIntervalMs: cfg.engine.checkpointIntervalMs,
  retentionCheckIntervalMs: cfg.engine.retentionCheckIntervalMs,
  fileDeleteDelayMs: cfg.engine.fileDeleteDelayMs,
  offsetStore: { compactMinBytes: cfg.engine.compactMinBytes, compactMinRatio: cfg.engine.compactMinRatio },
  onWarning: (message) => journal({ k: 'w', m: message }),
})
journal({ k: 'open' })
process.send?.({ t: 'ready' })

const presentTopics = () => TOPIC_NAMES.filter((name) => engine.hasTopic(name))

/** Partitions already reported out of order, with the state reported (each state once). */
const reportedOrder = new Map()

/** logStart <= highWatermark <= logEnd for every partition, after every operation. */
function checkInvariants(where) {
  for (const name of presentTopics()) {
    for (const log of engine.partitions(name)) {
      const { logStartOffset: start, highWatermark: hw, logEndOffset: end } = log
      if (start <= hw && hw <= end) continue
      const state = `logStart ${start}, highWatermark ${hw}, logEnd ${end}`
      if (reportedOrder.get(log) === state) continue
      reportedOrder.set(log, state)
      bad(`after ${where}: ${name}-${log.partition} has ${state}`)
    }
  }
}

function partitionState(log) {
  return { start: log.logStartOffset, hw: log.highWatermark, end: log.logEndOffset }
}

let opId = 0

async function produce(topic) {
  const op = ++opId
  const partitions = engine.partitions(topic).length
  const count = randInt(1, 30)
  const records = []
  const journaled = []
  for (let slot = 0; slot < count; slot++) {
    const id = `c${cfg.cycle}.o${op}.r${slot}`
    const partition = chance(0.3) ? randInt(0, partitions - 1) : undefined
    if (chance(0.2)) {
      // Strings and a header object: the journal holds the bytes they become.
      const key = chance(0.5) ? null : `key-${randInt(0, 99)}`
      const value = `${id}|${'ü'.repeat(randInt(0, 40))}`
      const headers = {}
      for (let count = randInt(0, 3); count > 0; count--) headers[`h${randInt(0, 9)}`] = chance(0.3) ? null : `v${randInt(0, 999)}`
      const ts = timestamp()
      records.push({ key, value, headers, timestamp: ts, partition })
      const asBytes = {
        key: key === null ? null : Buffer.from(key),
        value: Buffer.from(value),
        headers: Object.entries(headers).map(([name, text]) => ({ key: name, value: text === null ? null : Buffer.from(text) })),
        timestamp: ts,
      }
      journaled.push(journalRecord(asBytes, partition ?? null))
    } else {
      const record = makeRecord(id)
      records.push({ ...record, partition })
      journaled.push(journalRecord(record, partition ?? null))
    }
  }
  const options = {
    acks: pick(['written', 'flushed']),
    lingerMs: pick([0, 0, 2]),
    batchBytes: pick([256, 2048, 16384]),
    compression: pick(CODECS),
    idempotent: chance(0.5),
  }
  journal({ k: 'i', op, t: 'produce', topic, recs: journaled, options })
  const producer = engine.producer(options)
  const sends = []
  for (let from = 0; from < count;) {
    const size = randInt(1, count - from)
    const chunk = records.slice(from, from + size)
    const start = from
    sends.push(
      producer.send(topic, chunk).then(
        (results) => journal({ k: 'a', op, from: start, res: results.map((meta) => [meta.partition, meta.offset, meta.timestamp]) }),
        (error) => journal({ k: 'r', op, from: start, ...errorInfo(error) }),
      ),
    )
    from += size
  }
  await Promise.all(sends)
  await producer.close()
  journal({ k: 'done', op })
}

async function append(topic) {
  const op = ++opId
  const log = pick(engine.partitions(topic))
  const count = randInt(1, 20)
  const now = Date.now()
  const records = []
  for (let slot = 0; slot < count; slot++) records.push(makeRecord(`c${cfg.cycle}.o${op}.r${slot}`))
  const compression = pick(CODECS)
  journal({ k: 'i', op, t: 'append', topic, p: log.partition, recs: records.map((record) => journalRecord(record)), now })
  try {
    const info = await log.appendRecords(records, { compression, now })
    if (info.lastOffset - info.baseOffset + 1 !== count)
      bad(`append of ${count} records to ${topic}-${log.partition} got offsets ${info.baseOffset}..${info.lastOffset}`)
    journal({ k: 'a', op, base: info.baseOffset, last: info.lastOffset })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
  }
}

/** The base offset of the batch holding `offset` (read before truncating, so the parent knows what may go). */
async function batchBaseOf(log, offset) {
  try {
    for await (const batch of log.batches({ from: offset, maxBytes: 1 })) return batch.baseOffset
  } catch {
    // The log start moved past it meanwhile (retention): the truncation then starts at `offset`.
  }
  return offset
}

async function truncate(topic) {
  const op = ++opId
  const log = pick(engine.partitions(topic))
  const { start, end } = partitionState(log)
  const roll = random()
  let offset
  if (roll < 0.4) offset = randInt(start, end)
  else if (roll < 0.6) offset = Math.max(0, end - randInt(1, 5))
  else if (roll < 0.75 && start > 0)
    offset = randInt(0, start - 1) // below the log start
  else if (roll < 0.85) offset = start
  else offset = end + randInt(0, 10) // nothing to drop
  const batchBase = offset >= start && offset < end ? await batchBaseOf(log, offset) : offset
  journal({ k: 'i', op, t: 'truncate', topic, p: log.partition, x: offset, b: batchBase, before: partitionState(log) })
  try {
    await log.truncateTo(offset)
    const after = partitionState(log)
    if (offset < end && after.end > offset) bad(`truncateTo(${offset}) of ${topic}-${log.partition} left the log end at ${after.end}`)
    if (offset >= start && offset < end && after.end < batchBase)
      bad(`truncateTo(${offset}) of ${topic}-${log.partition} cut to ${after.end}, below the batch holding ${offset} (base ${batchBase})`)
    journal({ k: 'a', op, ...after })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
  }
}

async function deleteRecords(topic, log, offset) {
  const op = ++opId
  const viaEngine = chance(0.5)
  journal({ k: 'i', op, t: 'deleteRecords', topic, p: log.partition, y: offset, before: partitionState(log) })
  try {
    if (viaEngine) await engine.deleteRecordsBefore(topic, log.partition, offset)
    else await log.deleteRecordsBefore(offset)
    const after = partitionState(log)
    if (after.start < offset) bad(`deleteRecordsBefore(${offset}) of ${topic}-${log.partition} left the log start at ${after.start}`)
    journal({ k: 'a', op, ...after })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
  }
}

async function commit() {
  const op = ++opId
  const group = pick(GROUPS)
  const entries = []
  const seen = new Set()
  for (let count = randInt(1, 3); count > 0; count--) {
    const topic = pick(presentTopics())
    const log = pick(engine.partitions(topic))
    const key = `${topic}/${log.partition}`
    if (seen.has(key)) continue
    seen.add(key)
    // Read just before the call: commitMany checks the range synchronously.
    const offset = chance(0.3) ? log.logEndOffset : randInt(log.logStartOffset, log.logEndOffset)
    entries.push({ topic, partition: log.partition, offset })
  }
  journal({ k: 'i', op, t: 'commit', group, entries })
  try {
    if (entries.length === 1 && chance(0.5)) await engine.offsets.commit(group, entries[0].topic, entries[0].partition, entries[0].offset)
    else await engine.offsets.commitMany(group, entries)
    journal({ k: 'a', op })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
  }
}

async function createTopic(topic) {
  const op = ++opId
  const config = topicConfig(topic)
  journal({ k: 'i', op, t: 'createTopic', topic, config })
  try {
    await engine.createTopic(topic, config)
    journal({ k: 'a', op })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
  }
}

async function deleteTopic(topic) {
  const op = ++opId
  journal({ k: 'i', op, t: 'deleteTopic', topic })
  try {
    await engine.deleteTopic(topic)
    journal({ k: 'a', op })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
    return
  }
  // Metadata churn: the same name again at once, written to before the next checkpoint.
  if (!chance(0.7)) return
  await createTopic(topic)
  if (engine.hasTopic(topic)) await (chance(0.5) ? append(topic) : produce(topic))
}

async function housekeeping() {
  const op = ++opId
  const kind = pick(['flush', 'retention'])
  journal({ k: 'i', op, t: kind })
  try {
    if (kind === 'flush') await engine.flush()
    else await engine.applyRetention()
    journal({ k: 'a', op })
  } catch (error) {
    journal({ k: 'r', op, ...errorInfo(error) })
  }
}

async function nextOperation() {
  const missing = TOPIC_NAMES.filter((name) => !engine.hasTopic(name))
  const present = presentTopics()
  if (missing.length > 0 && (present.length === 0 || chance(0.3))) return createTopic(pick(missing))
  const topic = pick(present)
  for (const log of engine.partitions(topic)) {
    if (log.logEndOffset - log.logStartOffset > TRIM_ABOVE_RECORDS && chance(0.5))
      return deleteRecords(topic, log, Math.max(log.logStartOffset, log.highWatermark - randInt(10, 80)))
  }
  const roll = random() * 100
  if (roll < 30) return produce(topic)
  if (roll < 55) return append(topic)
  if (roll < 70) return commit()
  if (roll < 79) return truncate(topic)
  if (roll < 88) {
    const log = pick(engine.partitions(topic))
    const offset = chance(0.2) ? log.highWatermark : randInt(log.logStartOffset, log.highWatermark)
    return deleteRecords(topic, log, offset)
  }
  if (roll < 92) return deleteTopic(topic)
  return housekeeping()
}

const READ_ERRORS_ALLOWED = new Set(['OFFSET_OUT_OF_RANGE', 'LOG_CLOSED'])

/**
 * Reads random partitions while the operations run (racing truncation, retention with
 * fileDeleteDelayMs 0, topic deletion). A read may find its offset gone (OFFSET_OUT_OF_RANGE) or
 * its log closed (LOG_CLOSED); anything else (EBADF, a corrupt or misplaced batch) is a defect.
 */
async function reader(slot) {
  const readRandom = prng((cfg.seed ^ (0x5bd1e995 * (slot + 1))) >>> 0)
  const readInt = (min, max) => min + Math.floor(readRandom() * (max - min + 1))
  for (;;) {
    await sleep(readInt(0, 3))
    const present = presentTopics()
    if (present.length === 0) continue
    const topic = present[readInt(0, present.length - 1)]
    let log
    try {
      const logs = engine.partitions(topic)
      log = logs[readInt(0, logs.length - 1)]
    } catch {
      continue // deleted between the two calls
    }
    const start = log.logStartOffset
    const from = start + readInt(0, Math.max(0, log.highWatermark - start))
    const where = `read of ${topic}-${log.partition} from ${from}`
    try {
      if (readRandom() < 0.5) {
        let expected = from
        for await (const record of log.records({ from })) {
          if (record.offset !== expected) {
            badRead(`${where}: record ${record.offset} follows ${expected - 1}`)
            break
          }
          if (++expected - from > 200) break
        }
      } else {
        const maxBytes = [1, 4096, 256 * 1024][readInt(0, 2)]
        const result = await log.readRaw(from, { maxBytes })
        if (result.bytes.length > 0) {
          if (!(result.firstOffset <= from && from < result.nextOffset))
            badRead(`${where}: readRaw returned offsets ${result.firstOffset}..${result.nextOffset - 1}`)
          const scanner = new BatchScanner(result.bytes, { verifyCrc: true })
          let next = result.firstOffset
          for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
            if (batch.baseOffset !== next) badRead(`${where}: batch ${batch.baseOffset} follows ${next - 1}`)
            next = batch.lastOffset + 1
          }
          if (scanner.trailingBytes > 0) badRead(`${where}: ${scanner.trailingBytes} bytes of a partial batch`)
          if (next !== result.nextOffset) badRead(`${where}: batches end at ${next}, readRaw says ${result.nextOffset}`)
        }
      }
    } catch (error) {
      if (!READ_ERRORS_ALLOWED.has(error?.code)) badRead(`${where}: ${error?.code ?? ''} ${String(error?.stack ?? error).slice(0, 1500)}`)
    }
  }
}

async function work() {
  for (let slot = 0; slot < (cfg.readers ?? 0); slot++) {
    reader(slot).catch((error) => badRead(`reader stopped: ${String(error?.stack ?? error)}`))
  }
  for (;;) {
    if (chance(cfg.pauseChance ?? 0)) await sleep(randInt(2, 40))
    const label = opId + 1
    await nextOperation()
    checkInvariants(`operation ${label}`)
  }
}

if (cfg.role === 'recover') {
  // Opening was the work (recovery); stay alive with the background tasks running until killed.
  setInterval(() => {}, 1000)
} else {
  work().catch((error) => {
    bad(`the operation loop failed: ${String(error?.stack ?? error)}`)
    setTimeout(() => process.exit(3), 20)
  })
}

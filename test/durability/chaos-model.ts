import fs from 'node:fs'
import type { LogEngine } from '../../src/engine/log-engine.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import type { DecodedRecord } from '../../src/record/record.js'

/**
 * The parent's model for the chaos kill test (chaos-kill.crash.test.ts): what a data directory may
 * legitimately hold after the operations in the children's journals (chaos-child.mjs), and the
 * check of a reopened engine against it.
 *
 * The children run operations one at a time, so when a child is killed at most one operation is
 * in flight: the last intent without an ack. Everything acknowledged before it is exact; the one
 * in flight may or may not have happened (an append may have left any of its records, a
 * truncation may or may not have cut, a topic deletion may or may not have finished). Retention
 * runs in the background on the retention topics, so there the log start may move up at any time;
 * on the others it moves only by deleteRecordsBefore and truncateTo.
 *
 * After a successful check the model is rebased on what the engine holds (every record read back
 * and compared), so the next cycle starts from exact knowledge again.
 */

/** A record as the child wrote it into the journal (bytes in base64). */
export interface JournalRecord {
  k: string | null
  v: string | null
  h: [string, string | null][]
  /** null: stamped by the engine (the ack tells the value). */
  ts: number | null
  p: number | null
}

export interface JournalLine {
  k: 'open' | 'i' | 'a' | 'done' | 'r' | 'w' | 'bad'
  [field: string]: unknown
}

interface Expected {
  key: string | null
  value: string | null
  headers: [string, string | null][]
  /** null: not known (never for an acknowledged record). */
  timestamp: number | null
  /** Where it came from, for messages. */
  origin: string
}

interface PartitionModel {
  /** Records whose offset is known: each must be readable at it while offset >= log start. */
  known: Map<number, Expected>
  /** The log start may not be lower than this... */
  minStart: number
  /** ...nor higher than this (Infinity on retention topics). */
  maxStart: number
  /** The log end may not be lower than this. */
  minEnd: number
  /** Records at or after this may be gone (a truncation was in flight). */
  maybeGoneFrom: number
}

type TopicStatus = 'present' | 'absent' | 'maybe-deleted' | 'maybe-created'

interface TopicModel {
  status: TopicStatus
  hasRetention: boolean
  partitions: PartitionModel[]
  /** Records written but not acknowledged (identity -> record): they may or may not be there, once. */
  pending: Map<string, Expected>
}

interface CommitModel {
  group: string
  topic: string
  partition: number
  /** The stored offset must be at least this (null: nothing acknowledged yet). */
  minAcked: number | null
  /** No stored offset may exceed the largest one ever attempted. */
  maxAttempted: number
  /** The topic was deleted since the last acknowledged commit: the commit may be anything attempted. */
  deletedSince: boolean
  /**
   * The lowest log end a truncation since the last acknowledged commit may have left (null: none).
   * An open clamps a commit past the log end to it, and a compaction may then store that value.
   */
  truncatedTo: number | null
}

interface OpenOp {
  intent: JournalLine
  acked: boolean
}

/** Warnings that describe normal events; any other warning is reported as a problem. */
const BENIGN_WARNINGS = [
  /^recovery cut /,
  /in the future; time retention cannot delete/,
  /^group .* is past its log end/,
  // A create or delete of that topic was cut short by the kill: the open finishes it as a delete.
  // Whether the topic may be gone is the model's to check (only an acknowledged create must stay).
  /^topic '.*' was being created or deleted when the directory's last owner stopped; it was deleted$/,
]

export function isBenignWarning(message: string): boolean {
  return BENIGN_WARNINGS.some((pattern) => pattern.test(message))
}

/** Rejections a correct engine may give (with these codes): the operation then did nothing. */
function isAllowedRejection(intent: JournalLine, code: unknown): boolean {
  // truncateTo below the log start may be refused instead of restarting the log there.
  if (intent.t === 'truncate') {
    const before = intent.before as { start: number }
    return (intent.x as number) < before.start && (code === 'INVALID_ARGUMENT' || code === 'OFFSET_OUT_OF_RANGE')
  }
  return false
}

const identityOf = (key: string | null, value: string | null, headers: [string, string | null][]): string =>
  JSON.stringify([key, value, headers])

const b64 = (buffer: Buffer | null): string | null => (buffer === null ? null : buffer.toString('base64'))

function emptyPartition(hasRetention: boolean): PartitionModel {
  return { known: new Map(), minStart: 0, maxStart: hasRetention ? Infinity : 0, minEnd: 0, maybeGoneFrom: Infinity }
}

export function hasRetentionConfig(config: { retentionMs: number; retentionBytes: number }): boolean {
  return config.retentionMs >= 0 || config.retentionBytes >= 0
}

export interface JournalOutcome {
  /** Wrong outcomes of operations: the model no longer describes the directory. */
  problems: string[]
  /** Wrong reads and unexpected warnings: reported, but nothing on disk depends on them. */
  findings: string[]
  /** An operation was in flight at the kill (its outcome is open until the next check). */
  inFlight: boolean
  /** The operations in flight at the kill, described. */
  inFlightOps: string[]
  counts: { intents: number; acks: number; warnings: number }
}

export class ChaosModel {
  private readonly topics = new Map<string, TopicModel>()
  private readonly commits = new Map<string, CommitModel>()
  /** Whether the model holds undecided outcomes (then the directory must be checked before more work). */
  hasOpenOutcomes = false

  constructor(readonly topicNames: readonly string[]) {
    for (const name of topicNames) this.topics.set(name, { status: 'absent', hasRetention: false, partitions: [], pending: new Map() })
  }

  /** Applies one child's journal; `label` names the child in messages. */
  applyJournal(text: string, label: string): JournalOutcome {
    const problems: string[] = []
    const findings: string[] = []
    const counts = { intents: 0, acks: 0, warnings: 0 }
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    const ops = new Map<number, OpenOp>()
    let lastIntent: JournalLine | null = null
    for (const [slot, raw] of lines.entries()) {
      let line: JournalLine
      try {
        line = JSON.parse(raw) as JournalLine
      } catch {
        // The last line may be torn by the kill; a torn intent means the operation never started.
        if (slot === lines.length - 1) continue
        problems.push(`${label}: journal line ${slot + 1} is not JSON`)
        continue
      }
      switch (line.k) {
        case 'open':
          break
        case 'w':
          counts.warnings++
          if (!isBenignWarning(line.m as string)) findings.push(`${label}: the engine warned: ${line.m as string}`)
          break
        case 'bad': {
          const message = `${label}${lastIntent === null ? '' : ` [last operation: ${describeIntent(lastIntent)}]`}: ${line.m as string}`
          if (line.read === true) findings.push(message)
          else problems.push(message)
          break
        }
        case 'i':
          counts.intents++
          lastIntent = line
          ops.set(line.op as number, { intent: line, acked: false })
          this.applyIntent(line)
          break
        case 'a':
        case 'done': {
          const op = ops.get(line.op as number)
          if (op === undefined) {
            problems.push(`${label}: an ack of unknown operation ${String(line.op)}`)
            break
          }
          counts.acks++
          if (line.k === 'done') {
            op.acked = true
            break
          }
          if (op.intent.t === 'produce') this.applySendAck(op.intent, line)
          else {
            op.acked = true
            this.applyAck(op.intent, line)
          }
          break
        }
        case 'r': {
          const op = ops.get(line.op as number)
          if (op === undefined) break
          if (op.intent.t !== 'produce') op.acked = true
          // An allowed refusal wrote nothing, so the model stays as it is.
          if (!isAllowedRejection(op.intent, line.code))
            problems.push(`${label}: ${describeIntent(op.intent)} was rejected: ${String(line.code)} ${line.m as string}`)
          break
        }
      }
    }
    const open = [...ops.values()].filter((op) => !op.acked)
    if (open.length > 1)
      problems.push(
        `${label}: ${open.length} operations open at once (${open.map((op) => describeIntent(op.intent)).join(', ')}); the child runs them one at a time`,
      )
    for (const op of open) this.applyInFlight(op.intent)
    if (open.length > 0) this.hasOpenOutcomes = true
    return { problems, findings, inFlight: open.length > 0, inFlightOps: open.map((op) => describeIntent(op.intent)), counts }
  }

  private topic(name: string): TopicModel {
    const topic = this.topics.get(name)
    if (topic === undefined) throw new Error(`the journal names topic '${name}', which the model does not know`)
    return topic
  }

  private partition(topic: string, partition: number): PartitionModel {
    const model = this.topic(topic).partitions[partition]
    if (model === undefined) throw new Error(`the journal names ${topic}-${partition}, which the model does not have`)
    return model
  }

  /** Appended records may be there from the moment the intent is written. */
  private applyIntent(intent: JournalLine): void {
    if (intent.t === 'produce' || intent.t === 'append') {
      const topic = this.topic(intent.topic as string)
      for (const record of intent.recs as JournalRecord[])
        topic.pending.set(identityOf(record.k, record.v, record.h), this.expected(record, null, `${describeIntent(intent)}`))
    }
  }

  private expected(record: JournalRecord, timestamp: number | null, origin: string): Expected {
    return { key: record.k, value: record.v, headers: record.h, timestamp, origin }
  }

  private settle(topicName: string, partition: number, offset: number, record: JournalRecord, timestamp: number, origin: string): void {
    const topic = this.topic(topicName)
    const model = this.partition(topicName, partition)
    topic.pending.delete(identityOf(record.k, record.v, record.h))
    model.known.set(offset, this.expected(record, timestamp, origin))
    model.minEnd = Math.max(model.minEnd, offset + 1)
  }

  /** One producer send resolved: its records' partitions, offsets and timestamps are known. */
  private applySendAck(intent: JournalLine, ack: JournalLine): void {
    const records = intent.recs as JournalRecord[]
    const from = ack.from as number
    for (const [index, [partition, offset, timestamp]] of (ack.res as [number, number, number][]).entries()) {
      const record = records[from + index]!
      this.settle(intent.topic as string, partition, offset, record, timestamp, `${describeIntent(intent)} record ${from + index}`)
    }
  }

  private applyAck(intent: JournalLine, ack: JournalLine): void {
    const topicName = intent.topic as string
    switch (intent.t) {
      case 'append': {
        const records = intent.recs as JournalRecord[]
        for (const [index, record] of records.entries()) {
          this.settle(
            topicName,
            intent.p as number,
            (ack.base as number) + index,
            record,
            record.ts ?? (intent.now as number),
            `${describeIntent(intent)} record ${index}`,
          )
        }
        break
      }
      case 'truncate': {
        const model = this.partition(topicName, intent.p as number)
        const end = ack.end as number
        for (const offset of [...model.known.keys()]) if (offset >= end) model.known.delete(offset)
        model.minEnd = end
        this.moveStart(topicName, model, ack.start as number, true)
        this.markTruncated(topicName, intent.p as number, end)
        break
      }
      case 'deleteRecords': {
        const model = this.partition(topicName, intent.p as number)
        this.moveStart(topicName, model, ack.start as number, false)
        break
      }
      case 'commit':
        for (const entry of intent.entries as { topic: string; partition: number; offset: number }[]) {
          const commit = this.commit(intent.group as string, entry.topic, entry.partition)
          commit.minAcked = entry.offset
          commit.maxAttempted = Math.max(commit.maxAttempted, entry.offset)
          commit.deletedSince = false
          commit.truncatedTo = null
        }
        break
      case 'createTopic': {
        const topic = this.topic(topicName)
        const config = intent.config as { partitions: number; retentionMs: number; retentionBytes: number }
        topic.status = 'present'
        topic.hasRetention = hasRetentionConfig(config)
        topic.partitions = Array.from({ length: config.partitions }, () => emptyPartition(topic.hasRetention))
        topic.pending.clear()
        break
      }
      case 'deleteTopic': {
        const topic = this.topic(topicName)
        topic.status = 'absent'
        topic.partitions = []
        topic.pending.clear()
        this.markDeleted(topicName)
        break
      }
    }
  }

  /**
   * The child saw the log start at `start` after an acknowledged operation. On a topic without
   * retention nothing else moves it, so it must come back exactly; with retention it may only grow.
   * A truncation may lower it (a log restarted below its old start).
   */
  private moveStart(topicName: string, model: PartitionModel, start: number, mayLower: boolean): void {
    const hasRetention = this.topic(topicName).hasRetention
    model.minStart = mayLower ? start : Math.max(model.minStart, start)
    model.maxStart = hasRetention ? Infinity : model.minStart
  }

  /** The operation in flight at the kill: widen the model to both outcomes. */
  private applyInFlight(intent: JournalLine): void {
    const topicName = intent.topic as string
    switch (intent.t) {
      case 'truncate': {
        const model = this.partition(topicName, intent.p as number)
        const offset = intent.x as number
        const before = intent.before as { start: number; end: number }
        if (offset >= before.end) break
        // Below the log start the batch holding `offset` holds only deleted records, and the child
        // could not read where it begins: the cut may land anywhere down to 0, and the log start
        // comes down with the log end.
        const from = offset < before.start ? 0 : Math.min(intent.b as number, offset)
        model.maybeGoneFrom = Math.min(model.maybeGoneFrom, from)
        model.minEnd = Math.min(model.minEnd, from)
        // A cut below the log start (inside the batch holding it) brings the log start down to the cut.
        if (from < model.minStart) model.minStart = from
        this.markTruncated(topicName, intent.p as number, from)
        break
      }
      case 'deleteRecords': {
        const model = this.partition(topicName, intent.p as number)
        if (!this.topic(topicName).hasRetention) model.maxStart = Math.max(model.maxStart, intent.y as number)
        break
      }
      case 'commit':
        // Either value may be stored, and a commit may move an offset back (a consumer rewinding).
        for (const entry of intent.entries as { topic: string; partition: number; offset: number }[]) {
          const commit = this.commit(intent.group as string, entry.topic, entry.partition)
          commit.maxAttempted = Math.max(commit.maxAttempted, entry.offset)
          if (commit.minAcked !== null) commit.minAcked = Math.min(commit.minAcked, entry.offset)
        }
        break
      case 'createTopic': {
        const topic = this.topic(topicName)
        const config = intent.config as { partitions: number; retentionMs: number; retentionBytes: number }
        topic.status = 'maybe-created'
        topic.hasRetention = hasRetentionConfig(config)
        topic.partitions = Array.from({ length: config.partitions }, () => emptyPartition(topic.hasRetention))
        break
      }
      case 'deleteTopic':
        this.topic(topicName).status = 'maybe-deleted'
        this.markDeleted(topicName)
        break
    }
  }

  private commit(group: string, topic: string, partition: number): CommitModel {
    const key = `${group}\u0000${topic}\u0000${partition}`
    let commit = this.commits.get(key)
    if (commit === undefined) {
      commit = { group, topic, partition, minAcked: null, maxAttempted: -1, deletedSince: false, truncatedTo: null }
      this.commits.set(key, commit)
    }
    return commit
  }

  private markDeleted(topic: string): void {
    for (const commit of this.commits.values()) if (commit.topic === topic) commit.deletedSince = true
  }

  private markTruncated(topic: string, partition: number, end: number): void {
    for (const commit of this.commits.values()) {
      if (commit.topic === topic && commit.partition === partition) commit.truncatedTo = Math.min(commit.truncatedTo ?? Infinity, end)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Checking a reopened engine

  /**
   * Checks the engine against the model; returns the problems (empty when all is well) and, when
   * there are none, rebases the model on what the engine holds.
   */
  async check(engine: LogEngine): Promise<{ problems: string[]; records: number }> {
    const problems: string[] = []
    const actual = new Map<string, { logs: readonly PartitionLog[]; records: Map<number, DecodedRecord>[] }>()
    let records = 0
    for (const description of engine.listTopics()) {
      if (!description.internal && !this.topics.has(description.name)) problems.push(`unknown topic '${description.name}' exists`)
    }
    for (const [name, topic] of this.topics) {
      const exists = engine.hasTopic(name)
      if (!exists) {
        if (topic.status === 'present') problems.push(`topic '${name}' is gone, but its creation was acknowledged and no deletion was made`)
        continue
      }
      if (topic.status === 'absent') {
        problems.push(`topic '${name}' exists, but its deletion was acknowledged`)
        continue
      }
      const logs = engine.partitions(name)
      if (logs.length !== topic.partitions.length) {
        problems.push(`topic '${name}' has ${logs.length} partitions, expected ${topic.partitions.length}`)
        continue
      }
      const pending = new Map(topic.pending)
      const read: Map<number, DecodedRecord>[] = []
      for (const [partition, log] of logs.entries()) {
        const model = topic.status === 'maybe-created' ? emptyPartition(topic.hasRetention) : topic.partitions[partition]!
        const found = await checkPartition(log, model, pending, problems)
        records += found.size
        read.push(found)
      }
      actual.set(name, { logs, records: read })
    }
    this.checkLeftoverDirectories(engine, problems)
    this.checkCommits(engine, problems)
    if (problems.length === 0) this.rebase(engine, actual)
    return { problems, records }
  }

  /** A partition directory of a topic the engine does not know is half-made state (createTopic is then refused). */
  private checkLeftoverDirectories(engine: LogEngine, problems: string[]): void {
    for (const entry of fs.readdirSync(engine.dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const match = /^(.+)-(\d+)$/.exec(entry.name)
      if (match === null || engine.hasTopic(match[1]!)) continue
      problems.push(
        `directory ${entry.name} belongs to no topic: a deletion or creation was left half done, and createTopic('${match[1]}') is refused until it is moved away`,
      )
    }
  }

  private checkCommits(engine: LogEngine, problems: string[]): void {
    const store = engine.offsets
    const modelled = new Set<string>()
    for (const commit of this.commits.values()) {
      modelled.add(`${commit.group}\u0000${commit.topic}\u0000${commit.partition}`)
      const stored = store.fetch(commit.group, commit.topic, commit.partition)?.offset ?? null
      const name = `group ${commit.group} ${commit.topic}-${commit.partition}`
      if (stored === null) {
        if (commit.minAcked !== null && !commit.deletedSince)
          problems.push(`${name}: the commit of ${commit.minAcked} was acknowledged and is gone`)
        continue
      }
      if (stored > commit.maxAttempted)
        problems.push(`${name}: stored offset ${stored} was never committed (largest attempt ${commit.maxAttempted})`)
      if (commit.minAcked === null || commit.deletedSince) continue
      const floor = Math.min(commit.minAcked, commit.truncatedTo ?? Infinity)
      if (stored < floor)
        problems.push(
          `${name}: stored offset ${stored} is below the acknowledged commit ${commit.minAcked}${commit.truncatedTo === null ? '' : ` (the partition was truncated to ${commit.truncatedTo} since)`}`,
        )
    }
    for (const group of store.listGroups()) {
      for (const row of store.describeGroup(group)) {
        if (!modelled.has(`${group}\u0000${row.topic}\u0000${row.partition}`))
          problems.push(`group ${group} ${row.topic}-${row.partition}: offset ${row.committedOffset} was never committed`)
      }
    }
  }

  private rebase(engine: LogEngine, actual: Map<string, { logs: readonly PartitionLog[]; records: Map<number, DecodedRecord>[] }>): void {
    for (const [name, topic] of this.topics) {
      topic.pending.clear()
      const found = actual.get(name)
      if (found === undefined) {
        topic.status = 'absent'
        topic.partitions = []
        continue
      }
      topic.status = 'present'
      topic.hasRetention = hasRetentionConfig(engine.topicConfig(name))
      topic.partitions = found.logs.map((log, partition) => {
        const known = new Map<number, Expected>()
        for (const [offset, record] of found.records[partition]!)
          known.set(offset, expectedFromRecord(record, `checked after an earlier cycle`))
        const start = log.logStartOffset
        return {
          known,
          minStart: start,
          maxStart: topic.hasRetention ? Infinity : start,
          minEnd: log.logEndOffset,
          maybeGoneFrom: Infinity,
        }
      })
    }
    for (const commit of this.commits.values()) {
      const stored = engine.offsets.fetch(commit.group, commit.topic, commit.partition)?.offset ?? null
      commit.minAcked = stored
      commit.deletedSince = !engine.hasTopic(commit.topic)
      commit.truncatedTo = null
    }
    this.hasOpenOutcomes = false
  }
}

function expectedFromRecord(record: DecodedRecord, origin: string): Expected {
  return {
    key: b64(record.key),
    value: b64(record.value),
    headers: record.headers.map((header) => [header.key, b64(header.value)]),
    timestamp: record.timestamp,
    origin,
  }
}

/**
 * Reads one partition whole and checks it: logStart <= highWatermark <= logEnd, the log start and
 * end within what the operations allow, offsets contiguous, every known record identical at its
 * offset, every other record one that was written and not acknowledged (each at most once).
 */
async function checkPartition(
  log: PartitionLog,
  model: PartitionModel,
  pending: Map<string, Expected>,
  problems: string[],
): Promise<Map<number, DecodedRecord>> {
  const name = `${log.topic}-${log.partition}`
  let failures = 0
  const fail = (message: string): void => {
    failures++
    problems.push(`${name}: ${message}`)
  }
  const start = log.logStartOffset
  const hw = log.highWatermark
  const end = log.logEndOffset
  const found = new Map<number, DecodedRecord>()
  if (!(start <= hw && hw <= end)) fail(`logStart ${start}, highWatermark ${hw}, logEnd ${end} are out of order`)
  if (start < model.minStart) fail(`log start ${start} is below ${model.minStart}: deleted records came back`)
  if (start > model.maxStart)
    fail(`log start ${start} is past ${model.maxStart}, the most any delete allowed: acknowledged records are hidden`)
  if (end < model.minEnd) fail(`log end ${end} is below ${model.minEnd}, the end of the acknowledged records`)
  if (start <= hw) {
    let expected = start
    try {
      for await (const record of log.records({ from: start })) {
        if (record.offset !== expected) {
          fail(`offset ${record.offset} follows ${expected - 1}: a gap`)
          break
        }
        expected++
        found.set(record.offset, record)
      }
    } catch (error) {
      fail(`reading from ${expected} failed: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`)
    }
    if (expected !== hw && failures === 0) fail(`reading stopped at ${expected}, below the high watermark ${hw}`)
  }
  for (const [offset, record] of found) {
    const known = model.known.get(offset)
    const actual = expectedFromRecord(record, '')
    if (known !== undefined) {
      const difference = differenceOf(known, actual)
      if (difference !== null) fail(`offset ${offset} should hold the record of ${known.origin} but ${difference}`)
      continue
    }
    const identity = identityOf(actual.key, actual.value, actual.headers)
    if (!pending.delete(identity))
      fail(
        `offset ${offset} holds a record that matches nothing written and unacknowledged (key ${actual.key?.slice(0, 24) ?? 'null'}, value ${actual.value?.slice(0, 24) ?? 'null'})`,
      )
  }
  let missing = 0
  // Below a log start that moved further than any delete allowed, records are hidden, not deleted.
  const visibleFrom = Math.min(start, model.maxStart)
  for (const [offset, known] of model.known) {
    if (offset < visibleFrom || offset >= model.maybeGoneFrom || found.has(offset)) continue
    if (++missing <= 3)
      fail(
        `the acknowledged record at offset ${offset} (${known.origin}) is ${offset < end ? 'not readable' : 'lost'} (log ${start}..${end}, high watermark ${hw})`,
      )
  }
  if (missing > 3) fail(`${missing - 3} more acknowledged records are missing`)
  return found
}

function differenceOf(expected: Expected, actual: Expected): string | null {
  if (expected.key !== actual.key) return `its key differs`
  if (expected.value !== actual.value) return `its value differs`
  if (JSON.stringify(expected.headers) !== JSON.stringify(actual.headers))
    return `its headers differ (${JSON.stringify(actual.headers).slice(0, 80)})`
  if (expected.timestamp !== null && expected.timestamp !== actual.timestamp)
    return `its timestamp is ${actual.timestamp}, not ${expected.timestamp}`
  return null
}

export function describeIntent(intent: JournalLine): string {
  const where = intent.p === undefined ? `${String(intent.topic ?? '')}` : `${String(intent.topic)}-${String(intent.p)}`
  switch (intent.t) {
    case 'produce':
      return `op ${String(intent.op)} produce of ${(intent.recs as unknown[]).length} records to ${where}`
    case 'append':
      return `op ${String(intent.op)} appendRecords of ${(intent.recs as unknown[]).length} records to ${where}`
    case 'truncate':
      return `op ${String(intent.op)} truncateTo(${String(intent.x)}) of ${where} (before: ${JSON.stringify(intent.before)})`
    case 'deleteRecords':
      return `op ${String(intent.op)} deleteRecordsBefore(${String(intent.y)}) of ${where} (before: ${JSON.stringify(intent.before)})`
    case 'commit':
      return `op ${String(intent.op)} commit for ${String(intent.group)} ${JSON.stringify(intent.entries)}`
    default:
      return `op ${String(intent.op)} ${String(intent.t)}${where === '' ? '' : ` of ${where}`}`
  }
}

import { fork, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { crc32c } from '../../src/record/crc32c.js'
import { assertDistBuilt, DIST_ENGINE } from '../helpers/paths.js'
export { seededRandom as prng } from '../../src/seeded-random.js'

/**
 * Shared pieces of the durability suite: paths of the built engine and the writer child, the value
 * format the child writes (checked here without trusting the engine's CRC), a seeded PRNG, an
 * independent segment scanner, and the verification every crash cycle ends with.
 */

export const WRITER_CHILD = fileURLToPath(new URL('./writer-child.mjs', import.meta.url))

/** The writer child imports dist/engine: fail clearly when it is missing, warn when it looks stale. */
export function assertEngineBuilt(): void {
  assertDistBuilt(DIST_ENGINE, ['engine', 'log', 'record'])
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

/** The seed for a randomized test: SEGLOG_CRASH_SEED if set, else a fresh one. */
export function pickSeed(): number {
  const fromEnv = process.env.SEGLOG_CRASH_SEED
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 0x100000000) >>> 0
}

// ---------------------------------------------------------------------------------------------
// The value format (see writer-child.mjs)

export const VALUE_HEADER_BYTES = 52

export interface DecodedValue {
  cycle: number
  seq: number
  /** sha256 of the body, hex; checked against the body. */
  hash: string
}

/** Decodes and checks a value the writer child produced; throws a description when it is wrong. */
export function decodeValue(value: Buffer | null, offset: number): DecodedValue {
  if (value === null) throw new Error(`offset ${offset}: null value`)
  if (value.length < VALUE_HEADER_BYTES || value.toString('latin1', 0, 4) !== 'SGLV')
    throw new Error(`offset ${offset}: not a writer value (${value.length} bytes)`)
  const cycle = value.readUInt32BE(4)
  const seq = value.readDoubleBE(8)
  const bodyLength = value.readUInt32BE(16)
  if (value.length !== VALUE_HEADER_BYTES + bodyLength)
    throw new Error(`offset ${offset}: value of ${value.length} bytes declares a ${bodyLength}-byte body`)
  const hash = value.toString('hex', 20, 52)
  const actual = createHash('sha256').update(value.subarray(VALUE_HEADER_BYTES)).digest('hex')
  if (actual !== hash)
    throw new Error(`offset ${offset}: body sha256 ${actual} does not match the embedded ${hash} (cycle ${cycle}, seq ${seq})`)
  return { cycle, seq, hash }
}

// ---------------------------------------------------------------------------------------------
// The writer child

export type WriterMessage =
  | { t: 'ready'; logEnd: number }
  | { t: 'ack'; mode: string; base: number; hashes: string[] }
  | { t: 'flushing'; id: number; upTo: number; sizes: Record<string, number> }
  | { t: 'flushed'; id: number; upTo: number }
  | { t: 'fatal'; message: string }

export interface WriterConfig {
  dir: string
  topic: string
  mode: 'sync' | 'os' | 'interval'
  seed: number
  cycle: number
  startSeq: number
  concurrency: number
  flushEvery: number
  snapshots?: boolean
}

export interface WriterRun {
  child: ChildProcess
  /** Resolves when the child opened the engine (rejects if it dies or reports a fatal first). */
  ready: Promise<void>
  /** Resolves once the child exited AND its IPC channel drained (every sent message was seen). */
  gone: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr: () => string
  fatal: () => string | null
}

/** Forks the writer child; `onMessage` sees every message in order. */
export function startWriter(config: WriterConfig, onMessage: (message: WriterMessage) => void): WriterRun {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = fork(WRITER_CHILD, [JSON.stringify(config)], { execArgv: [], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  let fatal: string | null = null
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString()
  })
  let markReady!: () => void
  let failReady!: (error: Error) => void
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve
    failReady = reject
  })
  ready.catch(() => undefined)
  child.on('message', (message: WriterMessage) => {
    if (message.t === 'ready') markReady()
    if (message.t === 'fatal') {
      fatal = message.message
      failReady(new Error(`writer child reported: ${message.message}`))
    }
    onMessage(message)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const disconnected = new Promise<void>((resolve) => child.once('disconnect', () => resolve()))
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  exited.then(({ code, signal }) =>
    failReady(new Error(`writer child exited (code ${code}, signal ${signal}) before it was ready: ${stderr}`)),
  )
  const gone = Promise.all([exited, disconnected, closed]).then(async ([result]) => {
    await new Promise((resolve) => setImmediate(resolve))
    return result
  })
  return { child, ready, gone, stderr: () => stderr, fatal: () => fatal }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface AckedValue {
  cycle: number
  hash: string
}

/** What the parent knows about a partition between cycles. */
export interface CrashCycleModel {
  /** Log start offset the parent left (only the parent runs retention). */
  logStart: number
  /** Log end after the previous cycle's verification and clean close: all of it is durable. */
  verifiedEnd: number
  /** Value of every offset in [logStart, verifiedEnd). */
  values: Map<number, AckedValue>
}

export interface CycleFacts {
  cycle: number
  /** Values the child acknowledged this cycle: present ones must be identical. */
  acks: Map<number, AckedValue>
  /** Every offset below this must be present (durable, or acknowledged under a process-crash promise). */
  mustHaveBelow: number
}

export interface VerifyResult {
  logEnd: number
  records: number
  values: Map<number, AckedValue>
}

/**
 * Reads the whole partition through the engine and checks it against the model: the log start is
 * where the parent left it, offsets are contiguous from it (a gap-free prefix), every value
 * decodes with a matching sha256 and seq == offset, earlier cycles' values are unchanged, this
 * cycle's acknowledged values are identical, and nothing below `mustHaveBelow` is missing.
 */
export async function verifyPartition(log: PartitionLog, model: CrashCycleModel, facts: CycleFacts): Promise<VerifyResult> {
  const problems: string[] = []
  const fail = (message: string): void => {
    if (problems.length < 10) problems.push(message)
  }
  if (log.logStartOffset !== model.logStart) fail(`log start is ${log.logStartOffset}, expected ${model.logStart}`)
  const values = new Map<number, AckedValue>()
  let expected = log.logStartOffset
  let count = 0
  try {
    for await (const record of log.records({ from: log.logStartOffset })) {
      if (record.offset !== expected) {
        fail(`offset ${record.offset} follows ${expected - 1}: the log has a gap or goes backwards`)
        break
      }
      expected++
      count++
      let decoded: DecodedValue
      try {
        decoded = decodeValue(record.value, record.offset)
      } catch (error) {
        fail((error as Error).message)
        continue
      }
      if (decoded.seq !== record.offset) fail(`offset ${record.offset} holds seq ${decoded.seq}`)
      const old = record.offset < model.verifiedEnd ? model.values.get(record.offset) : undefined
      if (old !== undefined && (old.cycle !== decoded.cycle || old.hash !== decoded.hash)) {
        fail(
          `offset ${record.offset} changed: it held cycle ${old.cycle} ${old.hash.slice(0, 12)}, now cycle ${decoded.cycle} ${decoded.hash.slice(0, 12)}`,
        )
      }
      const acked = facts.acks.get(record.offset)
      if (acked !== undefined && (acked.cycle !== decoded.cycle || acked.hash !== decoded.hash)) {
        fail(
          `offset ${record.offset} was acknowledged as cycle ${acked.cycle} ${acked.hash.slice(0, 12)} but holds cycle ${decoded.cycle} ${decoded.hash.slice(0, 12)}`,
        )
      }
      if (record.offset >= model.verifiedEnd && decoded.cycle !== facts.cycle) {
        fail(`offset ${record.offset} (new this cycle) holds a value from cycle ${decoded.cycle}`)
      }
      values.set(record.offset, { cycle: decoded.cycle, hash: decoded.hash })
    }
  } catch (error) {
    fail(`reading the log failed at offset ${expected}: ${(error as Error).message}`)
  }
  if (expected !== log.logEndOffset && problems.length === 0) fail(`reading stopped at ${expected} but the log ends at ${log.logEndOffset}`)
  if (log.logEndOffset < facts.mustHaveBelow)
    fail(`log ends at ${log.logEndOffset}: offsets ${log.logEndOffset}..${facts.mustHaveBelow - 1} were promised and are lost`)
  if (log.logEndOffset < model.verifiedEnd)
    fail(`log ends at ${log.logEndOffset}, below the ${model.verifiedEnd} it had after the last clean close`)
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return { logEnd: log.logEndOffset, records: count, values }
}

// ---------------------------------------------------------------------------------------------
// An independent segment scanner (the same rules as recovery, written from the format spec)

export interface ScannedBatch {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
}

export interface SegmentScan {
  batches: ScannedBatch[]
  /** End of the last valid batch: where recovery must cut. */
  validEnd: number
  /** Why the scan stopped before the end of the bytes (null: every byte is whole valid batches). */
  stop: string | null
}

/**
 * Walks batch v2 framing: the 17-byte prefix (length >= 49, magic 2, a non-negative safe
 * baseOffset), the whole batch within the bytes, CRC-32C over [21, end), offsets ascending from
 * the segment's base. Stops at the first violation.
 */
export function scanSegment(bytes: Buffer, segmentBase: number): SegmentScan {
  const batches: ScannedBatch[] = []
  let position = 0
  let nextOffset = segmentBase
  const stopAt = (reason: string): SegmentScan => ({ batches, validEnd: position, stop: reason })
  while (position < bytes.length) {
    const remaining = bytes.length - position
    if (remaining < 17) return stopAt(`${remaining} trailing bytes`)
    const length = bytes.readInt32BE(position + 8)
    if (length < 49) return stopAt(`length ${length}`)
    if (bytes.readInt8(position + 16) !== 2) return stopAt('magic')
    const base = Number(bytes.readBigInt64BE(position))
    if (!Number.isSafeInteger(base) || base < 0) return stopAt('base offset')
    const size = 12 + length
    if (size > remaining) return stopAt(`torn batch of ${size} bytes with ${remaining} left`)
    const batch = bytes.subarray(position, position + size)
    if (crc32c(batch.subarray(21)) !== batch.readUInt32BE(17)) return stopAt('crc')
    const last = base + batch.readInt32BE(23)
    if (base < nextOffset || last < base || last - segmentBase > 0x7fffffff)
      return stopAt(`offsets ${base}..${last} after ${nextOffset - 1}`)
    batches.push({ position, size, baseOffset: base, lastOffset: last })
    nextOffset = last + 1
    position += size
  }
  return { batches, validEnd: position, stop: null }
}

/** `.log` files of a partition directory (no quarantine or temp files), by base offset. */
export function segmentLogs(partitionDir: string): { name: string; base: number; file: string }[] {
  return fs
    .readdirSync(partitionDir)
    .filter((name) => /^\d{20}\.log$/.test(name))
    .map((name) => ({ name, base: Number(name.slice(0, 20)), file: path.join(partitionDir, name) }))
    .sort((a, b) => a.base - b.base)
}

export function quarantineFiles(partitionDir: string): string[] {
  return fs
    .readdirSync(partitionDir)
    .filter((name) => name.endsWith('.quarantine'))
    .sort()
}

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { makeTmpDir } from '../helpers/tmp-dir.js'
import { segmentFile } from './engine-data.js'
import { openIdleEngine } from '../helpers/engine.js'

/**
 * A data directory with one partition of several segments, for the tests of damage away from the
 * tail (dump, verify, repair). `orders-0` holds RECORDS one-record batches in 16 KiB segments (four
 * of them); record `offset` is `recordAt(offset)`, so what survives a repair can be checked byte
 * for byte. Not a test file itself.
 */

export const RECORDS = 320
const CHILD = fileURLToPath(new URL('./partition-writer-child.mjs', import.meta.url))

export interface SegmentedDir {
  dir: string
  partitionDir: string
  segmentBaseOffsets: number[]
  logEndOffset: number
  /** Every `.log` file's bytes when the build finished, by base offset. */
  original: Map<number, Buffer>
}

/** Must match partition-writer-child.mjs. */
export function recordAt(offset: number): { key: Buffer; value: Buffer; timestamp: number } {
  return {
    key: Buffer.from(`key-${offset}`),
    value: Buffer.from(`value ${offset} `.padEnd(100, '.')),
    timestamp: 1_700_000_000_000 + offset,
  }
}

/** The partition, written and closed cleanly by an engine in this process. */
export async function buildClosedPartition(): Promise<SegmentedDir> {
  const dir = await makeTmpDir('seglog-cli-damage-')
  const engine = await openIdleEngine(dir)
  try {
    await engine.createTopic('orders', { partitions: 1, segmentBytes: 16384, retentionMs: -1 })
    const log = engine.partition('orders', 0)
    for (let offset = 0; offset < RECORDS; offset++) await log.appendRecords([recordAt(offset)])
  } finally {
    await engine.close()
  }
  return describe(dir)
}

/**
 * The same partition, written by a child process that is SIGKILLed after its last flush(): no
 * clean-shutdown marker, no producer snapshot, the recovery point at the log end.
 */
export async function buildCrashedPartition(): Promise<SegmentedDir> {
  const dir = await makeTmpDir('seglog-cli-damage-')
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ dir, records: RECORDS })], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    let text = ''
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (text.includes('ready')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`writer child exited with ${code} before it was ready`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  return describe(dir)
}

function describe(dir: string): SegmentedDir {
  const partitionDir = path.join(dir, 'orders-0')
  const segmentBaseOffsets = fs
    .readdirSync(partitionDir)
    .filter((name) => /^\d{20}\.log$/.test(name))
    .map((name) => Number(name.slice(0, 20)))
    .sort((a, b) => a - b)
  expect(segmentBaseOffsets.length).toBe(4)
  const original = new Map(segmentBaseOffsets.map((base) => [base, fs.readFileSync(segmentFile(partitionDir, base, '.log'))]))
  return { dir, partitionDir, segmentBaseOffsets, logEndOffset: RECORDS, original }
}

/** LogEngine.open refuses the directory; returns the CorruptRecordError it gave. */
export async function expectOpenRefused(dir: string): Promise<CorruptRecordError> {
  let failure: unknown = null
  try {
    const engine = await openIdleEngine(dir)
    await engine.close()
  } catch (error) {
    failure = error
  }
  expect(failure).toBeInstanceOf(SeglogError)
  expect((failure as SeglogError).code).toBe('CORRUPT_RECORD')
  return failure as CorruptRecordError
}

/** Opens the directory (it must open) and checks orders-0 holds exactly recordAt(0..end-1). */
export async function expectRecordsIntact(dir: string, end: number): Promise<void> {
  const engine = await openIdleEngine(dir)
  try {
    const log = engine.partition('orders', 0)
    expect(log.logEndOffset).toBe(end)
    let next = 0
    for await (const record of log.records({ from: 0 })) {
      const expected = recordAt(next)
      expect(record.offset).toBe(next)
      expect(record.key).toEqual(expected.key)
      expect(record.value).toEqual(expected.value)
      expect(record.timestamp).toBe(expected.timestamp)
      next++
    }
    expect(next).toBe(end)
  } finally {
    await engine.close()
  }
}

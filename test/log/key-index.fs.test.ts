import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLEAN_SHUTDOWN_FILE, type LogEngine } from '../../src/engine/log-engine.js'
import { verifyDirectory } from '../../src/engine/verify-directory.js'
import { nodeFileSystem } from '../../src/log/file-system.js'
import { lookupKey } from '../../src/log/key-lookup.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import type { DecodedRecord } from '../../src/record/record.js'
import { seededRandom } from '../../src/seeded-random.js'
import { flipByte } from '../helpers/files.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * lookupKey through the key index (keyIndex: true) against brute force over random logs: lookups
 * interleaved with appends (the active segment's index follows), after a clean and an unclean
 * reopen, with the .keyindex files deleted or damaged, with every key hashing alike, after
 * truncation and retention (whose segments take their .keyindex files with them).
 */

afterEach(removeTmpDirs)

const SEED = Number(process.env.SEGLOG_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))
const KEYS = ['', 'a', 'ab', 'abc', 'abd', 'b', 'k-1', 'k-2', 'k-10'].map((key) => Buffer.from(key))
const BASE_TIME = 1_700_000_000_000

function summary(records: readonly DecodedRecord[]): [number, string | null, string | null, number][] {
  return records.map((record) => [record.offset, record.key?.toString() ?? null, record.value?.toString() ?? null, record.timestamp])
}

async function appendRandom(log: PartitionLog, random: () => number, batches: number, tag: string, keyless = true): Promise<void> {
  for (let batch = 0; batch < batches; batch++) {
    const records = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const draw = Math.floor(random() * (keyless ? KEYS.length + 1 : KEYS.length))
      return {
        key: draw === KEYS.length ? null : KEYS[draw]!,
        value: random() < 0.1 ? null : Buffer.from(`${tag}${batch}`),
        timestamp: BASE_TIME + Math.floor(random() * 1000),
      }
    })
    await log.appendRecords(records, { compression: (['none', 'gzip', 'lz4'] as const)[batch % 3] })
  }
}

/** Random queries: the answer must be the brute-force list, newest first. */
async function checkAgainstBruteForce(
  log: PartitionLog,
  random: () => number,
  queries: number,
  lookup = (key: Buffer, options: object) => log.lookupKey(key, options),
): Promise<void> {
  const all: DecodedRecord[] = []
  for await (const record of log.records({ from: log.logStartOffset })) all.push(record)
  for (let query = 0; query < queries; query++) {
    const key = KEYS[Math.floor(random() * KEYS.length)]!
    const fromTimestamp = random() < 0.5 ? undefined : BASE_TIME + Math.floor(random() * 1000)
    const toTimestamp = random() < 0.5 ? undefined : BASE_TIME + Math.floor(random() * 1000)
    const limit = random() < 0.5 ? undefined : 1 + Math.floor(random() * 5)
    const expected = all
      .filter(
        (record) =>
          record.key !== null &&
          record.key.equals(key) &&
          (fromTimestamp === undefined || record.timestamp >= fromTimestamp) &&
          (toTimestamp === undefined || record.timestamp < toTimestamp),
      )
      .sort((a, b) => b.offset - a.offset)
      .slice(0, limit)
    const found = await lookup(key, { fromTimestamp, toTimestamp, limit })
    expect(summary(found), `key '${key}' from ${fromTimestamp} to ${toTimestamp} limit ${limit}`).toEqual(summary(expected))
  }
}

/** Every key without limits: the answer must hold every record of the key, newest first. */
async function checkEveryKey(log: PartitionLog): Promise<void> {
  const all: DecodedRecord[] = []
  for await (const record of log.records({ from: log.logStartOffset })) all.push(record)
  for (const key of KEYS) {
    const expected = all.filter((record) => record.key !== null && record.key.equals(key)).reverse()
    expect(summary(await log.lookupKey(key)), `key '${key}'`).toEqual(summary(expected))
  }
}

function keyIndexFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.keyindex'))
    .sort()
}

function logFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
}

async function openIndexedTopic(dir: string): Promise<{ engine: LogEngine; log: PartitionLog; partitionDir: string }> {
  const engine = await openQuietEngine(dir, { tickMs: 60_000, fileDeleteDelayMs: 0 })
  if (!engine.hasTopic('t')) await engine.createTopic('t', { partitions: 1, segmentBytes: 1024, keyIndex: true })
  return { engine, log: engine.partition('t', 0), partitionDir: path.join(dir, 't-0') }
}

describe('lookupKey with the key index', () => {
  it(`equals brute force while appending, after reopening, and with index files deleted or damaged (seed ${SEED})`, async () => {
    const random = seededRandom(SEED)
    const dir = await makeTmpDir()
    const opened = await openIndexedTopic(dir)
    const partitionDir = opened.partitionDir
    let { engine, log } = opened
    try {
      for (let round = 0; round < 5; round++) {
        await appendRandom(log, random, 30, `r${round}-`)
        await checkAgainstBruteForce(log, random, 20)
      }
      expect(log.segmentCount).toBeGreaterThan(4)
      // Every closed segment has its file; the active one is indexed in memory only.
      expect(keyIndexFiles(partitionDir)).toEqual(
        logFiles(partitionDir)
          .slice(0, -1)
          .map((name) => name.replace('.log', '.keyindex')),
      )

      await engine.close()
      ;({ engine, log } = await openIndexedTopic(dir))
      await checkAgainstBruteForce(log, random, 30)

      // Unclean: no clean-shutdown marker, so the next open recovers the segments.
      await engine.close()
      fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE), { force: true })
      ;({ engine, log } = await openIndexedTopic(dir))
      await checkAgainstBruteForce(log, random, 30)

      // Deleted and damaged index files are rebuilt from the log (and written again).
      await engine.close()
      const files = keyIndexFiles(partitionDir)
      fs.rmSync(path.join(partitionDir, files[0]!))
      flipByte(path.join(partitionDir, files[1]!), 0) // magic
      flipByte(path.join(partitionDir, files[2]!), 20) // entry count
      const stale = path.join(partitionDir, files[3]!)
      fs.writeFileSync(stale, fs.readFileSync(stale).subarray(0, 24)) // cut to its header
      ;({ engine, log } = await openIndexedTopic(dir))
      await checkAgainstBruteForce(log, random, 30)
      expect(keyIndexFiles(partitionDir)).toContain(files[0])
      expect(fs.statSync(path.join(partitionDir, files[1]!)).size).toBeGreaterThan(24)
      // The read-only checker takes a directory with key indexes as healthy.
      await engine.close()
      expect((await verifyDirectory(dir)).problems).toEqual([])
      ;({ engine, log } = await openIndexedTopic(dir))
    } finally {
      await engine.close()
    }
  })

  it(`never returns a record whose key only shares the hash (seed ${SEED})`, async () => {
    const random = seededRandom(SEED + 1)
    const { engine, log } = await openIndexedTopic(await makeTmpDir())
    try {
      await appendRandom(log, random, 80, 'c')
      // Every key hashes to the same value: the index then lists every keyed record for every key.
      const context = { fileSystem: nodeFileSystem, hash: (): number => 7 }
      await checkAgainstBruteForce(log, random, 40, (key, options) => lookupKey(log, key, options, context))
    } finally {
      await engine.close()
    }
  })

  it(`follows truncation and retention, whose segments take their .keyindex files (seed ${SEED})`, async () => {
    const random = seededRandom(SEED + 2)
    const { engine, log, partitionDir } = await openIndexedTopic(await makeTmpDir())
    try {
      await appendRandom(log, random, 120, 'a')
      await checkAgainstBruteForce(log, random, 10)
      const segments = log.segmentList.map((segment) => segment.baseOffset)
      expect(segments.length).toBeGreaterThan(5)
      // Into the middle of an older segment: later segments go, that one becomes active.
      const middle = segments[segments.length - 3]! + 1
      for (const key of KEYS) await log.lookupKey(key) // every segment's index in memory
      await log.truncateTo(middle)
      expect(keyIndexFiles(partitionDir).length).toBeLessThanOrEqual(logFiles(partitionDir).length)
      for (const name of keyIndexFiles(partitionDir)) expect(logFiles(partitionDir)).toContain(name.replace('.keyindex', '.log'))
      await appendRandom(log, random, 60, 'b')
      await checkAgainstBruteForce(log, random, 30)
      await checkEveryKey(log)

      await log.deleteRecordsBefore(log.segmentList[3]!.baseOffset)
      for (const name of keyIndexFiles(partitionDir)) expect(logFiles(partitionDir)).toContain(name.replace('.keyindex', '.log'))
      expect(keyIndexFiles(partitionDir)).not.toContain(`${String(segments[0]).padStart(20, '0')}.keyindex`)
      await checkAgainstBruteForce(log, random, 30)
    } finally {
      await engine.close()
    }
  })

  it(`follows a compaction pass, which replaces segments under their .keyindex files (seed ${SEED})`, async () => {
    const random = seededRandom(SEED + 3)
    const dir = await makeTmpDir()
    let engine = await openQuietEngine(dir, { tickMs: 60_000, fileDeleteDelayMs: 0 })
    try {
      await engine.createTopic('c', { partitions: 1, segmentBytes: 1024, keyIndex: true, cleanupPolicy: 'compact' })
      let log = engine.partition('c', 0)
      await appendRandom(log, random, 100, 'v', false)
      await checkEveryKey(log) // every segment indexed, closed ones written
      const [pass] = await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
      expect(pass?.recordsRemoved).toBeGreaterThan(0)
      await checkEveryKey(log)
      await appendRandom(log, random, 20, 'w', false)
      await checkEveryKey(log)
      await engine.close()
      engine = await openQuietEngine(dir, { tickMs: 60_000, fileDeleteDelayMs: 0 })
      log = engine.partition('c', 0)
      await checkEveryKey(log)
      await checkAgainstBruteForce(log, random, 20)
    } finally {
      await engine.close()
    }
  })
})

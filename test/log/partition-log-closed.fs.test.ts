import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, type PartitionLog } from '../../src/log/partition-log.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { buildPartition, readRecords } from '../helpers/build-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * A PartitionLog object kept after its engine (or itself) was closed: every method refuses with
 * LOG_CLOSED and touches no file, even when another engine now owns the directory and the old
 * descriptor numbers belong to other files.
 */

afterEach(removeTmpDirs)

/** sha256 of every file under `dir` (relative name -> hash). */
function hashTree(dir: string): Map<string, string> {
  const hashes = new Map<string, string>()
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    hashes.set(path.relative(dir, file), createHash('sha256').update(fs.readFileSync(file)).digest('hex'))
  }
  return hashes
}

/** Runs a call of any shape and gives the code of what it threw or rejected with ('ok' if nothing). */
async function outcome(call: () => unknown): Promise<string> {
  try {
    const result = call()
    if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) {
      for await (const item of result as AsyncIterable<unknown>) void item
    } else {
      await result
    }
    return 'ok'
  } catch (error) {
    return (error as { code?: string }).code ?? `raw ${(error as Error).name}`
  }
}

/** Every public method of a partition log, with valid arguments. */
function everyMethod(log: PartitionLog): Record<string, () => unknown> {
  return {
    appendRecords: () => log.appendRecords([{ value: Buffer.from('late') }]),
    appendBatch: () => log.appendBatch(encodeBatch([{ value: Buffer.from('late') }], { baseOffset: 0 })),
    readRaw: () => log.readRaw(0),
    readRawMaxOffset: () => log.readRaw(0, { maxOffset: 3 }),
    batches: () => log.batches({ from: 0 }),
    records: () => log.records({ from: 0 }),
    offsetForTimestamp: () => log.offsetForTimestamp(1_000),
    offsetForEarliest: () => log.offsetForTimestamp(EARLIEST_TIMESTAMP),
    offsetForLatest: () => log.offsetForTimestamp(LATEST_TIMESTAMP),
    offsetForMaxTimestamp: () => log.offsetForTimestamp(MAX_TIMESTAMP),
    truncateTo: () => log.truncateTo(1),
    deleteRecordsBefore: () => log.deleteRecordsBefore(1),
    applyRetention: () => log.applyRetention(Date.now() + 1e12),
    flush: () => log.flush(),
    waitDurable: () => log.waitDurable(1),
    setHighWatermark: () => log.setHighWatermark(1),
    rollNow: () => log.rollNow(),
  }
}

describe('a PartitionLog kept after engine.close()', () => {
  it('refuses every method with LOG_CLOSED and leaves the next engine’s files alone', async () => {
    const dir = await makeTmpDir()
    const first = await LogEngine.open({ dir, onWarning: () => undefined })
    await first.createTopic('t', { segmentBytes: 1024, retentionMs: 1 })
    const old = first.partition('t', 0)
    for (let n = 0; n < 20; n++) await old.appendRecords([{ value: Buffer.alloc(100, `A${n}`), timestamp: 1_000 + n }])
    await first.close()

    // A second engine owns the directory now; its files reuse the old descriptor numbers.
    const second = await LogEngine.open({ dir, onWarning: () => undefined, tickMs: 3_600_000 })
    try {
      const current = second.partition('t', 0)
      await current.truncateTo(0)
      for (let n = 0; n < 30; n++) await current.appendRecords([{ value: Buffer.alloc(100, `B${n}`), timestamp: 5_000 + n }])
      await second.flush()
      const before = hashTree(dir)

      const outcomes: Record<string, string> = {}
      for (const [name, call] of Object.entries(everyMethod(old))) outcomes[name] = await outcome(call)
      expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((name) => [name, 'LOG_CLOSED'])))
      expect(hashTree(dir)).toEqual(before)

      // The live log is unaffected.
      const values = (await readRecords(current, 0)).map((record) => record.value!.subarray(0, 3).toString())
      expect(values).toEqual(Array.from({ length: 30 }, (_, n) => Buffer.alloc(3, `B${n}`).toString()))
    } finally {
      await second.close()
    }
  })
})

describe('a closed PartitionLog', () => {
  it('refuses every method with LOG_CLOSED and writes nothing', async () => {
    const { log, dir } = await buildPartition()
    for (let n = 0; n < 5; n++) await log.appendRecords([{ value: Buffer.from(`v${n}`), timestamp: 1_000 + n }])
    await log.close()
    const before = hashTree(dir)
    for (const [name, call] of Object.entries(everyMethod(log))) expect(await outcome(call), name).toBe('LOG_CLOSED')
    expect(hashTree(dir)).toEqual(before)
    await log.close()
  })

  it('rejects calls queued behind close() with LOG_CLOSED', async () => {
    const { log, dir } = await buildPartition()
    for (let n = 0; n < 5; n++) await log.appendRecords([{ value: Buffer.from(`v${n}`), timestamp: 1_000 + n }])
    const closing = log.close()
    const queued = [
      log.appendRecords([{ value: Buffer.from('late') }]),
      log.truncateTo(1),
      log.deleteRecordsBefore(1),
      log.applyRetention(),
      log.rollNow(),
    ]
    await closing
    const before = hashTree(dir)
    const codes = await Promise.all(queued.map((call) => outcome(() => call)))
    expect(codes).toEqual(['LOG_CLOSED', 'LOG_CLOSED', 'LOG_CLOSED', 'LOG_CLOSED', 'LOG_CLOSED'])
    expect(hashTree(dir)).toEqual(before)
  })
})

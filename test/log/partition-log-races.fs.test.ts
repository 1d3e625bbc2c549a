import { afterEach, describe, expect, it } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import type { PartitionLog, ReadRawResult } from '../../src/log/partition-log.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { buildPartition } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Reads racing the operations that remove data (docs/testing.md T13): truncateTo, retention with
 * fileDeleteDelayMs 0, DeleteRecords. A read either returns whole batches holding exactly the
 * records written at those offsets, or fails with OFFSET_OUT_OF_RANGE because the offset is gone.
 * It never fails with an I/O error from a closed or reused descriptor and never returns -1.
 */

afterEach(removeTmpDirs)

/** Deterministic pseudo-random numbers, so a failing run can be replayed. */
function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 0x1_0000_0000
  }
}

/** Values say which write made them, so a reader can tell a record from one of another write. */
function valueFor(offset: number, write: number, size: number): Buffer {
  const tag = Buffer.from(`o${offset}w${write}:`)
  const value = Buffer.alloc(Math.max(size, tag.length), tag.toString())
  tag.copy(value)
  return value
}

interface Stats {
  reads: number
  outOfRange: number
  asyncReads: number
}

/** Everything a read may legally return, checked against every value ever written at each offset. */
function checkResult(result: ReadRawResult, offset: number, written: Map<number, Set<string>>): void {
  expect(result.nextOffset).toBeGreaterThanOrEqual(offset)
  expect(result.firstOffset).toBeGreaterThanOrEqual(0)
  if (result.bytes.length === 0) return
  expect(result.firstOffset).toBeLessThanOrEqual(offset)
  expect(result.nextOffset).toBeGreaterThan(offset)
  const scanner = new BatchScanner(result.bytes, { verifyCrc: true })
  let expected = result.firstOffset
  for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
    expect(batch.baseOffset).toBe(expected)
    for (const record of batch.records()) {
      expect(record.offset).toBe(expected)
      const value = record.value!.toString('latin1')
      const tag = value.slice(0, value.indexOf(':') + 1)
      if (!written.get(record.offset)?.has(tag))
        throw new Error(`offset ${record.offset} returned ${JSON.stringify(tag)}, never written there`)
      expected++
    }
  }
  expect(scanner.trailingBytes).toBe(0)
  expect(expected).toBe(result.nextOffset)
}

async function reader(
  log: PartitionLog,
  seed: number,
  isRunning: () => boolean,
  written: Map<number, Set<string>>,
  stats: Stats,
): Promise<void> {
  const random = lcg(seed)
  while (isRunning()) {
    const start = log.logStartOffset
    const end = log.logEndOffset
    const offset = start + Math.floor(random() * (end - start + 1))
    // Some reads are big enough to go through the thread pool, where a descriptor can be closed under them.
    const maxBytes = random() < 0.3 ? 300 * 1024 + Math.floor(random() * 200 * 1024) : 1 + Math.floor(random() * 8 * 1024)
    if (maxBytes > 128 * 1024) stats.asyncReads++
    try {
      const result = await log.readRaw(offset, { maxBytes, maxOffset: log.logEndOffset })
      checkResult(result, offset, written)
    } catch (error) {
      if (!(error instanceof SeglogError) || error.code !== 'OFFSET_OUT_OF_RANGE') throw error
      stats.outOfRange++
    }
    stats.reads++
    if (stats.reads % 4 === 0) await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** Records read with batches(): contiguous, and each one a value written at its offset. */
async function batchReader(log: PartitionLog, isRunning: () => boolean, written: Map<number, Set<string>>, stats: Stats): Promise<void> {
  while (isRunning()) {
    let expected = -1
    try {
      for await (const batch of log.batches({ from: log.logStartOffset, maxBytes: 64 * 1024 })) {
        for (const record of batch.records()) {
          if (expected >= 0) expect(record.offset).toBe(expected)
          const value = record.value!.toString('latin1')
          if (!written.get(record.offset)?.has(value.slice(0, value.indexOf(':') + 1)))
            throw new Error(`batches() returned a value never written at ${record.offset}`)
          expected = record.offset + 1
        }
      }
    } catch (error) {
      if (!(error instanceof SeglogError) || error.code !== 'OFFSET_OUT_OF_RANGE') throw error
      stats.outOfRange++
    }
    stats.reads++
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** Appends `count` batches of `perBatch` records, remembering every value written at each offset. */
async function appendTagged(
  log: PartitionLog,
  written: Map<number, Set<string>>,
  write: { n: number },
  count: number,
  perBatch: number,
  valueBytes: number,
): Promise<void> {
  for (let batch = 0; batch < count; batch++) {
    write.n++
    const base = log.logEndOffset
    const records = Array.from({ length: perBatch }, (_, slot) => ({
      value: valueFor(base + slot, write.n, valueBytes),
      timestamp: 1_000 + base + slot,
    }))
    for (let slot = 0; slot < perBatch; slot++) {
      const set = written.get(base + slot) ?? new Set<string>()
      set.add(`o${base + slot}w${write.n}:`)
      written.set(base + slot, set)
    }
    const info = await log.appendRecords(records)
    expect(info.baseOffset).toBe(base)
  }
}

interface RaceOutcome {
  /** The read's result, or the code and message of its error. */
  result: ReadRawResult | string
  /** The read settled after `remove` had resolved. */
  settledAfter: boolean
}

/**
 * A read racing `remove`: with `depth` >= 0 the read starts first and `remove` `depth` microtasks
 * later; with a negative depth `remove` starts first.
 */
async function raceOnce(read: () => Promise<ReadRawResult>, remove: () => Promise<unknown>, depth: number): Promise<RaceOutcome> {
  let removed = false
  let reading: Promise<RaceOutcome> | null = null
  const startRead = (): void => {
    reading = read().then(
      (result) => ({ result, settledAfter: removed }),
      (error: { code?: string; message?: string }) => ({ result: `${error.code ?? 'raw'}: ${error.message}`, settledAfter: removed }),
    )
  }
  let removing: Promise<unknown>
  if (depth >= 0) {
    startRead()
    for (let step = 0; step < depth; step++) await null
    removing = remove()
  } else {
    removing = remove()
    for (let step = 0; step < -depth; step++) await null
    startRead()
  }
  await removing
  removed = true
  return reading!
}

/**
 * The windows, swept: a read big enough to go through the thread pool starts, and a few
 * microtasks before or after it an operation removes the bytes it reads (closing the descriptor,
 * cutting the file, or letting another file take the descriptor number).
 */
describe('a read in the thread pool while its bytes are removed', () => {
  const BIG_READ = 1024 * 1024
  const DEPTHS = Array.from({ length: 24 }, (_, slot) => slot - 8)

  it('truncateTo deleting the segment being read: the read gets the records or finds them gone, never an I/O error', async () => {
    for (const depth of DEPTHS) {
      const written = new Map<number, Set<string>>()
      const { log } = await buildPartition({ segmentBytes: 400 * 1024 })
      await appendTagged(log, written, { n: 0 }, 90, 4, 2048)
      expect(log.segmentCount).toBeGreaterThan(1)
      const second = log.segmentList[1]!.baseOffset
      const { result, settledAfter } = await raceOnce(
        () => log.readRaw(second, { maxBytes: BIG_READ }),
        () => log.truncateTo(second - 3),
        depth,
      )
      if (typeof result === 'string') expect(result, `depth ${depth}`).toMatch(/^OFFSET_OUT_OF_RANGE/)
      else {
        checkResult(result, second, written)
        // A read that ends after the truncation did not see records the truncation had removed.
        if (settledAfter) expect(result.nextOffset, `depth ${depth}`).toBeLessThanOrEqual(log.logEndOffset)
      }
      await log.close()
    }
  })

  it('truncateTo cutting the active segment being read: never a short batch, nextOffset -1 or records already cut', async () => {
    for (const depth of DEPTHS) {
      for (const from of [0, 160]) {
        const written = new Map<number, Set<string>>()
        const { log } = await buildPartition()
        await appendTagged(log, written, { n: 0 }, 90, 4, 2048)
        const { result, settledAfter } = await raceOnce(
          () => log.readRaw(from, { maxBytes: BIG_READ }),
          () => log.truncateTo(150),
          depth,
        )
        if (typeof result === 'string') expect(result, `depth ${depth} from ${from}`).toMatch(/^OFFSET_OUT_OF_RANGE/)
        else {
          checkResult(result, from, written)
          if (settledAfter) expect(result.nextOffset, `depth ${depth} from ${from}`).toBeLessThanOrEqual(log.logEndOffset)
        }
        await log.close()
      }
    }
  })

  it('retention deleting the segment being read (fileDeleteDelayMs 0): the read gets the records or finds them gone', async () => {
    for (const depth of DEPTHS) {
      const written = new Map<number, Set<string>>()
      const { log } = await buildPartition({ segmentBytes: 400 * 1024, retentionBytes: 800 * 1024, logOptions: { fileDeleteDelayMs: 0 } })
      await appendTagged(log, written, { n: 0 }, 150, 4, 2048)
      expect(log.segmentCount).toBeGreaterThan(2)
      const second = log.segmentList[1]!.baseOffset
      const { result } = await raceOnce(
        () => log.readRaw(0, { maxBytes: BIG_READ }),
        () => log.applyRetention(),
        depth,
      )
      if (typeof result === 'string') expect(result, `depth ${depth}`).toMatch(/^OFFSET_OUT_OF_RANGE/)
      else checkResult(result, 0, written)
      expect(log.logStartOffset).toBe(second)
      await log.close()
    }
  })

  it('close() of the log being read: the read completes or gets LOG_CLOSED, later reads get LOG_CLOSED', async () => {
    for (const depth of DEPTHS) {
      const written = new Map<number, Set<string>>()
      const { log } = await buildPartition()
      await appendTagged(log, written, { n: 0 }, 90, 4, 2048)
      const { result } = await raceOnce(
        () => log.readRaw(0, { maxBytes: BIG_READ }),
        () => log.close(),
        depth,
      )
      if (typeof result === 'string') expect(result, `depth ${depth}`).toMatch(/^LOG_CLOSED/)
      else checkResult(result, 0, written)
      await expect(log.readRaw(0)).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    }
  })
})

describe('readers racing truncateTo', () => {
  it('get whole batches of written records or OFFSET_OUT_OF_RANGE, never an I/O error or -1', async () => {
    const { log } = await buildPartition({ segmentBytes: 160 * 1024, indexIntervalBytes: 4096 })
    const written = new Map<number, Set<string>>()
    const write = { n: 0 }
    const stats: Stats = { reads: 0, outOfRange: 0, asyncReads: 0 }
    await appendTagged(log, written, write, 60, 8, 1024)
    let running = true
    const random = lcg(7)
    const writer = (async () => {
      try {
        for (let round = 0; round < 15; round++) {
          await log.truncateTo(Math.floor(random() * log.logEndOffset))
          await appendTagged(log, written, write, 5 + Math.floor(random() * 40), 8, 1024)
        }
      } finally {
        running = false
      }
    })()
    const isRunning = (): boolean => running
    await Promise.all([
      writer,
      ...[1, 2, 3, 4, 5, 6].map((seed) => reader(log, seed, isRunning, written, stats)),
      batchReader(log, isRunning, written, stats),
    ])
    expect(stats.reads).toBeGreaterThan(100)
    expect(stats.asyncReads).toBeGreaterThan(10)
    expect(log.segmentCount).toBeGreaterThan(1)
    await log.close()
  })
})

describe('readers racing retention with fileDeleteDelayMs 0', () => {
  it('get whole batches of written records or OFFSET_OUT_OF_RANGE while segments are deleted under them', async () => {
    const { log } = await buildPartition({
      segmentBytes: 160 * 1024,
      indexIntervalBytes: 4096,
      retentionBytes: 600 * 1024,
      logOptions: { fileDeleteDelayMs: 0 },
    })
    const written = new Map<number, Set<string>>()
    const write = { n: 0 }
    const stats: Stats = { reads: 0, outOfRange: 0, asyncReads: 0 }
    await appendTagged(log, written, write, 60, 8, 1024)
    let running = true
    const random = lcg(11)
    const writer = (async () => {
      try {
        for (let round = 0; round < 24; round++) {
          await appendTagged(log, written, write, 4 + Math.floor(random() * 10), 8, 1024)
          if (round % 3 === 0) await log.applyRetention()
          if (round % 5 === 0)
            await log.deleteRecordsBefore(log.logStartOffset + Math.floor(random() * (log.highWatermark - log.logStartOffset) * 0.3))
        }
      } finally {
        running = false
      }
    })()
    const isRunning = (): boolean => running
    await Promise.all([
      writer,
      ...[21, 22, 23, 24, 25, 26].map((seed) => reader(log, seed, isRunning, written, stats)),
      batchReader(log, isRunning, written, stats),
    ])
    expect(stats.reads).toBeGreaterThan(100)
    expect(log.logStartOffset).toBeGreaterThan(0)
    await log.close()
  })
})

describe('readers racing truncation, retention and appends at once', () => {
  it('stay correct', async () => {
    const { log } = await buildPartition({
      segmentBytes: 64 * 1024,
      indexIntervalBytes: 1024,
      retentionBytes: 400 * 1024,
      logOptions: { fileDeleteDelayMs: 0 },
    })
    const written = new Map<number, Set<string>>()
    const write = { n: 0 }
    const stats: Stats = { reads: 0, outOfRange: 0, asyncReads: 0 }
    await appendTagged(log, written, write, 80, 4, 700)
    let running = true
    const random = lcg(3)
    const writer = (async () => {
      try {
        for (let round = 0; round < 40; round++) {
          const choice = random()
          if (choice < 0.3) await log.truncateTo(log.logStartOffset + Math.floor(random() * (log.logEndOffset - log.logStartOffset)))
          else if (choice < 0.5) await log.applyRetention()
          else if (choice < 0.6)
            await log.deleteRecordsBefore(log.logStartOffset + Math.floor(random() * (log.highWatermark - log.logStartOffset) * 0.2))
          await appendTagged(log, written, write, 2 + Math.floor(random() * 12), 4, 700)
          expect(log.logStartOffset).toBeLessThanOrEqual(log.highWatermark)
          expect(log.highWatermark).toBeLessThanOrEqual(log.logEndOffset)
        }
      } finally {
        running = false
      }
    })()
    const isRunning = (): boolean => running
    await Promise.all([
      writer,
      ...[31, 32, 33, 34].map((seed) => reader(log, seed, isRunning, written, stats)),
      batchReader(log, isRunning, written, stats),
    ])
    expect(stats.reads).toBeGreaterThan(100)
    await log.close()
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PartitionLog } from '../../src/log/partition-log.js'
import { partitionConfig } from '../helpers/build-log.js'
import { assertCliBuilt, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { buildLog, caught, markUnclean, openEngineWithLog, partitionDir, readAll, TOPIC, type BuiltRecord } from './fixtures.js'
import { scanSegment, segmentLogs, type ScannedBatch } from './helpers.js'
import { flipByte } from '../helpers/files.js'

/**
 * Damage below the recovery point met by a reader: readRaw, batches(), records(),
 * offsetForTimestamp, the Consumer and `seglog consume` fail with CorruptRecordError naming the
 * file and byte position. None of them waits forever or skips the damaged records, on the first
 * read or any later one. An open that refuses damaged data names the way out (`seglog repair`).
 */

afterEach(async () => {
  vi.restoreAllMocks()
  await removeTmpDirs()
})

interface Segment {
  name: string
  file: string
  base: number
  size: number
  batches: ScannedBatch[]
}

function layout(dir: string): Segment[] {
  return segmentLogs(partitionDir(dir)).map((segment) => {
    const bytes = fs.readFileSync(segment.file)
    const scan = scanSegment(bytes, segment.base)
    expect(scan.stop).toBeNull()
    return { ...segment, size: bytes.length, batches: scan.batches }
  })
}

/** A partition of four or more small segments; returns its records and layout. */
async function buildFourSegments(dir: string): Promise<{ records: BuiltRecord[]; segments: Segment[] }> {
  const records = await buildLog(dir, { batches: 48 })
  const segments = layout(dir)
  expect(segments.length).toBeGreaterThanOrEqual(4)
  return { records, segments }
}

interface Damage {
  name: string
  /** Damages the first segment; returns the batch met, the expected reason and position. */
  apply: (segment: Segment) => { batch: ScannedBatch; reason: string; position: number }
}

const DAMAGES: Damage[] = [
  {
    name: 'byte 9 (batch length) of the first batch',
    apply: (segment) => {
      const batch = segment.batches[0]!
      flipByte(segment.file, batch.position + 9)
      return { batch, reason: 'truncated-record', position: batch.position }
    },
  },
  {
    name: 'the low byte of a middle batch’s length',
    apply: (segment) => {
      const batch = segment.batches[3]!
      flipByte(segment.file, batch.position + 11, 0x10)
      return { batch, reason: 'bad-crc', position: batch.position }
    },
  },
  {
    name: 'the CRC of a middle batch',
    apply: (segment) => {
      const batch = segment.batches[2]!
      flipByte(segment.file, batch.position + 18)
      return { batch, reason: 'bad-crc', position: batch.position }
    },
  },
  {
    name: 'the magic byte of a middle batch',
    apply: (segment) => {
      const batch = segment.batches[2]!
      flipByte(segment.file, batch.position + 16)
      return { batch, reason: 'bad-magic', position: batch.position + 16 }
    },
  },
  {
    name: 'a record body byte',
    apply: (segment) => {
      const batch = segment.batches[1]!
      flipByte(segment.file, batch.position + batch.size - 5)
      return { batch, reason: 'bad-crc', position: batch.position }
    },
  },
  {
    name: 'a cut 10 bytes before the end of the segment',
    apply: (segment) => {
      const batch = segment.batches.at(-1)!
      fs.truncateSync(segment.file, segment.size - 10)
      return { batch, reason: 'truncated-record', position: batch.position }
    },
  },
  {
    name: 'a cut inside the last batch’s header',
    apply: (segment) => {
      const batch = segment.batches.at(-1)!
      fs.truncateSync(segment.file, batch.position + 30)
      return { batch, reason: 'truncated-record', position: batch.position }
    },
  },
  {
    name: 'a cut inside the last batch’s first 17 bytes',
    apply: (segment) => {
      const batch = segment.batches.at(-1)!
      fs.truncateSync(segment.file, batch.position + 5)
      return { batch, reason: 'truncated-record', position: batch.position }
    },
  },
]

/** Settles `promise` or reports that it did not within `ms` (a hang). */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The error a reader met, or a description of what it did instead (returned, hung). */
async function failure(
  read: () => Promise<unknown>,
  ms = 5_000,
): Promise<{ code?: string; reason?: string; file?: string; position?: number } | string> {
  const result = await withinMs(
    read().then(
      () => 'returned without an error',
      (error: unknown) => error as { code?: string },
    ),
    ms,
  )
  return result === 'hung' ? `hung for ${ms} ms` : result
}

async function drainRecords(log: PartitionLog, from: number): Promise<number> {
  let count = 0
  for await (const record of log.records({ from })) count += record.offset >= 0 ? 1 : 0
  return count
}

async function drainBatches(log: PartitionLog, from: number): Promise<number> {
  let count = 0
  for await (const batch of log.batches({ from })) count += batch.recordCount
  return count
}

/** Reads with readRaw from `from` on, following nextOffset, until an empty answer. */
async function drainRaw(log: PartitionLog, from: number): Promise<number> {
  let offset = from
  for (let reads = 0; reads < 10_000; reads++) {
    const { bytes, nextOffset } = await log.readRaw(offset, { maxBytes: 1 })
    if (bytes.length === 0) return offset
    if (nextOffset <= offset) throw new Error(`readRaw did not advance: ${offset} -> ${nextOffset}`)
    offset = nextOffset
  }
  throw new Error('readRaw loop did not end')
}

describe('damage in a non-last segment, met by every reader', () => {
  for (const damage of DAMAGES) {
    for (const shutdown of ['clean', 'unclean'] as const) {
      it(`${damage.name} (${shutdown} shutdown)`, async () => {
        const dir = await makeTmpDir()
        const { records, segments } = await buildFourSegments(dir)
        const target = segments[0]!
        const { batch, reason, position } = damage.apply(target)
        // Unclean, with the recovery point past the damage: recovery does not look at it.
        if (shutdown === 'unclean') markUnclean(dir)
        const expected = { code: 'CORRUPT_RECORD', reason, file: target.file, position }

        const { engine, log } = await openEngineWithLog(dir)
        try {
          expect(log.logEndOffset).toBe(records.length)
          expect(await failure(() => log.readRaw(batch.baseOffset))).toMatchObject(expected)
          // Every later read fails the same way: nothing is skipped once the damage is known.
          for (let attempt = 0; attempt < 2; attempt++) {
            expect(await failure(() => drainRaw(log, 0)), `readRaw loop, attempt ${attempt}`).toMatchObject(expected)
            expect(await failure(() => drainRecords(log, 0)), `records(), attempt ${attempt}`).toMatchObject(expected)
            expect(await failure(() => drainBatches(log, 0)), `batches(), attempt ${attempt}`).toMatchObject(expected)
          }
          const timestamp = records.find((record) => record.offset === batch.baseOffset)!.timestamp
          expect(await failure(() => log.offsetForTimestamp(timestamp))).toMatchObject(expected)

          const consumer = await engine.consumer({ group: 'g', topics: [TOPIC], from: 'earliest', maxBytes: 512 })
          const iterator = consumer[Symbol.asyncIterator]()
          const seen: number[] = []
          const met = await failure(async () => {
            for (;;) {
              const next = await iterator.next()
              if (next.done === true) return
              seen.push(next.value.offset)
            }
          })
          expect(met).toMatchObject(expected)
          // What came before the damage was delivered in order, and nothing from it or after it.
          expect(seen).toEqual(records.filter((record) => record.offset < seen.length).map((record) => record.offset))
          expect(seen.length).toBeLessThanOrEqual(batch.baseOffset)
          await consumer.close()

          // Batches after the damaged one stay readable, and so do later segments.
          expect((await readAll(log, segments[1]!.base)).length).toBe(records.length - segments[1]!.base)
        } finally {
          await engine.close()
        }
      })
    }
  }

  it('a damaged batch whose index must be rebuilt fails every read, not only the first', async () => {
    const dir = await makeTmpDir()
    const { records, segments } = await buildFourSegments(dir)
    const target = segments[1]!
    const batch = target.batches[2]!
    flipByte(target.file, batch.position + batch.size - 3)
    // An index that fails its checks makes the first read rebuild both from the log.
    fs.writeFileSync(target.file.replace(/\.log$/, '.timeindex'), Buffer.alloc(12))
    const { engine, log } = await openEngineWithLog(dir)
    try {
      const expected = { code: 'CORRUPT_RECORD', file: target.file, position: batch.position }
      for (let attempt = 0; attempt < 3; attempt++) {
        expect(await failure(() => drainRecords(log, target.base)), `attempt ${attempt}`).toMatchObject(expected)
        expect(await failure(() => log.readRaw(batch.baseOffset)), `attempt ${attempt}`).toMatchObject(expected)
        expect(await failure(() => drainRaw(log, target.base + 1)), `attempt ${attempt}`).toMatchObject(expected)
      }
      const timestamp = records.find((record) => record.offset === batch.baseOffset)!.timestamp
      expect(await failure(() => log.offsetForTimestamp(timestamp))).toMatchObject(expected)
      // The records before the damaged batch are still served (read one batch at a time, so the
      // read stops short of the damaged one).
      const before: number[] = []
      for await (const read of log.batches({ from: target.base, to: batch.baseOffset, maxBytes: 1 }))
        for (const record of read.records()) before.push(record.offset)
      expect(before).toEqual(
        records.filter((record) => record.offset >= target.base && record.offset < batch.baseOffset).map((record) => record.offset),
      )
    } finally {
      await engine.close()
    }
  })
})

describe('seglog consume on a partition with a damaged batch length', () => {
  beforeAll(assertCliBuilt)

  it('exits with 1 and names the file and position instead of hanging', async () => {
    const dir = await makeTmpDir()
    const { segments } = await buildFourSegments(dir)
    flipByte(segments[0]!.file, 9)
    const result = await runCli(['consume', dir, '--topic', TOPIC, '--from-beginning'], { timeoutMs: 20_000 })
    expect(result.signal).toBeNull()
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(segments[0]!.file)
  })
})

describe('an open refused because of damage below the recovery point', () => {
  it('names the repair command, and keeps code, reason, file and position', async () => {
    const dir = await makeTmpDir()
    const { segments } = await buildFourSegments(dir)
    const target = segments.at(-1)!
    const batch = target.batches[1]!
    flipByte(target.file, batch.position + 70)
    markUnclean(dir)
    const error = await caught(() => openEngineWithLog(dir))
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', reason: 'bad-crc', file: target.file, position: batch.position })
    expect(error.message).toContain(`seglog repair ${dir} --topic ${TOPIC} --partition 0`)
  })

  it('names it when a clean open finds the active segment does not end on a batch boundary', async () => {
    const dir = await makeTmpDir()
    const { segments } = await buildFourSegments(dir)
    const target = segments.at(-1)!
    fs.truncateSync(target.file, target.size - 7)
    for (const index of ['.index', '.timeindex']) fs.rmSync(target.file.replace(/\.log$/, index), { force: true })
    const error = await caught(() => openEngineWithLog(dir))
    expect(error).toMatchObject({ code: 'CORRUPT_RECORD', file: target.file })
    expect(error.message).toContain(`seglog repair ${path.resolve(dir)} --topic ${TOPIC} --partition 0`)
  })
})

describe('a refused open', () => {
  it('closes every file it opened', async () => {
    const dir = await makeTmpDir()
    const { segments } = await buildFourSegments(dir)
    const target = segments.at(-1)!
    flipByte(target.file, target.batches[1]!.position + 70)
    const openFiles = (): number => fs.readdirSync('/proc/self/fd').length
    const before = openFiles()
    for (let attempt = 0; attempt < 5; attempt++) {
      const error = await caught(() =>
        PartitionLog.open(partitionDir(dir), TOPIC, 0, partitionConfig({ segmentBytes: 4096 }), {
          isClean: false,
          recoveryPoint: 1_000_000,
          logStartOffset: 0,
        }),
      )
      expect(error.code).toBe('CORRUPT_RECORD')
    }
    // Each attempt opened one descriptor per segment; none may stay open.
    expect(openFiles() - before).toBeLessThan(segments.length)
  })
})

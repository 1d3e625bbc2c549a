import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../src/engine/checkpoint-file.js'
import { CLEAN_SHUTDOWN_FILE } from '../../src/engine/log-engine.js'
import type { FlushPolicy } from '../../src/log/flush-policy.js'
import { LATEST_TIMESTAMP } from '../../src/log/partition-log.js'
import { FSYNC_CALLS, spyFileSystem, type FileSystemSpy } from '../helpers/file-system-spy.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { buildLog, caught, markUnclean, openEngineWithLog, partitionDir, readAll, TOPIC, type OpenedEngine } from './fixtures.js'
import { scanSegment, segmentLogs, sleep } from './helpers.js'
import { flipByte } from '../helpers/files.js'

/**
 * What each flush mode does (docs/durability.md): when an append resolves,
 * when fsyncs happen, what readers see; the clean-shutdown marker and the checkpoint files (§16.1),
 * and recovery starting from the checkpointed recovery point (§15).
 *
 * The engines here run on a manual clock and reach the disk through a file-system spy: time moves
 * only when a test moves it, and fsyncs are counted or held instead of waited for. Only the group
 * commit test with a slow device keeps real time, since how many appends share a round is the
 * point there.
 */

afterEach(removeTmpDirs)

interface Opened extends OpenedEngine {
  dir: string
  spy: FileSystemSpy
  clock: ManualClock
}

async function openWith(flush: FlushPolicy | FlushPolicy['mode'], topic: Record<string, number> = {}): Promise<Opened> {
  const dir = await makeTmpDir()
  const spy = spyFileSystem()
  const clock = new ManualClock()
  const opened = await openEngineWithLog(dir, { flush, tickMs: 5, checkpointIntervalMs: 3_600_000, clock, fileSystem: spy.fileSystem })
  await opened.engine.createTopic(TOPIC, topic)
  return { ...opened, log: opened.engine.partition(TOPIC, 0), dir, spy, clock }
}

/** Lets queued callbacks and I/O run a few turns. */
async function settle(turns = 20): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve))
}

/** Waits until the engine's background task has read the clock `ticks` more times (it has run). */
async function ticks(clock: ManualClock, count = 3): Promise<void> {
  const reads = clock.reads
  await waitUntil(() => clock.reads >= reads + count, `${count} runs of the background task`)
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<number> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await sleep(2)
  }
  return Date.now() - start
}

const value = (text: string): { value: Buffer } => ({ value: Buffer.from(text) })

/** Holds every asynchronous fdatasync until `release()`: appends are written but never durable. */
function holdFsyncs(spy: FileSystemSpy): { release: () => void; held: () => number } {
  let holding = true
  const queue: (() => void)[] = []
  const unhook = spy.hook((info) => {
    if (holding && info.call === 'datasync') return new Promise<void>((resolve) => queue.push(resolve))
  })
  return {
    release: () => {
      holding = false
      unhook()
      for (const run of queue.splice(0)) run()
    },
    held: () => queue.length,
  }
}

describe("'sync'", () => {
  it('resolves an append only once the recovery point covers it, and readers never see what is not durable', async () => {
    const { engine, log, spy } = await openWith('sync')
    try {
      for (let slot = 0; slot < 3; slot++) {
        const info = await log.appendRecords([value(`durable ${slot}`)])
        expect(log.recoveryPoint).toBeGreaterThan(info.lastOffset)
      }
      const fsyncs = holdFsyncs(spy)
      let resolved = 0
      const pending = Array.from({ length: 5 }, (_, slot) =>
        log.appendRecords([value(`pending ${slot}`)]).then((info) => {
          resolved++
          expect(log.recoveryPoint).toBeGreaterThan(info.lastOffset)
          return info
        }),
      )
      // The bytes are in the file, the fsync is not done.
      await waitUntil(() => log.logEndOffset === 8 && fsyncs.held() > 0, 'all five are written')
      await settle()
      expect(resolved).toBe(0)
      expect(log.recoveryPoint).toBe(3)
      expect(log.highWatermark).toBe(3)
      expect((await readAll(log)).map((record) => record.value.toString())).toEqual(['durable 0', 'durable 1', 'durable 2'])
      expect((await log.readRaw(0, { maxBytes: 1 << 20 })).nextOffset).toBe(3)
      expect((await log.readRaw(3)).bytes.length).toBe(0)
      expect(await log.offsetForTimestamp(LATEST_TIMESTAMP)).toEqual({ offset: 3, timestamp: -1 })

      fsyncs.release()
      const infos = await Promise.all(pending)
      expect(infos.map((info) => info.baseOffset)).toEqual([3, 4, 5, 6, 7])
      expect(log.highWatermark).toBe(8)
      expect((await readAll(log)).length).toBe(8)
    } finally {
      await engine.close()
    }
  })

  it('keeps the high watermark at or below the recovery point under concurrent appends', async () => {
    const { engine, log } = await openWith('sync', { segmentBytes: 8192 })
    let violations = 0
    let samples = 0
    const check = (): void => {
      samples++
      if (log.highWatermark > log.recoveryPoint) violations++
    }
    log.events.on('append', check)
    let running = true
    const sampler = (async () => {
      while (running) {
        check()
        const { nextOffset } = await log.readRaw(log.logStartOffset, { maxBytes: 1 << 20 })
        // What a reader got was durable when the read started at the latest.
        if (nextOffset > log.recoveryPoint) violations++
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    try {
      await Promise.all(
        Array.from({ length: 16 }, async (_, writer) => {
          for (let round = 0; round < 20; round++) await log.appendRecords([value(`w${writer} r${round} ${'x'.repeat(200)}`)])
        }),
      )
    } finally {
      running = false
      await sampler
      await engine.close()
    }
    expect(samples).toBeGreaterThan(50)
    expect(violations).toBe(0)
  })

  /** 64 appenders, 10 appends each, all awaited; returns the fsync rounds they took. */
  async function groupCommitRounds(fsyncDelayMs = 0): Promise<{ rounds: number; appends: number }> {
    const { engine, log, spy } = await openWith('sync')
    if (fsyncDelayMs > 0)
      spy.hook((info) => (info.call === 'datasync' ? new Promise<void>((resolve) => setTimeout(resolve, fsyncDelayMs)) : undefined))
    try {
      const before = log.flushCount
      const appenders = 64
      const perAppender = 10
      const seen = new Set<number>()
      await Promise.all(
        Array.from({ length: appenders }, async (_, writer) => {
          for (let round = 0; round < perAppender; round++) {
            const info = await log.appendRecords([value(`${writer}/${round}`)])
            expect(log.recoveryPoint).toBeGreaterThan(info.lastOffset)
            seen.add(info.baseOffset)
          }
        }),
      )
      const appends = appenders * perAppender
      expect(seen.size).toBe(appends)
      const values = (await readAll(log)).map((record) => record.value.toString())
      expect(new Set(values).size).toBe(appends)
      return { rounds: log.flushCount - before, appends }
    } finally {
      await engine.close()
    }
  }

  it('group commit: 64 concurrent appenders share far fewer fsync rounds than appends', async () => {
    // How many appends share a round depends on how long the disk's fdatasync takes (0.3-3 ms on
    // the machine this was written on, nothing on a tmpfs), so on the real disk only the bounds hold.
    const real = await groupCommitRounds()
    expect(real.rounds).toBeGreaterThan(0)
    expect(real.rounds).toBeLessThanOrEqual(real.appends)
    // With a device whose fsync takes 5 ms (real time: appends pile up meanwhile), dozens of
    // appends share each round.
    const slow = await groupCommitRounds(5)
    expect(slow.rounds * 10, `${slow.rounds} fsync rounds for ${slow.appends} appends with a 5 ms fsync`).toBeLessThanOrEqual(slow.appends)
  })
})

describe("'interval'", () => {
  it('with messages: N fsyncs after N * messages appends, none in between', async () => {
    const { engine, log, spy } = await openWith({ mode: 'interval', messages: 10 })
    try {
      const before = log.flushCount
      for (let round = 1; round <= 4; round++) {
        const fsyncs = spy.count(FSYNC_CALLS)
        for (let slot = 0; slot < 9; slot++) await log.appendRecords([value(`${round}.${slot}`)])
        await settle()
        expect(spy.count(FSYNC_CALLS)).toBe(fsyncs)
        expect(log.flushCount - before).toBe(round - 1)
        expect(log.recoveryPoint).toBe((round - 1) * 10)
        // Visible before it is durable: interval mode acknowledges written data.
        expect(log.highWatermark).toBe(log.logEndOffset)
        await log.appendRecords([value(`${round}.9`)])
        await waitUntil(() => log.recoveryPoint === round * 10, `the fsync after ${round * 10} appends`)
        expect(log.flushCount - before).toBe(round)
      }
    } finally {
      await engine.close()
    }
  })

  it('with ms: the background task fsyncs once the interval has passed on the clock, without flush() calls', async () => {
    const { engine, log, clock } = await openWith({ mode: 'interval', ms: 300 })
    try {
      for (let round = 1; round <= 3; round++) {
        // The interval counts from the last fsync (or the last time there was nothing to fsync).
        clock.advance(300)
        await ticks(clock)
        const last = log.lastFlushMs
        const before = log.flushCount
        await log.appendRecords([value(`timed ${round}`)])
        clock.advance(299)
        await ticks(clock)
        expect(log.recoveryPoint).toBeLessThan(log.logEndOffset)
        expect(log.flushCount - before).toBe(0)
        clock.advance(1)
        await waitUntil(() => log.recoveryPoint === log.logEndOffset, 'the timed fsync')
        expect(log.flushCount - before).toBe(1)
        expect(log.lastFlushMs).toBe(last + 300)
      }
    } finally {
      await engine.close()
    }
  })

  it('with a long ms: nothing is fsynced before the interval', async () => {
    const { engine, log, clock } = await openWith({ mode: 'interval', ms: 60_000 })
    try {
      await log.appendRecords([value('waits')])
      clock.advance(59_999)
      await ticks(clock)
      expect(log.recoveryPoint).toBe(0)
      expect(log.flushCount).toBe(0)
      await log.flush()
      expect(log.recoveryPoint).toBe(1)
    } finally {
      await engine.close()
    }
  })
})

describe("'os'", () => {
  it('never fsyncs until flush() or close() (no roll in between)', async () => {
    const { engine, log, spy, clock } = await openWith('os')
    const start = spy.count(FSYNC_CALLS)
    const count = (): number => spy.count(FSYNC_CALLS) - start
    try {
      for (let slot = 0; slot < 200; slot++) await log.appendRecords([value(`os ${slot}`)])
      clock.advance(3_600_000)
      await ticks(clock)
      expect(count()).toBe(0)
      expect(log.recoveryPoint).toBe(0)
      expect(log.flushCount).toBe(0)
      expect(log.highWatermark).toBe(200)
      await log.flush()
      expect(count()).toBeGreaterThan(0)
      expect(log.recoveryPoint).toBe(200)
    } finally {
      await engine.close()
    }
  })

  it('a roll fsyncs the finished segment in every mode (in the background), and the recovery point moves to it', async () => {
    const { engine, log } = await openWith('os', { segmentBytes: 1024 })
    try {
      while (log.segmentCount < 3) await log.appendRecords([value('r'.repeat(300))])
      await waitUntil(() => log.recoveryPoint === log.segmentList.at(-1)!.baseOffset, 'the background fsync of the rolled segment')
      expect(log.recoveryPoint).toBeLessThan(log.logEndOffset)
    } finally {
      await engine.close()
    }
  })
})

describe('the clean-shutdown marker and the checkpoint files', () => {
  it('close() writes the marker, the next open removes it before anything else', async () => {
    const dir = await makeTmpDir()
    const first = await openEngineWithLog(dir)
    expect(first.engine.wasCleanShutdown).toBe(false)
    await first.engine.createTopic(TOPIC)
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(false)
    await first.engine.close()
    const marker = fs.readFileSync(path.join(dir, CLEAN_SHUTDOWN_FILE), 'utf8')
    expect(JSON.parse(marker)).toMatchObject({ version: 0 })
    const second = await openEngineWithLog(dir)
    try {
      expect(second.engine.wasCleanShutdown).toBe(true)
      // A crash from now on must count as unclean.
      expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(false)
    } finally {
      await second.engine.close()
    }
  })

  it("checkpoint files use Kafka's text format and are replaced atomically", async () => {
    const { engine, log, dir } = await openWith('os')
    try {
      for (let slot = 0; slot < 12; slot++) await log.appendRecords([value(`c${slot}`)])
      await engine.flush()
      const parse = (name: string): { lines: string[]; entries: Map<string, number> } => {
        const text = fs.readFileSync(path.join(dir, name), 'utf8')
        expect(text.endsWith('\n')).toBe(true)
        const lines = text.slice(0, -1).split('\n')
        expect(lines[0]).toBe('0')
        expect(Number(lines[1])).toBe(lines.length - 2)
        const entries = new Map<string, number>()
        for (const line of lines.slice(2)) {
          expect(line).toMatch(/^[a-zA-Z0-9._-]+ \d+ \d+$/)
          const [topic, partition, offset] = line.split(' ')
          entries.set(`${topic} ${partition}`, Number(offset))
        }
        return { lines, entries }
      }
      expect(parse(RECOVERY_POINT_CHECKPOINT).entries.get(`${TOPIC} 0`)).toBe(12)
      // Only partitions whose log start lies inside their first segment are listed.
      expect(parse(LOG_START_OFFSET_CHECKPOINT).entries.has(`${TOPIC} 0`)).toBe(false)
      await engine.deleteRecordsBefore(TOPIC, 0, 5)
      expect(parse(LOG_START_OFFSET_CHECKPOINT).entries.get(`${TOPIC} 0`)).toBe(5)
      expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
    } finally {
      await engine.close()
    }
    expect(fs.readFileSync(path.join(dir, RECOVERY_POINT_CHECKPOINT), 'utf8')).toContain(`\n${TOPIC} 0 12\n`)
  })

  it('after an unclean shutdown recovery starts at the checkpointed recovery point: older segments are not read', async () => {
    const dir = await makeTmpDir()
    const records = await buildLog(dir, { batches: 60 })
    const segments = segmentLogs(partitionDir(dir))
    expect(segments.length).toBeGreaterThanOrEqual(4)
    const first = segments[0]!
    const batch = scanSegment(fs.readFileSync(first.file), first.base).batches[4]!
    // The batch's CRC itself is damaged, in the middle of a segment wholly below the checkpoint.
    flipByte(first.file, batch.position + 18)
    markUnclean(dir)

    const spy = spyFileSystem()
    const { engine, log, warnings } = await openEngineWithLog(dir, { fileSystem: spy.fileSystem })
    const reads = (file: string): number => spy.count(['read', 'readSync', 'readFileSync'], file)
    try {
      expect(engine.wasCleanShutdown).toBe(false)
      expect(warnings).toEqual([])
      expect(reads(first.file)).toBe(0)
      expect(reads(segments.at(-1)!.file)).toBeGreaterThan(0)
      expect(log.logEndOffset).toBe(records.length)
      const error = await caught(() => readAll(log))
      expect(error.code).toBe('CORRUPT_RECORD')
      expect(error.file).toBe(first.file)
      expect(error.position).toBe(batch.position)
    } finally {
      await engine.close()
    }
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOG_START_OFFSET_CHECKPOINT, readCheckpointFile, RECOVERY_POINT_CHECKPOINT } from '../../src/engine/checkpoint-file.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { buildPartition, readRecords, recordView, reopenPartition, scanBatches, simpleBatches } from '../helpers/build-log.js'
import { spyFileSystem } from '../helpers/file-system-spy.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { flipByte } from '../helpers/files.js'

/**
 * Truncation and the points along a partition: the log start never ends above the log end, the
 * recovery point never above the log end, and both are checkpointed, so records appended after a
 * truncation are readable at once and after clean and unclean reopens.
 */

afterEach(removeTmpDirs)

async function afterMicrotasks(depth: number): Promise<void> {
  for (let step = 0; step < depth; step++) await Promise.resolve()
}

function tenRecords(prefix: string): { value: Buffer; timestamp: number }[] {
  return Array.from({ length: 10 }, (_, slot) => ({ value: Buffer.from(`${prefix}${slot}`), timestamp: 1_000 + slot }))
}

function expectInvariants(log: PartitionLog): void {
  expect(log.logStartOffset).toBeLessThanOrEqual(log.highWatermark)
  expect(log.highWatermark).toBeLessThanOrEqual(log.logEndOffset)
  expect(log.recoveryPoint).toBeLessThanOrEqual(log.logEndOffset)
}

async function values(log: PartitionLog): Promise<{ offset: number; value: string }[]> {
  const records = await readRecords(log, log.logStartOffset)
  return records.map((record) => ({ offset: record.offset, value: record.value!.toString() }))
}

describe('truncateTo below the log start', () => {
  it('lowers the log start with the log end, so the next appends are readable', async () => {
    const { log } = await buildPartition()
    await log.appendRecords(tenRecords('old'))
    expect(await log.deleteRecordsBefore(5)).toBe(5)
    await log.truncateTo(7)
    // The batch 0..9 holds offset 7, so all of it goes: the log end drops to 0, and so does the start.
    expect(log.logEndOffset).toBe(0)
    expect(log.logStartOffset).toBe(0)
    expectInvariants(log)

    log.flushPolicy = { mode: 'sync' }
    const info = await log.appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }])
    expect([info.baseOffset, info.lastOffset]).toEqual([0, 2])
    expectInvariants(log)
    expect(await values(log)).toEqual([
      { offset: 0, value: 'a' },
      { offset: 1, value: 'b' },
      { offset: 2, value: 'c' },
    ])
    expect((await log.readRaw(0)).nextOffset).toBe(3)
    await log.close()
  })

  it('at a batch boundary inside the deleted range keeps the records between the target and the start unreadable', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(10) })
    await log.deleteRecordsBefore(6)
    await log.truncateTo(4)
    expect([log.logStartOffset, log.logEndOffset]).toEqual([4, 4])
    expectInvariants(log)
    await log.appendRecords([{ value: Buffer.from('new') }])
    expect(await values(log)).toEqual([{ offset: 4, value: 'new' }])
    await log.close()
  })

  it('below the first segment lowers the log start to the target', async () => {
    const { log } = await buildPartition({ segmentBytes: 600, batches: simpleBatches(12, 1, 100) })
    expect(log.segmentCount).toBeGreaterThan(3)
    await log.deleteRecordsBefore(9)
    await log.applyRetention()
    const firstBase = log.segmentList[0]!.baseOffset
    expect(firstBase).toBeGreaterThan(2)
    await log.truncateTo(firstBase - 2)
    expect([log.logStartOffset, log.logEndOffset]).toEqual([firstBase - 2, firstBase - 2])
    expectInvariants(log)
    await log.close()
  })

  it('the engine checkpoints the lowered log start: records appended after it survive clean and unclean reopens', async () => {
    const dir = await makeTmpDir()
    const crashed = await makeTmpDir()
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    try {
      await engine.createTopic('t')
      const log = engine.partition('t', 0)
      await log.appendRecords(tenRecords('old'))
      await engine.deleteRecordsBefore('t', 0, 5)
      expect(readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)).get('t 0')).toBe(5)
      await log.truncateTo(7)
      // Acknowledged under 'sync': these must never be hidden, whatever happens next.
      await log.appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }])
      expect(readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)).get('t 0') ?? 0).toBe(0)
      expect(readCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT)).get('t 0')!).toBeLessThanOrEqual(3)
      // The disk at this instant is what a crash would leave.
      fs.cpSync(dir, crashed, { recursive: true })
    } finally {
      await engine.close()
    }
    for (const [shutdown, where] of [
      ['clean', dir],
      ['unclean', crashed],
    ] as const) {
      const reopened = await openQuietEngine(where, { flush: 'sync' })
      try {
        expect(reopened.wasCleanShutdown, shutdown).toBe(shutdown === 'clean')
        const log = reopened.partition('t', 0)
        expect([log.logStartOffset, log.logEndOffset], shutdown).toEqual([0, 3])
        expect(await values(log), shutdown).toEqual([
          { offset: 0, value: 'a' },
          { offset: 1, value: 'b' },
          { offset: 2, value: 'c' },
        ])
      } finally {
        await reopened.close()
      }
    }
  })
})

describe('truncateTo racing other operations', () => {
  it('a deleteRecordsBefore queued behind a truncation never moves the log start past the new log end', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(10) })
    const truncation = log.truncateTo(3)
    const deletion = log.deleteRecordsBefore(8)
    await truncation
    const outcome = await deletion.then(
      (start) => ({ ok: true, start }),
      (error: { code?: string }) => ({ ok: false, code: error.code }),
    )
    expect(outcome).toEqual({ ok: false, code: 'OFFSET_OUT_OF_RANGE' })
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 3])
    expectInvariants(log)
    await log.close()
  })

  it('flush() called at any moment of a truncation neither fails the partition nor leaves the recovery point above the log end', async () => {
    for (let depth = 0; depth < 24; depth++) {
      const { log } = await buildPartition({ segmentBytes: 600, batches: simpleBatches(30, 1, 100) })
      expect(log.segmentCount).toBeGreaterThan(4)
      const truncation = log.truncateTo(4)
      // A flush started `depth` microtasks later: some land while segments are being deleted.
      const flushed = afterMicrotasks(depth).then(() => log.flush())
      await truncation
      await flushed
      expect(log.hasFailed, `flush after ${depth} microtasks`).toBe(false)
      expect(log.logEndOffset).toBe(4)
      expectInvariants(log)
      await log.appendRecords([{ value: Buffer.from('after') }])
      await log.flush()
      expect(log.recoveryPoint).toBe(5)
      await log.close()
    }
  })

  it('a flush started while the active segment is being cut does not count the cut records as durable', async () => {
    const spy = spyFileSystem()
    const { log } = await buildPartition({ batches: simpleBatches(10), logOptions: { fileSystem: spy.fileSystem } })
    let flushed: Promise<void> | null = null
    const unhook = spy.hook((info) => {
      if (info.call === 'truncateSync' && info.file.endsWith('.log')) flushed ??= log.flush()
    })
    await log.truncateTo(3)
    unhook()
    expect(flushed).not.toBeNull()
    await flushed
    expect(log.logEndOffset).toBe(3)
    expectInvariants(log)
    // Records appended now must wait for their own fsync.
    log.flushPolicy = { mode: 'sync' }
    const rounds = log.flushCount
    await log.appendRecords([{ value: Buffer.from('x') }])
    expect(log.flushCount).toBeGreaterThan(rounds)
    await log.close()
  })

  it('a waitDurable for offsets a truncation removes settles (rejects) instead of waiting forever or resolving', async () => {
    const spy = spyFileSystem()
    const { log } = await buildPartition({ batches: simpleBatches(10), logOptions: { fileSystem: spy.fileSystem } })
    let waiting: Promise<string | undefined> | null = null
    const unhook = spy.hook((info) => {
      if (info.call !== 'truncateSync' || !info.file.endsWith('.log')) return
      waiting ??= log.waitDurable(10).then(
        () => 'resolved',
        (error: { code?: string }) => error.code,
      )
    })
    await log.truncateTo(3)
    unhook()
    expect(waiting).not.toBeNull()
    const outcome = await Promise.race([waiting!, new Promise((resolve) => setTimeout(() => resolve('hung'), 2_000))])
    expect(outcome).toBe('OFFSET_OUT_OF_RANGE')
    expectInvariants(log)
    await log.close()
  })

  it('the records of a truncated log match what is left, byte for byte', async () => {
    const { log, model } = await buildPartition({ segmentBytes: 600, batches: simpleBatches(20, 2, 60) })
    await log.truncateTo(13)
    const kept = model.records.filter((record) => record.offset < 12)
    expect((await readRecords(log, 0)).map(recordView)).toEqual(kept.map(recordView))
    await log.close()
  })
})

describe('truncateTo over damaged bytes', () => {
  it('does not drop the records between the damage and the cut silently: it fails, keeps them, and stops writes', async () => {
    const built = await buildPartition({ batches: simpleBatches(12, 2, 80) })
    await built.log.close()
    const file = path.join(built.dir, '00000000000000000000.log')
    const batches = scanBatches(fs.readFileSync(file))
    let position = 0
    const positions = batches.map((batch) => {
      const at = position
      position += batch.bytes.length
      return at
    })
    flipByte(file, positions[2]! + batches[2]!.bytes.length - 4)
    const log = await reopenPartition(built.dir, built.config, true)
    try {
      const error = await log.truncateTo(batches[8]!.baseOffset + 1).then(
        () => null,
        (caught: { code?: string; file?: string; position?: number }) => caught,
      )
      expect(error).toMatchObject({ code: 'CORRUPT_RECORD', file, position: positions[2] })
      // The cut happened where it was asked; nothing before it went.
      expect(log.logEndOffset).toBe(batches[8]!.baseOffset)
      await expect(log.readRaw(batches[2]!.baseOffset)).rejects.toMatchObject({ code: 'CORRUPT_RECORD', position: positions[2] })
      expect((await log.readRaw(batches[5]!.baseOffset, { maxBytes: 1 })).firstOffset).toBe(batches[5]!.baseOffset)
      await expect(log.appendRecords([{ value: Buffer.from('x') }])).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    } finally {
      await log.close().catch(() => undefined)
    }
  })
})

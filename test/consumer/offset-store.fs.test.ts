import fs from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OFFSETS_TOPIC, type OffsetStore } from '../../src/consumer/offset-store.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import type { SeglogError } from '../../src/errors.js'
import { OffsetOutOfRangeError } from '../../src/log/errors.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { batchesOf, fill } from './helpers.js'
import { openWatchedEngine } from '../helpers/engine.js'

/**
 * The consumer-offset store against real files: commits, lag, resets and group deletion; the state
 * after a clean and an unclean reopen; compaction (the log shrinks, nothing is lost, deleted
 * groups stay deleted, and every intermediate on-disk state of a compaction replays to the same
 * offsets). The 1 M-offset open time is measured by bench/offset-store-open.mjs, not here.
 */

afterEach(removeTmpDirs)

const T = 1_700_000_000_000

type Row = { group: string; topic: string; partition: number; offset: number; metadata: string; commitTimestamp: number }

/** Everything the store holds, in a stable order: what a reopen must rebuild exactly. */
function stateOf(store: OffsetStore): Row[] {
  const rows: Row[] = []
  for (const group of store.listGroups()) {
    for (const row of store.describeGroup(group)) {
      rows.push({
        group,
        topic: row.topic,
        partition: row.partition,
        offset: row.committedOffset!,
        metadata: row.metadata!,
        commitTimestamp: row.commitTimestamp!,
      })
    }
  }
  return rows
}

/** Same state; compared as JSON first, because a deep diff of 10,000 rows is slow. */
function expectSameState(actual: Row[], expected: Row[], label = 'state'): void {
  if (JSON.stringify(actual) === JSON.stringify(expected)) return
  const slot = actual.findIndex((row, index) => JSON.stringify(row) !== JSON.stringify(expected[index]))
  expect({ length: actual.length, first: actual[slot] ?? null }, `${label}: first difference at row ${slot}`).toEqual({
    length: expected.length,
    first: expected[slot] ?? null,
  })
}

async function rejection(promise: Promise<unknown>): Promise<SeglogError> {
  try {
    await promise
  } catch (error) {
    return error as SeglogError
  }
  throw new Error('expected a rejection')
}

function offsetsLog(engine: LogEngine): PartitionLog {
  return engine.partition(OFFSETS_TOPIC, 0)
}

/** A copy of the data directory as it is now: what a kill -9 at this moment would leave. */
function snapshotDir(dir: string, into: string): void {
  fs.cpSync(dir, into, { recursive: true })
}

async function engineWithTopic(options: Parameters<typeof openWatchedEngine>[1] = {}, partitions = 3, records = 100) {
  const dir = await makeTmpDir('seglog-offsets-')
  const { engine, warnings } = await openWatchedEngine(dir, options)
  await engine.createTopic('t', { partitions })
  for (let partition = 0; partition < partitions; partition++)
    await fill(engine.partition('t', partition), records, { timestamp: (n) => T + n * 1000 })
  return { dir, engine, warnings }
}

describe('commit, fetch, listGroups, describeGroup', () => {
  it('stores the next offset per group and partition, with metadata and a commit timestamp', async () => {
    const { engine } = await engineWithTopic()
    const store = engine.offsets
    const before = Date.now()
    await store.commit('g1', 't', 0, 40, 'processed up to 39')
    await store.commit('g1', 't', 1, 100)
    await store.commit('g2', 't', 0, 7)
    await store.commit('g1', 't', 0, 41, 'again')
    const fetched = store.fetch('g1', 't', 0)!
    expect(fetched).toMatchObject({ offset: 41, metadata: 'again' })
    expect(fetched.commitTimestamp).toBeGreaterThanOrEqual(before)
    expect(fetched.commitTimestamp).toBeLessThanOrEqual(Date.now())
    expect(store.fetch('g1', 't', 1)).toMatchObject({ offset: 100, metadata: '' })
    expect(store.fetch('g1', 't', 2)).toBeNull()
    expect(store.fetch('nobody', 't', 0)).toBeNull()
    expect(store.listGroups()).toEqual(['g1', 'g2'])
    expect(store.size).toBe(3)
    await engine.close()
  })

  it('describeGroup reports lag = high watermark - committed offset', async () => {
    const { engine } = await engineWithTopic()
    const store = engine.offsets
    await store.commitMany('g', [
      { topic: 't', partition: 2, offset: 100 },
      { topic: 't', partition: 0, offset: 40, metadata: 'm' },
    ])
    expect(store.describeGroup('g')).toEqual([
      { topic: 't', partition: 0, committedOffset: 40, logEndOffset: 100, lag: 60, metadata: 'm', commitTimestamp: expect.any(Number) },
      { topic: 't', partition: 2, committedOffset: 100, logEndOffset: 100, lag: 0, metadata: '', commitTimestamp: expect.any(Number) },
    ])
    // The lag counts what readers can see: an embedder holding back the high watermark lowers it.
    engine.partition('t', 0).setHighWatermark(70)
    expect(store.describeGroup('g')[0]).toMatchObject({ logEndOffset: 70, lag: 30 })
    engine.partition('t', 0).setHighWatermark(null)
    // Below the log start only the readable records count.
    await engine.deleteRecordsBefore('t', 0, 90)
    expect(store.describeGroup('g')[0]).toMatchObject({ committedOffset: 40, lag: 10 })
    expect(store.describeGroup('unknown')).toEqual([])
    await engine.close()
  })
})

describe('commitMany', () => {
  it('writes one batch for all its offsets', async () => {
    const { engine } = await engineWithTopic()
    const log = offsetsLog(engine)
    const batchesBefore = (await batchesOf(log)).length
    const endBefore = log.logEndOffset
    await engine.offsets.commitMany('g', [
      { topic: 't', partition: 0, offset: 10 },
      { topic: 't', partition: 1, offset: 20 },
      { topic: 't', partition: 2, offset: 30 },
    ])
    const batches = await batchesOf(log)
    expect(batches).toHaveLength(batchesBefore + 1)
    expect(batches[batches.length - 1]).toEqual({ baseOffset: endBefore, count: 3 })
    expect(log.logEndOffset).toBe(endBefore + 3)
    await engine.close()
  })

  it('writes nothing when any offset is invalid (all or nothing)', async () => {
    const { engine } = await engineWithTopic()
    const store = engine.offsets
    await store.commit('g', 't', 0, 5)
    const end = offsetsLog(engine).logEndOffset
    const error = await rejection(
      store.commitMany('g', [
        { topic: 't', partition: 0, offset: 50 },
        { topic: 't', partition: 1, offset: 101 },
      ]),
    )
    expect(error.code).toBe('OFFSET_OUT_OF_RANGE')
    expect(offsetsLog(engine).logEndOffset).toBe(end)
    expect(store.fetch('g', 't', 0)?.offset).toBe(5)
    expect(store.fetch('g', 't', 1)).toBeNull()
    await engine.close()
  })

  it('rejects offsets outside [log start, log end] and unknown topics or partitions', async () => {
    const { engine } = await engineWithTopic()
    const store = engine.offsets
    await store.commit('g', 't', 0, 100) // the log end itself: "read from the next record"
    await store.commit('g', 't', 0, 0)
    expect(await rejection(store.commit('g', 't', 0, 101))).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      offset: 101,
      logStartOffset: 0,
      logEndOffset: 100,
    })
    expect(await rejection(store.commit('g', 't', 0, -1))).toBeInstanceOf(OffsetOutOfRangeError)
    await engine.deleteRecordsBefore('t', 0, 30)
    expect(await rejection(store.commit('g', 't', 0, 29))).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      offset: 29,
      logStartOffset: 30,
      logEndOffset: 100,
    })
    await store.commit('g', 't', 0, 30)
    expect((await rejection(store.commit('g', 'nope', 0, 0))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect((await rejection(store.commit('g', 't', 3, 0))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect((await rejection(store.commit('g', 't', 0, 1.5))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(store.commit('', 't', 0, 1))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(store.commitMany('g', []))).code).toBe('INVALID_ARGUMENT')
    expect(store.fetch('g', 't', 0)?.offset).toBe(30)
    await engine.close()
  })
})

describe('reset', () => {
  it('moves every partition of a topic to earliest, latest, a timestamp or an offset, in one batch', async () => {
    const { engine } = await engineWithTopic()
    const store = engine.offsets
    await engine.deleteRecordsBefore('t', 1, 20)
    const log = offsetsLog(engine)

    const endBefore = log.logEndOffset
    expect(await store.reset('g', 't', 'earliest')).toEqual([
      { topic: 't', partition: 0, offset: 0 },
      { topic: 't', partition: 1, offset: 20 },
      { topic: 't', partition: 2, offset: 0 },
    ])
    expect(log.logEndOffset).toBe(endBefore + 3)
    expect((await batchesOf(log)).at(-1)).toEqual({ baseOffset: endBefore, count: 3 })

    await store.reset('g', 't', 'latest')
    expect(stateOf(store).map((row) => row.offset)).toEqual([100, 100, 100])

    // Record n has timestamp T + n s: the first record at or after T + 42.5 s is 43.
    await store.reset('g', 't', { timestamp: T + 42_500 })
    expect(stateOf(store).map((row) => row.offset)).toEqual([43, 43, 43])
    // Before the (moved) log start, the first readable record; past every record, the end.
    await store.reset('g', 't', { timestamp: T })
    expect(stateOf(store).map((row) => row.offset)).toEqual([0, 20, 0])
    await store.reset('g', 't', { timestamp: T + 1_000_000 })
    expect(stateOf(store).map((row) => row.offset)).toEqual([100, 100, 100])

    await store.reset('g', 't', { offset: 55 })
    expect(stateOf(store).map((row) => row.offset)).toEqual([55, 55, 55])
    // below partition 1's start
    expect(await rejection(store.reset('g', 't', { offset: 10 }))).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      offset: 10,
      logStartOffset: 20,
      logEndOffset: 100,
    })
    expect((await rejection(store.reset('g', 't', { offset: 101 }))).code).toBe('OFFSET_OUT_OF_RANGE')
    expect((await rejection(store.reset('g', 'nope', 'earliest'))).code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect((await rejection(store.reset('g', 't', 'middle' as 'earliest'))).code).toBe('INVALID_ARGUMENT')
    expect(stateOf(store).map((row) => row.offset)).toEqual([55, 55, 55])
    await engine.close()
  })
})

describe('deleteGroup', () => {
  it('writes one tombstone per offset, in one batch, and the group stays deleted after reopen', async () => {
    const { dir, engine } = await engineWithTopic()
    const store = engine.offsets
    await store.commitMany(
      'doomed',
      [0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 10 + partition })),
    )
    await store.commit('kept', 't', 0, 3)
    const log = offsetsLog(engine)
    const end = log.logEndOffset
    expect(await store.deleteGroup('doomed')).toBe(true)
    expect(await store.deleteGroup('doomed')).toBe(false)
    expect(await store.deleteGroup('never-existed')).toBe(false)
    expect(store.listGroups()).toEqual(['kept'])
    expect(store.fetch('doomed', 't', 1)).toBeNull()
    expect(log.logEndOffset).toBe(end + 3)
    const tombstones = []
    for await (const record of log.records({ from: end })) tombstones.push(record.value)
    expect(tombstones).toEqual([null, null, null])
    expect((await batchesOf(log)).at(-1)).toEqual({ baseOffset: end, count: 3 })
    await engine.close()

    const reopened = await openWatchedEngine(dir)
    expect(reopened.engine.offsets.listGroups()).toEqual(['kept'])
    expect(reopened.engine.offsets.fetch('doomed', 't', 0)).toBeNull()
    // A deleted group can start again from scratch.
    await reopened.engine.offsets.commit('doomed', 't', 2, 1)
    expect(stateOf(reopened.engine.offsets).filter((row) => row.group === 'doomed')).toHaveLength(1)
    await reopened.engine.close()
  })

  it('deletes what was committed before it was called, in memory and on disk alike', async () => {
    const { dir, engine } = await engineWithTopic()
    const store = engine.offsets
    await store.commit('g', 't', 0, 1)
    // Issued before deleteGroup but still queued when deleteGroup is called.
    const pending = store.commit('g', 't', 1, 5)
    const deleted = store.deleteGroup('g')
    await Promise.all([pending, deleted])
    const afterDelete = stateOf(store)
    await engine.close()
    const reopened = await openWatchedEngine(dir)
    expect(stateOf(reopened.engine.offsets)).toEqual(afterDelete)
    expect(afterDelete).toEqual([])
    await reopened.engine.close()
  })
})

/** A mixed history: commits, batched commits, deletions, with metadata. */
async function mixedHistory(store: OffsetStore, rounds: number, partitions: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const group = `group-${round % 7}`
    if (round % 11 === 10) {
      await store.deleteGroup(group)
      continue
    }
    if (round % 3 === 0) {
      await store.commitMany(
        group,
        Array.from({ length: partitions }, (_, partition) => ({
          topic: 't',
          partition,
          offset: (round * 7 + partition) % 101,
          metadata: `r${round}`,
        })),
      )
    } else {
      await store.commit(group, 't', round % partitions, (round * 13) % 101, round % 2 === 0 ? '' : `note ${round} ✓`)
    }
  }
}

describe('reopen', () => {
  it('rebuilds the same state after a clean close and after an unclean stop', async () => {
    const { dir, engine } = await engineWithTopic({ flush: 'sync' })
    await mixedHistory(engine.offsets, 120, 3)
    const expected = stateOf(engine.offsets)
    expect(expected.length).toBeGreaterThan(5)
    // Under 'sync' every resolved commit is on disk: a copy now is what kill -9 would leave.
    const crashed = `${dir}-crashed`
    snapshotDir(dir, crashed)
    await engine.close()

    const clean = await openWatchedEngine(dir)
    expect(clean.engine.wasCleanShutdown).toBe(true)
    expect(stateOf(clean.engine.offsets)).toEqual(expected)
    await clean.engine.close()

    try {
      const unclean = await openWatchedEngine(crashed)
      expect(unclean.engine.wasCleanShutdown).toBe(false)
      expect(stateOf(unclean.engine.offsets)).toEqual(expected)
      await unclean.engine.close()
    } finally {
      fs.rmSync(crashed, { recursive: true, force: true })
    }
  })

  it('200 groups x 50 partitions (10,000 offsets) come back exactly', async () => {
    const dir = await makeTmpDir('seglog-offsets-many-')
    const { engine } = await openWatchedEngine(dir, { flush: 'os' })
    await engine.createTopic('t', { partitions: 50 })
    for (let partition = 0; partition < 50; partition++) await fill(engine.partition('t', partition), 300, { perBatch: 300 })
    const groups = 200
    for (let group = 0; group < groups; group++) {
      await engine.offsets.commitMany(
        `g${group}`,
        Array.from({ length: 50 }, (_, partition) => ({ topic: 't', partition, offset: (group * 31 + partition * 7) % 301 })),
      )
    }
    // Second round on a few groups, so replay has to keep the last value.
    for (let group = 0; group < groups; group += 10) await engine.offsets.commit(`g${group}`, 't', 49, 300, 'last')
    const expected = stateOf(engine.offsets)
    expect(expected).toHaveLength(10_000)
    await engine.close()

    const started = performance.now()
    const reopened = await openWatchedEngine(dir, { flush: 'os' })
    const openMs = performance.now() - started
    const store = reopened.engine.offsets
    expect(store.size).toBe(10_000)
    expectSameState(stateOf(store), expected)
    const wrong: string[] = []
    for (let group = 0; group < groups; group++) {
      for (let partition = 0; partition < 50; partition++) {
        const want = group % 10 === 0 && partition === 49 ? 300 : (group * 31 + partition * 7) % 301
        const got = store.fetch(`g${group}`, 't', partition)?.offset
        if (got !== want) wrong.push(`g${group} t-${partition}: ${got}, want ${want}`)
      }
    }
    expect(wrong).toEqual([])
    console.log(`offset store: reopen with 10,000 offsets (51 partitions) took ${openMs.toFixed(0)} ms`)
    await reopened.engine.close()
  })
})

describe('compaction', () => {
  it('runs by itself once the log is large, shrinks it, and loses no offset across reopen', async () => {
    const { dir, engine } = await engineWithTopic({ flush: 'os', offsetStore: { compactMinBytes: 8 * 1024, compactMinRatio: 2 } }, 4, 1000)
    const store = engine.offsets
    const log = offsetsLog(engine)
    const latest = new Map<string, number>()
    let bytesWritten = 0
    for (let round = 0; round < 3000; round++) {
      const group = `g${round % 5}`
      const partition = round % 4
      const offset = Math.floor(round / 3)
      await store.commit(group, 't', partition, offset)
      latest.set(`${group}/${partition}`, offset)
      bytesWritten += 100 // a commit batch is about 61 bytes of header plus a ~40-byte record
    }
    await store.commitMany('to-delete', [
      { topic: 't', partition: 0, offset: 1 },
      { topic: 't', partition: 3, offset: 2 },
    ])
    await store.deleteGroup('to-delete')
    expect(store.compactions).toBeGreaterThan(10)
    expect(log.logStartOffset).toBeGreaterThan(0)
    expect(log.segmentCount).toBeLessThanOrEqual(2)
    expect(log.sizeInBytes).toBeLessThan(bytesWritten / 10)
    const expected = stateOf(store)
    expect(expected).toHaveLength(20)
    await engine.close()

    const reopened = await openWatchedEngine(dir)
    const again = reopened.engine.offsets
    expect(stateOf(again)).toEqual(expected)
    for (const [key, offset] of latest) {
      const [group, partition] = key.split('/') as [string, string]
      expect(again.fetch(group, 't', Number(partition))?.offset).toBe(offset)
    }
    expect(again.fetch('to-delete', 't', 0)).toBeNull()
    expect(again.listGroups()).not.toContain('to-delete')
    await reopened.engine.close()
  })

  it('compact() keeps only the live values (and their timestamps); deleted groups stay deleted', async () => {
    const { dir, engine } = await engineWithTopic({ flush: 'sync' }, 2, 100)
    const store = engine.offsets
    for (let round = 0; round < 300; round++) await store.commit(`g${round % 3}`, 't', round % 2, round % 101)
    await store.commitMany('gone', [
      { topic: 't', partition: 0, offset: 1 },
      { topic: 't', partition: 1, offset: 1 },
    ])
    await store.deleteGroup('gone')
    const log = offsetsLog(engine)
    const before = { bytes: log.sizeInBytes, records: log.logEndOffset - log.logStartOffset, segments: log.segmentCount }
    const expected = stateOf(store)
    expect(store.compactions).toBe(0) // the default threshold is 16 MiB

    await store.compact()
    expect(store.compactions).toBe(1)
    expect(stateOf(store)).toEqual(expected)
    const after = { bytes: log.sizeInBytes, records: log.logEndOffset - log.logStartOffset, segments: log.segmentCount }
    expect(after.records).toBe(6) // 3 groups x 2 partitions, nothing else
    expect(after.bytes).toBeLessThan(before.bytes / 10)
    expect(after.segments).toBe(1)
    expect(before.records).toBe(300 + 2 + 2)
    // A tombstone after the compaction, then a reopen.
    await store.deleteGroup('g2')
    const final = stateOf(store)
    await engine.close()

    const reopened = await openWatchedEngine(dir)
    expect(stateOf(reopened.engine.offsets)).toEqual(final)
    expect(reopened.engine.offsets.listGroups()).toEqual(['g0', 'g1'])
    await reopened.engine.close()
  })

  it('every on-disk state a compaction passes through replays to the same offsets', async () => {
    // 5,000 live offsets: compaction appends them in two batches (4,096 + 904), so there is a state
    // between the two appends as well as before and after the deletion of the old segments.
    // Built under 'os' (kill -9 keeps the page cache, so a copy of the files is still a crash state).
    const { dir, engine } = await engineWithTopic({ flush: 'os' }, 10, 20)
    const store = engine.offsets
    for (let group = 0; group < 500; group++) {
      await store.commitMany(
        `g${group}`,
        Array.from({ length: 10 }, (_, partition) => ({ topic: 't', partition, offset: (group + partition) % 21 })),
      )
    }
    for (let group = 0; group < 500; group += 50) await store.deleteGroup(`g${group}`)
    for (let group = 1; group < 500; group += 50) await store.commit(`g${group}`, 't', 0, 20, 'newer')
    const expected = stateOf(store)
    expect(expected).toHaveLength(4_900)

    const snapshots: string[] = []
    const snapshot = (): void => {
      const into = `${dir}-state-${snapshots.length}`
      snapshotDir(dir, into)
      snapshots.push(into)
    }
    // The engine hands out a view of the offsets log that refuses writes; the store calls the log
    // itself, so the spies go on the class, for that topic only.
    const append = PartitionLog.prototype.appendRecords
    const deleteBefore = PartitionLog.prototype.deleteRecordsBefore
    const appendSpy = vi.spyOn(PartitionLog.prototype, 'appendRecords').mockImplementation(async function (this: PartitionLog, ...args) {
      if (this.topic !== OFFSETS_TOPIC) return append.apply(this, args)
      snapshot()
      const info = await append.apply(this, args)
      snapshot()
      return info
    })
    const deleteSpy = vi.spyOn(PartitionLog.prototype, 'deleteRecordsBefore').mockImplementation(async function (
      this: PartitionLog,
      ...args
    ) {
      if (this.topic !== OFFSETS_TOPIC) return deleteBefore.apply(this, args)
      snapshot()
      const start = await deleteBefore.apply(this, args)
      snapshot()
      return start
    })
    try {
      await store.compact()
    } finally {
      appendSpy.mockRestore()
      deleteSpy.mockRestore()
    }
    expect(store.compactions).toBe(1)
    expect(snapshots.length).toBe(6)
    await engine.close()

    try {
      for (const [slot, copy] of snapshots.entries()) {
        const { engine: crashed } = await openWatchedEngine(copy)
        expectSameState(stateOf(crashed.offsets), expected, `state ${slot}`)
        await crashed.close()
      }
      const { engine: final } = await openWatchedEngine(dir)
      expectSameState(stateOf(final.offsets), expected)
      expect(offsetsLog(final).logEndOffset - offsetsLog(final).logStartOffset).toBe(4_900)
      await final.close()
    } finally {
      for (const copy of snapshots) fs.rmSync(copy, { recursive: true, force: true })
    }
  })
})

describe('engine wiring', () => {
  it("the offsets topic ignores topicDefaults' retention: retention never deletes live commits", async () => {
    const dir = await makeTmpDir('seglog-offsets-retention-')
    const options = { flush: 'os' as const, topicDefaults: { retentionBytes: 1, retentionMs: 1, segmentMs: 1 } }
    const { engine } = await openWatchedEngine(dir, options)
    await engine.createTopic('t', { retentionMs: -1, retentionBytes: -1 })
    await fill(engine.partition('t', 0), 10)
    for (let group = 0; group < 20; group++) {
      await engine.offsets.commit(`g${group}`, 't', 0, group % 11)
      await new Promise((resolve) => setTimeout(resolve, 2)) // segmentMs 1: the next append rolls
    }
    expect(offsetsLog(engine).segmentCount).toBeGreaterThan(1)
    await engine.applyRetention(Date.now() + 60_000)
    const expected = stateOf(engine.offsets)
    expect(expected).toHaveLength(20)
    await engine.close()
    const reopened = await openWatchedEngine(dir, options)
    expect(stateOf(reopened.engine.offsets)).toEqual(expected)
    await reopened.engine.close()
  })
})

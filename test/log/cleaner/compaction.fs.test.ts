import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../../src/engine/log-engine.js'
import type { PartitionLog } from '../../../src/log/partition-log.js'
import { RecordWithoutKeyError } from '../../../src/log/cleaner/keyed-records.js'
import { openQuietEngine } from '../../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'

afterEach(removeTmpDirs)

const COMPACTED = { partitions: 1, cleanupPolicy: 'compact', segmentBytes: 2048 } as const

async function openCompacted(dir: string, config: Record<string, unknown> = {}): Promise<{ engine: LogEngine; log: PartitionLog }> {
  const engine = await openQuietEngine(dir, { tickMs: 60_000, cleaner: { enabled: false } })
  if (!engine.hasTopic('kv')) await engine.createTopic('kv', { ...COMPACTED, ...config })
  return { engine, log: engine.partition('kv', 0) }
}

async function liveRecords(log: PartitionLog): Promise<{ offset: number; key: string; value: string | null }[]> {
  const out: { offset: number; key: string; value: string | null }[] = []
  for await (const record of log.records({ from: log.logStartOffset })) {
    out.push({ offset: record.offset, key: record.key!.toString(), value: record.value === null ? null : record.value.toString() })
  }
  return out
}

async function writeUpdates(log: PartitionLog, count: number, keys: number, prefix = 'v'): Promise<void> {
  for (let slot = 0; slot < count; slot++) {
    await log.appendRecords([{ key: Buffer.from(`k${slot % keys}`), value: Buffer.from(`${prefix}${slot}`), timestamp: 1_000 + slot }])
  }
}

describe('compaction', () => {
  it('keeps the last record of each key below the active segment, with its offset', async () => {
    const dir = await makeTmpDir()
    const { engine, log } = await openCompacted(dir)
    await writeUpdates(log, 200, 5)
    const before = await liveRecords(log)
    const activeBase = log.segmentList[log.segmentList.length - 1]!.baseOffset
    const [result] = await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
    expect(result!.cleaned).toBe(true)
    const after = await liveRecords(log)
    const expected = before.filter((record) => {
      if (record.offset >= activeBase) return true
      // Below the active segment, only the last record of each key there stays (the map does not
      // reach into the active segment).
      const last = before.filter((other) => other.key === record.key && other.offset < activeBase).pop()!
      return last.offset === record.offset
    })
    expect(after).toEqual(expected)
    await engine.close()
    const reopened = await openCompacted(dir)
    expect(await liveRecords(reopened.log)).toEqual(expected)
    const checkpoint = fs.readFileSync(path.join(dir, 'cleaner-offset-checkpoint'), 'utf8')
    expect(checkpoint).toBe(`0\n1\nkv 0 ${activeBase}\n`)
    // Groups are sized by the segments before cleaning; the next pass merges the shrunken ones.
    expect(reopened.log.segmentCount).toBe(result!.segmentsBefore)
    expect(await reopened.engine.cleaner.cleanNow({ ignoreDirtyRatio: true })).toEqual([])
    await writeUpdates(reopened.log, 40, 5, 'w')
    const [second] = await reopened.engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
    expect(second!.segmentsAfter).toBeLessThan(second!.segmentsBefore)
    await reopened.engine.close()
  })

  it('refuses records without a key on a compacted topic', async () => {
    const { engine, log } = await openCompacted(await makeTmpDir())
    const error = await log
      .appendRecords([
        { key: Buffer.from('a'), value: Buffer.from('1') },
        { key: null, value: Buffer.from('2') },
      ])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RecordWithoutKeyError)
    expect((error as RecordWithoutKeyError).code).toBe('INVALID_RECORD')
    expect((error as RecordWithoutKeyError).recordIndex).toBe(1)
    expect(log.logEndOffset).toBe(0)
    await engine.close()
  })

  it('every reader steps over the gaps: readRaw, batches, records and the consumer', async () => {
    const { engine, log } = await openCompacted(await makeTmpDir())
    await writeUpdates(log, 300, 7)
    await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
    const live = await liveRecords(log)
    expect(live.length).toBeLessThan(100)
    const liveOffsets = live.map((record) => record.offset)
    for (let offset = 0; offset < log.logEndOffset; offset++) {
      const firstAtOrAfter = liveOffsets.find((live) => live >= offset)
      const raw = await log.readRaw(offset)
      expect(raw.nextOffset).toBeGreaterThan(offset)
      const fromBatches = []
      for await (const batch of log.batches({ from: offset }))
        for (const record of batch.records()) if (record.offset >= offset) fromBatches.push(record.offset)
      expect(fromBatches[0]).toBe(firstAtOrAfter)
      const fromRecords = []
      for await (const record of log.records({ from: offset })) fromRecords.push(record.offset)
      expect(fromRecords).toEqual(liveOffsets.filter((live) => live >= offset))
    }
    const consumer = await engine.consumer({ group: 'g', topics: ['kv'], maxBytes: 256, from: 'earliest' })
    const consumed: number[] = []
    for await (const message of consumer) {
      consumed.push(message.offset)
      if (consumed.length === live.length) break
    }
    await consumer.close()
    expect(consumed).toEqual(liveOffsets)
    await engine.close()
  })
})

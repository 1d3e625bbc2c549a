import { afterEach, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../../src/engine/log-engine.js'
import type { PartitionLog } from '../../../src/log/partition-log.js'
import { openQuietEngine } from '../../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'

/**
 * maxCompactionLagMs bounds how long a key stays uncompacted: the active segment rolls once its
 * first record is older than the lag (at an append, and from the cleaner when no append comes),
 * and the partition is then cleaned whatever its dirty ratio.
 */

afterEach(removeTmpDirs)

const LAG_MS = 60_000
const T0 = 1_800_000_000_000

async function openTopic(dir: string, config: Record<string, unknown>): Promise<{ engine: LogEngine; log: PartitionLog }> {
  const engine = await openQuietEngine(dir, { tickMs: 600_000, cleaner: { enabled: false } })
  await engine.createTopic('kv', { partitions: 1, segmentBytes: 2048, minCleanableDirtyRatio: 0.9, ...config })
  return { engine, log: engine.partition('kv', 0) }
}

async function valuesOf(log: PartitionLog, key: string): Promise<string[]> {
  const values: string[] = []
  for await (const record of log.records({ from: log.logStartOffset }))
    if (record.key!.toString() === key) values.push(record.value!.toString())
  return values
}

describe('maxCompactionLagMs', () => {
  it('compacts a key updated once and then left idle, though the dirty ratio is low and no append rolls the segment', async () => {
    const { engine, log } = await openTopic(await makeTmpDir(), { cleanupPolicy: 'compact', maxCompactionLagMs: LAG_MS })
    try {
      for (let slot = 0; slot < 300; slot++)
        await log.appendRecords([{ key: Buffer.from(`k${slot % 20}`), value: Buffer.from(`v${slot}`), timestamp: T0 + slot }])
      await log.rollNow()
      await engine.cleaner.cleanNow({ ignoreDirtyRatio: true, nowMs: T0 + 1000 })
      expect(await valuesOf(log, 'k3')).toEqual(['v283'])
      // One update, then nothing: a sliver of dirty bytes in the active segment.
      await log.appendRecords([{ key: Buffer.from('k3'), value: Buffer.from('new'), timestamp: T0 + 2000 }])
      const segments = log.segmentCount
      expect(await engine.cleaner.cleanNow({ nowMs: T0 + 2000 + LAG_MS - 1 })).toEqual([])
      expect(log.segmentCount).toBe(segments)
      expect(await valuesOf(log, 'k3')).toEqual(['v283', 'new'])

      const results = await engine.cleaner.cleanNow({ nowMs: T0 + 2000 + LAG_MS + 1 })
      expect(results).toHaveLength(1)
      // Rolled: the update left the active segment, which is empty now.
      expect(log.segmentList[log.segmentCount - 1]!.baseOffset).toBe(log.logEndOffset)
      expect(await valuesOf(log, 'k3')).toEqual(['new'])
    } finally {
      await engine.close()
    }
  })

  it('rolls at an append once the first record is older than the lag, on compacted topics only', async () => {
    for (const cleanupPolicy of ['compact', 'delete'] as const) {
      const { engine, log } = await openTopic(await makeTmpDir(), { cleanupPolicy, maxCompactionLagMs: 1000, segmentBytes: 1 << 20 })
      try {
        await log.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('1'), timestamp: T0 }])
        await log.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('2'), timestamp: T0 + 999 }])
        expect(log.segmentCount).toBe(1)
        await log.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('3'), timestamp: T0 + 1001 }])
        expect(log.segmentCount, cleanupPolicy).toBe(cleanupPolicy === 'compact' ? 2 : 1)
      } finally {
        await engine.close()
      }
    }
  })
})

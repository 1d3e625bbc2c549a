import { afterEach, describe, expect, it } from 'vitest'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { buildPartition, simpleBatches } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * batches() reads the next chunk while the caller works through the current one. What a caller
 * sees must not change: every batch once and in order whatever the chunk size, the high watermark
 * of the moment respected after a chunk (not only the one when its read ahead started), and a
 * caller that stops early leaves nothing behind that fails later.
 */

afterEach(removeTmpDirs)

async function baseOffsets(log: PartitionLog, from: number, maxBytes?: number, to?: number): Promise<number[]> {
  const offsets: number[] = []
  for await (const batch of log.batches({ from, ...(maxBytes === undefined ? {} : { maxBytes }), ...(to === undefined ? {} : { to }) }))
    offsets.push(batch.baseOffset)
  return offsets
}

describe('batches() with a read ahead', () => {
  it('returns every batch once, in order, whatever the chunk size', async () => {
    const { log, model } = await buildPartition({ segmentBytes: 4096, batches: simpleBatches(60, 3, 200) })
    expect(log.segmentCount).toBeGreaterThan(3)
    const expected = model.batches.map((batch) => batch.baseOffset)
    for (const maxBytes of [1, 700, 2000, 1 << 20]) {
      expect(await baseOffsets(log, 0, maxBytes)).toEqual(expected)
      expect(await baseOffsets(log, 31, maxBytes)).toEqual(expected.filter((offset) => offset >= 30))
      expect(await baseOffsets(log, 0, maxBytes, 90)).toEqual(expected.filter((offset) => offset < 90))
    }
    await log.close()
  })

  it('reads on to a high watermark raised while the caller held the last chunk below the old one', async () => {
    const { log, model } = await buildPartition({ batches: simpleBatches(20, 2, 100) })
    log.setHighWatermark(10)
    const seen: number[] = []
    for await (const batch of log.batches({ from: 0, maxBytes: 1 })) {
      seen.push(batch.baseOffset)
      // The read ahead of the chunk after offset 8's batch found nothing below 10; by the end of this chunk there is.
      if (batch.baseOffset === 8) log.setHighWatermark(20)
    }
    expect(seen).toEqual(model.batches.filter((batch) => batch.baseOffset < 20).map((batch) => batch.baseOffset))
    await log.close()
  })

  it('lets a caller stop after the first batch and close the log while the read ahead runs', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(50, 10, 300) })
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      for (let round = 0; round < 5; round++) {
        for await (const batch of log.batches({ from: 0, maxBytes: 4000 })) {
          expect(batch.baseOffset).toBe(0)
          break
        }
      }
      const generator = log.batches({ from: 0, maxBytes: 4000 })
      expect((await generator.next()).value?.baseOffset).toBe(0)
      // The chunk after it is being read; closing now must not surface as an unhandled failure.
      await log.close()
      const rest = await generator.next().then(
        (step) => (step.done === true ? 'done' : 'batch'),
        (error: { code?: string }) => error.code,
      )
      expect(['batch', 'done', 'LOG_CLOSED']).toContain(rest)
      await generator.return(undefined)
      await new Promise((resolve) => setTimeout(resolve, 20))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })

  it('leaves no unhandled failure behind a caller that drops the iterator while a read ahead fails', async () => {
    const { log } = await buildPartition({ batches: simpleBatches(20, 2, 200) })
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const generator = log.batches({ from: 0, maxBytes: 1 })
      expect((await generator.next()).value?.baseOffset).toBe(0)
      await log.deleteRecordsBefore(30)
      // Hands out the chunk read ahead before the deletion, and starts the next read, which fails.
      expect((await generator.next()).value?.baseOffset).toBe(2)
      // Dropped without return(): nothing awaits the failed read ahead.
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
    await log.close()
  })

  it('fails with OFFSET_OUT_OF_RANGE only after the batches read before the log start moved past the reader', async () => {
    const { log } = await buildPartition({ segmentBytes: 2048, batches: simpleBatches(40, 2, 200) })
    const seen: number[] = []
    const failure = await (async () => {
      try {
        for await (const batch of log.batches({ from: 0, maxBytes: 1 })) {
          seen.push(batch.baseOffset)
          // Deletes the records two chunks ahead: the read ahead has fetched the next one already.
          if (batch.baseOffset === 4) await log.deleteRecordsBefore(60)
        }
        return null
      } catch (error) {
        return (error as { code?: string }).code
      }
    })()
    expect(failure).toBe('OFFSET_OUT_OF_RANGE')
    expect(seen.slice(0, 3)).toEqual([0, 2, 4])
    expect(seen.every((offset, slot) => slot === 0 || offset > seen[slot - 1]!)).toBe(true)
    await log.close()
  })
})

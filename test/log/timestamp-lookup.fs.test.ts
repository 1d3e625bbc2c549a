import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PartitionLog } from '../../src/log/partition-log.js'
import { partitionConfig } from '../helpers/build-log.js'
import { spyFileSystem } from '../helpers/file-system-spy.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * What a timestamp lookup reads (src/log/timestamp-lookup.ts): batch headers up to the batch that
 * may hold the timestamp, then that batch alone, not the batches before it that the time index's
 * floor entry points at.
 */

afterEach(removeTmpDirs)

const BATCHES = 20
const RECORDS_PER_BATCH = 50
const VALUE_BYTES = 1000

describe('offsetForTimestamp', () => {
  it('reads headers and the one batch holding the answer, not whole batches before it', async () => {
    const spy = spyFileSystem()
    const dir = path.join(await makeTmpDir(), 't-0')
    const log = await PartitionLog.create(dir, 't', 0, partitionConfig(), { flush: { mode: 'os' }, fileSystem: spy.fileSystem })
    const value = Buffer.alloc(VALUE_BYTES, 0x61)
    for (let batch = 0; batch < BATCHES; batch++) {
      const records = Array.from({ length: RECORDS_PER_BATCH }, (_, slot) => ({
        value,
        timestamp: 1000 + batch * RECORDS_PER_BATCH + slot,
      }))
      await log.appendRecords(records)
    }
    const batchBytes = log.sizeInBytes / BATCHES
    let bytesRead = 0
    spy.hook(({ call, args }) => {
      if (call === 'readSync' || call === 'read') bytesRead += args[2] as number
    })
    for (const batch of [3, 11, 17]) {
      bytesRead = 0
      const offset = batch * RECORDS_PER_BATCH + 20
      expect(await log.offsetForTimestamp(1000 + offset)).toEqual({ offset, timestamp: 1000 + offset })
      // One batch and a few chunks of headers; reading the floor batch too would be two batches.
      expect(bytesRead).toBeGreaterThanOrEqual(batchBytes)
      expect(bytesRead, `read ${bytesRead} bytes, batches are ${batchBytes}`).toBeLessThan(1.6 * batchBytes)
    }
    await log.close()
  })
})

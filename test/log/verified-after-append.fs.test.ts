import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildPartition, reopenPartition, scanBatches, simpleBatches } from '../helpers/build-log.js'
import { flipByte } from '../helpers/files.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * After a clean open the active segment's earlier batches have not been CRC-checked by this
 * process; a read checks each once. An append writes bytes the log itself checked, but must not
 * count the unchecked bytes before them as checked: damage there is still reported on read.
 */

afterEach(removeTmpDirs)

describe('bytes checked after an append to a segment opened clean', () => {
  it('a flipped byte in an earlier batch of the active segment is still reported after an append', async () => {
    // Large enough (about 300 KB) that the open does not read the whole segment.
    const { dir, log, config } = await buildPartition({ batches: simpleBatches(30, 100, 100) })
    const batches = scanBatches((await log.readRaw(0, { maxBytes: 1 << 30 })).bytes)
    await log.close()
    const file = path.join(dir, '00000000000000000000.log')
    const damaged = batches[3]!
    let position = 0
    for (const batch of batches.slice(0, 3)) position += batch.bytes.length
    // A byte inside a record's value: no header field a clean open's tail check reads.
    flipByte(file, position + 200)
    const reopened = await reopenPartition(dir, config, true)
    await reopened.appendRecords([{ value: Buffer.from('after'), timestamp: 99_999 }])
    await expect(reopened.readRaw(damaged.baseOffset, { maxBytes: 1 })).rejects.toMatchObject({
      code: 'CORRUPT_RECORD',
      reason: 'bad-crc',
      file,
      position,
    })
    await reopened.close()
  })
})

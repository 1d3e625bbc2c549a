import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  checkpointKey,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  readCheckpointFile,
} from '../../src/engine/checkpoint-file.js'
import { LogEngine } from '../../src/engine/log-engine.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * While deleteTopic closes a topic's logs, its partition directories still stand under their own
 * names: a crash then leaves the topic in place, and the next open reads its log start and recovery
 * point from the checkpoints. A checkpoint written meanwhile (by any other partition's change) must
 * keep that topic's entries, or records deleted with deleteRecordsBefore come back after the crash.
 */
afterEach(async () => {
  vi.restoreAllMocks()
  await removeTmpDirs()
})

describe('checkpoints while a topic is being deleted', () => {
  it('keep the entries of a topic whose directories still stand', async () => {
    const dir = await makeTmpDir()
    const engine = await LogEngine.open({ dir, flush: 'os', checkpointIntervalMs: 3_600_000 })
    let releaseClose = (): void => undefined
    try {
      for (const topic of ['doomed', 'other']) {
        await engine.createTopic(topic, { partitions: 1 })
        await engine
          .partition(topic, 0)
          .appendRecords(Array.from({ length: 10 }, (_, slot) => ({ value: Buffer.from(`${topic}-${slot}`) })))
      }
      await engine.deleteRecordsBefore('doomed', 0, 6)
      expect(readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)).get(checkpointKey('doomed', 0))).toBe(6)

      // Hold the doomed log's close, as a slow final fsync would, and change another partition then.
      const closeHeld = new Promise<void>((resolve) => (releaseClose = resolve))
      const realClose = PartitionLog.prototype.close
      vi.spyOn(PartitionLog.prototype, 'close').mockImplementation(async function (this: PartitionLog) {
        if (this.topic === 'doomed') await closeHeld
        return realClose.call(this)
      })
      const deletion = engine.deleteTopic('doomed')
      await new Promise((resolve) => setTimeout(resolve, 20))
      await engine.deleteRecordsBefore('other', 0, 3)

      // A crash now leaves doomed-0 under its own name: its entries must still be there.
      expect(fs.existsSync(path.join(dir, 'doomed-0'))).toBe(true)
      expect(readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)).get(checkpointKey('doomed', 0))).toBe(6)
      expect(readCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT)).has(checkpointKey('doomed', 0))).toBe(true)
      expect(readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)).get(checkpointKey('other', 0))).toBe(3)

      releaseClose()
      await deletion
      // Once the directories are gone, so are the entries.
      expect(fs.existsSync(path.join(dir, 'doomed-0'))).toBe(false)
      expect(readCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT)).has(checkpointKey('doomed', 0))).toBe(false)
      expect(readCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT)).has(checkpointKey('doomed', 0))).toBe(false)
    } finally {
      releaseClose()
      await engine.close()
    }
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Retention and interval flushes walk every partition while topics come and go. A partition whose
 * topic is deleted under them is closed by the deletion: that is the deletion working, not a failed
 * background task, so it is passed over without a warning and the other partitions still get their
 * turn.
 */
afterEach(removeTmpDirs)

describe('retention racing topic deletion', () => {
  it('passes over partitions of a topic deleted while it runs, without failing or warning', async () => {
    const warnings: string[] = []
    const engine = await LogEngine.open({ dir: await makeTmpDir(), flush: 'os', onWarning: (message) => warnings.push(message) })
    try {
      for (let round = 0; round < 30; round++) {
        for (const topic of ['doomed', 'kept']) {
          if (!engine.hasTopic(topic)) await engine.createTopic(topic, { partitions: 3, segmentBytes: 1024, retentionBytes: 2048 })
          for (let partition = 0; partition < 3; partition++) {
            await engine
              .partition(topic, partition)
              .appendRecords(Array.from({ length: 20 }, (_, slot) => ({ value: Buffer.alloc(100, slot) })))
          }
        }
        // Deletion starts first and closes the logs of 'doomed' while retention walks them.
        const deletion = engine.deleteTopic('doomed')
        const retention = engine.applyRetention()
        await Promise.all([deletion, retention])
        const kept = engine.partitions('kept')
        for (const log of kept) expect(log.sizeInBytes).toBeLessThanOrEqual(2048 + 1024)
      }
      expect(warnings).toEqual([])
    } finally {
      await engine.close()
    }
  })
})

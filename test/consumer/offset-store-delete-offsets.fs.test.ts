import { afterEach, describe, expect, it } from 'vitest'
import { OFFSETS_TOPIC } from '../../src/consumer/offset-store.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openWatchedEngine } from '../helpers/engine.js'
import { fill } from './helpers.js'

/** OffsetStore.deleteOffsets: single partitions of a group forgotten, durably. */

afterEach(removeTmpDirs)

describe('deleteOffsets', () => {
  it('tombstones only the named partitions that have a commit, and they stay deleted after reopen', async () => {
    const dir = await makeTmpDir('seglog-offsets-')
    const { engine } = await openWatchedEngine(dir)
    await engine.createTopic('t', { partitions: 3 })
    for (let partition = 0; partition < 3; partition++) await fill(engine.partition('t', partition), 20)
    const store = engine.offsets
    await store.commitMany(
      'g',
      [0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 5 + partition })),
    )
    await store.commit('other', 't', 0, 3)
    const log = engine.partition(OFFSETS_TOPIC, 0)
    const end = log.logEndOffset
    const removed = await store.deleteOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 0 },
      { topic: 't', partition: 2 },
      { topic: 'absent', partition: 9 },
    ])
    expect(removed).toBe(2)
    expect(log.logEndOffset).toBe(end + 2)
    expect(store.fetch('g', 't', 0)).toBeNull()
    expect(store.fetch('g', 't', 1)).toMatchObject({ offset: 6 })
    expect(store.fetch('other', 't', 0)).toMatchObject({ offset: 3 })
    expect(await store.deleteOffsets('g', [{ topic: 't', partition: 1 }])).toBe(1)
    expect(store.listGroups()).toEqual(['other'])
    expect(await store.deleteOffsets('never', [{ topic: 't', partition: 1 }])).toBe(0)
    await engine.close()

    const reopened = await openWatchedEngine(dir)
    expect(reopened.engine.offsets.listGroups()).toEqual(['other'])
    expect(reopened.engine.offsets.fetch('g', 't', 2)).toBeNull()
    await reopened.engine.close()
  })
})

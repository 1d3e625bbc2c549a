import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { verifyDirectory } from '../../src/engine/verify-directory.js'
import { openIdleEngine } from '../helpers/engine.js'
import { legacyEntry, upgradedSegment } from '../helpers/legacy-messages.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

afterEach(removeTmpDirs)

async function legacyDataDir(): Promise<{ dir: string; segment: Buffer; values: string[] }> {
  const dir = await makeTmpDir()
  const engine = await openIdleEngine(dir)
  await engine.createTopic('old', { partitions: 1 })
  await engine.close()
  const { bytes, values } = upgradedSegment()
  const partitionDir = path.join(dir, 'old-0')
  await writeFile(path.join(partitionDir, '00000000000000000000.log'), bytes)
  // The indexes are rebuilt from the log, and without the clean-shutdown marker the whole log is recovered.
  await rm(path.join(partitionDir, '00000000000000000000.index'), { force: true })
  await rm(path.join(partitionDir, '00000000000000000000.timeindex'), { force: true })
  await rm(path.join(dir, '.clean-shutdown'), { force: true })
  return { dir, segment: bytes, values }
}

describe('a partition holding legacy entries before v2 batches', () => {
  it('opens, reads every record from any offset, and serves the stored bytes unchanged', async () => {
    const { dir, segment, values } = await legacyDataDir()
    const engine = await openIdleEngine(dir)
    try {
      const log = engine.partition('old', 0)
      expect(log.logEndOffset).toBe(16)
      const all = []
      for await (const record of log.records({ from: 0 })) all.push([record.offset, record.value?.toString()])
      expect(all).toEqual(values.map((value, offset) => [offset, value]))
      for (const from of [1, 4, 7, 12, 15]) {
        const first = await log.records({ from }).next()
        expect(first.value).toMatchObject({ offset: from, value: Buffer.from(`v${from}`) })
      }
      const raw = await log.readRaw(0, { maxBytes: 1 << 20 })
      expect(raw.bytes.equals(segment)).toBe(true)
      expect(raw.nextOffset).toBe(16)
      const batches = []
      for await (const batch of log.batches({ from: 0 })) batches.push([batch.magic, batch.baseOffset, batch.lastOffset])
      expect(batches).toEqual([
        [0, 0, 2],
        [0, 3, 4],
        [0, 5, 5],
        [1, 6, 9],
        [1, 10, 10],
        [1, 11, 13],
        [2, 14, 15],
      ])
      // Appends go on at the log end in the current format; a legacy entry is still refused.
      const info = await log.appendRecords([{ value: Buffer.from('after') }])
      expect(info.baseOffset).toBe(16)
      await expect(log.appendBatch(legacyEntry(1, 0, { key: null, value: Buffer.alloc(64) }))).rejects.toMatchObject({
        code: 'CORRUPT_RECORD',
        reason: 'bad-magic',
      })
    } finally {
      await engine.close()
    }
  })

  it('verifies clean, deep too, and a flipped byte in a legacy entry is found', async () => {
    const { dir } = await legacyDataDir()
    // An open rebuilds the indexes over the legacy entries; verify then checks them against the log.
    await (await openIdleEngine(dir)).close()
    const report = await verifyDirectory(dir, { isDeep: true })
    expect(report.problems).toEqual([])
    expect(report.records).toBe(16)
    const file = path.join(dir, 'old-0', '00000000000000000000.log')
    const bytes = await readFile(file)
    bytes[40]! ^= 0x01
    await writeFile(file, bytes)
    const damaged = await verifyDirectory(dir)
    expect(damaged.problems.length).toBeGreaterThan(0)
  })
})

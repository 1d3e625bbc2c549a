import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../src/engine/log-engine.js'
import { nodeFileSystem, type LogFileSystem } from '../../src/log/file-system.js'
import { openQuietEngine, type EngineOptions } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Opening the topics of a data directory (src/engine/topic-load.ts): the partition directories
 * are listed ahead of their open in the thread pool, and that one listing serves the whole open
 * of each partition (segments, index files, producer snapshots, leftovers). A file system without
 * an asynchronous listing gets the synchronous one, with the same outcome.
 */

afterEach(removeTmpDirs)

const PARTITIONS = 12

async function valuesOf(engine: LogEngine, partition: number): Promise<string[]> {
  const values: string[] = []
  for await (const record of engine.partition('t', partition).records({ from: 0 })) values.push(record.value!.toString())
  return values
}

/** A topic of PARTITIONS partitions, each with a few segments, a producer snapshot at close and a txn-less log. */
async function buildDirectory(options: EngineOptions): Promise<string> {
  const dir = await makeTmpDir()
  const engine = await openQuietEngine(dir, options)
  await engine.createTopic('t', { partitions: PARTITIONS, segmentBytes: 100 })
  for (let partition = 0; partition < PARTITIONS; partition++)
    for (let record = 0; record < 4; record++)
      await engine.partition('t', partition).appendRecords([{ value: Buffer.from(`${partition}:${record}`) }])
  await engine.close()
  return dir
}

const withoutAsyncListing: LogFileSystem = { ...nodeFileSystem, readdir: undefined }

describe.each([
  ['listed ahead in the thread pool', {}],
  ['listed synchronously (a file system without readdir)', { fileSystem: withoutAsyncListing }],
] as const)('opening partitions, %s', (_, options: EngineOptions) => {
  it('reopens every partition with its records, creates a listed one whose directory is missing, and clears leftovers', async () => {
    const dir = await buildDirectory(options)
    // A crash during addPartitions: listed in topics.json, no directory.
    fs.rmSync(path.join(dir, 't-5'), { recursive: true })
    // Leftovers of an interrupted deletion and an orphan index, which the open removes.
    fs.writeFileSync(path.join(dir, 't-3', '00000000000000000000.log.deleted'), 'x')
    fs.writeFileSync(path.join(dir, 't-7', '00000000000000099999.index'), '')
    const engine = await openQuietEngine(dir, options)
    try {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const expected = partition === 5 ? [] : [0, 1, 2, 3].map((record) => `${partition}:${record}`)
        expect(await valuesOf(engine, partition)).toEqual(expected)
        expect(engine.partition('t', partition).segmentCount).toBe(partition === 5 ? 1 : 4)
      }
      expect(fs.existsSync(path.join(dir, 't-5'))).toBe(true)
      expect(fs.existsSync(path.join(dir, 't-3', '00000000000000000000.log.deleted'))).toBe(false)
      expect(fs.existsSync(path.join(dir, 't-7', '00000000000000099999.index'))).toBe(false)
      // Appends continue where each log ended.
      expect((await engine.partition('t', 2).appendRecords([{ value: Buffer.from('next') }])).baseOffset).toBe(4)
    } finally {
      await engine.close()
    }
  })
})

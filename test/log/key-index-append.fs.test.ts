import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CLEAN_SHUTDOWN_FILE, type LogEngine } from '../../src/engine/log-engine.js'
import { DEFAULT_KEY_INDEX_CACHE_ENTRIES, setKeyIndexCacheEntries } from '../../src/log/key-index.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { seededRandom } from '../../src/seeded-random.js'
import { openQuietEngine } from '../helpers/engine.js'
import { keyIndexFileEntries, scannedKeyIndexEntries } from '../helpers/key-index-files.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * The key index written as records are appended (keyIndex: true): a sealed segment's `.keyindex`
 * appears at the roll without any lookup, the active one's at a clean close, each holding exactly
 * the entries a scan of its segment gives; recovery rebuilds damaged files at open; a truncation
 * into a segment takes its file. No lookup runs before the files are checked.
 */

afterEach(removeTmpDirs)

const SEED = Number(process.env.SEGLOG_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))
const KEYS = ['', 'a', 'ab', 'k-1', 'k-2', 'k-10', 'long-key-'.repeat(20)].map((key) => Buffer.from(key))

async function appendRandom(log: PartitionLog, random: () => number, batches: number): Promise<void> {
  for (let batch = 0; batch < batches; batch++) {
    const records = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
      const draw = Math.floor(random() * (KEYS.length + 1))
      return { key: draw === KEYS.length ? null : KEYS[draw]!, value: Buffer.from(`v${batch}`) }
    })
    await log.appendRecords(records, { compression: (['none', 'none', 'gzip', 'lz4'] as const)[batch % 4] })
  }
}

function fileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.keyindex`
}

/** Every segment's `.keyindex` holds exactly what a scan of the segment gives (the active one too, when `withActive`). */
async function expectFilesMatchLog(log: PartitionLog, partitionDir: string, withActive: boolean): Promise<void> {
  const segments = log.segmentList
  const ends = segments.map((segment, slot) => segments[slot + 1]?.baseOffset ?? log.logEndOffset)
  for (let slot = 0; slot < segments.length - (withActive ? 0 : 1); slot++) {
    const base = segments[slot]!.baseOffset
    const file = path.join(partitionDir, fileName(base))
    expect(fs.existsSync(file), `${fileName(base)} exists`).toBe(true)
    const { covered, entries } = keyIndexFileEntries(file)
    expect(covered, `${fileName(base)} covers its segment`).toBe(ends[slot]! - base)
    expect(entries, fileName(base)).toEqual(await scannedKeyIndexEntries(log, base, ends[slot]!))
  }
}

async function openTopic(dir: string): Promise<{ engine: LogEngine; log: PartitionLog; partitionDir: string }> {
  const engine = await openQuietEngine(dir, { tickMs: 60_000, fileDeleteDelayMs: 0 })
  if (!engine.hasTopic('t')) await engine.createTopic('t', { partitions: 1, segmentBytes: 1500, keyIndex: true })
  return { engine, log: engine.partition('t', 0), partitionDir: path.join(dir, 't-0') }
}

describe('the key index written as records are appended', () => {
  it(`writes a sealed segment's .keyindex at the roll and the active one's at close, without a lookup (seed ${SEED})`, async () => {
    const random = seededRandom(SEED)
    const dir = await makeTmpDir()
    let { engine, log, partitionDir } = await openTopic(dir)
    try {
      await appendRandom(log, random, 60)
      expect(log.segmentCount).toBeGreaterThan(3)
      await log.rollNow()
      // Written in the background right after each roll.
      await vi.waitFor(() =>
        expect(fs.readdirSync(partitionDir).filter((name) => name.endsWith('.keyindex'))).toHaveLength(log.segmentCount - 1),
      )
      await expectFilesMatchLog(log, partitionDir, false)

      await appendRandom(log, random, 7)
      await engine.close()
      ;({ engine, log, partitionDir } = await openTopic(dir))
      await expectFilesMatchLog(log, partitionDir, true)
      // The active segment's index, loaded from its file at open, goes on with new appends.
      await appendRandom(log, random, 40)
      await engine.close()
      ;({ engine, log, partitionDir } = await openTopic(dir))
      await expectFilesMatchLog(log, partitionDir, true)
    } finally {
      await engine.close()
    }
  })

  it(`rebuilds missing, cut and stale .keyindex files at an unclean open (seed ${SEED})`, async () => {
    const random = seededRandom(SEED + 1)
    const dir = await makeTmpDir()
    let { engine, log, partitionDir } = await openTopic(dir)
    try {
      await appendRandom(log, random, 50)
      await engine.close()
      const files = fs
        .readdirSync(partitionDir)
        .filter((name) => name.endsWith('.keyindex'))
        .sort()
      expect(files.length).toBeGreaterThan(3)
      fs.rmSync(path.join(partitionDir, files[0]!))
      fs.truncateSync(path.join(partitionDir, files[1]!), 24 + 12) // cut: the count disagrees
      const stale = path.join(partitionDir, files[2]!)
      const bytes = fs.readFileSync(stale)
      bytes.writeUInt32BE((bytes.readUInt32BE(16) ^ 1) >>> 0, 16) // the last batch's CRC no longer matches
      fs.writeFileSync(stale, bytes)
      fs.truncateSync(path.join(partitionDir, files[files.length - 1]!), 10) // the active one's
      // Unclean, from the start: every segment is recovered.
      fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE))
      fs.rmSync(path.join(dir, 'recovery-point-offset-checkpoint'))
      ;({ engine, log, partitionDir } = await openTopic(dir))
      await expectFilesMatchLog(log, partitionDir, false)
      await appendRandom(log, random, 5)
      await engine.close()
      ;({ engine, log, partitionDir } = await openTopic(dir))
      await expectFilesMatchLog(log, partitionDir, true)
    } finally {
      await engine.close()
    }
  })

  it(`a truncation into a sealed segment takes its .keyindex; the next roll writes a fresh one (seed ${SEED})`, async () => {
    const random = seededRandom(SEED + 2)
    const { engine, log, partitionDir } = await openTopic(await makeTmpDir())
    try {
      await appendRandom(log, random, 60)
      await log.rollNow()
      const segments = log.segmentList.map((segment) => segment.baseOffset)
      const target = segments[segments.length - 3]!
      await vi.waitFor(() => expect(fs.existsSync(path.join(partitionDir, fileName(target)))).toBe(true))
      await log.truncateTo(target + 1)
      const names = fs.readdirSync(partitionDir)
      expect(names).not.toContain(fileName(target))
      for (const name of names.filter((file) => file.endsWith('.keyindex'))) expect(names).toContain(name.replace('.keyindex', '.log'))
      await appendRandom(log, random, 30)
      await log.rollNow()
      await vi.waitFor(() => expect(fs.existsSync(path.join(partitionDir, fileName(target)))).toBe(true))
      await vi.waitFor(() =>
        expect(fs.readdirSync(partitionDir).filter((name) => name.endsWith('.keyindex'))).toHaveLength(log.segmentCount - 1),
      )
      await expectFilesMatchLog(log, partitionDir, false)
    } finally {
      await engine.close()
    }
  })

  it(`answers as a scan does when the memory budget drops closed segments' indexes (seed ${SEED})`, async () => {
    const random = seededRandom(SEED + 3)
    const { engine, log } = await openTopic(await makeTmpDir())
    setKeyIndexCacheEntries(40) // a segment or two: most lookups load files again
    try {
      for (let round = 0; round < 4; round++) {
        await appendRandom(log, random, 25)
        const all = []
        for await (const record of log.records({ from: log.logStartOffset })) all.push(record)
        for (const key of KEYS) {
          const expected = all.filter((record) => record.key !== null && record.key.equals(key)).map((record) => record.offset)
          expect(
            (await log.lookupKey(key)).map((record) => record.offset),
            `round ${round} key ${key.toString()}`,
          ).toEqual(expected.reverse())
          const limited = (await log.lookupKey(key, { limit: 2 })).map((record) => record.offset)
          expect(limited, `round ${round} key ${key.toString()} limit 2`).toEqual(expected.slice(0, 2))
        }
      }
    } finally {
      setKeyIndexCacheEntries(DEFAULT_KEY_INDEX_CACHE_ENTRIES)
      await engine.close()
    }
  })
})

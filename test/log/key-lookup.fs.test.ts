import { afterEach, describe, expect, it } from 'vitest'
import { lookupKeyInTopic } from '../../src/engine/key-lookup.js'
import type { DecodedRecord } from '../../src/record/record.js'
import { seededRandom } from '../../src/seeded-random.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * lookupKey against brute force over random logs: keys that are prefixes of each other, equal
 * lengths differing in one byte, empty keys, keyless records, tombstones, several segments and
 * codecs, time ranges and limits. The answer must be the brute-force list, newest first.
 */

afterEach(removeTmpDirs)

const SEED = Number(process.env.SEGLOG_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31))

const KEYS = ['', 'a', 'ab', 'abc', 'abd', 'b', 'ba', 'k-1', 'k-2', 'k-10'].map((key) => Buffer.from(key))

function summary(records: readonly DecodedRecord[]): { offset: number; key: string | null; value: string | null; timestamp: number }[] {
  return records.map((record) => ({
    offset: record.offset,
    key: record.key?.toString() ?? null,
    value: record.value?.toString() ?? null,
    timestamp: record.timestamp,
  }))
}

describe('lookupKey', () => {
  it(`equals a brute-force scan on random logs (seed ${SEED})`, async () => {
    const random = seededRandom(SEED)
    const engine = await openQuietEngine(await makeTmpDir(), { tickMs: 60_000 })
    try {
      await engine.createTopic('t', { partitions: 2, segmentBytes: 1024 })
      for (let batch = 0; batch < 150; batch++) {
        const partition = Math.floor(random() * 2)
        const records = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
          const draw = Math.floor(random() * (KEYS.length + 1))
          return {
            key: draw === KEYS.length ? null : KEYS[draw]!,
            value: random() < 0.1 ? null : Buffer.from(`v${batch}`),
            timestamp: 1_700_000_000_000 + Math.floor(random() * 1000),
          }
        })
        const compression = (['none', 'gzip', 'lz4'] as const)[batch % 3]
        await engine.partition('t', partition).appendRecords(records, { compression })
      }
      const all: (DecodedRecord & { partition: number })[] = []
      for (const log of engine.partitions('t')) {
        expect(log.segmentCount).toBeGreaterThan(2)
        for await (const record of log.records({ from: 0 })) all.push({ ...record, partition: log.partition })
      }
      for (let query = 0; query < 60; query++) {
        const key = KEYS[Math.floor(random() * KEYS.length)]!
        const fromTimestamp = random() < 0.5 ? undefined : 1_700_000_000_000 + Math.floor(random() * 1000)
        const toTimestamp = random() < 0.5 ? undefined : 1_700_000_000_000 + Math.floor(random() * 1000)
        const limit = random() < 0.5 ? undefined : 1 + Math.floor(random() * 5)
        const matches = (record: DecodedRecord): boolean =>
          record.key !== null &&
          record.key.equals(key) &&
          (fromTimestamp === undefined || record.timestamp >= fromTimestamp) &&
          (toTimestamp === undefined || record.timestamp < toTimestamp)
        for (const log of engine.partitions('t')) {
          const expected = all
            .filter((record) => record.partition === log.partition && matches(record))
            .sort((a, b) => b.offset - a.offset)
            .slice(0, limit)
          const found = await log.lookupKey(key, { fromTimestamp, toTimestamp, limit })
          expect(summary(found), `key '${key}' partition ${log.partition}`).toEqual(summary(expected))
        }
        const acrossTopic = await lookupKeyInTopic(engine.partitions('t'), key, { fromTimestamp, toTimestamp, limit })
        // Each partition's newest `limit` (by offset), merged newest first by timestamp.
        const expectedAcross = [0, 1]
          .flatMap((partition) =>
            all
              .filter((record) => record.partition === partition && matches(record))
              .sort((a, b) => b.offset - a.offset)
              .slice(0, limit),
          )
          .sort((a, b) => b.timestamp - a.timestamp || a.partition - b.partition || b.offset - a.offset)
          .slice(0, limit)
        expect(acrossTopic.map((record) => [record.partition, record.offset])).toEqual(
          expectedAcross.map((record) => [record.partition, record.offset]),
        )
      }
    } finally {
      await engine.close()
    }
  })
})

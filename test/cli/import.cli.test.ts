import { createHash } from 'node:crypto'
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { encodeOffsetKey, encodeOffsetValue } from '../../src/format/offset-commit.js'
import { FileBatchReader } from '../../src/log/file-batch-reader.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { assertCliBuilt, REPO_ROOT, runCli } from '../helpers/cli.js'
import { openIdleEngine } from '../helpers/engine.js'
import { upgradedSegment } from '../helpers/legacy-messages.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

afterEach(removeTmpDirs)
beforeAll(assertCliBuilt)

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'kafka')

/** sha256 of every file (path, size, content) and the mode and link count of each: any change shows. */
async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256')
  const walk = async (at: string): Promise<void> => {
    for (const entry of (await readdir(at, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(at, entry.name)
      const info = await stat(full)
      hash.update(`${path.relative(dir, full)} ${info.mode} ${info.mtimeMs}\n`)
      if (entry.isDirectory()) await walk(full)
      else hash.update(await readFile(full))
    }
  }
  await walk(dir)
  return hash.digest('hex')
}

/** Every record of a partition's `.log` files in the source, read straight from the files. */
async function sourceRecords(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of (await readdir(dir)).filter((file) => file.endsWith('.log')).sort()) {
    const reader = FileBatchReader.openSync(path.join(dir, name))
    try {
      for (let batch = reader.next(); batch !== null; batch = reader.next())
        for (const record of batch.records())
          out.push(`${record.offset} ${record.timestamp} ${record.key?.toString('hex')} ${record.value?.toString('hex')}`)
    } finally {
      reader.close()
    }
  }
  return out
}

async function importedRecords(engine: LogEngine, topic: string, partition: number): Promise<string[]> {
  const out: string[] = []
  for await (const record of engine.partition(topic, partition).records({ from: engine.partition(topic, partition).logStartOffset }))
    out.push(`${record.offset} ${record.timestamp} ${record.key?.toString('hex')} ${record.value?.toString('hex')}`)
  return out
}

describe('seglog import', () => {
  for (const fixture of ['volodymyrzee-kafka', 'kaipasubhash-kafka-logs']) {
    it(`adopts the broker directory ${fixture}: topics, every record, group offsets, the source untouched`, async () => {
      const source = path.join(await makeTmpDir(), 'kafka-logs')
      await cp(path.join(FIXTURES, fixture), source, { recursive: true })
      const before = await hashTree(source)
      const dest = path.join(await makeTmpDir(), 'data')
      const result = await runCli(['import', source, dest])
      expect(result.stderr).not.toContain('seglog:')
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/: 0 problems$/m)
      expect(await hashTree(source)).toBe(before)

      const engine = await openIdleEngine(dest)
      try {
        const topics = engine.listTopics().filter((topic) => !topic.internal)
        const partitionDirs = (await readdir(source)).filter((name) => !name.startsWith('__') && /-\d+$/.test(name))
        expect(topics.reduce((sum, topic) => sum + topic.partitions, 0)).toBe(partitionDirs.length)
        for (const name of partitionDirs) {
          const dash = name.lastIndexOf('-')
          expect(await importedRecords(engine, name.slice(0, dash), Number(name.slice(dash + 1)))).toEqual(
            await sourceRecords(path.join(source, name)),
          )
        }
        expect(engine.offsets.listGroups().length).toBeGreaterThan(0)
        if (fixture === 'volodymyrzee-kafka') {
          expect(engine.offsets.listGroups()).toEqual(['my-first-application', 'my-firstd-application', 'my-second-application'])
          expect([0, 1, 2].map((partition) => engine.offsets.fetch('my-first-application', 'first_topic', partition)?.offset)).toEqual([
            11, 12, 18,
          ])
          // The commit timestamp Kafka stored (dump --offsets-decoder shows it at offset 495 of
          // __consumer_offsets-32), not the time of the import.
          expect(engine.offsets.fetch('my-first-application', 'first_topic', 0)?.commitTimestamp).toBe(1_587_583_335_220)
        }
      } finally {
        await engine.close()
      }
    })
  }

  it('keeps the latest commit, honours tombstones, hard-links closed segments and reads legacy segments', async () => {
    const source = path.join(await makeTmpDir(), 'kafka-logs')
    const orders = path.join(source, 'orders-0')
    await mkdir(orders, { recursive: true })
    const legacy = upgradedSegment().bytes
    await writeFile(path.join(orders, '00000000000000000000.log'), legacy)
    const tail = encodeBatch([{ key: null, value: Buffer.from('v16'), timestamp: 1_700_000_000_016 }], {
      baseOffset: 16,
      partitionLeaderEpoch: 1,
    })
    await writeFile(path.join(orders, '00000000000000000016.log'), tail)
    await writeFile(path.join(orders, 'leader-epoch-checkpoint'), '0\n2\n0 0\n1 16\n')
    await mkdir(path.join(source, 'orders-1'))
    await writeFile(path.join(source, 'orders-1', '00000000000000000000.log'), Buffer.alloc(0))
    await mkdir(path.join(source, 'orders-0.8d9a2c4f6b1e4a0f9c3d2e1f0a9b8c7d-delete'))
    const offsets = path.join(source, '__consumer_offsets-7')
    await mkdir(offsets)
    const commit = (group: string, partition: number, offset: number | null): { key: Buffer; value: Buffer | null } => ({
      key: encodeOffsetKey({ group, topic: 'orders', partition }),
      value: offset === null ? null : encodeOffsetValue({ offset, metadata: `m${offset}`, commitTimestamp: 1_600_000_000_000 + offset }),
    })
    const records = [
      commit('billing', 0, 5),
      commit('billing', 0, 9),
      commit('audit', 0, 3),
      commit('billing', 1, 0),
      commit('audit', 0, null),
      {
        key: encodeOffsetKey({ group: 'billing', topic: 'elsewhere', partition: 0 }),
        value: encodeOffsetValue({ offset: 4, metadata: '', commitTimestamp: 1 }),
      },
    ]
    await writeFile(path.join(offsets, '00000000000000000000.log'), encodeBatch(records, { baseOffset: 0 }))
    await writeFile(path.join(source, 'server.properties'), 'log.retention.ms=-1\nlog.segment.bytes=1048576\n')
    // Kafka deleted the records below offset 2 of orders-0 (DeleteRecords): they stay deleted.
    await writeFile(path.join(source, 'log-start-offset-checkpoint'), '0\n2\norders 0 2\n__consumer_offsets 7 0\n')
    const before = await hashTree(source)

    const dest = path.join(await makeTmpDir(), 'data')
    const result = await runCli(['import', '--link', '--server-properties', path.join(source, 'server.properties'), source, dest])
    expect(result.stderr).toContain('-delete: not a partition directory')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('imported 1 topics: orders (2)')
    expect(result.stdout).toContain('(1 hard-linked); 3 committed offsets of 1 consumer groups')
    expect(result.stderr).toContain('commit to elsewhere-0 is left out')
    expect((await stat(path.join(dest, 'orders-0', '00000000000000000000.log'))).nlink).toBe(2)
    expect((await stat(path.join(dest, 'orders-0', '00000000000000000016.log'))).nlink).toBe(1)
    expect(await readFile(path.join(dest, 'orders-0', 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n0 0\n1 16\n')

    const engine = await openIdleEngine(dest)
    try {
      expect(engine.offsets.listGroups()).toEqual(['billing'])
      // Each commit keeps the timestamp and metadata Kafka stored with it.
      expect(engine.offsets.fetch('billing', 'orders', 0)).toEqual({ offset: 9, metadata: 'm9', commitTimestamp: 1_600_000_000_009 })
      expect(engine.offsets.fetch('billing', 'orders', 1)).toEqual({ offset: 0, metadata: 'm0', commitTimestamp: 1_600_000_000_000 })
      expect(engine.topicConfig('orders')).toMatchObject({ retentionMs: -1, segmentBytes: 1_048_576 })
      expect(engine.partition('orders', 0).logStartOffset).toBe(2)
      const values = (await importedRecords(engine, 'orders', 0)).map((line) => Buffer.from(line.split(' ')[3]!, 'hex').toString())
      expect(values).toEqual(Array.from({ length: 15 }, (_, n) => `v${n + 2}`))
      // Appends land in the copied last segment, never in the source.
      await engine.partition('orders', 0).appendRecords([{ value: Buffer.from('v17') }])
    } finally {
      await engine.close()
    }
    expect(await hashTree(source)).toBe(before)
  })

  it('refuses a destination that holds data, and a missing source', async () => {
    const dest = await makeTmpDir()
    await writeFile(path.join(dest, 'something'), 'x')
    const source = await makeTmpDir()
    expect((await runCli(['import', source, dest])).code).toBe(1)
    expect((await runCli(['import', path.join(source, 'missing'), path.join(dest, 'new')])).code).toBe(1)
    expect((await runCli(['import', source])).code).toBe(2)
  })
})

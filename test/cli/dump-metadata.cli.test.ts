import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { keyHash } from '../../src/format/key-index.js'
import { assertCliBuilt, outputLines, runCli } from '../helpers/cli.js'
import { openQuietEngine } from '../helpers/engine.js'
import { flipByte, truncateFile } from '../helpers/files.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog dump` of a partition's metadata files, written by the engine: `.txnindex` (Kafka's
 * kafka-dump-log line per aborted transaction), `leader-epoch-checkpoint` (version, count and
 * the epochs) and `.keyindex` (a header summary, then key hash → offsets), as text and as JSON;
 * and a corrupt or truncated file of each kind: one line naming the file and byte position, exit 1.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

const name = (offset: number, suffix: string): string => `${String(offset).padStart(20, '0')}${suffix}`

/**
 * Partition t-0: epoch 0 from offset 0 with producer 7's transaction (offset 0) aborted at 1;
 * epoch 3 from offset 2 with keyed records k0 k1 k2 k0 … in 300-byte segments, whose key indexes
 * a lookup wrote.
 */
async function partitionDir(): Promise<string> {
  const dir = await makeTmpDir('seglog-dump-meta-')
  const engine = await openQuietEngine(dir)
  await engine.createTopic('t', { partitions: 1, segmentBytes: 300, keyIndex: true })
  const log = engine.partition('t', 0)
  await log.assignEpochStartOffset(0)
  await log.appendRecords([{ key: Buffer.from('a'), value: Buffer.from('1') }], {
    producerId: 7,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
  })
  await log.writeTxnMarker(7, 0, 'abort', 1)
  await log.assignEpochStartOffset(3)
  for (let n = 0; n < 8; n++) await log.appendRecords([{ key: Buffer.from(`k${n % 3}`), value: Buffer.from(`v${n}`) }])
  await log.rollNow()
  expect((await log.lookupKey(Buffer.from('k1'))).length).toBeGreaterThan(0)
  await engine.close()
  return path.join(dir, 't-0')
}

const hex = (key: string): string => keyHash(Buffer.from(key)).toString(16).padStart(8, '0')

describe('seglog dump of .txnindex, leader-epoch-checkpoint and .keyindex', () => {
  it("prints each in its line format, with Kafka's for aborted transactions", async () => {
    const dir = await partitionDir()
    const txnIndex = path.join(dir, name(0, '.txnindex'))
    const epochs = path.join(dir, 'leader-epoch-checkpoint')
    const keyIndex = path.join(dir, name(0, '.keyindex'))
    const result = await runCli(['dump', txnIndex, epochs, keyIndex])
    expect(result.code, result.stderr).toBe(0)
    expect(outputLines(result.stdout)).toEqual([
      `Dumping ${txnIndex}`,
      'version: 0 producerId: 7 firstOffset: 0 lastOffset: 1 lastStableOffset: 2',
      `Dumping ${epochs}`,
      'version: 0 count: 2',
      'epoch: 0 startOffset: 0',
      'epoch: 3 startOffset: 2',
      `Dumping ${keyIndex}`,
      expect.stringMatching(/^version: 0 baseOffset: 0 coveredUpTo: 4 lastBatchOffset: 3 lastBatchCrc: \d+ entries: 3 hashes: 3$/),
      `keyHash: 0x${hex('a')} offsets: 0`,
      `keyHash: 0x${hex('k0')} offsets: 2`,
      `keyHash: 0x${hex('k1')} offsets: 3`,
    ])
  })

  it('groups the offsets of a key hash, absolute, and prints JSON lines with --json', async () => {
    const dir = await partitionDir()
    // The second segment (base 4) holds k2 k0 k1 k2 at offsets 4..7.
    const keyIndex = path.join(dir, name(4, '.keyindex'))
    const text = await runCli(['dump', keyIndex])
    expect(outputLines(text.stdout).slice(2)).toEqual([
      `keyHash: 0x${hex('k2')} offsets: 4,7`,
      `keyHash: 0x${hex('k0')} offsets: 5`,
      `keyHash: 0x${hex('k1')} offsets: 6`,
    ])
    const json = await runCli(['dump', '--json', keyIndex, path.join(dir, name(0, '.txnindex')), path.join(dir, 'leader-epoch-checkpoint')])
    expect(json.code, json.stderr).toBe(0)
    const objects = outputLines(json.stdout).map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(objects.filter((object) => object.type === 'key-hash')).toEqual([
      { type: 'key-hash', keyHash: hex('k2'), offsets: [4, 7] },
      { type: 'key-hash', keyHash: hex('k0'), offsets: [5] },
      { type: 'key-hash', keyHash: hex('k1'), offsets: [6] },
    ])
    expect(objects.find((object) => object.type === 'key-index')).toMatchObject({
      baseOffset: 4,
      coveredUpTo: 8,
      lastBatchOffset: 7,
      entries: 4,
      hashes: 3,
    })
    expect(objects.find((object) => object.type === 'aborted-txn')).toEqual({
      type: 'aborted-txn',
      version: 0,
      producerId: 7,
      firstOffset: 0,
      lastOffset: 1,
      lastStableOffset: 2,
    })
    expect(objects.filter((object) => object.type === 'leader-epoch')).toEqual([
      { type: 'leader-epoch', epoch: 0, startOffset: 0 },
      { type: 'leader-epoch', epoch: 3, startOffset: 2 },
    ])
  })

  it('reports a corrupt or truncated file in one line with its byte position, exit 1', async () => {
    const dir = await partitionDir()
    const cases: { file: string; damage: () => void; position: number }[] = [
      // A flipped version byte, then a torn entry.
      { file: name(0, '.txnindex'), damage: () => flipByte(path.join(dir, name(0, '.txnindex')), 1), position: 0 },
      { file: name(0, '.keyindex'), damage: () => flipByte(path.join(dir, name(0, '.keyindex')), 0), position: 0 },
      { file: name(4, '.keyindex'), damage: () => truncateFile(path.join(dir, name(4, '.keyindex')), 40), position: 20 },
      {
        file: 'leader-epoch-checkpoint',
        damage: () => fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), '0\n2\n0 0\n3 x\n'),
        position: 8,
      },
    ]
    for (const { file, damage, position } of cases) {
      damage()
      const result = await runCli(['dump', path.join(dir, file)])
      expect(result.code, file).toBe(1)
      expect(outputLines(result.stdout)).toEqual([`Dumping ${path.join(dir, file)}`])
      const lines = outputLines(result.stderr)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(`${path.join(dir, file)} at byte ${position}`)
    }
  })

  it('reports a torn last entry of a .txnindex after printing the whole ones', async () => {
    const dir = await partitionDir()
    const file = path.join(dir, name(0, '.txnindex'))
    const entry = fs.readFileSync(file)
    fs.appendFileSync(file, entry.subarray(0, 10))
    const result = await runCli(['dump', file])
    expect(result.code).toBe(1)
    expect(outputLines(result.stdout)).toEqual([
      `Dumping ${file}`,
      'version: 0 producerId: 7 firstOffset: 0 lastOffset: 1 lastStableOffset: 2',
    ])
    expect(outputLines(result.stderr)).toEqual([expect.stringContaining(`${file} at byte 34: a partial entry of 10 bytes`)])
  })
})

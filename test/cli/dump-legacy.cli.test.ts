import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, runCli } from '../helpers/cli.js'
import { legacyEntry, legacyWrapper, legacyInputs, upgradedSegment } from '../helpers/legacy-messages.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

afterEach(removeTmpDirs)
beforeAll(assertCliBuilt)

async function segmentFile(bytes: Buffer): Promise<string> {
  const file = path.join(await makeTmpDir(), '00000000000000000000.log')
  await writeFile(file, bytes)
  return file
}

describe('seglog dump on legacy messages', () => {
  it("prints kafka-dump-log's line shapes for magic 0 and 1 and goes on to the v2 batches after them", async () => {
    const file = await segmentFile(upgradedSegment().bytes)
    const result = await runCli(['dump', '--deep-iteration', '--print-data-log', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split('\n')
    const entries = lines.filter((line) => line.startsWith('offset: ') || line.startsWith('baseOffset: '))
    expect(entries.map((line) => line.split(' ')[1])).toEqual(['2', '4', '5', '9', '10', '13', '14'])
    expect(entries[0]).toMatch(/^offset: 2 position: 0 NoTimestampType: -1 size: \d+ magic: 0 compresscodec: gzip crc: \d+ isvalid: true$/)
    expect(entries[1]).toMatch(/ magic: 0 compresscodec: lz4 /)
    expect(entries[3]).toMatch(
      /^offset: 9 position: \d+ CreateTime: 1700000000009 size: \d+ magic: 1 compresscodec: snappy crc: \d+ isvalid: true$/,
    )
    expect(entries[6]).toMatch(/^baseOffset: 14 lastOffset: 15 count: 2 /)
    const records = lines.filter((line) => line.startsWith('| offset: '))
    expect(records).toHaveLength(16)
    expect(records[0]).toMatch(/^\| offset: 0 NoTimestampType: -1 keySize: -1 valueSize: 2 isValid: true crc: \d+\} payload: v0$/)
    expect(records[7]).toMatch(
      /^\| offset: 7 CreateTime: 1700000000007 keySize: 2 valueSize: 2 isValid: true crc: \d+\} key: k7 payload: v7$/,
    )
    expect(records[15]).toMatch(
      /^\| offset: 15 CreateTime: 1700000000015 keySize: -1 valueSize: 3 sequence: -1 headerKeys: \[\] payload: v15$/,
    )
  })

  it('reports a legacy entry with a bad CRC as isvalid: false and exits 1', async () => {
    const bytes = Buffer.concat([legacyEntry(1, 0, legacyInputs(1)[0]!), legacyWrapper(1, 1, legacyInputs(2, 1), 'gzip')])
    bytes[bytes.length - 3]! ^= 0x10
    const result = await runCli(['dump', await segmentFile(bytes)])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /^offset: 2 position: \d+ CreateTime: \d+ size: \d+ magic: 1 compresscodec: gzip crc: \d+ isvalid: false$/m,
    )
    expect(result.stderr).toContain('failed the CRC check')
  })
})

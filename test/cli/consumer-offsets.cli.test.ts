import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeOffsetKey, encodeOffsetValue, type OffsetKey } from '../../src/format/offset-commit.js'
import { assertCliBuilt, fileStates, outputLines, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { buildDataDir, segmentFile, type BuiltDataDir } from './engine-data.js'
import { openIdleEngine } from '../helpers/engine.js'

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

/** One record of the offsets log as the engine wrote it: a commit, or a tombstone (value null). */
interface OffsetsRecordModel {
  key: OffsetKey
  value: { offset: number; metadata: string; commitTimestamp: number } | null
}

interface GroupRow {
  group: string
  topic: string
  partition: number
  committedOffset: number
  logEndOffset: number | null
  lag: number | null
  metadata: string
  commitTimestamp: number
}

interface OffsetsData {
  data: BuiltDataDir
  /** `__consumer_offsets-0`. */
  offsetsDir: string
  /** Every record of the offsets log, in offset order. */
  records: OffsetsRecordModel[]
  /** Live commits by group, topic, partition, with the engine's describeGroup figures. */
  groups: GroupRow[]
}

/**
 * The engine data directory of engine-data.ts plus commits: `billing` commits orders-0 twice
 * (the second wins) and orders-1 with metadata; `audit-readers` commits audit-0 and orders-1;
 * `temp` commits two partitions and is deleted (two tombstones in one batch); then the topic
 * `audit` is deleted, so audit-readers' commit for audit-0 has no partition left.
 */
async function buildOffsetsData(): Promise<OffsetsData> {
  const data = await buildDataDir()
  const engine = await openIdleEngine(data.dir)
  const records: OffsetsRecordModel[] = []
  const groups: GroupRow[] = []
  try {
    const { offsets } = engine
    const committed = (group: string, topic: string, partition: number): void => {
      const value = offsets.fetch(group, topic, partition)!
      records.push({ key: { group, topic, partition }, value })
    }
    await offsets.commit('billing', 'orders', 0, 42, 'ok')
    committed('billing', 'orders', 0)
    await offsets.commitMany('billing', [
      { topic: 'orders', partition: 0, offset: 70 },
      { topic: 'orders', partition: 1, offset: 50, metadata: 'run 7' },
    ])
    committed('billing', 'orders', 0)
    committed('billing', 'orders', 1)
    await offsets.commit('audit-readers', 'audit', 0, 1)
    committed('audit-readers', 'audit', 0)
    await offsets.commit('audit-readers', 'orders', 1, 12, 'checked')
    committed('audit-readers', 'orders', 1)
    await offsets.commit('temp', 'orders', 0, 5)
    committed('temp', 'orders', 0)
    await offsets.commit('temp', 'orders', 1, 6)
    committed('temp', 'orders', 1)
    expect(await offsets.deleteGroup('temp')).toBe(true)
    records.push(
      { key: { group: 'temp', topic: 'orders', partition: 0 }, value: null },
      { key: { group: 'temp', topic: 'orders', partition: 1 }, value: null },
    )
    await engine.deleteTopic('audit')
    expect(offsets.listGroups()).toEqual(['audit-readers', 'billing'])
    for (const group of offsets.listGroups()) {
      for (const lag of offsets.describeGroup(group)) {
        // describeGroup reports a deleted topic's commit with log end -1; inspect has no log end for it.
        const hasLog = lag.logEndOffset >= 0
        groups.push({
          group,
          topic: lag.topic,
          partition: lag.partition,
          committedOffset: lag.committedOffset!,
          logEndOffset: hasLog ? lag.logEndOffset : null,
          lag: hasLog ? lag.lag : null,
          metadata: lag.metadata!,
          commitTimestamp: lag.commitTimestamp!,
        })
      }
    }
  } finally {
    await engine.close()
  }
  return { data, offsetsDir: path.join(data.dir, '__consumer_offsets-0'), records, groups }
}

const RECORD_LINE =
  /^\| offset: (\d+) CreateTime: (\d+) keySize: (\d+) valueSize: (-?\d+) sequence: -1 headerKeys: \[\] key: (.*?)(?: payload: (.*))?$/

function recordLines(stdout: string): RegExpExecArray[] {
  return outputLines(stdout)
    .filter((line) => line.startsWith('| '))
    .map((line) => {
      const match = RECORD_LINE.exec(line)
      expect(match, line).not.toBeNull()
      return match!
    })
}

/** A copy of the offsets log's first segment, in a directory of its own, with the same name. */
async function copyOffsetsLog(offsetsDir: string): Promise<string> {
  const dir = await makeTmpDir('seglog-cli-offsets-')
  const file = path.join(dir, '00000000000000000000.log')
  fs.copyFileSync(segmentFile(offsetsDir, 0, '.log'), file)
  return file
}

/** Byte position of the first occurrence of `needle` in a file. */
function positionOf(file: string, needle: Buffer): number {
  const position = fs.readFileSync(file).indexOf(needle)
  expect(position).toBeGreaterThanOrEqual(0)
  return position
}

function writeAt(file: string, position: number, bytes: Buffer): void {
  const contents = fs.readFileSync(file)
  bytes.copy(contents, position)
  fs.writeFileSync(file, contents)
}

/** Deterministic byte positions for the mutation runs (a linear congruential generator). */
function seededPositions(seed: number, count: number, size: number): number[] {
  let state = seed
  const positions: number[] = []
  for (let slot = 0; slot < count; slot++) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    positions.push(state % size)
  }
  return positions
}

describe('seglog dump --offsets-decoder', () => {
  it("prints every commit and tombstone of the offsets log in Kafka's JSON key/payload shape", async () => {
    const { offsetsDir, records } = await buildOffsetsData()
    const file = segmentFile(offsetsDir, 0, '.log')
    const result = await runCli(['dump', '--offsets-decoder', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const out = outputLines(result.stdout)
    expect(out.slice(0, 2)).toEqual([`Dumping ${file}`, 'Log starting offset: 0'])
    // It implies --print-data-log: every record is printed under its batch, with key and payload.
    const lines = recordLines(result.stdout)
    expect(lines).toHaveLength(records.length)
    for (const [slot, match] of lines.entries()) {
      const expected = records[slot]!
      const [, offset, timestamp, keySize, valueSize, key, payload] = match
      expect(Number(offset)).toBe(slot)
      expect(Number(keySize)).toBe(encodeOffsetKey(expected.key).length)
      expect(JSON.parse(key!)).toEqual({ type: '1', data: expected.key })
      if (expected.value === null) {
        expect(Number(valueSize)).toBe(-1)
        expect(payload).toBe('<DELETE>')
        continue
      }
      expect(Number(valueSize)).toBe(encodeOffsetValue(expected.value).length)
      expect(Number(timestamp)).toBe(expected.value.commitTimestamp)
      expect(JSON.parse(payload!)).toEqual({
        version: '3',
        data: {
          offset: expected.value.offset,
          leaderEpoch: -1,
          metadata: expected.value.metadata,
          commitTimestamp: expected.value.commitTimestamp,
        },
      })
    }
    // The exact text, field order included, as Kafka's OffsetsMessageParser prints it.
    const first = records[0]!.value!
    expect(out[3]).toMatch(/^\| offset: 0 CreateTime: \d+ keySize: 23 valueSize: 26 sequence: -1 headerKeys: \[\] /)
    expect(out[3]!.slice(out[3]!.indexOf(' key: '))).toBe(
      ' key: {"type":"1","data":{"group":"billing","topic":"orders","partition":0}}' +
        ` payload: {"version":"3","data":{"offset":42,"leaderEpoch":-1,"metadata":"ok","commitTimestamp":${first.commitTimestamp}}}`,
    )
    // The two tombstones of deleteGroup share one batch.
    const batchLines = out.filter((line) => line.startsWith('baseOffset: '))
    expect(batchLines.at(-1)).toMatch(/^baseOffset: 7 lastOffset: 8 count: 2 .* isvalid: true$/)
  })

  it('adds offsetKey, offsetCommit and offsetsError to --json records', async () => {
    const { offsetsDir, records } = await buildOffsetsData()
    const result = await runCli(['dump', '--json', '--offsets-decoder', segmentFile(offsetsDir, 0, '.log')])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const lines = outputLines(result.stdout)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.type === 'record')
    expect(lines).toHaveLength(records.length)
    for (const [slot, line] of lines.entries()) {
      const expected = records[slot]!
      expect(line.offset).toBe(slot)
      expect(line.key).toBe(encodeOffsetKey(expected.key).toString('base64'))
      expect(line.offsetKey).toEqual(expected.key)
      expect(line.offsetCommit).toEqual(expected.value === null ? null : { ...expected.key, ...expected.value })
      expect(line.offsetsError).toBeNull()
    }
    // Without --offsets-decoder the records have none of these fields.
    const plain = await runCli(['dump', '--json', '--deep-iteration', segmentFile(offsetsDir, 0, '.log')])
    expect(plain.stdout).not.toContain('offsetCommit')
  })

  it('prints a marker for keys and values that do not decode, and goes on: bad CRCs still print', async () => {
    const { offsetsDir, records } = await buildOffsetsData()
    const file = await copyOffsetsLog(offsetsDir)
    // Offset 0: the group length of billing's key becomes 0x7fff, far past the key's end.
    writeAt(file, positionOf(file, encodeOffsetKey(records[0]!.key)) + 2, Buffer.from([0x7f, 0xff]))
    // Offset 3: audit-readers' key version becomes 9 (a record type seglog does not know).
    writeAt(file, positionOf(file, encodeOffsetKey(records[3]!.key)), Buffer.from([0x00, 0x09]))
    // Offset 4: the value version becomes 9, which no Kafka ever wrote.
    writeAt(file, positionOf(file, encodeOffsetValue(records[4]!.value!)), Buffer.from([0x00, 0x09]))
    const result = await runCli(['dump', '--offsets-decoder', file])
    expect(result.code).toBe(1)
    expect(result.stderr).not.toContain('unexpected error')
    const out = outputLines(result.stdout)
    const batchLines = out.filter((line) => line.startsWith('baseOffset: '))
    expect(batchLines.map((line) => line.endsWith('isvalid: false'))).toEqual([true, false, true, true, false, false, false])
    const lines = recordLines(result.stdout)
    expect(lines).toHaveLength(records.length)
    const text = (offset: number): { key: string; payload: string | undefined } => ({ key: lines[offset]![5]!, payload: lines[offset]![6] })
    expect(text(0).key).toMatch(/^Error at offset 0, skipping\. the key does not decode \(truncated-record at byte \d+: .+\)$/)
    expect(text(0).payload).toBeUndefined()
    expect(text(3)).toEqual({ key: 'Unknown record type 9 at offset 3, skipping.', payload: undefined })
    // An unknown version is named as such, in Kafka's words, not as damage.
    expect(text(4).key).toBe('Error at offset 4, skipping. Found an unknown record version 9 for 1 type')
    expect(text(4).payload).toBeUndefined()
    // The records around them still decode.
    for (const offset of [1, 2, 5, 6]) expect(JSON.parse(text(offset).key)).toEqual({ type: '1', data: records[offset]!.key })
    expect(text(7).payload).toBe('<DELETE>')
    const stderr = outputLines(result.stderr)
    expect(stderr).toContain(`seglog: ${file}: 3 batches failed the CRC check (isvalid: false), the first at byte 0`)
    expect(stderr).toContain(`seglog: ${file}: 2 records did not decode with --offsets-decoder, the first at offset 0`)
    expect(stderr).toContain(
      `seglog: ${file}: the record at offset 4 has an unknown version: offset commit value version 9; Kafka's schema defines 0-4`,
    )

    const json = await runCli(['dump', '--json', '--offsets-decoder', file])
    expect(json.code).toBe(1)
    const jsonRecords = outputLines(json.stdout)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.type === 'record')
    expect(jsonRecords[0]).toMatchObject({
      offsetKey: null,
      offsetCommit: null,
      offsetsError: expect.stringMatching(/^Error at offset 0, skipping\./),
    })
    expect(jsonRecords[3]).toMatchObject({
      offsetKey: null,
      offsetCommit: null,
      offsetsError: 'Unknown record type 9 at offset 3, skipping.',
    })
    expect(jsonRecords[4]).toMatchObject({
      offsetKey: records[4]!.key,
      offsetCommit: null,
      offsetsError: expect.stringMatching(/^Error at offset 4, skipping\./),
    })
    expect(jsonRecords[1]).toMatchObject({ offsetCommit: { ...records[1]!.key, ...records[1]!.value }, offsetsError: null })
  })

  it('never crashes on randomly damaged copies, in text or JSON', async () => {
    const { offsetsDir } = await buildOffsetsData()
    const files: string[] = []
    const size = fs.statSync(segmentFile(offsetsDir, 0, '.log')).size
    for (let seed = 1; seed <= 24; seed++) {
      const file = await copyOffsetsLog(offsetsDir)
      const contents = fs.readFileSync(file)
      // From one to four flipped bytes; headers, record framing, keys and values are all fair game.
      for (const position of seededPositions(seed, 1 + (seed % 4), size)) contents[position] = contents[position]! ^ (1 + (seed % 255))
      fs.writeFileSync(file, contents)
      files.push(file)
    }
    for (const args of [
      ['dump', '--offsets-decoder', ...files],
      ['dump', '--json', '--offsets-decoder', ...files],
    ]) {
      const result = await runCli(args)
      expect(result.signal).toBeNull()
      expect([0, 1]).toContain(result.code)
      expect(result.stderr).not.toContain('unexpected error')
      if (args.includes('--json')) {
        const lines = outputLines(result.stdout).map((line) => JSON.parse(line) as { type: string })
        expect(lines.filter((line) => line.type === 'file')).toHaveLength(files.length)
      } else {
        for (const file of files) expect(result.stdout).toContain(`Dumping ${file}\n`)
      }
    }
  })
})

describe('seglog inspect: consumer groups', () => {
  it("lists every live commit with the partition's log end and lag, as the engine describes them", async () => {
    const { data, groups } = await buildOffsetsData()
    expect(groups.map((row) => `${row.group} ${row.topic}-${row.partition}`)).toEqual([
      'audit-readers audit-0',
      'audit-readers orders-1',
      'billing orders-0',
      'billing orders-1',
    ])
    expect(groups.find((row) => row.group === 'billing' && row.partition === 0)).toMatchObject({
      committedOffset: 70,
      logEndOffset: 80,
      lag: 10,
    })
    const before = fileStates(data.dir)
    const json = await runCli(['inspect', '--json', data.dir])
    expect(json.stderr).toBe('')
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as { groups: GroupRow[]; partitions: { name: string; logEndOffset: number | null }[] }
    // The deleted group `temp` is gone; the commit for the deleted topic has no log end.
    expect(report.groups).toEqual(groups)
    for (const row of report.groups.filter((candidate) => candidate.logEndOffset !== null)) {
      expect(row.logEndOffset).toBe(report.partitions.find((partition) => partition.name === `${row.topic}-${row.partition}`)!.logEndOffset)
    }

    const text = await runCli(['inspect', '--wide', data.dir])
    expect(text.code).toBe(0)
    const out = outputLines(text.stdout)
    const title = out.indexOf('Consumer groups (__consumer_offsets-0)')
    expect(title).toBeGreaterThan(0)
    expect(out[title + 1]!.trim().split(/\s+/)).toEqual([
      'GROUP',
      'TOPIC',
      'PARTITION',
      'COMMITTED',
      'LOG-END',
      'LAG',
      'METADATA',
      'COMMITTED-AT',
    ])
    const rows = out.slice(title + 2, title + 2 + groups.length).map((line) => line.trim().split(/\s+/))
    expect(rows).toEqual(
      groups.map((row) => [
        row.group,
        row.topic,
        String(row.partition),
        String(row.committedOffset),
        row.logEndOffset === null ? '-' : String(row.logEndOffset),
        row.lag === null ? '-' : String(row.lag),
        // Empty metadata is '-'; metadata with a space is quoted, so it stays one cell.
        ...(row.metadata === '' ? ['-'] : row.metadata.includes(' ') ? JSON.stringify(row.metadata).split(' ') : [row.metadata]),
        new Date(row.commitTimestamp).toISOString(),
      ]),
    )
    expect(out.slice(title).join('\n')).not.toContain('temp')
    // topics.json is shown too, the internal topic included.
    expect(out).toContain('Topics (topics.json)')
    expect(text.stdout).toMatch(/^ {2}__consumer_offsets +1 +16 MiB /m)
    expect(fileStates(data.dir)).toEqual(before)
  })

  it('replays a compacted log while the engine has the directory open, and shows no table without groups', async () => {
    const { data, groups } = await buildOffsetsData()
    // Compaction restates the live commits in a new segment and deletes the old ones.
    const engine = await openIdleEngine(data.dir)
    try {
      await engine.offsets.compact()
      expect(engine.offsets.compactions).toBe(1)
      // Inspect while the engine holds the directory: the lock does not stop it. The old segments
      // are `.deleted` files now (listed as leftovers, not replayed).
      const json = await runCli(['inspect', '--json', data.dir])
      expect(json.code).toBe(0)
      const report = JSON.parse(json.stdout) as { groups: GroupRow[]; partitions: { name: string; segments: number }[] }
      expect(report.groups).toEqual(groups)
      expect(report.partitions.find((partition) => partition.name === '__consumer_offsets-0')!.segments).toBe(1)
    } finally {
      await engine.close()
    }
    const fresh = await makeTmpDir('seglog-cli-offsets-')
    await (await openIdleEngine(fresh)).close()
    const text = await runCli(['inspect', fresh])
    expect(text.code).toBe(0)
    expect(text.stdout).not.toContain('Consumer groups')
    expect((JSON.parse((await runCli(['inspect', '--json', fresh])).stdout) as { groups: unknown[] }).groups).toEqual([])
  })

  it('reports damaged offsets batches, leaves them out and still lists the rest', async () => {
    const { data, records, groups } = await buildOffsetsData()
    const log = segmentFile(path.join(data.dir, '__consumer_offsets-0'), 0, '.log')
    // Offset 3 (audit-readers, audit-0): the batch's CRC no longer matches.
    writeAt(log, positionOf(log, encodeOffsetKey(records[3]!.key)) + 4, Buffer.from('X'))
    const result = await runCli(['inspect', '--json', data.dir])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^seglog: .*__consumer_offsets-0\/00000000000000000000\.log at byte \d+: bad-crc in the offsets log batch of offsets 3\.\.3; its commits are left out of the consumer groups$/,
      ),
    ])
    const report = JSON.parse(result.stdout) as { groups: GroupRow[] }
    expect(report.groups).toEqual(groups.filter((row) => !(row.group === 'audit-readers' && row.topic === 'audit')))

    // Random damage: reported or not, never a crash.
    const pristine = fs.readFileSync(log)
    for (let seed = 1; seed <= 6; seed++) {
      const contents = Buffer.from(pristine)
      for (const position of seededPositions(seed * 7, 2, contents.length)) contents[position] = contents[position]! ^ 0x5a
      fs.writeFileSync(log, contents)
      const damaged = await runCli(['inspect', '--json', data.dir])
      expect([0, 1], damaged.stderr).toContain(damaged.code)
      expect(damaged.stderr).not.toContain('unexpected error')
      expect(Array.isArray((JSON.parse(damaged.stdout) as { groups: unknown }).groups)).toBe(true)
    }
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OffsetIndex } from '../../src/log/offset-index.js'
import { ProducerState } from '../../src/log/producer-state.js'
import { TimeIndex } from '../../src/log/time-index.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { assertCliBuilt, fileStates, outputLines, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { batchPositions, buildDataDir, quarantineGarbage, segmentFile, T0, type BuiltDataDir, type BuiltPartition } from './engine-data.js'

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

/** The entries as the log layer reads them (read-only: a lazily loaded index is never written). */
function offsetEntries(file: string, baseOffset: number): { offset: number; position: number }[] {
  return [...new OffsetIndex(file, baseOffset, 1 << 30, false).entriesInOrder()]
}

function timeEntries(file: string, baseOffset: number): { timestamp: number; offset: number }[] {
  return [...new TimeIndex(file, baseOffset, 1 << 30, false).entriesInOrder()]
}

async function orders0(): Promise<{ data: BuiltDataDir; partition: BuiltPartition }> {
  const data = await buildDataDir()
  return { data, partition: data.partitions.get('orders-0')! }
}

/** Overwrites the entry at `slot` of an offset index with (relative offset, position). */
function writeOffsetEntry(file: string, slot: number, relativeOffset: number, position: number): void {
  const bytes = fs.readFileSync(file)
  bytes.writeInt32BE(relativeOffset, slot * 8)
  bytes.writeInt32BE(position, slot * 8 + 4)
  fs.writeFileSync(file, bytes)
}

describe('seglog dump .index / .timeindex', () => {
  it("prints every offset-index entry in Kafka's line shape, as the engine wrote them", async () => {
    const { partition } = await orders0()
    const file = segmentFile(partition.dir, 0, '.index')
    const expected = offsetEntries(file, 0)
    expect(expected.length).toBeGreaterThan(5)
    const result = await runCli(['dump', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(outputLines(result.stdout)).toEqual([
      `Dumping ${file}`,
      ...expected.map((entry) => `offset: ${entry.offset} position: ${entry.position}`),
    ])
    // Each entry names the batch starting at its position (Kafka's verify rule).
    const positions = batchPositions(segmentFile(partition.dir, 0, '.log'))
    for (const entry of expected) expect(positions).toContain(entry.position)
  })

  it('prints every time-index entry, absolute offsets for a segment not based at 0', async () => {
    const { partition } = await orders0()
    const base = partition.segmentBaseOffsets[1]!
    expect(base).toBeGreaterThan(0)
    const file = segmentFile(partition.dir, base, '.timeindex')
    const expected = timeEntries(file, base)
    const result = await runCli(['dump', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(outputLines(result.stdout)).toEqual([
      `Dumping ${file}`,
      ...expected.map((entry) => `timestamp: ${entry.timestamp} offset: ${entry.offset}`),
    ])
    expect(expected.every((entry) => entry.offset >= base)).toBe(true)
  })

  it('writes index entries as JSON lines with --json', async () => {
    const { partition } = await orders0()
    const index = segmentFile(partition.dir, 0, '.index')
    const timeIndex = segmentFile(partition.dir, 0, '.timeindex')
    const result = await runCli(['dump', '--json', index, timeIndex])
    expect(result.code).toBe(0)
    const objects = outputLines(result.stdout).map((line) => JSON.parse(line) as Record<string, unknown>)
    const offsets = offsetEntries(index, 0)
    const times = timeEntries(timeIndex, 0)
    expect(objects).toEqual([
      { type: 'file', file: index, baseOffset: 0, entries: offsets.length },
      ...offsets.map((entry) => ({ type: 'index-entry', offset: entry.offset, position: entry.position })),
      { type: 'file', file: timeIndex, baseOffset: 0, entries: times.length },
      ...times.map((entry) => ({ type: 'time-index-entry', timestamp: entry.timestamp, offset: entry.offset })),
    ])
  })

  it('says "<path> is empty." for an empty index', async () => {
    const data = await buildDataDir()
    const file = segmentFile(data.partitions.get('audit-0')!.dir, 0, '.index')
    expect(fs.statSync(file).size).toBe(0)
    const result = await runCli(['dump', file])
    expect(result.code).toBe(0)
    expect(outputLines(result.stdout)).toEqual([`Dumping ${file}`, `${file} is empty.`])
  })

  it("runs the engine's sanity check with --index-sanity-check", async () => {
    const { partition } = await orders0()
    const index = segmentFile(partition.dir, 0, '.index')
    const timeIndex = segmentFile(partition.dir, 0, '.timeindex')
    const passed = await runCli(['dump', '--index-sanity-check', index, timeIndex])
    expect(passed.code).toBe(0)
    expect(outputLines(passed.stdout)).toEqual([
      `Dumping ${index}`,
      `${index} passed sanity check.`,
      `Dumping ${timeIndex}`,
      `${timeIndex} passed sanity check.`,
    ])

    // The last entry points past the end of the log.
    const count = fs.statSync(index).size / 8
    writeOffsetEntry(index, count - 1, 70, 1_000_000)
    const failed = await runCli(['dump', '--index-sanity-check', index])
    expect(failed.code).toBe(1)
    expect(outputLines(failed.stdout)).toEqual([`Dumping ${index}`])
    const stderr = outputLines(failed.stderr)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^seglog: /)
    expect(stderr[0]).toContain(`${index} at byte ${(count - 1) * 8 + 4}`)
  })

  it("fails the sanity check of entries that do not ascend, naming the entry's byte position", async () => {
    const { partition } = await orders0()
    const timeIndex = segmentFile(partition.dir, 0, '.timeindex')
    const bytes = fs.readFileSync(timeIndex)
    bytes.copy(bytes, 24, 0, 12) // entry 2 := entry 0
    fs.writeFileSync(timeIndex, bytes)
    const result = await runCli(['dump', '--index-sanity-check', timeIndex])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${timeIndex} at byte 24`)
  })

  it('--verify-index-only prints nothing for a sound index and the mismatches, Kafka-shaped, for a bad one', async () => {
    const { partition } = await orders0()
    const index = segmentFile(partition.dir, 0, '.index')
    const clean = await runCli(['dump', '--verify-index-only', index])
    expect(clean.code).toBe(0)
    expect(clean.stderr).toBe('')
    expect(outputLines(clean.stdout)).toEqual([`Dumping ${index}`])

    const entries = offsetEntries(index, 0)
    const positions = batchPositions(segmentFile(partition.dir, 0, '.log'))
    // Entry 1 names an offset one below the batch at its position; entry 3 points past the log.
    writeOffsetEntry(index, 1, entries[1]!.offset - 1, entries[1]!.position)
    writeOffsetEntry(index, 3, entries[3]!.offset, 1_000_000)
    expect(positions).toContain(entries[1]!.position)
    const result = await runCli(['dump', '--verify-index-only', index])
    expect(result.code).toBe(1)
    expect(outputLines(result.stdout)).toEqual([`Dumping ${index}`])
    const stderr = outputLines(result.stderr)
    expect(stderr[0]).toBe(`Mismatches in :${path.resolve(index)}`)
    expect(stderr[1]).toBe(`  Index offset: ${entries[1]!.offset - 1}, log offset: ${entries[1]!.offset}`)
    expect(stderr[2]).toMatch(
      new RegExp(
        `^ {2}Index offset: ${entries[3]!.offset}, log offset: -1 \\(no batch at byte 1000000, past the end of the \\d+-byte log\\)$`,
      ),
    )
    // The plain dump prints the entries and the same report.
    const dumped = await runCli(['dump', index])
    expect(dumped.code).toBe(1)
    expect(outputLines(dumped.stdout)).toHaveLength(1 + entries.length)
    expect(outputLines(dumped.stderr)).toEqual(stderr)
  })

  it("reports time-index entries whose timestamp or offset disagree with the log, in Kafka's shapes", async () => {
    const { partition } = await orders0()
    const timeIndex = segmentFile(partition.dir, 0, '.timeindex')
    const entries = timeEntries(timeIndex, 0)
    const bytes = fs.readFileSync(timeIndex)
    // Entry 2: a timestamp one above the batch's max (still ascending); entry 4: an offset inside a batch.
    bytes.writeUInt32BE(bytes.readUInt32BE(2 * 12 + 4) + 1, 2 * 12 + 4)
    bytes.writeInt32BE(entries[4]!.offset - 1, 4 * 12 + 8)
    fs.writeFileSync(timeIndex, bytes)
    const result = await runCli(['dump', '--verify-index-only', timeIndex])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      `Found timestamp mismatch in :${path.resolve(timeIndex)}`,
      `  Index timestamp: ${entries[2]!.timestamp + 1}, log timestamp: ${entries[2]!.timestamp}`,
      'The following indexed offsets are not found in the log.',
      `Indexed offset: ${entries[4]!.offset - 1}, found log offset: ${entries[4]!.offset}`,
    ])
  })

  it('reports a timestamp that does not ascend as Kafka does', async () => {
    const { partition } = await orders0()
    const timeIndex = segmentFile(partition.dir, 0, '.timeindex')
    const entries = timeEntries(timeIndex, 0)
    const bytes = fs.readFileSync(timeIndex)
    bytes.copy(bytes, 3 * 12, 2 * 12, 2 * 12 + 8) // entry 3 gets entry 2's timestamp
    fs.writeFileSync(timeIndex, bytes)
    const result = await runCli(['dump', '--verify-index-only', timeIndex])
    expect(result.code).toBe(1)
    const stderr = outputLines(result.stderr)
    expect(stderr).toContain(`Found out of order timestamp in :${path.resolve(timeIndex)}`)
    expect(stderr).toContain(`  Index timestamp: ${entries[2]!.timestamp}, Previously indexed timestamp: ${entries[2]!.timestamp}`)
  })

  it('dumps an index without its log but cannot verify it', async () => {
    const { partition } = await orders0()
    const dir = await makeTmpDir('seglog-cli-')
    const index = path.join(dir, '00000000000000000000.index')
    fs.copyFileSync(segmentFile(partition.dir, 0, '.index'), index)
    const plain = await runCli(['dump', index])
    expect(plain.code).toBe(0)
    expect(outputLines(plain.stdout)).toHaveLength(1 + fs.statSync(index).size / 8)
    expect(outputLines(plain.stderr)).toEqual([`No 00000000000000000000.log beside ${index}: the entries were not checked against the log`])
    const verify = await runCli(['dump', '--verify-index-only', index])
    expect(verify.code).toBe(1)
    expect(outputLines(verify.stderr)).toEqual([
      `seglog: ${index}: cannot verify the index: there is no 00000000000000000000.log beside it`,
    ])
  })

  it('reports a partial entry at the end of an index', async () => {
    const { partition } = await orders0()
    const index = segmentFile(partition.dir, 0, '.index')
    const size = fs.statSync(index).size
    fs.appendFileSync(index, Buffer.from([1, 2, 3]))
    const result = await runCli(['dump', index])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      `seglog: ${index} at byte ${size}: 3 bytes of a partial entry at the end (the size is not a multiple of 8)`,
    ])
  })

  it('reads index files without changing anything in the directory', async () => {
    const { data, partition } = await orders0()
    const before = fileStates(data.dir)
    const files = partition.segmentBaseOffsets.flatMap((base) => [
      segmentFile(partition.dir, base, '.index'),
      segmentFile(partition.dir, base, '.timeindex'),
    ])
    for (const flags of [[], ['--index-sanity-check'], ['--verify-index-only'], ['--json']]) {
      expect((await runCli(['dump', ...flags, ...files])).code).toBe(0)
    }
    expect(fileStates(data.dir)).toEqual(before)
  })
})

describe('seglog dump .quarantine', () => {
  it('dumps the bytes recovery cut off: unreadable from the start, reported as invalid bytes', async () => {
    const { data, partition } = await orders0()
    const active = partition.segmentBaseOffsets.at(-1)!
    const garbage = Buffer.alloc(300, 0xab)
    const file = await quarantineGarbage(data.dir, partition.dir, active, garbage)
    expect(fs.readFileSync(file)).toEqual(garbage)
    const position = Number(/\.(\d+)\.quarantine$/.exec(file)![1])
    const result = await runCli(['dump', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(outputLines(result.stdout)).toEqual([
      `Dumping ${file}`,
      `Quarantined bytes of ${path.basename(segmentFile(partition.dir, active, '.log'))} from byte ${position} (positions below are within this file)`,
      expect.stringMatching(
        new RegExp(`^Found 300 invalid bytes at the end of ${path.basename(file).replace(/\./g, '\\.')} \\(from byte 0: bad-length`),
      ),
    ])
  })

  it('prints the whole batches at the start of a quarantine file and the rest as invalid bytes', async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const first = encodeBatch([{ value: Buffer.from('a'), timestamp: T0 }], { baseOffset: 40 })
    const second = encodeBatch([{ value: Buffer.from('b'), timestamp: T0 + 1 }], { baseOffset: 41 })
    const third = encodeBatch([{ value: Buffer.from('c'), timestamp: T0 + 2 }], { baseOffset: 42 })
    const file = path.join(dir, '00000000000000000000.log.4096.quarantine')
    fs.writeFileSync(file, Buffer.concat([first, second, third.subarray(0, 30)]))
    const text = await runCli(['dump', file])
    expect(text.code).toBe(0)
    const out = outputLines(text.stdout)
    expect(out).toHaveLength(5)
    expect(out[1]).toBe('Quarantined bytes of 00000000000000000000.log from byte 4096 (positions below are within this file)')
    expect(out[2]).toMatch(/^baseOffset: 40 lastOffset: 40 .* position: 0 /)
    expect(out[3]).toMatch(new RegExp(`^baseOffset: 41 lastOffset: 41 .* position: ${first.length} `))
    expect(out[4]).toBe(
      `Found 30 invalid bytes at the end of ${path.basename(file)} (from byte ${first.length + second.length}: partial batch)`,
    )
    const json = await runCli(['dump', '--json', file])
    const objects = outputLines(json.stdout).map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(objects[0]).toEqual({ type: 'file', file, logStartOffset: 0, quarantinedFrom: '00000000000000000000.log', quarantinedAt: 4096 })
    expect(objects.at(-1)).toEqual({ type: 'trailing', position: first.length + second.length, bytes: 30, reason: 'partial batch' })
  })

  it('never crashes on bytes that begin in the middle of a batch', async () => {
    const { partition } = await orders0()
    const log = fs.readFileSync(segmentFile(partition.dir, 0, '.log'))
    const dir = await makeTmpDir('seglog-cli-')
    for (const start of [1, 13, 17, 30, 61, 100]) {
      const file = path.join(dir, `00000000000000000000.log.${start}.quarantine`)
      fs.writeFileSync(file, log.subarray(start, start + 2000))
      const result = await runCli(['dump', '--deep-iteration', file])
      expect(result.code, `start ${start}`).toBe(0)
      expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /)
      expect(outputLines(result.stdout).at(-1)).toMatch(/^Found \d+ invalid bytes at the end of /)
    }
  })
})

describe('seglog dump .snapshot', () => {
  it("prints each producer in Kafka's line shape", async () => {
    const state = new ProducerState()
    state.update(4000, 2, { firstSequence: 5, lastSequence: 9, baseOffset: 100, lastOffset: 104, maxTimestamp: T0 })
    state.update(4001, 0, { firstSequence: 0, lastSequence: 0, baseOffset: 105, lastOffset: 105, maxTimestamp: T0 + 1 })
    const dir = await makeTmpDir('seglog-cli-')
    const file = path.join(dir, '00000000000000000106.snapshot')
    fs.writeFileSync(file, state.encodeSnapshot())
    const result = await runCli(['dump', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(outputLines(result.stdout)).toEqual([
      `Dumping ${file}`,
      `producerId: 4000 producerEpoch: 2 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: ${T0} firstSequence: 5 lastSequence: 9 lastOffset: 104 offsetDelta: 4 timestamp: ${T0}`,
      `producerId: 4001 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: ${T0 + 1} firstSequence: 0 lastSequence: 0 lastOffset: 105 offsetDelta: 0 timestamp: ${T0 + 1}`,
    ])
    const json = await runCli(['dump', '--json', file])
    expect(JSON.parse(outputLines(json.stdout)[1]!)).toEqual({
      type: 'producer',
      producerId: 4000,
      producerEpoch: 2,
      coordinatorEpoch: -1,
      currentTxnFirstOffset: null,
      lastTimestamp: T0,
      firstSequence: 5,
      lastSequence: 9,
      lastOffset: 104,
      offsetDelta: 4,
      timestamp: T0,
    })
  })

  it('reports a damaged snapshot with its byte position', async () => {
    const state = new ProducerState()
    state.update(7, 0, { firstSequence: 0, lastSequence: 1, baseOffset: 0, lastOffset: 1, maxTimestamp: T0 })
    const bytes = state.encodeSnapshot()
    bytes[20] = bytes[20]! ^ 1
    const dir = await makeTmpDir('seglog-cli-')
    const file = path.join(dir, '00000000000000000002.snapshot')
    fs.writeFileSync(file, bytes)
    const result = await runCli(['dump', file])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^seglog: ${file.replace(/\./g, '\\.')} at byte 2: bad-crc`)),
    ])
  })
})

import fs from 'node:fs'
import type { DataDirReport, PartitionReport } from '../../src/cli/commands/inspect-report.js'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../src/index.js'
import { assertCliBuilt, fileStates, outputLines, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openIdleEngine, openQuietEngine } from '../helpers/engine.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { buildDataDir, quarantineGarbage, segmentFile, T0, type BuiltPartition } from './engine-data.js'

beforeAll(assertCliBuilt)

const opened: LogEngine[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()))
  await removeTmpDirs()
})

/** `seglog inspect --json` prints the report types inspect builds. */
type PartitionJson = PartitionReport
type DataDirJson = DataDirReport

async function inspectJson(args: string[]): Promise<DataDirJson> {
  const result = await runCli(['inspect', '--json', ...args])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout) as DataDirJson
}

/** Every figure inspect reports for a partition, against what the engine wrote. */
function expectPartitionFigures(actual: PartitionJson | undefined, built: BuiltPartition): void {
  expect(actual, built.name).toBeDefined()
  const { batches } = built
  const codecs: Record<string, number> = {}
  for (const batch of batches) codecs[batch.compression] = (codecs[batch.compression] ?? 0) + 1
  expect(actual).toMatchObject({
    name: built.name,
    topic: built.topic,
    partition: built.partition,
    exists: true,
    isKnown: true,
    segments: built.segmentBaseOffsets.length,
    logStartOffset: built.logStartOffset,
    logEndOffset: built.logEndOffset,
    checkpoint: { recoveryPoint: built.recoveryPoint, logStartOffset: null },
    records: batches.reduce((total, batch) => total + batch.records, 0),
    batches: batches.length,
    bytes: built.bytes,
    firstTimestamp: Math.min(...batches.map((batch) => batch.baseTimestamp)),
    maxTimestamp: Math.max(...batches.map((batch) => batch.maxTimestamp)),
    indexEntries: { offset: built.offsetIndexEntries, time: built.timeIndexEntries },
    quarantine: [],
    leftovers: [],
  })
  expect(Object.fromEntries(Object.entries(actual!.compression).map(([name, codec]) => [name, codec.batches]))).toEqual(codecs)
  expect(actual!.segmentList.map((segment) => segment.baseOffset)).toEqual(built.segmentBaseOffsets)
  // Segments follow each other: each starts where the one before ended.
  const segments = actual!.segmentList
  expect(segments[0]!.firstOffset).toBe(0)
  for (let slot = 1; slot < segments.length; slot++) expect(segments[slot]!.firstOffset).toBe(segments[slot - 1]!.lastOffset! + 1)
  expect(segments.at(-1)!.lastOffset).toBe(built.logEndOffset - 1)
  // Every sealed segment's time index ends with its largest timestamp.
  for (const segment of segments) expect(segment.timeIndexLastEntry?.timestamp).toBe(segment.maxTimestamp)
}

describe('seglog inspect', () => {
  it('reports a closed data directory field by field as the engine wrote it (--json)', async () => {
    const data = await buildDataDir()
    const report = await inspectJson([data.dir])
    expect(report.type).toBe('data-dir')
    expect(report.dir).toBe(path.resolve(data.dir))
    expect(report.shutdown.isClean).toBe(true)
    expect(report.shutdown.closedAt).toEqual(expect.any(Number))
    expect(report.lock).toEqual({ hasLockFile: true, heldByPid: fs.existsSync('/proc/locks') ? null : 'unknown' })
    expect(report.topicsFile).toEqual({ exists: true, error: null })
    const orders = report.topics.find((topic) => topic.name === 'orders')
    expect(orders).toMatchObject({ partitions: 2, settings: { segmentBytes: 4096, indexIntervalBytes: 200, retentionMs: -1 }, flush: null })
    expect(report.topics.find((topic) => topic.name === 'audit')).toMatchObject({ partitions: 1, flush: { mode: 'interval', ms: 500 } })
    for (const built of data.partitions.values()) {
      expectPartitionFigures(
        report.partitions.find((partition) => partition.name === built.name),
        built,
      )
      expect(report.checkpoints.recoveryPoint.entries[`${built.topic} ${built.partition}`]).toBe(built.recoveryPoint)
    }
    expect(report.checkpoints.logStart).toMatchObject({ exists: true, entries: {} })
    const totals = report.partitions.reduce(
      (sum, partition) => ({
        segments: sum.segments + partition.segments,
        records: sum.records + partition.records,
        bytes: sum.bytes + partition.bytes,
      }),
      { segments: 0, records: 0, bytes: 0 },
    )
    expect(report.totals).toMatchObject({ partitions: report.partitions.length, ...totals })
  })

  it('prints aligned tables that carry the same figures', async () => {
    const data = await buildDataDir()
    const result = await runCli(['inspect', '--wide', data.dir])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const out = outputLines(result.stdout)
    expect(out[0]).toBe(`Data directory  ${path.resolve(data.dir)}`)
    expect(out[1]).toMatch(/^Last shutdown +clean, at \d{4}-\d\d-\d\dT/)
    const header = out.findIndex((line) => line.startsWith('  PARTITION '))
    expect(header).toBeGreaterThan(0)
    const columns = out[header]!.trim().split(/ {2,}/)
    expect(columns.slice(0, 8)).toEqual(['PARTITION', 'SEGMENTS', 'LOG START', 'LOG END', 'RECOVERY POINT', 'RECORDS', 'BATCHES', 'BYTES'])
    const built = data.partitions.get('orders-0')!
    const row = out
      .find((line) => line.startsWith('  orders-0 '))!
      .trim()
      .split(/\s+/)
    const records = built.batches.reduce((total, batch) => total + batch.records, 0)
    expect(row.slice(0, 7)).toEqual([
      'orders-0',
      String(built.segmentBaseOffsets.length),
      '0',
      String(built.logEndOffset),
      String(built.recoveryPoint),
      String(records),
      String(built.batches.length),
    ])
    expect(row).toContain(new Date(Math.max(...built.batches.map((batch) => batch.maxTimestamp))).toISOString())
    expect(row).toContain(`${built.offsetIndexEntries}/${built.timeIndexEntries}`)
    // Columns line up: every row of the table is as long as its header up to the last column.
    const table = out.slice(
      header,
      out.findIndex((line, slot) => slot > header && !line.startsWith('  ')),
    )
    const compressionColumn = out[header]!.indexOf('COMPRESSION')
    for (const line of table.slice(1)) expect(line.slice(compressionColumn - 2, compressionColumn)).toBe('  ')
    expect(result.stdout).toMatch(/^ {2}orders +2 +4 KiB +7d +10 MiB +200 +-1 +-1 +16 MiB +engine default$/m)
    expect(result.stdout).toMatch(/^ {2}audit +1 +1 GiB .* interval 500ms$/m)
    expect(out.at(-1)).toMatch(/^Total: \d+ partitions, \d+ segments, \d+ batches, \d+ records, /)
  })

  it('inspects one partition directory on its own, with its segments and the checkpoints around it', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const result = await runCli(['inspect', '--json', built.dir])
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as { type: string; dataDir: string; partition: PartitionJson }
    expect(report.type).toBe('partition-dir')
    expect(report.dataDir).toBe(path.resolve(data.dir))
    expectPartitionFigures(report.partition, built)
    const text = await runCli(['inspect', '--wide', built.dir])
    const out = outputLines(text.stdout)
    expect(out).toContain('Segments of orders-0')
    const segmentRows = out.slice(out.indexOf('Segments of orders-0') + 2)
    expect(segmentRows.map((line) => Number(line.trim().split(/\s+/)[0]))).toEqual(built.segmentBaseOffsets)
  })

  it('lists every segment with --segments and measures compression with --deep', async () => {
    const data = await buildDataDir()
    const text = await runCli(['inspect', '--segments', data.dir])
    for (const name of data.partitions.keys()) expect(outputLines(text.stdout)).toContain(`Segments of ${name}`)
    const report = await inspectJson(['--deep', data.dir])
    const compression = report.partitions.find((partition) => partition.name === 'orders-0')!.compression
    expect(compression.gzip!.ratio).toBeGreaterThan(1)
    expect(compression.lz4!.ratio).toBeGreaterThan(1)
    expect(compression.none!.ratio).toBe(1)
    expect((await inspectJson([data.dir])).partitions[0]!.compression).not.toHaveProperty('gzip.ratio', expect.any(Number))
  })

  it('lists quarantine files with their sizes, and partial batches and missing indexes', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-1')!
    const active = built.segmentBaseOffsets.at(-1)!
    const quarantine = await quarantineGarbage(data.dir, built.dir, active, Buffer.alloc(333, 0x5a))
    // A torn write: the first 40 bytes of a batch at the end of the last segment; the same bytes at
    // the end of a segment that is not the last are damage.
    const orders0 = data.partitions.get('orders-0')!
    const partialBatch = encodeBatch([{ value: Buffer.alloc(100), timestamp: T0 }], { baseOffset: orders0.logEndOffset }).subarray(0, 40)
    fs.appendFileSync(segmentFile(orders0.dir, orders0.segmentBaseOffsets.at(-1)!, '.log'), partialBatch)
    expect(built.segmentBaseOffsets.length).toBeGreaterThan(1)
    fs.appendFileSync(segmentFile(built.dir, 0, '.log'), partialBatch)
    fs.rmSync(segmentFile(built.dir, 0, '.timeindex'))
    const report = await inspectJson([data.dir])
    const partition = report.partitions.find((candidate) => candidate.name === 'orders-1')!
    expect(partition.quarantine).toEqual([
      {
        file: path.basename(quarantine),
        bytes: 333,
        cutFrom: path.basename(segmentFile(built.dir, active, '.log')),
        position: Number(/\.(\d+)\.quarantine$/.exec(quarantine)![1]),
      },
    ])
    expect(partition.records).toBe(built.batches.reduce((total, batch) => total + batch.records, 0))
    const text = await runCli(['inspect', '--wide', data.dir])
    expect(text.code).toBe(0)
    const out = outputLines(text.stdout)
    const attention = out.slice(out.indexOf('Files to look at'))
    expect(attention[1]).toMatch(/^ {2}FILE +BYTES +WHAT$/)
    expect(attention).toContainEqual(
      expect.stringMatching(new RegExp(`^ {2}orders-1/${path.basename(quarantine).replace(/\./g, '\\.')} +333 B +bytes recovery cut from`)),
    )
    const lastSegmentName = path.basename(segmentFile(orders0.dir, orders0.segmentBaseOffsets.at(-1)!, '.log')).replace(/\./g, '\\.')
    expect(attention).toContainEqual(
      expect.stringMatching(new RegExp(`^ {2}orders-0/${lastSegmentName} +40 B +a partial batch at the end`)),
    )
    expect(attention).toContainEqual(
      expect.stringMatching(/^ {2}orders-1\/00000000000000000000\.log +40 B +a partial batch in a segment that is not the last/),
    )
    expect(attention).toContainEqual(expect.stringMatching(/^ {2}orders-1\/00000000000000000000\.timeindex +missing/))
  })

  it('works while a running engine owns the directory, and changes nothing', async () => {
    const data = await buildDataDir()
    const engine = await openIdleEngine(data.dir)
    opened.push(engine)
    const before = fileStates(data.dir)
    const report = await inspectJson([data.dir])
    expect(report.shutdown.isClean).toBe(false)
    if (fs.existsSync('/proc/locks')) expect(report.lock.heldByPid).toBe(process.pid)
    for (const built of data.partitions.values()) {
      const partition = report.partitions.find((candidate) => candidate.name === built.name)!
      expect(partition.logEndOffset).toBe(built.logEndOffset)
      expect(partition.records).toBe(built.batches.reduce((total, batch) => total + batch.records, 0))
    }
    const text = await runCli(['inspect', '--segments', '--deep', data.dir])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`^Lock +held by process ${process.pid}`, 'm'))
    expect(fileStates(data.dir)).toEqual(before)
  })

  it('changes nothing in a closed directory either: no lock file taken, no temp file left', async () => {
    const data = await buildDataDir()
    fs.rmSync(path.join(data.dir, '.lock'))
    const before = fileStates(data.dir)
    expect((await runCli(['inspect', data.dir])).code).toBe(0)
    expect((await runCli(['inspect', '--json', '--deep', data.dir])).code).toBe(0)
    expect(fileStates(data.dir)).toEqual(before)
  })
})

describe('seglog inspect: width', () => {
  /** A data directory with a 200-character topic, a long group name and a quarantine file. */
  async function longNamesDir(): Promise<{ dir: string; topic: string; group: string }> {
    const dir = path.join(await makeTmpDir('seglog-cli-wide-'), 'data')
    const topic = `orders-${'eu-west-'.repeat(24)}end`
    const group = `billing-${'reconciliation-'.repeat(4)}nightly`
    const engine = await openQuietEngine(dir)
    try {
      await engine.createTopic(topic, { partitions: 2 })
      await engine.partition(topic, 1).appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }])
      await engine.offsets.commit(group, topic, 1, 1, 'run 7')
    } finally {
      await engine.close()
    }
    fs.writeFileSync(path.join(dir, `${topic}-1`, '00000000000000000000.log.4096.quarantine'), 'cut bytes')
    return { dir, topic, group }
  }

  it('fits every line in 80 columns, shortening long names and leaving columns out; --wide prints everything', async () => {
    const { dir, topic, group } = await longNamesDir()
    const narrow = await runCli(['inspect', '--segments', dir])
    expect(narrow.stderr).toBe('')
    expect(narrow.code).toBe(0)
    const lines = outputLines(narrow.stdout)
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80)
    expect(narrow.stdout).not.toContain(topic)
    // A shortened partition name keeps its partition number, and its row its figures.
    const row = lines.find((line) => /^ {2}orders-eu-west-\S*…\S*-1 /.test(line))
    expect(row, narrow.stdout).toBeDefined()
    expect(row!.trim().split(/\s+/).slice(1, 5)).toEqual(['1', '0', '2', '2'])
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}billing-reconcil\S*… /))
    expect(lines).toContainEqual(expect.stringMatching(/--wide/))

    const wide = await runCli(['inspect', '--segments', '--wide', dir])
    expect(wide.code).toBe(0)
    for (const text of [
      `  ${topic}-1 `,
      `  ${group} `,
      `Segments of ${topic}-1`,
      `  ${topic}-1/00000000000000000000.log.4096.quarantine `,
    ]) {
      expect(outputLines(wide.stdout)).toContainEqual(expect.stringContaining(text))
    }
    const header = outputLines(wide.stdout).find((line) => line.startsWith('  PARTITION '))!
    expect(header.trim().split(/ {2,}/)).toHaveLength(12)
    expect(wide.stdout).not.toMatch(/…/)
  })

  it('fits a plain directory in 80 columns as well; --wide prints it at full width, without the note', async () => {
    const dir = path.join(await makeTmpDir('seglog-cli-wide-'), 'd')
    const engine = await openQuietEngine(dir)
    await engine.createTopic('t', { partitions: 1 })
    await engine.close()
    const result = await runCli(['inspect', '--wide', dir])
    expect(outputLines(result.stdout).some((line) => line.length > 80)).toBe(true)
    expect(result.stdout).not.toMatch(/--wide/)
    const narrow = await runCli(['inspect', dir])
    for (const line of outputLines(narrow.stdout)) expect([...line].length, line).toBeLessThanOrEqual(80)
  })
})

describe('seglog inspect: bad arguments', () => {
  it('rejects an unknown flag and a missing or extra DIR with exit 2', async () => {
    for (const args of [['inspect', '--bogus', '.'], ['inspect'], ['inspect', 'a', 'b']]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(outputLines(result.stderr)).toEqual([expect.stringMatching(/^seglog: /), "Try 'seglog inspect --help'"])
    }
  })

  it("reports a missing directory, a file and a directory that is not seglog's in one line, exit 1", async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const file = path.join(dir, 'notes.txt')
    fs.writeFileSync(file, 'hi')
    const empty = path.join(dir, 'empty')
    fs.mkdirSync(empty)
    for (const [target, expected] of [
      [path.join(dir, 'missing'), 'no such file or directory'],
      [file, 'is not a directory'],
      [empty, 'is neither a seglog data directory'],
    ] as const) {
      const result = await runCli(['inspect', target])
      expect(result.code, target).toBe(1)
      expect(result.stdout).toBe('')
      const stderr = outputLines(result.stderr)
      expect(stderr).toHaveLength(1)
      expect(stderr[0]).toContain(target)
      expect(stderr[0]).toContain(expected)
    }
  })

  it('prints its help', async () => {
    const result = await runCli(['inspect', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: seglog inspect \[options\] DIR/)
    for (const option of ['--json', '--segments', '--deep', 'Examples:']) expect(result.stdout).toContain(option)
  })
})

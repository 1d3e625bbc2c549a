import fs from 'node:fs'
import path from 'node:path'
import type { ProduceConsumeResult } from '../../src/cli/bench/produce-consume.js'
import type { Spread } from '../../src/cli/bench/stats.js'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, fileStates, outputLines, runCli, type CliResult } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog bench` smoke runs: tiny, so the harness cannot rot unnoticed, and never an assertion on
 * speed, only that the figures are there and agree with each other. Each run gets its own TMPDIR
 * (os.tmpdir() in the child), so "no temporary directory left behind" is checked exactly, without
 * other test files' directories in the way.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

/** The JSON `seglog bench --json` prints is the harness's own result types. */
type RunResult = ProduceConsumeResult

interface ProduceReport {
  suite: 'produce'
  params: { records: number; recordSize: number; compression: string; partitions: number; consume: boolean }
  sweep: string | null
  points: { label: string; produceRecordsPerSec: Spread; consumeRecordsPerSec: Spread | null; bytesOnDisk: Spread; runs: RunResult[] }[]
}

/** `seglog bench ...args` with a private TMPDIR; returns the result and that directory. */
async function bench(args: readonly string[]): Promise<{ result: CliResult; tmp: string }> {
  const tmp = await makeTmpDir('seglog-cli-bench-tmp-')
  const result = await runCli(['bench', ...args], { env: { TMPDIR: tmp }, timeoutMs: 60_000 })
  return { result, tmp }
}

function parseJson<T>(result: CliResult): T {
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as T
}

function expectPositive(...values: number[]): void {
  for (const value of values) {
    expect(Number.isFinite(value)).toBe(true)
    expect(value).toBeGreaterThan(0)
  }
}

describe('seglog bench (produce suite)', () => {
  it('a short --consume --json run reports figures that agree with each other, and removes its temp dir', async () => {
    const { result, tmp } = await bench(['--records', '2000', '--runs', '1', '--warmup', '0', '--consume', '--json'])
    const report = parseJson<ProduceReport>(result)
    expect(outputLines(result.stderr)).toEqual(['run 1/1'])
    expect(report.suite).toBe('produce')
    expect(report.sweep).toBeNull()
    expect(report.params).toMatchObject({ records: 2000, recordSize: 100, compression: 'lz4', partitions: 4, consume: true })
    expect(report.points).toHaveLength(1)
    const [point] = report.points
    expect(point!.runs).toHaveLength(1)
    const run = point!.runs[0]!

    expect(run.produce.records).toBe(2000)
    expectPositive(run.produce.seconds, run.produce.recordsPerSec, run.produce.mbPerSec, run.produce.diskMbPerSec, run.produce.bytesOnDisk)
    expect(run.produce.recordsPerSec).toBeCloseTo(2000 / run.produce.seconds, 3)
    expect(run.produce.mbPerSec).toBeCloseTo((2000 * 100) / 1e6 / run.produce.seconds, 3)
    const latency = run.produce.latencyMs
    expect(latency.p50).toBeLessThanOrEqual(latency.p95)
    expect(latency.p95).toBeLessThanOrEqual(latency.p99)
    expect(latency.p99).toBeLessThanOrEqual(latency.p999)
    expect(latency.p999).toBeLessThanOrEqual(latency.max)
    expectPositive(latency.avg, latency.max)
    // Seeded JSON payloads under lz4: smaller on disk than the raw records, but not nothing.
    expect(run.produce.compressionRatio).toBeGreaterThan(0)
    expect(run.produce.compressionRatio).toBeLessThan(1)
    expect(run.produce.bytesOnDisk).toBeLessThan(2000 * 100)

    expect(run.consume).not.toBeNull()
    expect(run.consume!.records).toBe(run.produce.records)
    expectPositive(run.consume!.seconds, run.consume!.recordsPerSec, run.consume!.mbPerSec)
    expectPositive(run.baseline.writeMbPerSec, run.baseline.readMbPerSec, run.ratio.produce, run.ratio.consume!)
    expect(run.dir).toBeNull()

    // The point's figures are the medians of its (one) run.
    expect(point!.produceRecordsPerSec).toEqual({
      median: run.produce.recordsPerSec,
      min: run.produce.recordsPerSec,
      max: run.produce.recordsPerSec,
      runs: [run.produce.recordsPerSec],
    })
    expect(point!.consumeRecordsPerSec!.median).toBe(run.consume!.recordsPerSec)
    expect(point!.bytesOnDisk.median).toBe(run.produce.bytesOnDisk)
    // No seglog-bench-* (or anything else) left in the temporary directory.
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it('--sweep with --report writes a self-contained HTML page with two SVG charts', async () => {
    const out = await makeTmpDir('seglog-cli-bench-')
    const file = path.join(out, 'sweep.html')
    const { result, tmp } = await bench([
      '--sweep',
      'compression=none,lz4',
      '--records',
      '2000',
      '--runs',
      '1',
      '--warmup',
      '0',
      '--report',
      file,
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(outputLines(result.stderr)).toEqual(['run 1/1 (compression=none)', 'run 1/1 (compression=lz4)', `wrote ${file}`])
    expect(result.stdout).toContain('== compression=none\n2000 records sent, ')
    expect(result.stdout).toContain('== compression=lz4\n2000 records sent, ')
    expect(result.stdout).toMatch(/figure \(median, min–max\) +compression=none +compression=lz4/)

    const html = fs.readFileSync(file, 'utf8')
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html.match(/<svg[\s>]/g)).toHaveLength(2)
    expect(html.match(/<\/svg>/g)).toHaveLength(2)
    expect(html).toContain('seglog bench: compression sweep')
    expect(html).toContain('>none<')
    expect(html).toContain('>lz4<')
    // Nothing to fetch: no scripts, stylesheets, images or links. The one URL allowed is the SVG
    // namespace name, an identifier that is never loaded.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i)
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:|\/\//i)
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it('--dir D --keep leaves the data in D; --keep alone keeps one temporary directory per run and says where', async () => {
    const base = await makeTmpDir('seglog-cli-bench-')
    const dir = path.join(base, 'data')
    const given = await bench(['--dir', dir, '--keep', '--records', '2000', '--runs', '1', '--warmup', '0'])
    expect(given.result.code, given.result.stderr).toBe(0)
    expect(outputLines(given.result.stderr)).toEqual(['run 1/1'])
    expect(fs.readdirSync(dir)).toEqual(expect.arrayContaining(['topics.json', 'bench-0-0', 'bench-0-1', 'bench-0-2', 'bench-0-3']))
    expect(fs.readdirSync(given.tmp)).toEqual([])

    const kept = await bench(['--keep', '--records', '2000', '--runs', '1', '--warmup', '1'])
    expect(kept.result.code, kept.result.stderr).toBe(0)
    const leftovers = fs.readdirSync(kept.tmp).sort()
    expect(leftovers).toHaveLength(2) // the warm-up's and the run's
    for (const name of leftovers) {
      expect(name).toMatch(/^seglog-bench-/)
      expect(fs.readdirSync(path.join(kept.tmp, name))).toContain('topics.json')
    }
    const keptLines = outputLines(kept.result.stderr).filter((line) => line.startsWith('kept '))
    expect(keptLines.sort()).toEqual(leftovers.map((name) => `kept ${path.join(kept.tmp, name)}`))
  })

  it('refuses a --dir that is not empty, such as a data directory with a topic of the same name, unless --force', async () => {
    const base = await makeTmpDir('seglog-cli-bench-')
    const dir = path.join(base, 'data')
    const produced = await runCli(['produce', dir, '--topic', 'bench-0', '--create'], { input: 'my own record\n' })
    expect(produced.code, produced.stderr).toBe(0)
    const before = fileStates(dir)
    for (const suite of [
      ['--suite', 'produce', '--records', '2000'],
      ['--suite', 'log', '--records', '2000'],
      ['--suite', 'durability', '--appends', '20'],
    ]) {
      const refused = await bench([...suite, '--dir', dir])
      expect(refused.result.code, refused.result.stderr).toBe(2)
      expect(outputLines(refused.result.stderr)).toEqual([expect.stringMatching(/^seglog: /), "Try 'seglog bench --help'"])
    }
    expect(fileStates(dir)).toEqual(before)
    // --force is the way to say it is meant.
    const forced = await bench(['--dir', dir, '--force', '--records', '2000', '--runs', '1', '--warmup', '0'])
    expect(forced.result.code, forced.result.stderr).toBe(0)
    const mine = await runCli(['consume', dir, '--topic', 'bench-0', '--max', '1'])
    expect(mine.stdout).toBe('my own record\n')
    // --force alone, without --dir, means nothing.
    expect((await bench(['--force', '--records', '10'])).result.code).toBe(2)
  })

  it('rejects bad options with exit 2 before running anything', async () => {
    const out = await makeTmpDir('seglog-cli-bench-')
    const empty = path.join(out, 'empty.bin')
    fs.writeFileSync(empty, '')
    const report = path.join(out, 'x.html')
    // Small sizes throughout, so a check that went missing shows as a failure, not a long run.
    const small = ['--records', '1000', '--runs', '1', '--warmup', '0']
    const cases: [string[], RegExp][] = [
      [['--suite', 'nope', ...small], /unknown suite 'nope' \(produce, log, durability or scale\)/],
      [['--compression', 'nope', ...small], /--compression must be one of none, gzip, snappy, lz4, zstd, got 'nope'/],
      [['--sweep', 'foo=1', ...small], /--sweep expects PARAM=V1,V2,\.\.\. with PARAM one of batch-bytes/],
      [['--sweep', 'compression=none,nope', ...small], /--compression must be one of .*, got 'nope'/],
      [['--report', report, ...small], /--report needs --sweep/],
      [
        ['--payload', '/does/not/exist', ...small],
        /--payload must be random, json or an existing, non-empty file, got '\/does\/not\/exist'/,
      ],
      [['--payload', out, ...small], /--payload must be random, json or an existing, non-empty file/],
      [['--payload', empty, ...small], /--payload must be random, json or an existing, non-empty file/],
      [['--flush', 'never', ...small], /--flush must be sync, interval or os, got 'never'/],
      [['--records', '0', '--runs', '1', '--warmup', '0'], /option '--records' expects a whole number >= 1, got '0'/],
      [['--suite', 'log', '--records', '10', '--lookups', '10'], /option '--records' expects a whole number >= 1000, got '10'/],
      [
        ['--suite', 'durability', '--appends', '10', '--concurrency', '1,0', '--recovery-bytes', '0'],
        /option '--concurrency' expects a whole number from 1 to 10000, got '0'/,
      ],
      [
        ['--suite', 'durability', '--appends', '10', '--concurrency', '1', '--recovery-bytes', 'lots'],
        /option '--recovery-bytes' expects a byte count/,
      ],
      [['extra', ...small], /unexpected argument 'extra'/],
    ]
    const results = await Promise.all(cases.map(([args]) => bench(args)))
    results.forEach(({ result, tmp }, slot) => {
      expect(result.code, `${cases[slot]![0].join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stdout).toBe('')
      expect(outputLines(result.stderr)).toEqual([expect.stringMatching(cases[slot]![1]), "Try 'seglog bench --help'"])
      expect(fs.readdirSync(tmp)).toEqual([])
    })
    expect(fs.existsSync(report)).toBe(false)
  })

  it('--help lists the suites and options, exit 0', async () => {
    const result = await runCli(['bench', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: seglog bench \[options\]/)
    for (const option of [
      '--suite',
      '--records',
      '--consume',
      '--runs',
      '--warmup',
      '--sweep',
      '--report',
      '--lookups',
      '--appends',
      '--concurrency',
      '--recovery-bytes',
      '--dir',
      '--keep',
      '--json',
    ])
      expect(result.stdout).toContain(option)
  })
})

describe('seglog bench --suite log', () => {
  it('reports append, lookup and sequential-decode figures as JSON, and removes its temp dir', async () => {
    const { result, tmp } = await bench(['--suite', 'log', '--records', '5000', '--lookups', '200', '--json'])
    const report = parseJson<{
      suite: string
      result: {
        append: { recordsPerSec: number; mbPerSec: number; plainMbPerSec: number; ratio: number }
        readByOffset: { p50Us: number; p99Us: number; count: number }
        timestampLookup: { p50Us: number; p99Us: number; count: number }
        sequentialDecode: { recordsPerSec: number; mbPerSec: number; segments: number }
      }
    }>(result)
    expect(report.suite).toBe('log')
    const { append, readByOffset, timestampLookup, sequentialDecode } = report.result
    expectPositive(append.recordsPerSec, append.mbPerSec, append.plainMbPerSec, append.ratio)
    expect(append.ratio).toBeCloseTo(append.mbPerSec / append.plainMbPerSec, 6)
    for (const lookups of [readByOffset, timestampLookup]) {
      expect(lookups.count).toBe(200)
      expectPositive(lookups.p50Us, lookups.p99Us)
      expect(lookups.p50Us).toBeLessThanOrEqual(lookups.p99Us)
    }
    expectPositive(sequentialDecode.recordsPerSec, sequentialDecode.mbPerSec)
    expect(sequentialDecode.segments).toBe(1) // 5000 records of 100 bytes fit in one 64 MiB segment
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it('measures the plain JavaScript writer and reader of the same records, with --value-bytes and --key-bytes', async () => {
    const { result } = await bench([
      '--suite',
      'log',
      '--records',
      '4000',
      '--lookups',
      '10',
      '--value-bytes',
      '2048',
      '--key-bytes',
      '12',
      '--json',
    ])
    const report = parseJson<{
      result: {
        params: { records: number; valueBytes: number; keyBytes: number; batchRecords: number }
        plainRecords: { write: { recordsPerSec: number; mbPerSec: number }; read: { recordsPerSec: number; mbPerSec: number } }
        append: { recordsPerSec: number; recordsRatio: number }
        sequentialDecode: { recordsPerSec: number; recordsRatio: number }
      }
    }>(result)
    const { params, plainRecords, append, sequentialDecode } = report.result
    // Batches stay near 1 MiB: 2 KiB values (plus key and 16 bytes) give 505 records each, 4000 round up to 8 batches.
    expect(params).toEqual({ records: 4040, valueBytes: 2048, keyBytes: 12, batchRecords: 505 })
    expectPositive(
      plainRecords.write.recordsPerSec,
      plainRecords.write.mbPerSec,
      plainRecords.read.recordsPerSec,
      plainRecords.read.mbPerSec,
    )
    expect(append.recordsRatio).toBeCloseTo(append.recordsPerSec / plainRecords.write.recordsPerSec, 6)
    expect(sequentialDecode.recordsRatio).toBeCloseTo(sequentialDecode.recordsPerSec / plainRecords.read.recordsPerSec, 6)
  })
})

describe('seglog bench --suite durability', () => {
  interface DurabilityReport {
    suite: string
    result: {
      flush: { mode: string; appenders: number; appendsPerSec: number; fsyncsPerSec: number; appendsPerFsync: number }[]
      recovery: { bytes: number; seconds: number; mbPerSec: number; crcMbPerSec: number } | null
    }
  }

  it('reports a row per flush mode and concurrency, and the recovery figure, as JSON', async () => {
    const { result, tmp } = await bench([
      '--suite',
      'durability',
      '--appends',
      '200',
      '--concurrency',
      '1,4',
      '--recovery-bytes',
      '2m',
      '--json',
    ])
    const report = parseJson<DurabilityReport>(result)
    expect(report.suite).toBe('durability')
    expect(report.result.flush.map((row) => [row.mode, row.appenders])).toEqual([
      ['sync', 1],
      ['sync', 4],
      ['interval 1000 ms', 1],
      ['interval 1000 ms', 4],
      ['os', 1],
      ['os', 4],
    ])
    for (const row of report.result.flush) {
      expectPositive(row.appendsPerSec, row.appendsPerFsync)
      expect(row.fsyncsPerSec).toBeGreaterThanOrEqual(0)
    }
    // Under sync an append resolves only after an fsync covers it: a lone appender gets at most
    // one append per fsync, and group commit lets 4 appenders share one, never more than 4.
    const sync = report.result.flush.filter((row) => row.mode === 'sync')
    for (const row of sync) expectPositive(row.fsyncsPerSec)
    expect(sync[0]!.appendsPerFsync).toBeLessThanOrEqual(1)
    expect(sync[1]!.appendsPerFsync).toBeLessThanOrEqual(4)

    const recovery = report.result.recovery
    expect(recovery).not.toBeNull()
    expect(recovery!.bytes).toBeGreaterThanOrEqual(2 * 1024 * 1024)
    expectPositive(recovery!.seconds, recovery!.mbPerSec, recovery!.crcMbPerSec)
    expect(recovery!.mbPerSec).toBeCloseTo(recovery!.bytes / 1e6 / recovery!.seconds, 6)
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it('--recovery-bytes 0 skips recovery; a --dir that does not exist yet is created and kept', async () => {
    const base = await makeTmpDir('seglog-cli-bench-')
    const dir = path.join(base, 'not', 'yet')
    const { result, tmp } = await bench([
      '--suite',
      'durability',
      '--appends',
      '20',
      '--concurrency',
      '1',
      '--recovery-bytes',
      '0',
      '--dir',
      dir,
      '--json',
    ])
    const report = parseJson<DurabilityReport>(result)
    expect(report.result.flush).toHaveLength(3)
    expect(report.result.recovery).toBeNull()
    expect(fs.readdirSync(dir)).toEqual([]) // each measurement's directory is removed, the given one stays
    expect(fs.readdirSync(tmp)).toEqual([])
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, outputLines, runCli, type CliResult } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog demo` (what `npm start` runs, with a million records) at a size a test can afford. The
 * child gets its own TMPDIR, so its os.tmpdir() holds nothing but what the demo makes.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

async function demo(args: readonly string[]): Promise<{ result: CliResult; tmp: string; dataDir: string }> {
  const tmp = await makeTmpDir('seglog-cli-demo-tmp-')
  const result = await runCli(['demo', ...args], { env: { TMPDIR: tmp }, timeoutMs: 60_000 })
  expect(result.code, result.stderr).toBe(0)
  expect(result.stderr).toBe('')
  const first = outputLines(result.stdout)[0] ?? ''
  const match = /^seglog demo: data directory (.+)$/.exec(first)
  expect(match, first).not.toBeNull()
  return { result, tmp, dataDir: match![1]! }
}

describe('seglog demo', () => {
  it('produces, reads back and verifies, prints the inspect summary and the benchmark table, and removes its directory', async () => {
    const { result, tmp, dataDir } = await demo(['--records', '20000'])
    const out = result.stdout
    expect(path.dirname(dataDir)).toBe(tmp)
    expect(path.basename(dataDir)).toMatch(/^seglog-demo-/)
    expect(out).toContain('producing 20,000 JSON records of 100 bytes into topic demo-0 (4 partitions, lz4, 1 MiB batches)')
    expect(out).toContain('read back and verified 20,000 records (count and checksum), committed by group demo-group\n')

    // The inspect summary of the directory: topics, then one row per partition with the records.
    expect(out).toContain('\n== seglog inspect\n')
    expect(out).toMatch(/\nPartitions\n\s+PARTITION\s+SEGMENTS\s+LOG START\s+LOG END/)
    const rows = outputLines(out).filter((line) => /^\s+demo-0-\d\s/.test(line))
    expect(rows).toHaveLength(4)
    const logEnds = rows.map((row) => Number(row.trim().split(/\s+/)[3]))
    expect(logEnds.reduce((sum, end) => sum + end, 0)).toBe(20_000)
    expect(out).toMatch(/\nTotal: 5 partitions, /)

    // The benchmark: Kafka's perf-test lines, then the table with produce and consume figures.
    expect(out).toContain('\n== benchmark (one run; `seglog bench --consume` takes the median of several)\n')
    expect(out).toMatch(/\n20000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), /)
    expect(out).toContain('\ndata.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec\n')
    expect(out).toMatch(/\nfigure \(median, min–max\) +value\n/)
    for (const figure of [
      'produce records/s',
      'latency p99 ms',
      'compression ratio',
      'bytes on disk',
      'consume records/s',
      'consume / plain read %',
    ]) {
      expect(out).toMatch(new RegExp(`\\n${figure.replace(/[/()%]/g, '\\$&')} +[\\d,.]+\\n`))
    }
    expect(out).not.toContain('kept ')

    expect(fs.existsSync(dataDir)).toBe(false)
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('seglog-demo-'))).toEqual([])
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it('--keep leaves the data directory and says where it is', async () => {
    const { result, tmp, dataDir } = await demo(['--records', '2000', '--keep'])
    expect(outputLines(result.stdout).at(-1)).toBe(`kept ${dataDir}`)
    expect(fs.readdirSync(tmp)).toEqual([path.basename(dataDir)])
    expect(fs.readdirSync(dataDir)).toEqual(
      expect.arrayContaining(['topics.json', 'demo-0-0', 'demo-0-1', 'demo-0-2', 'demo-0-3', '__consumer_offsets-0']),
    )
    // removeTmpDirs removes it with the private TMPDIR.
  })

  it('--help describes the tour; a bad option is exit 2', async () => {
    const help = await runCli(['demo', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: seglog demo \[--records N\] \[--keep\]/)
    expect(help.stdout).toContain('npm start')

    const [zero, extra] = await Promise.all([runCli(['demo', '--records', '0']), runCli(['demo', 'now'])])
    for (const [result, message] of [
      [zero, "seglog: option '--records' expects a whole number >= 1, got '0'"],
      [extra, "seglog: unexpected argument 'now'"],
    ] as const) {
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(outputLines(result.stderr)).toEqual([message, "Try 'seglog demo --help'"])
    }
  })
})

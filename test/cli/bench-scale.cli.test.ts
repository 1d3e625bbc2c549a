import fs from 'node:fs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ScaleSuiteResult } from '../../src/cli/bench/scale-suite.js'
import { assertCliBuilt, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog bench --suite scale` smoke runs: tiny sizes, figures present and consistent, never an
 * assertion on speed; the descriptor counts are checked against the engine's bound.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

describe('seglog bench --suite scale', () => {
  it('reports every partition count and the segment figures as JSON, within the descriptor bound, and removes its temp dir', async () => {
    const tmp = await makeTmpDir('seglog-cli-bench-tmp-')
    const result = await runCli(['bench', '--suite', 'scale', '--partition-counts', '2,5', '--segments', '300', '--json'], {
      env: { TMPDIR: tmp },
      timeoutMs: 60_000,
    })
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as { suite: string; result: ScaleSuiteResult }
    expect(report.suite).toBe('scale')
    expect(report.result.partitions.map((row) => row.partitions)).toEqual([2, 5])
    for (const row of report.result.partitions) {
      for (const figure of [row.createSeconds, row.closeSeconds, row.openCleanSeconds, row.openUncleanSeconds]) {
        expect(figure.runs).toHaveLength(1)
        expect(figure.median).toBeGreaterThan(0)
      }
      // One active segment per partition and the offsets topic's, plus the engine's lock.
      expect(row.openFds).toBeGreaterThanOrEqual(row.partitions)
      expect(row.openFds).toBeLessThanOrEqual(row.partitions + 4)
    }
    const segments = report.result.segments!
    expect(segments.segments).toBe(300)
    expect(segments.openFds).toBeLessThanOrEqual(4)
    expect(segments.fdsAfterReadingAll).toBeLessThanOrEqual(report.result.maxOpenSegmentFiles + 4)
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it('refuses options of other suites', async () => {
    const result = await runCli(['bench', '--suite', 'scale', '--lookups', '5'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--lookups does not apply to the scale suite')
  })
})

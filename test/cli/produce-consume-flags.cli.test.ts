import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, fileStates, outputLines, runCli, type CliResult } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { expectOneLineError, sleep } from './cli-child.js'

/**
 * Flags of produce and consume that used to be silently ignored or accepted: each now has a
 * meaning (an explicit --offset or --timestamp overrides the group's commit) or is refused with
 * one line and exit 2, before anything in the directory changes.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

async function dataDir(): Promise<string> {
  return path.join(await makeTmpDir('seglog-cli-flags-'), 'data')
}

function produce(dir: string, args: readonly string[], input = ''): Promise<CliResult> {
  return runCli(['produce', dir, ...args], { input })
}

async function consumeLines(dir: string, args: readonly string[]): Promise<string[]> {
  const result = await runCli(['consume', dir, ...args])
  expect(result.code, result.stderr).toBe(0)
  expect(result.stderr).toBe('')
  return outputLines(result.stdout)
}

/** Topic `t`, 1 partition, values 1..5. */
async function smallTopic(): Promise<string> {
  const dir = await dataDir()
  expect((await produce(dir, ['--topic', 't', '--create'], '1\n2\n3\n4\n5\n')).code).toBe(0)
  return dir
}

async function timestamps(dir: string): Promise<number[]> {
  const lines = await consumeLines(dir, ['--topic', 't', '--json'])
  return lines.map((line) => (JSON.parse(line) as { timestamp: number }).timestamp)
}

describe("explicit starts override the group's commit", () => {
  it('--timestamp with a group that has committed starts at the timestamp and commits from there', async () => {
    const dir = await smallTopic()
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g'])).toEqual(['1', '2', '3', '4', '5'])
    const after = Math.max(...(await timestamps(dir))) + 1
    await sleep(20)
    expect((await produce(dir, ['--topic', 't'], '6\n7\n')).code).toBe(0)
    // The group is at offset 5; the timestamp points back to the start.
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g', '--timestamp', '0'])).toEqual(['1', '2', '3', '4', '5', '6', '7'])
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g', '--timestamp', String(after)])).toEqual(['6', '7'])
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g'])).toEqual([])
  })

  it('--offset with a group that has committed starts at the offset', async () => {
    const dir = await smallTopic()
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g', '--max', '4'])).toEqual(['1', '2', '3', '4'])
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g', '--partition', '0', '--offset', '1'])).toEqual(['2', '3', '4', '5'])
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g'])).toEqual([])
    // The log end itself is a valid start: nothing to print yet.
    expect(await consumeLines(dir, ['--topic', 't', '--partition', '0', '--offset', '5'])).toEqual([])
  })

  it("--offset beyond the log end is a usage error, and the group's commit stays", async () => {
    const dir = await smallTopic()
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g', '--max', '2'])).toEqual(['1', '2'])
    expectOneLineError(await runCli(['consume', dir, '--topic', 't', '--group', 'g', '--partition', '0', '--offset', '999999']), 2)
    expectOneLineError(await runCli(['consume', dir, '--topic', 't', '--partition', '0', '--offset', '6']), 2)
    expect(await consumeLines(dir, ['--topic', 't', '--group', 'g'])).toEqual(['3', '4', '5'])
  })
})

describe('flags that were silently ignored or accepted', () => {
  it('--create --partitions N on a topic with another partition count is a usage error; the same count is fine', async () => {
    const dir = await dataDir()
    expect((await produce(dir, ['--topic', 'two', '--create', '--partitions', '2'], 'a\n')).code).toBe(0)
    const before = fileStates(dir)
    expectOneLineError(await produce(dir, ['--topic', 'two', '--create', '--partitions', '5'], 'b\n'), 2)
    expect(fileStates(dir)).toEqual(before)
    const same = await produce(dir, ['--topic', 'two', '--create', '--partitions', '2'], 'c\n')
    expect(same.code, same.stderr).toBe(0)
    const engine = await openQuietEngine(dir)
    try {
      expect(engine.partitions('two')).toHaveLength(2)
    } finally {
      await engine.close()
    }
  })

  it('--partitions without --create, an empty --key-separator, an empty --group and bad topic names are usage errors', async () => {
    const dir = await smallTopic()
    const before = fileStates(dir)
    const badTopics = ['bad/name', '..', 'x'.repeat(250), '', 'spa ce']
    const cases: [string, string[]][] = [
      ['produce', [dir, '--topic', 't', '--partitions', '7']],
      ['produce', [dir, '--topic', 't', '--key-separator', '']],
      ['produce', [dir, '--topic', 'new', '--create', '--key-separator=']],
      ['consume', [dir, '--topic', 't', '--group', '']],
      ['produce', [dir, '--topic', '__consumer_offsets']],
      ...badTopics.flatMap((topic): [string, string[]][] => [
        ['produce', [dir, '--topic', topic, '--create']],
        ['consume', [dir, '--topic', topic]],
      ]),
    ]
    const results = await Promise.all(cases.map(([command, args]) => runCli([command, ...args], { input: 'k:v\n' })))
    results.forEach((result) => expectOneLineError(result, 2))
    expect(fileStates(dir)).toEqual(before)
    // --partitions without --create is refused before the directory is even looked at.
    const missing = path.join(path.dirname(dir), 'missing')
    expectOneLineError(await produce(missing, ['--topic', 't', '--partitions', '7'], 'x\n'), 2)
    expect(fs.existsSync(missing)).toBe(false)
  })
})

import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { assertCliBuilt, outputLines, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/** `seglog consume DIR --topic T --key K` (docs/cli.md): the key's records, newest first. */

beforeAll(() => assertCliBuilt())
afterEach(removeTmpDirs)

async function usersDir(): Promise<string> {
  const dir = await makeTmpDir()
  const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
  await engine.createTopic('users', { partitions: 2 })
  for (let slot = 0; slot < 30; slot++) {
    await engine
      .partition('users', slot % 2)
      .appendRecords([{ key: Buffer.from(`user-${slot % 3}`), value: Buffer.from(`v${slot}`), timestamp: 1_700_000_000_000 + slot }])
  }
  await engine.close()
  return dir
}

describe('seglog consume --key', () => {
  it('prints the records of one key, newest first, across partitions', async () => {
    const dir = await usersDir()
    const result = await runCli(['consume', dir, '--topic', 'users', '--key', 'user-1', '--print-key'])
    expect(result.code).toBe(0)
    const expected = Array.from({ length: 30 }, (_, slot) => slot)
      .filter((slot) => slot % 3 === 1)
      .reverse()
      .map((slot) => `user-1\tv${slot}`)
    expect(outputLines(result.stdout)).toEqual(expected)
  })

  it('takes --max, --partition and --timestamp', async () => {
    const dir = await usersDir()
    const limited = await runCli(['consume', dir, '--topic', 'users', '--key', 'user-1', '--max', '2'])
    expect(outputLines(limited.stdout)).toEqual(['v28', 'v25'])
    const onePartition = await runCli(['consume', dir, '--topic', 'users', '--key', 'user-1', '--partition', '1', '--json'])
    const offsets = outputLines(onePartition.stdout).map((line) => JSON.parse(line) as { partition: number; value: string })
    expect(offsets.every((record) => record.partition === 1)).toBe(true)
    expect(offsets.map((record) => record.value)).toEqual(['v25', 'v19', 'v13', 'v7', 'v1'])
    const recent = await runCli(['consume', dir, '--topic', 'users', '--key', 'user-1', '--timestamp', '1700000000020'])
    expect(outputLines(recent.stdout)).toEqual(['v28', 'v25', 'v22'])
  })

  it('refuses --key with --group or --follow (exit 2)', async () => {
    const dir = await usersDir()
    for (const extra of [['--group', 'g'], ['--follow']]) {
      const result = await runCli(['consume', dir, '--topic', 'users', '--key', 'user-1', ...extra])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('--key')
    }
  })
})

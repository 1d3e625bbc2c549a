import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, outputLines, runCli } from '../helpers/cli.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { EVERY_FATE, TxnHistory } from '../helpers/txn-history.js'
import { expectOneLineError } from './cli-child.js'

/**
 * `seglog consume --isolation-level` (kafka-console-consumer.sh's flag): read_committed prints
 * plain and committed records only and stops at the last stable offset without --follow;
 * read_uncommitted (the default) prints every record; anything else is a usage error.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

/** Topic `tx`: v0 v1 aborted, v2 plain, v3 committed, v4 in a transaction left open, v5 plain. */
async function transactionalTopic(): Promise<string> {
  const dir = await makeTmpDir('seglog-cli-isolation-')
  const engine = await openQuietEngine(dir)
  await engine.createTopic('tx', { partitions: 1 })
  const log = engine.partition('tx', 0)
  const history = new TxnHistory()
  for (const op of EVERY_FATE) await history.apply(log, op)
  await engine.close()
  return dir
}

describe('seglog consume --isolation-level', () => {
  it('read_committed leaves out aborted records and stops at the last stable offset', async () => {
    const dir = await transactionalTopic()
    const committed = await runCli(['consume', dir, '--topic', 'tx', '--isolation-level', 'read_committed'])
    expect(committed.code, committed.stderr).toBe(0)
    expect(outputLines(committed.stdout)).toEqual(['v2', 'v3'])
    const all = await runCli(['consume', dir, '--topic', 'tx', '--isolation-level', 'read_uncommitted'])
    expect(outputLines(all.stdout)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
    expect(outputLines((await runCli(['consume', dir, '--topic', 'tx'])).stdout)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
  })

  it('refuses an unknown level with a usage error', async () => {
    const dir = await transactionalTopic()
    const result = await runCli(['consume', dir, '--topic', 'tx', '--isolation-level', 'committed'])
    expect(expectOneLineError(result, 2)).toContain('--isolation-level')
  })
})

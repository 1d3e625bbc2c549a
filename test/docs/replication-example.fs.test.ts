import { afterEach, expect, it } from 'vitest'
import { runReplicationExample } from '../../examples/replication.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/** examples/replication.ts runs, and what it shows holds: the failover keeps every replicated record. */

afterEach(removeTmpDirs)

it('replicates a partition between two engines and survives a leader kill', async () => {
  const summary = await runReplicationExample(await makeTmpDir('seglog-replication-'))
  expect(summary.beforeKill).toEqual(['o1', 'o2', 'o3'])
  expect(summary.afterFailover).toEqual(['o1', 'o2', 'o3', 'o5'])
  // The old leader's unreplicated o4 (offset 3) was cut at the end of epoch 0 on the new leader.
  expect(summary.oldLeaderCut).toBe(3)
  expect(summary.oldLeaderAfterCatchUp).toEqual(['o1', 'o2', 'o3', 'o5'])
  expect(summary.epochs).toEqual([
    { epoch: 0, startOffset: 0 },
    { epoch: 1, startOffset: 3 },
  ])
})

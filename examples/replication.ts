// Replicating one partition between two engines in one process, the way a broker built on seglog
// would (docs/embedding.md, "Building replication on seglog"): a leader assigns offsets and stamps
// its leader epoch, a follower copies the leader's batches unchanged with appendAsFollower, the
// leader's high watermark follows the follower's fetch offset, and after the leader is killed the
// follower takes over at a new epoch; the old leader comes back as a follower, cuts its divergent
// tail with truncateToEpochEnd and catches up.
//
// test/docs/replication-example.fs.test.ts runs it and checks what it prints; from a checkout,
// `npx tsx examples/replication.ts` prints the summary.
import path from 'node:path'
import { LogEngine, type PartitionLog } from '../src/index.js'

/** One broker: an engine with the partition, and the leader epoch it knows. */
interface Broker {
  name: string
  dir: string
  engine: LogEngine
  log: PartitionLog
}

async function startBroker(root: string, name: string): Promise<Broker> {
  const dir = path.join(root, name)
  const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
  if (!engine.hasTopic('orders')) await engine.createTopic('orders', { partitions: 1 })
  const log = engine.partition('orders', 0)
  return { name, dir, engine, log }
}

/**
 * One follower fetch: the leader's batches from the follower's log end up to the leader's log end,
 * appended unchanged; then the leader learns the follower's fetch offset and moves its high
 * watermark (with one follower, the smaller of the two log ends).
 */
async function followerFetch(leader: Broker, follower: Broker): Promise<void> {
  const read = await leader.log.readRaw(follower.log.logEndOffset, { maxOffset: leader.log.logEndOffset })
  if (read.bytes.length > 0) await follower.log.appendAsFollower(read.bytes)
  const replicated = Math.min(leader.log.logEndOffset, follower.log.logEndOffset)
  leader.log.setHighWatermark(replicated)
  follower.log.setHighWatermark(replicated)
}

/** A broker becomes follower of `leader`: asks where its latest epoch ended there and cuts its tail. */
async function becomeFollower(follower: Broker, leader: Broker): Promise<number> {
  for (;;) {
    const latest = follower.log.leaderEpochs().at(-1)?.epoch ?? -1
    const answer = leader.log.endOffsetForEpoch(latest)
    const { truncatedTo, isComplete } = await follower.log.truncateToEpochEnd(answer, follower.log.highWatermark)
    if (isComplete) return truncatedTo
  }
}

async function values(log: PartitionLog): Promise<string[]> {
  const out: string[] = []
  for await (const record of log.records({ from: log.logStartOffset })) out.push(record.value!.toString())
  return out
}

export interface ReplicationSummary {
  beforeKill: string[]
  afterFailover: string[]
  oldLeaderCut: number
  oldLeaderAfterCatchUp: string[]
  epochs: { epoch: number; startOffset: number }[]
}

export async function runReplicationExample(root: string): Promise<ReplicationSummary> {
  let a = await startBroker(root, 'broker-a')
  const b = await startBroker(root, 'broker-b')
  a.log.setHighWatermark(0)
  b.log.setHighWatermark(0)

  // Epoch 0: A leads. Appends get offsets and epoch 0 on A; B copies them.
  await a.log.assignEpochStartOffset(0)
  for (const value of ['o1', 'o2', 'o3']) {
    await a.log.appendRecords([{ value: Buffer.from(value) }])
    await followerFetch(a, b)
  }
  const beforeKill = await values(a.log)
  // A takes one more record that B never fetches: it is not under the high watermark, not acknowledged.
  await a.log.appendRecords([{ value: Buffer.from('o4-unreplicated') }])

  // A goes away (in one process its engine is closed; a killed broker's reopen recovers the same
  // records, as the crash tests show). B becomes leader at epoch 1 and goes on.
  await a.engine.close()
  await b.log.assignEpochStartOffset(1)
  b.log.setHighWatermark(null)
  await b.log.appendRecords([{ value: Buffer.from('o5') }])
  const afterFailover = await values(b.log)

  // A restarts as a follower: its tail from epoch 0 past where epoch 0 ended on B goes, then it catches up.
  a = await startBroker(root, 'broker-a')
  const oldLeaderCut = await becomeFollower(a, b)
  a.log.setHighWatermark(null)
  await followerFetch(b, a)
  b.log.setHighWatermark(null)
  const summary = {
    beforeKill,
    afterFailover,
    oldLeaderCut,
    oldLeaderAfterCatchUp: await values(a.log),
    epochs: a.log.leaderEpochs(),
  }
  await a.engine.close()
  await b.engine.close()
  return summary
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const os = await import('node:os')
  const fs = await import('node:fs')
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-replication-'))
  console.log(JSON.stringify(await runReplicationExample(root), null, 2))
  fs.rmSync(root, { recursive: true, force: true })
}

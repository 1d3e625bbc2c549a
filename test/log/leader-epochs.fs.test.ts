import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { buildPartition, reopenPartition } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Leader epochs on a partition log: the cache and its checkpoint, epochs stamped into appends,
 * follower appends, and the truncation scenarios of KIP-101 and KIP-279 played with two or three
 * logs standing in for brokers.
 */

afterEach(removeTmpDirs)

async function write(log: PartitionLog, ...values: string[]): Promise<void> {
  for (const value of values) await log.appendRecords([{ value: Buffer.from(value) }])
}

/** Copies everything `leader` has from `follower`'s log end on, as a follower fetch would. */
async function replicate(leader: PartitionLog, follower: PartitionLog, upTo = leader.logEndOffset): Promise<void> {
  while (follower.logEndOffset < upTo) {
    const read = await leader.readRaw(follower.logEndOffset, { maxOffset: upTo })
    if (read.bytes.length === 0) return
    await follower.appendAsFollower(read.bytes)
  }
}

async function contents(log: PartitionLog): Promise<string[]> {
  const values: string[] = []
  for await (const record of log.records({ from: log.logStartOffset })) values.push(`${record.offset}:${record.value!.toString()}`)
  return values
}

describe('the leader-epoch cache', () => {
  it('stamps the latest epoch into appends and checkpoints it in Kafka text', async () => {
    const { log, dir, config } = await buildPartition()
    await log.assignEpochStartOffset(0)
    await write(log, 'a', 'b')
    await log.assignEpochStartOffset(3)
    await write(log, 'c')
    const read = await log.readRaw(0, { maxOffset: 3 })
    const epochs: number[] = []
    const scanner = new BatchScanner(read.bytes)
    for (let batch = scanner.next(); batch !== null; batch = scanner.next()) epochs.push(batch.partitionLeaderEpoch)
    expect(epochs).toEqual([0, 0, 3])
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n0 0\n3 2\n')
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 3 })
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 0, endOffset: 2 })
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: -1, endOffset: -1 })
    await log.close()
    const reopened = await reopenPartition(dir, config, false)
    expect(reopened.leaderEpochs()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ])
    await reopened.close()
  })

  it('follows the log: truncation drops later epochs, a moving log start moves the first', async () => {
    const { log } = await buildPartition()
    await log.assignEpochStartOffset(1)
    await write(log, 'a', 'b', 'c')
    await log.assignEpochStartOffset(2)
    await write(log, 'd', 'e')
    await log.assignEpochStartOffset(4)
    await write(log, 'f')
    await log.truncateTo(4)
    expect(log.leaderEpochs()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 3 },
    ])
    await log.deleteRecordsBefore(2)
    expect(log.leaderEpochs()).toEqual([
      { epoch: 1, startOffset: 2 },
      { epoch: 2, startOffset: 3 },
    ])
    await log.close()
  })

  it('rebuilds epochs of batches whose checkpoint update a crash lost', async () => {
    const { log, dir, config } = await buildPartition()
    await log.assignEpochStartOffset(0)
    await write(log, 'a')
    await log.assignEpochStartOffset(7)
    await write(log, 'b')
    fs.writeFileSync(path.join(dir, 'leader-epoch-checkpoint'), '0\n1\n0 0\n')
    const reopened = await reopenPartition(dir, config, false)
    expect(reopened.leaderEpochs()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 7, startOffset: 1 },
    ])
    await reopened.close()
    await log.close()
  })
})

describe('follower appends', () => {
  it('keep the leader offsets and epochs and refuse to go backwards', async () => {
    const leader = (await buildPartition()).log
    const follower = (await buildPartition()).log
    await leader.assignEpochStartOffset(0)
    await write(leader, 'a', 'b')
    await leader.assignEpochStartOffset(1)
    await write(leader, 'c')
    await replicate(leader, follower)
    expect(await contents(follower)).toEqual(await contents(leader))
    expect(follower.leaderEpochs()).toEqual(leader.leaderEpochs())
    const again = await leader.readRaw(0)
    await expect(follower.appendAsFollower(again.bytes)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await leader.close()
    await follower.close()
  })
})

describe('KIP-101 truncation', () => {
  it('scenario 1: a follower that truncates to its high watermark loses a committed record; epochs keep it', async () => {
    const a = (await buildPartition()).log
    const b = (await buildPartition()).log
    await a.assignEpochStartOffset(0)
    await write(a, 'm1', 'm2')
    await replicate(a, b)
    // A's high watermark is 2 (both have m2); B only learned 1 before it restarted.
    const bHighWatermark = 1
    // With epochs, B asks A where its latest epoch (0) ended: at A's log end, 2. Nothing is cut.
    const answer = a.endOffsetForEpoch(b.leaderEpochs().at(-1)!.epoch)
    expect(answer).toEqual({ epoch: 0, endOffset: 2 })
    expect(await b.truncateToEpochEnd(answer, bHighWatermark)).toEqual({ truncatedTo: 2, isComplete: true })
    // A dies; B leads at epoch 1. m2 is still there.
    await b.assignEpochStartOffset(1)
    await write(b, 'm3')
    expect(await contents(b)).toEqual(['0:m1', '1:m2', '2:m3'])
    await a.close()
    await b.close()
  })

  it('scenario 2: logs that diverged at the same offset meet again, where high-watermark truncation leaves them diverged', async () => {
    const a = (await buildPartition()).log
    const b = (await buildPartition()).log
    await a.assignEpochStartOffset(0)
    await write(a, 'm1')
    await replicate(a, b)
    await write(a, 'm2') // A has m2; B never fetched it. A's high watermark is 2 after a lost ack.
    // A dies, B leads at epoch 1 and writes m3 at offset 1.
    await b.assignEpochStartOffset(1)
    await write(b, 'm3')
    // A comes back as a follower. The old rule truncates A to its high watermark (2): nothing goes.
    const aHighWatermark = 2
    expect(aHighWatermark >= a.logEndOffset).toBe(true)
    expect((await contents(a))[1]).toBe('1:m2')
    expect((await contents(b))[1]).toBe('1:m3')
    // With epochs: A asks B where epoch 0 ended (offset 1) and cuts there, then fetches.
    const answer = b.endOffsetForEpoch(a.leaderEpochs().at(-1)!.epoch)
    expect(answer).toEqual({ epoch: 0, endOffset: 1 })
    expect(await a.truncateToEpochEnd(answer, aHighWatermark)).toEqual({ truncatedTo: 1, isComplete: true })
    await replicate(b, a)
    expect(await contents(a)).toEqual(['0:m1', '1:m3'])
    expect(a.leaderEpochs()).toEqual(b.leaderEpochs())
    await a.close()
    await b.close()
  })

  it('KIP-279: a follower lacking the leader epoch truncates in rounds until the logs agree', async () => {
    const leader = (await buildPartition()).log
    const follower = (await buildPartition()).log
    // Shared epoch 0 at 0..1, then the two logs went separate ways over several leader changes.
    await leader.assignEpochStartOffset(0)
    await write(leader, 'x0', 'x1')
    await replicate(leader, follower)
    await follower.assignEpochStartOffset(2)
    await write(follower, 'f2', 'f3')
    await leader.assignEpochStartOffset(1)
    await write(leader, 'l2', 'l3', 'l4', 'l5')
    await leader.assignEpochStartOffset(3)
    await write(leader, 'l6')
    // Round 1: the follower's latest epoch is 2, which the leader never had: it answers epoch 1 ending at 6.
    const first = leader.endOffsetForEpoch(follower.leaderEpochs().at(-1)!.epoch)
    expect(first).toEqual({ epoch: 1, endOffset: 6 })
    expect(await follower.truncateToEpochEnd(first)).toEqual({ truncatedTo: 2, isComplete: false })
    // Round 2: now at epoch 0, which both have; it ended at 2 on the leader.
    const second = leader.endOffsetForEpoch(follower.leaderEpochs().at(-1)!.epoch)
    expect(second).toEqual({ epoch: 0, endOffset: 2 })
    expect(await follower.truncateToEpochEnd(second)).toEqual({ truncatedTo: 2, isComplete: true })
    await replicate(leader, follower)
    expect(await contents(follower)).toEqual(await contents(leader))
    expect(follower.leaderEpochs()).toEqual(leader.leaderEpochs())
    await leader.close()
    await follower.close()
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { BatchScanner } from '../../src/index.js'
import { KafkaErrorCode } from '../../src/server/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer } from './helpers.js'

/** Fetch at read_committed with aborted transactions, current_leader_epoch checks, OffsetForLeaderEpoch. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

function fetchBody(offset: number, isolationLevel: number, currentLeaderEpoch = -1) {
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel,
    topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  }
}

describe('transactions and epochs through the protocol', () => {
  it('Fetch at read_committed stops at the LSO and lists the aborted transactions', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    const txn = (producerId: number, value: string) =>
      log.appendRecords([{ value: Buffer.from(value) }], { producerId, producerEpoch: 0, baseSequence: 0, isTransactional: true })
    await txn(11, 'aborted')
    await log.writeTxnMarker(11, 0, 'abort', 0)
    await log.appendRecords([{ value: Buffer.from('plain') }])
    await txn(12, 'open')
    const client = await connect(port)
    for (const version of [4, 11, 12]) {
      const committed = (await client.request('Fetch', version, fetchBody(0, 1))).responses[0]!.partitions[0]!
      expect(committed.errorCode).toBe(KafkaErrorCode.NONE)
      expect(committed.lastStableOffset).toBe(3)
      expect(committed.highWatermark).toBe(4)
      expect(committed.abortedTransactions).toEqual([{ producerId: 11, firstOffset: 0 }])
      let lastOffset = -1
      for (const batch of new BatchScanner(committed.records ?? Buffer.alloc(0))) lastOffset = batch.lastOffset
      expect(lastOffset).toBe(2)
      const uncommitted = (await client.request('Fetch', version, fetchBody(0, 0))).responses[0]!.partitions[0]!
      expect(uncommitted.abortedTransactions).toBeNull()
      expect(uncommitted.lastStableOffset).toBe(3)
    }
  })

  it('answers OffsetForLeaderEpoch from the epoch cache and checks current_leader_epoch on Fetch', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t')
    const log = server.engine.partition('t', 0)
    await log.assignEpochStartOffset(0)
    await log.appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }])
    await log.assignEpochStartOffset(2)
    await log.appendRecords([{ value: Buffer.from('c') }])
    const client = await connect(port)
    const ask = async (version: number, leaderEpoch: number, currentLeaderEpoch = -1) =>
      (
        await client.request('OffsetForLeaderEpoch', version, {
          replicaId: -1,
          topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
        })
      ).topics[0]!.partitions[0]!
    for (const version of [1, 3, 4]) {
      expect(await ask(version, 1)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 2 })
      expect(await ask(version, 2)).toMatchObject({ errorCode: 0, leaderEpoch: 2, endOffset: 3 })
      expect(await ask(version, 7)).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1 })
    }
    expect((await ask(0, 1)).endOffset).toBe(2)
    expect((await ask(3, 1, 1)).errorCode).toBe(KafkaErrorCode.FENCED_LEADER_EPOCH)
    expect((await ask(3, 1, 3)).errorCode).toBe(KafkaErrorCode.UNKNOWN_LEADER_EPOCH)
    const fetchAt = async (currentLeaderEpoch: number) =>
      (await client.request('Fetch', 11, fetchBody(0, 0, currentLeaderEpoch))).responses[0]!.partitions[0]!.errorCode
    expect(await fetchAt(2)).toBe(KafkaErrorCode.NONE)
    expect(await fetchAt(-1)).toBe(KafkaErrorCode.NONE)
    expect(await fetchAt(1)).toBe(KafkaErrorCode.FENCED_LEADER_EPOCH)
    expect(await fetchAt(5)).toBe(KafkaErrorCode.UNKNOWN_LEADER_EPOCH)
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { KafkaErrorCode as K } from '../../src/server/error-codes.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServerOnDir } from './helpers.js'

/**
 * One group used at once by a Kafka client through the server and by the in-process consumer
 * (`engine.consumer({ group })`), as docs/server.md describes: they share the offset store (each
 * starts from the other's commits, and the last commit of a partition wins), and the in-process
 * consumer is not a member of the group (no rebalance, not described, not fenced by generations).
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

const SUBSCRIPTION = Buffer.from([0, 0, 0, 0, 0, 1, 0, 4, 0x77, 0x6f, 0x72, 0x6b, 0, 0, 0, 0]) // v0: topic "work"

describe('a group shared by server clients and the in-process consumer', () => {
  it('shares committed offsets both ways; the in-process consumer is no member and causes no rebalance', async () => {
    const { engine, port } = await startServerOnDir(undefined, { groupInitialRebalanceDelayMs: 0 })
    await engine.createTopic('work')
    await engine.partition('work', 0).appendRecords(['a', 'b', 'c', 'd'].map((value) => ({ value: Buffer.from(value) })))
    const client = await connect(port)
    const joined = await client.request('JoinGroup', 3, {
      groupId: 'shared',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 5000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
    })
    const member = { groupId: 'shared', memberId: joined.memberId, groupInstanceId: null }
    await client.request('SyncGroup', 3, {
      ...member,
      generationId: 1,
      assignments: [{ memberId: joined.memberId, assignment: Buffer.from('p0') }],
    })
    const commit = (offset: number) =>
      client.request('OffsetCommit', 7, {
        ...member,
        generationIdOrMemberEpoch: 1,
        topics: [
          { name: 'work', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] },
        ],
      })
    const fetchCommitted = async () =>
      (await client.request('OffsetFetch', 5, { groupId: 'shared', topics: [{ name: 'work', partitionIndexes: [0] }] })).topics[0]!
        .partitions[0]!.committedOffset

    // The server client commits 1; the in-process consumer of the same group starts there.
    expect((await commit(1)).topics[0]!.partitions[0]!.errorCode).toBe(K.NONE)
    const stop = new AbortController()
    const consumer = await engine.consumer({ group: 'shared', topics: ['work'], signal: stop.signal })
    const seen: number[] = []
    for await (const record of consumer) {
      seen.push(record.offset)
      // Its commit goes straight to the store: no generation, no membership check.
      await consumer.commit(record)
      if (record.offset === 2) break
    }
    expect(seen).toEqual([1, 2])
    expect(await fetchCommitted()).toBe(3)

    // It is not a member: the group still has one member, in generation 1, Stable, no rebalance.
    const described = await client.request('DescribeGroups', 5, { groups: ['shared'], includeAuthorizedOperations: false })
    expect(described.groups[0]).toMatchObject({ groupState: 'Stable' })
    expect(described.groups[0]!.members.map((each) => each.memberId)).toEqual([joined.memberId])
    expect((await client.request('Heartbeat', 3, { ...member, generationId: 1 })).errorCode).toBe(K.NONE)

    // The last commit wins, whoever made it: the member moves the offset back to 2.
    expect((await commit(2)).topics[0]!.partitions[0]!.errorCode).toBe(K.NONE)
    expect(engine.offsets.fetch('shared', 'work', 0)?.offset).toBe(2)
    // The in-process consumer keeps its own position once started: it goes on at 3, not at the member's 2.
    const next = await consumer[Symbol.asyncIterator]().next()
    expect(next.value?.offset).toBe(3)
    stop.abort()
    await consumer.close()
    client.destroy()
  })
})

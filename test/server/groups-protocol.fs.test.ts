import { afterEach, describe, expect, it } from 'vitest'
import { KafkaErrorCode as K } from '../../src/server/error-codes.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, startServerOnDir, stopServer, type ProtocolClient } from './helpers.js'

/**
 * The group APIs on the wire, old and flexible versions: the MEMBER_ID_REQUIRED dance from v4,
 * static membership across a reconnect with FENCED_INSTANCE_ID for the old member id, simple
 * commits and fetches (-1 for none, all offsets with null topics, several groups in v8),
 * OffsetDelete, and groups after a restart (offsets and membership kept, stale generations refused).
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

// ConsumerProtocolSubscription v1: topics ["work"], empty user data, no owned partitions.
const PROTOCOLS = [{ name: 'range', metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 4, 0x77, 0x6f, 0x72, 0x6b, 0, 0, 0, 0, 0, 0, 0, 0]) }]

function joinBody(memberId: string, groupInstanceId: string | null = null) {
  return {
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5000,
    memberId,
    groupInstanceId,
    protocolType: 'consumer',
    protocols: PROTOCOLS,
  }
}

async function withTopic(client: ProtocolClient, partitions = 2): Promise<void> {
  const created = await client.request('CreateTopics', 4, {
    topics: [{ name: 'work', numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
  })
  expect(created.topics[0]!.errorCode).toBe(K.NONE)
}

describe('JoinGroup, SyncGroup, Heartbeat, LeaveGroup on the wire', () => {
  it.each([4, 5, 7, 9])(
    'JoinGroup v%i asks a new member to come back with its id (MEMBER_ID_REQUIRED), then makes it the leader',
    async (version) => {
      const { port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
      const client = await connect(port)
      const first = await client.request('JoinGroup', version, joinBody(''))
      expect(first.errorCode).toBe(K.MEMBER_ID_REQUIRED)
      expect(first.memberId).toMatch(/^seglog-test-/)
      const joined = await client.request('JoinGroup', version, joinBody(first.memberId))
      expect(joined).toMatchObject({
        errorCode: K.NONE,
        generationId: 1,
        protocolName: 'range',
        leader: first.memberId,
        memberId: first.memberId,
      })
      expect(joined.members.map((member) => member.metadata)).toEqual([PROTOCOLS[0]!.metadata])
      const synced = await client.request('SyncGroup', Math.min(version, 5), {
        groupId: 'g',
        generationId: 1,
        memberId: first.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: first.memberId, assignment: Buffer.from('mine') }],
      })
      expect(synced).toMatchObject({ errorCode: K.NONE, assignment: Buffer.from('mine') })
      expect(
        (
          await client.request('Heartbeat', Math.min(version, 4), {
            groupId: 'g',
            generationId: 1,
            memberId: first.memberId,
            groupInstanceId: null,
          })
        ).errorCode,
      ).toBe(K.NONE)
      const left = await client.request('LeaveGroup', Math.min(version, 5), {
        groupId: 'g',
        members: [{ memberId: first.memberId, groupInstanceId: null }],
      })
      expect(left.errorCode).toBe(K.NONE)
      expect(left.members.map((member) => member.errorCode)).toEqual([K.NONE])
      const listed = await client.request('ListGroups', 4, { statesFilter: ['empty'] })
      expect(listed.groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Empty', groupType: '' }])
    },
  )

  it('JoinGroup v0-3 takes a new member at once, without MEMBER_ID_REQUIRED', async () => {
    const { port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    const client = await connect(port)
    const joined = await client.request('JoinGroup', 3, joinBody(''))
    expect(joined).toMatchObject({ errorCode: K.NONE, generationId: 1 })
    expect(joined.leader).toBe(joined.memberId)
    const left = await client.request('LeaveGroup', 1, { groupId: 'g', memberId: joined.memberId })
    expect(left.errorCode).toBe(K.NONE)
    expect((await client.request('LeaveGroup', 1, { groupId: 'g', memberId: joined.memberId })).errorCode).toBe(K.UNKNOWN_MEMBER_ID)
  })

  it('a static member reconnecting with its group.instance.id keeps its generation and assignment; the old member id is fenced', async () => {
    const { port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    const before = await connect(port)
    const joined = await before.request('JoinGroup', 5, joinBody('', 'worker-1'))
    expect(joined).toMatchObject({ errorCode: K.NONE, generationId: 1 })
    const oldMemberId = joined.memberId
    await before.request('SyncGroup', 3, {
      groupId: 'g',
      generationId: 1,
      memberId: oldMemberId,
      groupInstanceId: 'worker-1',
      assignments: [{ memberId: oldMemberId, assignment: Buffer.from('p0,p1') }],
    })
    before.destroy()

    const after = await connect(port)
    const rejoined = await after.request('JoinGroup', 9, joinBody('', 'worker-1'))
    expect(rejoined).toMatchObject({ errorCode: K.NONE, generationId: 1, leader: rejoined.memberId, skipAssignment: true })
    expect(rejoined.memberId).not.toBe(oldMemberId)
    const synced = await after.request('SyncGroup', 5, {
      groupId: 'g',
      generationId: 1,
      memberId: rejoined.memberId,
      groupInstanceId: 'worker-1',
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    })
    expect(synced).toMatchObject({ errorCode: K.NONE, protocolName: 'range', assignment: Buffer.from('p0,p1') })
    expect(
      (await after.request('Heartbeat', 4, { groupId: 'g', generationId: 1, memberId: oldMemberId, groupInstanceId: 'worker-1' }))
        .errorCode,
    ).toBe(K.FENCED_INSTANCE_ID)
    const described = await after.request('DescribeGroups', 5, { groups: ['g'], includeAuthorizedOperations: false })
    expect(described.groups[0]).toMatchObject({ groupState: 'Stable', protocolData: 'range' })
    expect(described.groups[0]!.members.map((member) => [member.memberId, member.groupInstanceId, member.memberAssignment])).toEqual([
      [rejoined.memberId, 'worker-1', Buffer.from('p0,p1')],
    ])
    const left = await after.request('LeaveGroup', 5, {
      groupId: 'g',
      members: [{ memberId: '', groupInstanceId: 'worker-1', reason: null }],
    })
    expect(left.members).toEqual([{ memberId: '', groupInstanceId: 'worker-1', errorCode: K.NONE }])
  })
})

describe('OffsetCommit, OffsetFetch, OffsetDelete on the wire', () => {
  it('takes simple commits (generation -1) for a group without members and answers fetches in every form', async () => {
    const { port } = await startServer()
    const client = await connect(port)
    await withTopic(client)
    const commit = await client.request('OffsetCommit', 8, {
      groupId: 'simple',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 'work',
          partitions: [
            { partitionIndex: 0, committedOffset: 0, committedMetadata: 'start' },
            { partitionIndex: 5, committedOffset: 0, committedMetadata: null },
            { partitionIndex: 1, committedOffset: 99, committedMetadata: null },
          ],
        },
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] },
      ],
    })
    expect(commit.topics.map((topic) => topic.partitions.map((partition) => partition.errorCode))).toEqual([
      [K.NONE, K.UNKNOWN_TOPIC_OR_PARTITION, K.OFFSET_OUT_OF_RANGE],
      [K.UNKNOWN_TOPIC_OR_PARTITION],
    ])

    const v1 = await client.request('OffsetFetch', 1, { groupId: 'simple', topics: [{ name: 'work', partitionIndexes: [0, 1] }] })
    expect(v1.topics[0]!.partitions.map((partition) => [partition.partitionIndex, partition.committedOffset, partition.metadata])).toEqual([
      [0, 0, 'start'],
      [1, -1, ''],
    ])
    const all = await client.request('OffsetFetch', 7, { groupId: 'simple', topics: null, requireStable: true })
    expect(all.errorCode).toBe(K.NONE)
    expect(all.topics).toEqual([
      {
        name: 'work',
        partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, metadata: 'start', errorCode: K.NONE }],
      },
    ])
    const several = await client.request('OffsetFetch', 8, {
      groups: [
        { groupId: 'simple', topics: null },
        { groupId: 'unknown', topics: [{ name: 'work', partitionIndexes: [1] }] },
      ],
      requireStable: false,
    })
    expect(
      several.groups.map((group) => [
        group.groupId,
        group.errorCode,
        group.topics.flatMap((topic) => topic.partitions.map((partition) => partition.committedOffset)),
      ]),
    ).toEqual([
      ['simple', K.NONE, [0]],
      ['unknown', K.NONE, [-1]],
    ])

    // A commit that names a generation of a group that does not exist is refused.
    const stale = await client.request('OffsetCommit', 2, {
      groupId: 'ghost',
      generationIdOrMemberEpoch: 4,
      memberId: 'm',
      topics: [{ name: 'work', partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }],
    })
    expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(K.ILLEGAL_GENERATION)

    const deleted = await client.request('OffsetDelete', 0, {
      groupId: 'simple',
      topics: [{ name: 'work', partitions: [{ partitionIndex: 0 }] }],
    })
    expect(deleted).toMatchObject({ errorCode: K.NONE, topics: [{ name: 'work', partitions: [{ partitionIndex: 0, errorCode: K.NONE }] }] })
    expect(
      (await client.request('OffsetFetch', 3, { groupId: 'simple', topics: [{ name: 'work', partitionIndexes: [0] }] })).topics[0]!
        .partitions[0]!.committedOffset,
    ).toBe(-1)
    expect((await client.request('OffsetDelete', 0, { groupId: 'ghost', topics: [] })).errorCode).toBe(K.GROUP_ID_NOT_FOUND)
  })

  it('refuses OffsetDelete of a topic a live consumer group is subscribed to', async () => {
    const { port } = await startServer({ groupInitialRebalanceDelayMs: 0 })
    const client = await connect(port)
    await withTopic(client)
    const joined = await client.request('JoinGroup', 3, joinBody(''))
    await client.request('SyncGroup', 3, {
      groupId: 'g',
      generationId: 1,
      memberId: joined.memberId,
      groupInstanceId: null,
      assignments: [],
    })
    const deleted = await client.request('OffsetDelete', 0, {
      groupId: 'g',
      topics: [
        { name: 'work', partitions: [{ partitionIndex: 0 }] },
        { name: 'other', partitions: [{ partitionIndex: 0 }] },
      ],
    })
    expect(deleted.topics.map((topic) => topic.partitions[0]!.errorCode)).toEqual([K.GROUP_SUBSCRIBED_TO_TOPIC, K.NONE])
  })

  it('after a restart the group is back in its generation; stale commits are refused; silent members leave it Empty', async () => {
    const settings = { groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 500 }
    const started = await startServerOnDir(undefined, settings)
    const client = await connect(started.port)
    await withTopic(client)
    const joined = await client.request('JoinGroup', 3, { ...joinBody(''), sessionTimeoutMs: 1500 })
    const synced = await client.request('SyncGroup', 3, {
      groupId: 'g',
      generationId: 1,
      memberId: joined.memberId,
      groupInstanceId: null,
      assignments: [{ memberId: joined.memberId, assignment: Buffer.from('mine') }],
    })
    expect(synced.errorCode).toBe(K.NONE)
    await started.engine.partition('work', 0).appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }])
    const commit = (generationIdOrMemberEpoch: number, committedOffset: number) =>
      client.request('OffsetCommit', 7, {
        groupId: 'g',
        generationIdOrMemberEpoch,
        memberId: joined.memberId,
        groupInstanceId: null,
        topics: [{ name: 'work', partitions: [{ partitionIndex: 0, committedOffset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })
    expect((await commit(1, 2)).topics[0]!.partitions[0]!.errorCode).toBe(K.NONE)
    client.destroy()
    await stopServer(started)

    const again = await startServerOnDir(started.dir, settings)
    const next = await connect(again.port)
    const ref = { groupId: 'g', memberId: joined.memberId, groupInstanceId: null }
    expect((await next.request('ListGroups', 4, { statesFilter: [] })).groups).toEqual([
      { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: '' },
    ])
    const described = await next.request('DescribeGroups', 5, { groups: ['g'], includeAuthorizedOperations: false })
    expect(described.groups[0]).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' })
    expect(described.groups[0]!.members).toMatchObject([
      {
        memberId: joined.memberId,
        clientHost: '/127.0.0.1',
        memberMetadata: PROTOCOLS[0]!.metadata,
        memberAssignment: Buffer.from('mine'),
      },
    ])
    // The member carries on in generation 1; a commit naming generation 0 is stale.
    expect((await next.request('Heartbeat', 3, { ...ref, generationId: 1 })).errorCode).toBe(K.NONE)
    const staleCommit = await next.request('OffsetCommit', 7, {
      ...ref,
      generationIdOrMemberEpoch: 0,
      topics: [
        { name: 'work', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
      ],
    })
    expect(staleCommit.topics[0]!.partitions[0]!.errorCode).toBe(K.ILLEGAL_GENERATION)
    const fetched = await next.request('OffsetFetch', 5, { groupId: 'g', topics: [{ name: 'work', partitionIndexes: [0] }] })
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(2)

    // It stops heartbeating: after its session the group is Empty, in generation 2, and stays so across a restart.
    const deadline = Date.now() + 5000
    while ((await next.request('ListGroups', 4, { statesFilter: ['Empty'] })).groups.length === 0) {
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect((await next.request('Heartbeat', 3, { ...ref, generationId: 1 })).errorCode).toBe(K.UNKNOWN_MEMBER_ID)
    expect(again.engine.offsets.groupMetadata('g')).toMatchObject({ generation: 2, members: [] })
    next.destroy()
    await stopServer(again)

    const third = await startServerOnDir(started.dir, settings)
    const last = await connect(third.port)
    expect((await last.request('ListGroups', 4, { statesFilter: [] })).groups).toEqual([
      { groupId: 'g', protocolType: 'consumer', groupState: 'Empty', groupType: '' },
    ])
    const deleted = await last.request('DeleteGroups', 2, { groupsNames: ['g', 'missing'] })
    expect(deleted.results).toEqual([
      { groupId: 'g', errorCode: K.NONE },
      { groupId: 'missing', errorCode: K.GROUP_ID_NOT_FOUND },
    ])
    expect(third.engine.offsets.listGroups()).toEqual([])
    expect(third.engine.offsets.listGroupMetadata()).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { KafkaErrorCode as K } from '../../src/server/error-codes.js'
import { GroupCoordinator, type JoinRequest } from '../../src/server/groups/coordinator.js'
import type { JoinResult, SyncResult } from '../../src/server/groups/group.js'
import type { GroupMetadata } from '../../src/index.js'
import { ManualClock } from './manual-clock.js'

/**
 * The group coordinator's state machine on a fake clock, without sockets: the JoinGroup dance,
 * generations, leaders, session and rebalance timeouts, the initial delay, static membership,
 * and the error codes Kafka answers with.
 */

const SESSION_MS = 10_000
const REBALANCE_MS = 30_000
const DELAY_MS = 3000

function setup(offsetGroups: string[] = [], stored = new Map<string, GroupMetadata>()) {
  const clock = new ManualClock()
  const writes: { groupId: string; metadata: GroupMetadata }[] = []
  const coordinator = new GroupCoordinator(
    { initialRebalanceDelayMs: DELAY_MS, minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 60_000 },
    clock,
    {
      hasOffsets: (groupId) => offsetGroups.includes(groupId),
      groupsWithOffsets: () => offsetGroups,
      storedGroups: () => [...stored].map(([groupId, metadata]) => ({ groupId, metadata })),
      storeGroup: (groupId, metadata) => {
        writes.push({ groupId, metadata })
        stored.set(groupId, metadata)
        return Promise.resolve()
      },
    },
  )
  coordinator.load()
  return { clock, coordinator, writes, stored }
}

function request(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [
      { name: 'range', metadata: Buffer.from('r') },
      { name: 'roundrobin', metadata: Buffer.from('rr') },
    ],
    requireKnownMemberId: true,
    ...overrides,
  }
}

/** A promise whose outcome can be read synchronously once microtasks ran. */
function track<T>(promise: Promise<T>): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined }
  void promise.then((value) => (box.value = value))
  return box
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

/** Gets a member id with MEMBER_ID_REQUIRED and joins with it; the join is left waiting. */
async function joinNew(coordinator: GroupCoordinator, overrides: Partial<JoinRequest> = {}) {
  const first = await coordinator.join(request(overrides))
  expect(first.errorCode).toBe(K.MEMBER_ID_REQUIRED)
  expect(first.memberId).toMatch(/^client-[0-9a-f-]{36}$/)
  return { memberId: first.memberId, join: track(coordinator.join(request({ ...overrides, memberId: first.memberId }))) }
}

async function syncAll(
  coordinator: GroupCoordinator,
  generationId: number,
  leader: JoinResult,
  members: string[],
): Promise<Map<string, SyncResult>> {
  const assignments = members.map((memberId) => ({ memberId, assignment: Buffer.from(`to ${memberId}`) }))
  const results = members.map((memberId) =>
    coordinator.sync({
      groupId: 'g',
      generationId,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: null,
      assignments: memberId === leader.leaderId ? assignments : [],
    }),
  )
  const settled = await Promise.all(results)
  return new Map(members.map((memberId, slot) => [memberId, settled[slot]!]))
}

describe('group coordinator', () => {
  it('runs the first rebalance after the initial delay: member id, generation 1, the leader gets the members, SyncGroup hands out assignments', async () => {
    const { clock, coordinator } = setup()
    const a = await joinNew(coordinator)
    await flush()
    expect(a.join.value).toBeUndefined()
    expect(coordinator.find('g')!.state).toBe('PreparingRebalance')
    clock.advance(DELAY_MS - 1)
    await flush()
    expect(a.join.value).toBeUndefined()
    clock.advance(1)
    await flush()
    expect(a.join.value).toMatchObject({
      errorCode: K.NONE,
      generationId: 1,
      protocolName: 'range',
      leaderId: a.memberId,
      memberId: a.memberId,
    })
    expect(a.join.value!.members).toEqual([{ memberId: a.memberId, groupInstanceId: null, metadata: Buffer.from('r') }])
    expect(coordinator.find('g')!.state).toBe('CompletingRebalance')
    const synced = await syncAll(coordinator, 1, a.join.value!, [a.memberId])
    expect(synced.get(a.memberId)).toMatchObject({ errorCode: K.NONE, assignment: Buffer.from(`to ${a.memberId}`) })
    expect(coordinator.find('g')!.state).toBe('Stable')
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(K.NONE)
  })

  it('extends the initial delay while members keep arriving, up to the rebalance timeout', async () => {
    const { clock, coordinator } = setup()
    const a = await joinNew(coordinator)
    clock.advance(DELAY_MS - 100)
    const b = await joinNew(coordinator)
    clock.advance(100)
    await flush()
    expect(a.join.value).toBeUndefined()
    clock.advance(DELAY_MS)
    await flush()
    expect(a.join.value?.generationId).toBe(1)
    expect(b.join.value?.generationId).toBe(1)
    const leader = [a.join.value!, b.join.value!].find((result) => result.members.length > 0)!
    expect(leader.members.map((member) => member.memberId).sort()).toEqual([a.memberId, b.memberId].sort())
  })

  it('a second member causes a rebalance: the first learns it from its heartbeat, rejoins, and both get generation 2', async () => {
    const { clock, coordinator } = setup()
    const a = await joinNew(coordinator)
    clock.advance(DELAY_MS)
    await flush()
    await syncAll(coordinator, 1, a.join.value!, [a.memberId])
    const b = await joinNew(coordinator)
    expect(coordinator.find('g')!.state).toBe('PreparingRebalance')
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(
      K.REBALANCE_IN_PROGRESS,
    )
    // A commit of the current generation is still taken while the group prepares.
    expect(coordinator.checkCommit({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(K.NONE)
    const again = track(coordinator.join(request({ memberId: a.memberId })))
    await flush()
    expect(again.value?.generationId).toBe(2)
    expect(b.join.value?.generationId).toBe(2)
    expect(again.value!.leaderId).toBe(a.memberId)
    expect(again.value!.members).toHaveLength(2)
    expect(b.join.value!.members).toEqual([])
    // Between JoinGroup and SyncGroup commits are refused with REBALANCE_IN_PROGRESS; a stale generation is illegal.
    expect(coordinator.checkCommit({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null })).toBe(
      K.REBALANCE_IN_PROGRESS,
    )
    expect(coordinator.checkCommit({ groupId: 'g', generationId: 1, memberId: b.memberId, groupInstanceId: null })).toBe(
      K.ILLEGAL_GENERATION,
    )
    const synced = await syncAll(coordinator, 2, again.value!, [b.memberId, a.memberId])
    expect(synced.get(b.memberId)!.assignment).toEqual(Buffer.from(`to ${b.memberId}`))
    expect(coordinator.find('g')!.state).toBe('Stable')
  })

  it('evicts a member that stops heartbeating once its session times out, and rebalances the rest', async () => {
    const { clock, coordinator } = setup()
    const a = await joinNew(coordinator)
    const b = await joinNew(coordinator)
    // b joined during the initial delay, which extends it once.
    clock.advance(2 * DELAY_MS)
    await flush()
    const leader = a.join.value!.members.length > 0 ? a.join.value! : b.join.value!
    await syncAll(coordinator, 1, leader, [a.memberId, b.memberId])
    for (let step = 0; step < 4; step++) {
      clock.advance(SESSION_MS / 2)
      expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(
        step < 1 ? K.NONE : K.REBALANCE_IN_PROGRESS,
      )
    }
    const group = coordinator.find('g')!
    expect([...group.members.keys()]).toEqual([a.memberId])
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b.memberId, groupInstanceId: null })).toBe(K.UNKNOWN_MEMBER_ID)
    const rejoined = await coordinator.join(request({ memberId: a.memberId }))
    expect(rejoined).toMatchObject({ errorCode: K.NONE, generationId: 2, leaderId: a.memberId })
  })

  it('completes a rebalance at the rebalance timeout without the dynamic members that did not rejoin', async () => {
    const { clock, coordinator } = setup()
    const a = await joinNew(coordinator, { rebalanceTimeoutMs: 20_000 })
    const b = await joinNew(coordinator, { rebalanceTimeoutMs: 20_000 })
    clock.advance(2 * DELAY_MS)
    await flush()
    await syncAll(coordinator, 1, a.join.value!.members.length > 0 ? a.join.value! : b.join.value!, [a.memberId, b.memberId])
    const c = await joinNew(coordinator, { rebalanceTimeoutMs: 20_000 })
    const again = track(coordinator.join(request({ memberId: a.memberId, rebalanceTimeoutMs: 20_000 })))
    // b keeps heartbeating but never rejoins.
    for (let elapsed = 0; elapsed < 21_000; elapsed += 3000) {
      clock.advance(3000)
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: b.memberId, groupInstanceId: null })
    }
    await flush()
    expect(again.value?.generationId).toBe(2)
    expect(c.join.value?.generationId).toBe(2)
    expect([...coordinator.find('g')!.members.keys()].sort()).toEqual([a.memberId, c.memberId].sort())
  })

  it('answers with Kafka error codes: unknown member, bad session timeout, inconsistent protocol, stale generation', async () => {
    const { clock, coordinator } = setup()
    expect((await coordinator.join(request({ memberId: 'nobody' }))).errorCode).toBe(K.UNKNOWN_MEMBER_ID)
    expect((await coordinator.join(request({ sessionTimeoutMs: 5999 }))).errorCode).toBe(K.INVALID_SESSION_TIMEOUT)
    expect((await coordinator.join(request({ groupId: '' }))).errorCode).toBe(K.INVALID_GROUP_ID)
    const a = await joinNew(coordinator)
    clock.advance(DELAY_MS)
    await flush()
    expect((await coordinator.join(request({ protocolType: 'connect' }))).errorCode).toBe(K.INCONSISTENT_GROUP_PROTOCOL)
    expect((await coordinator.join(request({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode).toBe(
      K.INCONSISTENT_GROUP_PROTOCOL,
    )
    const ref = { groupId: 'g', memberId: a.memberId, groupInstanceId: null }
    expect(coordinator.heartbeat({ ...ref, generationId: 0 })).toBe(K.ILLEGAL_GENERATION)
    expect((await coordinator.sync({ ...ref, generationId: 7, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(
      K.ILLEGAL_GENERATION,
    )
    expect(
      (await coordinator.sync({ ...ref, generationId: 1, protocolType: null, protocolName: 'roundrobin', assignments: [] })).errorCode,
    ).toBe(K.INCONSISTENT_GROUP_PROTOCOL)
    expect(coordinator.heartbeat({ ...ref, memberId: 'stranger', generationId: 1 })).toBe(K.UNKNOWN_MEMBER_ID)
    expect(coordinator.heartbeat({ ...ref, groupId: 'other', generationId: 1 })).toBe(K.UNKNOWN_MEMBER_ID)
    // A client outside the group commits with generation -1: refused while the group has members.
    expect(coordinator.checkCommit({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null })).toBe(K.UNKNOWN_MEMBER_ID)
    expect(coordinator.checkCommit({ groupId: 'fresh', generationId: 3, memberId: 'm', groupInstanceId: null })).toBe(K.ILLEGAL_GENERATION)
    expect(coordinator.checkCommit({ groupId: 'fresh', generationId: -1, memberId: '', groupInstanceId: null })).toBe(K.NONE)
    expect(coordinator.find('fresh')!.state).toBe('Empty')
  })

  it('leaves, deletes Empty groups only, and knows groups that exist only through offsets', async () => {
    const { clock, coordinator } = setup(['offsets-only'])
    expect(coordinator.groupIds()).toEqual(['offsets-only'])
    expect(coordinator.find('offsets-only')!.state).toBe('Empty')
    const a = await joinNew(coordinator)
    clock.advance(DELAY_MS)
    await flush()
    expect(coordinator.deleteGroup('g')).toBe(K.NON_EMPTY_GROUP)
    expect(coordinator.deleteGroup('missing')).toBe(K.GROUP_ID_NOT_FOUND)
    expect(coordinator.leave('g', [{ memberId: 'stranger', groupInstanceId: null }]).members[0]!.errorCode).toBe(K.UNKNOWN_MEMBER_ID)
    expect(coordinator.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]).members[0]!.errorCode).toBe(K.NONE)
    expect(coordinator.find('g')!.state).toBe('Empty')
    expect(coordinator.find('g')!.generationId).toBe(2)
    expect(coordinator.deleteGroup('g')).toBe(K.NONE)
    expect(coordinator.groupIds()).toEqual(['offsets-only'])
  })

  it('static membership: a rejoin under the same group.instance.id takes over without a rebalance and fences the old member id', async () => {
    const { clock, coordinator } = setup()
    const staticJoin = { groupInstanceId: 'instance-1', sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 8000 }
    const first = track(coordinator.join(request(staticJoin)))
    clock.advance(DELAY_MS)
    await flush()
    const old = first.value!
    expect(old).toMatchObject({ errorCode: K.NONE, generationId: 1 })
    expect(old.memberId).toMatch(/^instance-1-/)
    await coordinator.sync({
      groupId: 'g',
      generationId: 1,
      memberId: old.memberId,
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: old.memberId, assignment: Buffer.from('p0') }],
    })
    // The process restarts and joins with no member id, as static members do.
    const again = await coordinator.join(request(staticJoin))
    expect(again).toMatchObject({ errorCode: K.NONE, generationId: 1, leaderId: again.memberId })
    expect(again.memberId).not.toBe(old.memberId)
    expect(coordinator.find('g')!.state).toBe('Stable')
    const synced = await coordinator.sync({
      groupId: 'g',
      generationId: 1,
      memberId: again.memberId,
      groupInstanceId: 'instance-1',
      protocolType: null,
      protocolName: null,
      assignments: [],
    })
    expect(synced.assignment).toEqual(Buffer.from('p0'))
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: old.memberId, groupInstanceId: 'instance-1' })).toBe(
      K.FENCED_INSTANCE_ID,
    )
    expect(coordinator.checkCommit({ groupId: 'g', generationId: 1, memberId: old.memberId, groupInstanceId: 'instance-1' })).toBe(
      K.FENCED_INSTANCE_ID,
    )
    expect(coordinator.leave('g', [{ memberId: old.memberId, groupInstanceId: 'instance-1' }]).members[0]!.errorCode).toBe(
      K.FENCED_INSTANCE_ID,
    )
    // Static members stay through a rebalance they miss; only their session ends them.
    const dynamic = await joinNew(coordinator, { rebalanceTimeoutMs: 8000 })
    clock.advance(8000)
    await flush()
    expect(dynamic.join.value?.generationId).toBe(2)
    expect(coordinator.find('g')!.staticMembers.get('instance-1')).toBe(again.memberId)
    expect(dynamic.join.value!.leaderId).toBe(dynamic.memberId)
    clock.advance(60_000)
    expect(coordinator.find('g')!.staticMembers.has('instance-1')).toBe(false)
  })

  it('answers waiting calls with NOT_COORDINATOR when it stops, and later ones with COORDINATOR_NOT_AVAILABLE', async () => {
    const { clock, coordinator } = setup()
    const a = await joinNew(coordinator)
    coordinator.shutdown()
    await flush()
    expect(a.join.value?.errorCode).toBe(K.NOT_COORDINATOR)
    expect((await coordinator.join(request())).errorCode).toBe(K.COORDINATOR_NOT_AVAILABLE)
    expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(
      K.COORDINATOR_NOT_AVAILABLE,
    )
    expect(clock.pendingCount).toBe(0)
  })
})

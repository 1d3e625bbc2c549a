import { describe, expect, it } from 'vitest'
import type { GroupMetadata } from '../../src/index.js'
import { KafkaErrorCode as K } from '../../src/server/error-codes.js'
import { GroupCoordinator, type JoinRequest } from '../../src/server/groups/coordinator.js'
import { ManualClock } from './manual-clock.js'

/**
 * The coordinator's group metadata records, on a fake clock with an in-memory store standing in
 * for the offset store: what is written and when (the assigned generation before anyone gets an
 * assignment, the emptied group), what a failed write does, and how a restarted coordinator loads
 * the records (members back, sessions restarted, stale generations refused, silent members removed).
 */

const SESSION_MS = 10_000
const DELAY_MS = 3000

interface Store {
  stored: Map<string, GroupMetadata>
  writes: { groupId: string; metadata: GroupMetadata }[]
  /** When set, writes wait for `release` (and fail with `failWith`, if given). */
  hold: boolean
  failWith: Error | null
  release: () => void
}

function coordinatorOn(store: Store, clock = new ManualClock(), load = true) {
  const waiting: (() => void)[] = []
  store.release = () => {
    for (const resume of waiting.splice(0)) resume()
  }
  const coordinator = new GroupCoordinator(
    { initialRebalanceDelayMs: DELAY_MS, minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000 },
    clock,
    {
      hasOffsets: () => false,
      groupsWithOffsets: () => [],
      storedGroups: () => [...store.stored].map(([groupId, metadata]) => ({ groupId, metadata })),
      storeGroup: (groupId, metadata) =>
        new Promise<void>((resolve, reject) => {
          const finish = (): void => {
            if (store.failWith !== null) return reject(store.failWith)
            store.writes.push({ groupId, metadata })
            store.stored.set(groupId, metadata)
            resolve()
          }
          if (store.hold) waiting.push(finish)
          else finish()
        }),
    },
  )
  if (load) coordinator.load()
  return { clock, coordinator }
}

function newStore(): Store {
  return { stored: new Map(), writes: [], hold: false, failWith: null, release: () => undefined }
}

function request(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: 20_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
    requireKnownMemberId: false,
    ...overrides,
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

/** One member joins a new group and becomes its leader; returns its JoinGroup answer (generation 1). */
async function joinOne(coordinator: GroupCoordinator, clock: ManualClock, overrides: Partial<JoinRequest> = {}) {
  const joining = coordinator.join(request(overrides))
  clock.advance(DELAY_MS)
  return joining
}

function sync(coordinator: GroupCoordinator, memberId: string, generationId: number, assignment = 'assigned') {
  return coordinator.sync({
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId, assignment: Buffer.from(assignment) }],
  })
}

describe('group metadata records', () => {
  it('stores the assigned generation before the group is Stable and the members get their assignments', async () => {
    const store = newStore()
    store.hold = true
    const { clock, coordinator } = coordinatorOn(store)
    const joined = await joinOne(coordinator, clock, { groupInstanceId: 'static-1' })
    let answered = false
    const synced = sync(coordinator, joined.memberId, 1).then((result) => {
      answered = true
      return result
    })
    await flush()
    expect(answered).toBe(false)
    expect(coordinator.find('g')!.state).toBe('CompletingRebalance')
    store.release()
    expect((await synced).assignment).toEqual(Buffer.from('assigned'))
    expect(coordinator.find('g')!.state).toBe('Stable')
    expect(store.writes).toEqual([
      {
        groupId: 'g',
        metadata: {
          protocolType: 'consumer',
          generation: 1,
          protocol: 'range',
          leader: joined.memberId,
          currentStateTimestamp: DELAY_MS,
          members: [
            {
              memberId: joined.memberId,
              groupInstanceId: 'static-1',
              clientId: 'client',
              clientHost: '/127.0.0.1',
              rebalanceTimeoutMs: 20_000,
              sessionTimeoutMs: SESSION_MS,
              subscription: Buffer.from('sub'),
              assignment: Buffer.from('assigned'),
            },
          ],
        },
      },
    ])
  })

  it('a failed write answers the syncs with the error, hands out nothing, and rebalances', async () => {
    const store = newStore()
    store.failWith = new Error('disk gone')
    const { clock, coordinator } = coordinatorOn(store)
    const joined = await joinOne(coordinator, clock)
    const result = await sync(coordinator, joined.memberId, 1)
    expect(result.errorCode).toBe(K.UNKNOWN_SERVER_ERROR)
    expect(result.assignment).toEqual(Buffer.alloc(0))
    expect(coordinator.find('g')!.state).toBe('PreparingRebalance')
  })

  it('stores the emptied group with its new generation when the last member leaves', async () => {
    const store = newStore()
    const { clock, coordinator } = coordinatorOn(store)
    const joined = await joinOne(coordinator, clock)
    await sync(coordinator, joined.memberId, 1)
    coordinator.leave('g', [{ memberId: joined.memberId, groupInstanceId: null }])
    await flush()
    expect(coordinator.find('g')!.state).toBe('Empty')
    expect(store.stored.get('g')).toMatchObject({ generation: 2, protocol: null, leader: null, members: [] })
  })
})

describe('a restarted coordinator loads its groups', () => {
  async function stableGroupThenRestart() {
    const store = newStore()
    const first = coordinatorOn(store)
    const joined = await joinOne(first.coordinator, first.clock)
    await sync(first.coordinator, joined.memberId, 1)
    first.coordinator.shutdown()
    const clock = new ManualClock()
    clock.advance(100_000)
    return { store, joined, ...coordinatorOn(store, clock) }
  }

  it('Stable with its members and generation; a heartbeat carries on, a stale generation is ILLEGAL_GENERATION', async () => {
    const { coordinator, joined } = await stableGroupThenRestart()
    const group = coordinator.find('g')!
    expect(group.state).toBe('Stable')
    expect(group.generationId).toBe(1)
    expect(group.leaderId).toBe(joined.memberId)
    expect(group.members.get(joined.memberId)!.assignment).toEqual(Buffer.from('assigned'))
    const ref = { groupId: 'g', memberId: joined.memberId, groupInstanceId: null }
    expect(coordinator.heartbeat({ ...ref, generationId: 1 })).toBe(K.NONE)
    expect(coordinator.checkCommit({ ...ref, generationId: 0 })).toBe(K.ILLEGAL_GENERATION)
    expect(coordinator.checkCommit({ ...ref, generationId: 1 })).toBe(K.NONE)
    // A sync of the loaded generation returns the stored assignment, as in any Stable group.
    expect((await sync(coordinator, joined.memberId, 1, 'ignored')).assignment).toEqual(Buffer.from('assigned'))
  })

  it('removes members that do not come back within their session; the group is Empty in the next generation, and stored', async () => {
    const { coordinator, clock, store, joined } = await stableGroupThenRestart()
    clock.advance(SESSION_MS - 1)
    expect(coordinator.find('g')!.state).toBe('Stable')
    clock.advance(1)
    await flush()
    const group = coordinator.find('g')!
    expect(group.state).toBe('Empty')
    expect(group.generationId).toBe(2)
    expect(store.stored.get('g')).toMatchObject({ generation: 2, members: [] })
    const ref = { groupId: 'g', memberId: joined.memberId, groupInstanceId: null }
    expect(coordinator.checkCommit({ ...ref, generationId: 1 })).toBe(K.UNKNOWN_MEMBER_ID)
    expect(coordinator.heartbeat({ ...ref, generationId: 1 })).toBe(K.UNKNOWN_MEMBER_ID)
  })

  it('while loading: COORDINATOR_LOAD_IN_PROGRESS for group requests, heartbeats answered blindly', async () => {
    const store = newStore()
    const { coordinator } = coordinatorOn(store, new ManualClock(), false)
    coordinator.beginLoading()
    const ref = { groupId: 'g', memberId: 'm', groupInstanceId: null, generationId: 1 }
    expect((await coordinator.join(request())).errorCode).toBe(K.COORDINATOR_LOAD_IN_PROGRESS)
    expect((await sync(coordinator, 'm', 1)).errorCode).toBe(K.COORDINATOR_LOAD_IN_PROGRESS)
    expect(coordinator.checkCommit(ref)).toBe(K.COORDINATOR_LOAD_IN_PROGRESS)
    expect(coordinator.deleteGroup('g')).toBe(K.COORDINATOR_LOAD_IN_PROGRESS)
    expect(coordinator.leave('g', [{ memberId: 'm', groupInstanceId: null }]).errorCode).toBe(K.COORDINATOR_LOAD_IN_PROGRESS)
    expect(coordinator.availabilityError()).toBe(K.COORDINATOR_LOAD_IN_PROGRESS)
    expect(coordinator.heartbeat(ref)).toBe(K.NONE)
    coordinator.load()
    expect(coordinator.availabilityError()).toBe(K.NONE)
    coordinator.shutdown()
    expect(coordinator.availabilityError()).toBe(K.COORDINATOR_NOT_AVAILABLE)
  })

  it('a static member restarting with its group.instance.id takes its loaded place; its old member id is fenced', async () => {
    const store = newStore()
    const first = coordinatorOn(store)
    const joined = await joinOne(first.coordinator, first.clock, { groupInstanceId: 'worker-1' })
    await first.coordinator.sync({
      groupId: 'g',
      generationId: 1,
      memberId: joined.memberId,
      groupInstanceId: 'worker-1',
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: joined.memberId, assignment: Buffer.from('p0') }],
    })
    first.coordinator.shutdown()
    const { coordinator } = coordinatorOn(store)
    const rejoined = await coordinator.join(request({ groupInstanceId: 'worker-1' }))
    expect(rejoined).toMatchObject({ errorCode: K.NONE, generationId: 1 })
    expect(rejoined.memberId).not.toBe(joined.memberId)
    expect(coordinator.find('g')!.state).toBe('Stable')
    // The new member id is stored before the member may act under it.
    expect(store.stored.get('g')!.members.map((member) => member.memberId)).toEqual([rejoined.memberId])
    const old = { groupId: 'g', memberId: joined.memberId, groupInstanceId: 'worker-1', generationId: 1 }
    expect(coordinator.heartbeat(old)).toBe(K.FENCED_INSTANCE_ID)
    expect(coordinator.checkCommit(old)).toBe(K.FENCED_INSTANCE_ID)
  })
})

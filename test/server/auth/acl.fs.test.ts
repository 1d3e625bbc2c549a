import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeBatch } from '../../../src/index.js'
import type { AclRule } from '../../../src/server/auth/acls.js'
import { KafkaErrorCode as K } from '../../../src/server/index.js'
import { rejection } from '../../helpers/errors.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'
import { closeAll, connect, startServer, type ProtocolClient } from '../helpers.js'
import { TEST_LIMITS, writeUsers } from './helpers.js'

/**
 * ACLs, request by request, with seglog's protocol client authenticated over SASL/PLAIN: each
 * operation allowed and denied, the codes Kafka answers, and that a denied write writes nothing.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

type Acl = Partial<AclRule> & Pick<AclRule, 'principal' | 'operation' | 'resourceType'>

async function aclServer(acls: Acl[], options: { superUsers?: string[] } = {}) {
  const dir = await makeTmpDir('seglog-acl-')
  const usersFile = await writeUsers({ alice: 'a', bob: 'b', admin: 'x' }, dir)
  const aclFile = path.join(dir, 'acls.json')
  const rules = acls.map((acl) => ({ permission: 'ALLOW', resourceName: '*', ...acl }))
  await fs.writeFile(aclFile, JSON.stringify({ version: 1, acls: rules }))
  const started = await startServer({ usersFile, aclFile, failedAuthLimits: TEST_LIMITS, ...options })
  for (const topic of ['orders', 'orders-eu', 'secret']) await started.server.engine.createTopic(topic, { partitions: 1 })
  return { ...started, aclFile }
}

async function login(port: number, user: string, password: string): Promise<ProtocolClient> {
  const client = await connect(port)
  await client.request('SaslHandshake', 1, { mechanism: 'PLAIN' })
  const answer = await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from(`\0${user}\0${password}`) })
  expect(answer.errorCode).toBe(K.NONE)
  return client
}

const batch = (value: string): Buffer => encodeBatch([{ key: null, value: Buffer.from(value), timestamp: 1 }])

function produceBody(topics: string[]) {
  return {
    acks: 1,
    timeoutMs: 1000,
    topicData: topics.map((name) => ({ name, partitionData: [{ index: 0, records: batch(name) }] })),
  }
}

function fetchBody(topics: string[]) {
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: topics.map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] })),
  }
}

const codesByName = (
  entries: {
    name?: string | null
    topic?: string
    errorCode?: number
    partitionResponses?: { errorCode: number }[]
    partitions?: { errorCode: number }[]
  }[],
) =>
  Object.fromEntries(
    entries.map((entry) => [entry.name ?? entry.topic, entry.errorCode ?? (entry.partitionResponses ?? entry.partitions)![0]!.errorCode]),
  )

describe('topics', () => {
  it('Produce: WRITE on a prefix allows, the rest get TOPIC_AUTHORIZATION_FAILED and nothing is written to them', async () => {
    const { port, server } = await aclServer([
      { principal: 'User:alice', operation: 'WRITE', resourceType: 'TOPIC', resourceName: 'orders', patternType: 'PREFIXED' },
    ])
    const alice = await login(port, 'alice', 'a')
    const answer = await alice.request('Produce', 7, produceBody(['orders', 'secret', 'orders-eu']))
    expect(codesByName(answer.responses)).toEqual({ orders: K.NONE, 'orders-eu': K.NONE, secret: K.TOPIC_AUTHORIZATION_FAILED })
    expect((await server.engine.partition('orders', 0).readRaw(0, { maxBytes: 1 << 20 })).bytes.length).toBeGreaterThan(0)
    expect(server.engine.partition('secret', 0).logEndOffset).toBe(0)
    // bob has no ACL at all: denied by default.
    const bob = await login(port, 'bob', 'b')
    const denied = await bob.request('Produce', 7, produceBody(['orders']))
    expect(codesByName(denied.responses)).toEqual({ orders: K.TOPIC_AUTHORIZATION_FAILED })
    expect(server.engine.partition('orders', 0).logEndOffset).toBe(1)
  })

  it('a DENY wins over an ALLOW', async () => {
    const { port, server } = await aclServer([
      { principal: 'User:*', operation: 'ALL', resourceType: 'TOPIC' },
      { principal: 'User:alice', operation: 'WRITE', resourceType: 'TOPIC', resourceName: 'orders-eu', permission: 'DENY' },
    ])
    const alice = await login(port, 'alice', 'a')
    const answer = await alice.request('Produce', 7, produceBody(['orders', 'orders-eu']))
    expect(codesByName(answer.responses)).toEqual({ orders: K.NONE, 'orders-eu': K.TOPIC_AUTHORIZATION_FAILED })
    expect(server.engine.partition('orders-eu', 0).logEndOffset).toBe(0)
  })

  it('Fetch and ListOffsets: READ and DESCRIBE per topic', async () => {
    const { port, server } = await aclServer([{ principal: 'User:bob', operation: 'READ', resourceType: 'TOPIC', resourceName: 'orders' }])
    await server.engine.partition('orders', 0).appendBatch(batch('x'))
    await server.engine.partition('secret', 0).appendBatch(batch('y'))
    const bob = await login(port, 'bob', 'b')
    const fetched = await bob.request('Fetch', 11, fetchBody(['orders', 'secret']))
    expect(codesByName(fetched.responses)).toEqual({ orders: K.NONE, secret: K.TOPIC_AUTHORIZATION_FAILED })
    expect(fetched.errorCode).toBe(K.NONE)
    const secret = fetched.responses.find((topic) => topic.topic === 'secret')!.partitions[0]!
    expect(secret.records?.length ?? 0).toBe(0)
    // READ implies DESCRIBE, which ListOffsets needs.
    const offsets = await bob.request('ListOffsets', 3, {
      replicaId: -1,
      isolationLevel: 0,
      topics: ['orders', 'secret'].map((name) => ({ name, partitions: [{ partitionIndex: 0, timestamp: -1 }] })),
    })
    expect(codesByName(offsets.topics)).toEqual({ orders: K.NONE, secret: K.TOPIC_AUTHORIZATION_FAILED })
  })

  it('Metadata lists only the topics the user may DESCRIBE; a named one it may not is refused; no CREATE, no auto-creation', async () => {
    const { port, server } = await aclServer([
      { principal: 'User:bob', operation: 'DESCRIBE', resourceType: 'TOPIC', resourceName: 'orders', patternType: 'PREFIXED' },
    ])
    const bob = await login(port, 'bob', 'b')
    const all = await bob.request('Metadata', 4, { topics: null, allowAutoTopicCreation: true })
    expect(all.topics.map((topic) => topic.name).sort()).toEqual(['orders', 'orders-eu'])
    const named = await bob.request('Metadata', 4, {
      topics: [{ name: 'secret' }, { name: 'orders' }, { name: 'orders-new' }],
      allowAutoTopicCreation: true,
    })
    expect(codesByName(named.topics)).toEqual({
      secret: K.TOPIC_AUTHORIZATION_FAILED,
      orders: K.NONE,
      'orders-new': K.UNKNOWN_TOPIC_OR_PARTITION,
    })
    expect(server.engine.hasTopic('orders-new')).toBe(false)
    const v0 = await bob.request('Metadata', 0, { topics: [{ name: 'secret' }] })
    expect(codesByName(v0.topics)).toEqual({ secret: K.TOPIC_AUTHORIZATION_FAILED })
  })

  it('CreateTopics needs CREATE (cluster or topic), DeleteTopics DELETE, CreatePartitions ALTER, DeleteRecords DELETE', async () => {
    const { port, server } = await aclServer([
      { principal: 'User:alice', operation: 'CREATE', resourceType: 'TOPIC', resourceName: 'team-', patternType: 'PREFIXED' },
      { principal: 'User:alice', operation: 'DELETE', resourceType: 'TOPIC', resourceName: 'orders' },
      { principal: 'User:bob', operation: 'CREATE', resourceType: 'CLUSTER' },
    ])
    const alice = await login(port, 'alice', 'a')
    const created = await alice.request('CreateTopics', 4, {
      topics: ['team-a', 'other'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })),
      timeoutMs: 1000,
    })
    expect(codesByName(created.topics)).toEqual({ 'team-a': K.NONE, other: K.TOPIC_AUTHORIZATION_FAILED })
    expect(server.engine.hasTopic('other')).toBe(false)
    const bob = await login(port, 'bob', 'b')
    const clusterWide = await bob.request('CreateTopics', 4, {
      topics: [{ name: 'other', numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 1000,
    })
    expect(codesByName(clusterWide.topics)).toEqual({ other: K.NONE })

    const grown = await alice.request('CreatePartitions', 1, {
      topics: [{ name: 'orders', count: 3, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false,
    })
    expect(grown.results[0]!.errorCode).toBe(K.TOPIC_AUTHORIZATION_FAILED)
    expect(server.engine.partitions('orders')).toHaveLength(1)

    await server.engine.partition('secret', 0).appendBatch(batch('keep'))
    const deletedRecords = await alice.request('DeleteRecords', 1, {
      topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, offset: 1 }] }],
      timeoutMs: 1000,
    })
    expect(deletedRecords.topics[0]!.partitions[0]!.errorCode).toBe(K.TOPIC_AUTHORIZATION_FAILED)
    expect(server.engine.partition('secret', 0).logStartOffset).toBe(0)

    const deleted = await alice.request('DeleteTopics', 3, { topicNames: ['orders', 'secret'], timeoutMs: 1000 })
    expect(codesByName(deleted.responses)).toEqual({ orders: K.NONE, secret: K.TOPIC_AUTHORIZATION_FAILED })
    expect(server.engine.hasTopic('orders')).toBe(false)
    expect(server.engine.hasTopic('secret')).toBe(true)
  })

  it('DescribeConfigs and AlterConfigs: DESCRIBE_CONFIGS and ALTER_CONFIGS on the topic', async () => {
    const { port, server } = await aclServer([
      { principal: 'User:bob', operation: 'ALTER_CONFIGS', resourceType: 'TOPIC', resourceName: 'orders' },
    ])
    const bob = await login(port, 'bob', 'b')
    const described = await bob.request('DescribeConfigs', 1, {
      resources: ['orders', 'secret'].map((resourceName) => ({ resourceType: 2, resourceName, configurationKeys: null })),
      includeSynonyms: false,
    })
    expect(Object.fromEntries(described.results.map((result) => [result.resourceName, result.errorCode]))).toEqual({
      orders: K.NONE,
      secret: K.TOPIC_AUTHORIZATION_FAILED,
    })
    const altered = await bob.request('IncrementalAlterConfigs', 0, {
      resources: ['orders', 'secret'].map((resourceName) => ({
        resourceType: 2,
        resourceName,
        configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }],
      })),
      validateOnly: false,
    })
    expect(Object.fromEntries(altered.responses.map((result) => [result.resourceName, result.errorCode]))).toEqual({
      orders: K.NONE,
      secret: K.TOPIC_AUTHORIZATION_FAILED,
    })
    expect(server.engine.topicConfig('orders').retentionMs).toBe(1000)
    expect(server.engine.topicConfig('secret').retentionMs).not.toBe(1000)
  })
})

describe('groups', () => {
  const join = (client: ProtocolClient, groupId: string) =>
    client.request('JoinGroup', 5, {
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    })
  const commit = (client: ProtocolClient, groupId: string, topics: string[]) =>
    client.request('OffsetCommit', 5, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] })),
    })

  it('JoinGroup, OffsetCommit and OffsetFetch need the group and topic permissions Kafka asks for', async () => {
    const { port, server } = await aclServer([
      { principal: 'User:bob', operation: 'READ', resourceType: 'GROUP', resourceName: 'billing' },
      { principal: 'User:bob', operation: 'READ', resourceType: 'TOPIC', resourceName: 'orders' },
    ])
    for (const topic of ['orders', 'secret']) await server.engine.partition(topic, 0).appendBatch(batch('r'))
    const bob = await login(port, 'bob', 'b')
    const coordinator = await bob.request('FindCoordinator', 3, { key: 'payroll', keyType: 0 })
    expect(coordinator.errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)
    expect((await bob.request('FindCoordinator', 3, { key: 'billing', keyType: 0 })).errorCode).toBe(K.NONE)
    const batched = await bob.request('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['billing', 'payroll'] })
    expect(batched.coordinators.map((entry) => entry.errorCode)).toEqual([K.GROUP_AUTHORIZATION_FAILED, K.GROUP_AUTHORIZATION_FAILED])
    expect((await join(bob, 'payroll')).errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)
    expect((await join(bob, 'billing')).errorCode).toBe(K.MEMBER_ID_REQUIRED)

    const refusedGroup = await commit(bob, 'payroll', ['orders'])
    expect(refusedGroup.topics[0]!.partitions[0]!.errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)
    const committed = await commit(bob, 'billing', ['orders', 'secret'])
    expect(codesByName(committed.topics)).toEqual({ orders: K.NONE, secret: K.TOPIC_AUTHORIZATION_FAILED })
    expect(server.engine.offsets.describeGroup('billing').map((entry) => entry.topic)).toEqual(['orders'])
    expect(server.engine.offsets.describeGroup('payroll')).toEqual([])

    // READ on the group implies DESCRIBE: OffsetFetch lists only the topics bob may see.
    const fetched = await bob.request('OffsetFetch', 4, { groupId: 'billing', topics: null })
    expect(fetched.errorCode).toBe(K.NONE)
    expect(fetched.topics.map((topic) => topic.name)).toEqual(['orders'])
    expect((await bob.request('OffsetFetch', 4, { groupId: 'payroll', topics: null })).errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)

    const listed = await bob.request('ListGroups', 2, {})
    expect(listed.groups.map((group) => group.groupId)).toEqual(['billing'])
    const deleted = await bob.request('DeleteGroups', 1, { groupsNames: ['billing'] })
    expect(deleted.results[0]!.errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)
    expect(server.engine.offsets.describeGroup('billing')).toHaveLength(1)
  })
})

describe('principals', () => {
  it('super users are allowed everything; a user without ACLs nothing', async () => {
    const { port, server } = await aclServer([], { superUsers: ['User:admin'] })
    const admin = await login(port, 'admin', 'x')
    expect(codesByName((await admin.request('Produce', 7, produceBody(['secret']))).responses)).toEqual({ secret: K.NONE })
    const alice = await login(port, 'alice', 'a')
    expect(codesByName((await alice.request('Produce', 7, produceBody(['secret']))).responses)).toEqual({
      secret: K.TOPIC_AUTHORIZATION_FAILED,
    })
    expect(server.engine.partition('secret', 0).logEndOffset).toBe(1)
    expect((await alice.request('InitProducerId', 1, { transactionalId: null, transactionTimeoutMs: 1000 })).errorCode).toBe(
      K.CLUSTER_AUTHORIZATION_FAILED,
    )
  })

  it('without SASL, ACLs apply to User:ANONYMOUS; the file is reloaded when it changes', async () => {
    const dir = await makeTmpDir('seglog-acl-')
    const aclFile = path.join(dir, 'acls.json')
    await fs.writeFile(aclFile, JSON.stringify({ version: 1, acls: [] }))
    const { port, server, logs } = await startServer({ aclFile })
    await server.engine.createTopic('open', { partitions: 1 })
    const client = await connect(port)
    expect(codesByName((await client.request('Produce', 7, produceBody(['open']))).responses)).toEqual({
      open: K.TOPIC_AUTHORIZATION_FAILED,
    })
    await fs.writeFile(
      aclFile,
      JSON.stringify({
        version: 1,
        acls: [{ principal: 'User:ANONYMOUS', operation: 'WRITE', resourceType: 'TOPIC', resourceName: 'open', permission: 'ALLOW' }],
      }),
    )
    // Checked at most once a second, when requests come: ask until the new rule is in force.
    const deadline = Date.now() + 5000
    let code: number | undefined = K.TOPIC_AUTHORIZATION_FAILED
    while (code !== K.NONE && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      code = codesByName((await client.request('Produce', 7, produceBody(['open']))).responses).open
    }
    expect(code).toBe(K.NONE)
    expect(logs.some((line) => line.includes(`reloaded ${aclFile}`))).toBe(true)
  })
})

describe('startup', () => {
  it('refuses to start on a missing users file (IO_FAILED) or an ACL file that does not parse (CORRUPT_METADATA)', async () => {
    const dir = await makeTmpDir('seglog-acl-')
    const missing = await rejection(startServer({ usersFile: path.join(dir, 'absent.json') }))
    expect(missing.code).toBe('IO_FAILED')
    const aclFile = path.join(dir, 'acls.json')
    await fs.writeFile(
      aclFile,
      JSON.stringify({
        version: 1,
        acls: [{ principal: 'alice', operation: 'READ', resourceType: 'TOPIC', resourceName: 'x', permission: 'ALLOW' }],
      }),
    )
    const bad = await rejection(startServer({ aclFile }))
    expect(bad).toMatchObject({ code: 'CORRUPT_METADATA', file: aclFile, detail: 'acls[0].principal must be User:NAME or User:*' })
    await fs.writeFile(
      aclFile,
      JSON.stringify({
        version: 1,
        acls: [{ principal: 'User:a', operation: 'EAT', resourceType: 'TOPIC', resourceName: 'x', permission: 'ALLOW' }],
      }),
    )
    expect(await rejection(startServer({ aclFile }))).toMatchObject({
      code: 'CORRUPT_METADATA',
      detail: expect.stringMatching(/^acls\[0\]\.operation must be one of READ/),
    })
  })
})

import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { KafkaErrorCode as K } from '../../../src/server/index.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'
import { closeAll, connect, startServer, type ProtocolClient } from '../helpers.js'
import { TEST_LIMITS, writeUsers } from './helpers.js'

/**
 * ACLs on the transaction APIs: AddPartitionsToTxn needs WRITE on its topics, AddOffsetsToTxn and
 * TxnOffsetCommit READ on the group (and TxnOffsetCommit on the topics); a denied request changes
 * nothing in the transaction.
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

async function login(port: number, user: string, password: string): Promise<ProtocolClient> {
  const client = await connect(port)
  await client.request('SaslHandshake', 1, { mechanism: 'PLAIN' })
  expect((await client.request('SaslAuthenticate', 1, { authBytes: Buffer.from(`\0${user}\0${password}`) })).errorCode).toBe(K.NONE)
  return client
}

it('checks WRITE on the topics of AddPartitionsToTxn and READ on the group of AddOffsetsToTxn and TxnOffsetCommit', async () => {
  const dir = await makeTmpDir('seglog-acl-txn-')
  const usersFile = await writeUsers({ alice: 'a' }, dir)
  const aclFile = path.join(dir, 'acls.json')
  const acls = [
    { principal: 'User:alice', operation: 'WRITE', resourceType: 'TOPIC', resourceName: 'orders' },
    { principal: 'User:alice', operation: 'READ', resourceType: 'TOPIC', resourceName: 'orders' },
    { principal: 'User:alice', operation: 'READ', resourceType: 'GROUP', resourceName: 'allowed' },
  ].map((acl) => ({ permission: 'ALLOW', patternType: 'LITERAL', ...acl }))
  await fs.writeFile(aclFile, JSON.stringify({ version: 1, acls }))
  const { server, port } = await startServer({ usersFile, aclFile, failedAuthLimits: TEST_LIMITS })
  for (const topic of ['orders', 'secret']) await server.engine.createTopic(topic)
  const alice = await login(port, 'alice', 'a')
  // The transaction coordinator is found without DESCRIBE on a group named like the transactional id.
  expect(await alice.request('FindCoordinator', 3, { key: 'tx', keyType: 1 })).toMatchObject({ errorCode: K.NONE, port })
  const { producerId, producerEpoch } = await alice.request('InitProducerId', 1, { transactionalId: 'tx', transactionTimeoutMs: 10_000 })
  const add = (topic: string) =>
    alice.request('AddPartitionsToTxn', 1, {
      v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions: [0] }],
    })
  const codeOf = (response: Awaited<ReturnType<typeof add>>) =>
    response.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode
  expect(codeOf(await add('secret'))).toBe(K.TOPIC_AUTHORIZATION_FAILED)
  expect(codeOf(await add('orders'))).toBe(K.NONE)

  const addOffsets = (groupId: string) => alice.request('AddOffsetsToTxn', 1, { transactionalId: 'tx', producerId, producerEpoch, groupId })
  expect((await addOffsets('denied')).errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)
  expect((await addOffsets('allowed')).errorCode).toBe(K.NONE)
  const commitOffsets = (groupId: string, topic: string) =>
    alice.request('TxnOffsetCommit', 1, {
      transactionalId: 'tx',
      groupId,
      producerId,
      producerEpoch,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }],
    })
  expect((await commitOffsets('denied', 'orders')).topics[0]!.partitions[0]!.errorCode).toBe(K.GROUP_AUTHORIZATION_FAILED)
  expect((await commitOffsets('allowed', 'secret')).topics[0]!.partitions[0]!.errorCode).toBe(K.TOPIC_AUTHORIZATION_FAILED)
  expect((await commitOffsets('allowed', 'orders')).topics[0]!.partitions[0]!.errorCode).toBe(K.NONE)
  expect((await alice.request('EndTxn', 1, { transactionalId: 'tx', producerId, producerEpoch, committed: true })).errorCode).toBe(K.NONE)
  expect(server.engine.offsets.fetch('allowed', 'orders', 0)?.offset).toBe(0)
  expect(server.engine.offsets.fetch('denied', 'orders', 0)).toBeNull()
})

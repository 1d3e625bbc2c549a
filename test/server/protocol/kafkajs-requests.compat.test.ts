import { describe, expect, it } from 'vitest'
import { RecordBatch } from '../../../src/index.js'
import { decodeRequest, type ApiName } from '../../../src/server/protocol/index.js'
import { CLIENT_ID, CORRELATION_ID, kafkajsRequestFrame, kafkajsVersions } from './kafkajs-helpers.js'

/**
 * Requests encoded by KafkaJS (an implementation we did not write), every version it implements,
 * decoded by our codec: the header, then the fields KafkaJS was given.
 */

interface RequestCase {
  api: ApiName
  args: (version: number) => unknown
  expected: (version: number) => Record<string, unknown>
  /** Extra checks on the decoded body (record sets). */
  check?: (body: Record<string, unknown>, version: number) => void
}

const TIMESTAMP = 1_700_000_000_000
const authPayload = Buffer.from('\0user\0secret')
const lengthPrefixed = Buffer.concat([Buffer.from([0, 0, 0, authPayload.length]), authPayload])

const CASES: Record<string, RequestCase> = {
  apiVersions: { api: 'ApiVersions', args: () => ({}), expected: () => ({ clientSoftwareName: '', clientSoftwareVersion: '' }) },
  metadata: {
    api: 'Metadata',
    args: () => ({ topics: ['orders', 'billing'], allowAutoTopicCreation: false }),
    expected: (v) => ({ topics: [{ name: 'orders' }, { name: 'billing' }], allowAutoTopicCreation: v < 4 }),
  },
  produce: {
    api: 'Produce',
    args: (v) => ({
      acks: -1,
      timeout: 30_000,
      transactionalId: v >= 3 ? 'tx-1' : undefined,
      topicData: [
        { topic: 'orders', partitions: [{ partition: 2, messages: [{ key: 'k1', value: 'hello-produce', timestamp: TIMESTAMP }] }] },
      ],
    }),
    expected: (v) => ({
      transactionalId: v >= 3 ? 'tx-1' : null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 'orders', partitionData: [{ index: 2 }] }],
    }),
    check: (body, v) => {
      const records = (body as { topicData: { partitionData: { records: Buffer }[] }[] }).topicData[0]!.partitionData[0]!.records
      if (v < 3) {
        expect(records.includes(Buffer.from('hello-produce'))).toBe(true)
        return
      }
      const decoded = [...new RecordBatch(records).records()]
      expect(decoded.map((record) => [record.key?.toString(), record.value?.toString(), record.timestamp])).toEqual([
        ['k1', 'hello-produce', TIMESTAMP],
      ])
    },
  },
  fetch: {
    api: 'Fetch',
    args: () => ({
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 7,
      sessionEpoch: 3,
      forgottenTopics: [{ topic: 'old', partitions: [4, 5] }],
      rackId: 'rack-a',
      topics: [
        { topic: 'orders', partitions: [{ partition: 2, fetchOffset: '42', maxBytes: 65_536, currentLeaderEpoch: 9, logStartOffset: 11 }] },
      ],
    }),
    expected: (v) => ({
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: v >= 3 ? 1 << 20 : 0x7fff_ffff,
      isolationLevel: 0,
      sessionId: v >= 7 ? 7 : 0,
      sessionEpoch: v >= 7 ? 3 : -1,
      topics: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 2,
              fetchOffset: 42,
              partitionMaxBytes: 65_536,
              currentLeaderEpoch: v >= 9 ? 9 : -1,
              logStartOffset: v >= 5 ? 11 : -1,
            },
          ],
        },
      ],
      forgottenTopicsData: v >= 7 ? [{ topic: 'old', partitions: [4, 5] }] : [],
      rackId: v >= 11 ? 'rack-a' : '',
    }),
  },
  listOffsets: {
    api: 'ListOffsets',
    args: () => ({ replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 3, timestamp: -2 }] }] }),
    expected: (v) => ({
      replicaId: -1,
      isolationLevel: v >= 2 ? 1 : 0,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 3, timestamp: -2, maxNumOffsets: 1 }] }],
    }),
  },
  createTopics: {
    api: 'CreateTopics',
    args: () => ({
      timeout: 7000,
      validateOnly: true,
      topics: [
        {
          topic: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          replicaAssignment: [{ partition: 0, replicas: [1, 2] }],
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    }),
    expected: (v) => ({
      topics: [
        {
          name: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 7000,
      validateOnly: v >= 1,
    }),
  },
  deleteTopics: {
    api: 'DeleteTopics',
    args: () => ({ topics: ['a', 'b'], timeout: 4000 }),
    expected: () => ({ topicNames: ['a', 'b'], timeoutMs: 4000, topics: [] }),
  },
  createPartitions: {
    api: 'CreatePartitions',
    args: () => ({ topicPartitions: [{ topic: 'orders', count: 6, assignments: [[1], [2]] }], timeout: 3000, validateOnly: true }),
    expected: () => ({
      topics: [{ name: 'orders', count: 6, assignments: [{ brokerIds: [1] }, { brokerIds: [2] }] }],
      timeoutMs: 3000,
      validateOnly: true,
    }),
  },
  deleteRecords: {
    api: 'DeleteRecords',
    args: () => ({ topics: [{ topic: 'orders', partitions: [{ partition: 1, offset: '123' }] }], timeout: 2500 }),
    expected: () => ({ topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, offset: 123 }] }], timeoutMs: 2500 }),
  },
  describeConfigs: {
    api: 'DescribeConfigs',
    args: () => ({ resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: true }),
    expected: (v) => ({
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }],
      includeSynonyms: v >= 1,
    }),
  },
  alterConfigs: {
    api: 'AlterConfigs',
    args: () => ({
      resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1000' }] }],
      validateOnly: true,
    }),
    expected: () => ({
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '1000' }] }],
      validateOnly: true,
    }),
  },
  initProducerId: {
    api: 'InitProducerId',
    args: () => ({ transactionalId: 'tx-9', transactionTimeout: 60_000 }),
    expected: () => ({ transactionalId: 'tx-9', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }),
  },
  findCoordinator: {
    api: 'FindCoordinator',
    args: () => ({ groupId: 'billing', coordinatorType: 0 }),
    expected: () => ({ key: 'billing', keyType: 0, coordinatorKeys: [] }),
  },
  joinGroup: {
    api: 'JoinGroup',
    args: () => ({
      groupId: 'billing',
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      memberId: 'member-1',
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    }),
    expected: (v) => ({
      groupId: 'billing',
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: v >= 1 ? 60_000 : -1,
      memberId: 'member-1',
      groupInstanceId: v >= 5 ? 'instance-1' : null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    }),
  },
  heartbeat: {
    api: 'Heartbeat',
    args: () => ({ groupId: 'billing', groupGenerationId: 4, memberId: 'member-1', groupInstanceId: 'instance-1' }),
    expected: (v) => ({ groupId: 'billing', generationId: 4, memberId: 'member-1', groupInstanceId: v >= 3 ? 'instance-1' : null }),
  },
  leaveGroup: {
    api: 'LeaveGroup',
    args: () => ({ groupId: 'billing', memberId: 'member-1', groupInstanceId: 'instance-1' }),
    expected: (v) =>
      v >= 3
        ? { groupId: 'billing', memberId: '', members: [{ memberId: 'member-1', groupInstanceId: 'instance-1' }] }
        : { groupId: 'billing', memberId: 'member-1', members: [] },
  },
  syncGroup: {
    api: 'SyncGroup',
    args: () => ({
      groupId: 'billing',
      generationId: 4,
      memberId: 'member-1',
      groupInstanceId: 'instance-1',
      groupAssignment: [{ memberId: 'member-1', memberAssignment: Buffer.from([9, 8]) }],
    }),
    expected: (v) => ({
      groupId: 'billing',
      generationId: 4,
      memberId: 'member-1',
      groupInstanceId: v >= 3 ? 'instance-1' : null,
      assignments: [{ memberId: 'member-1', assignment: Buffer.from([9, 8]) }],
    }),
  },
  offsetCommit: {
    api: 'OffsetCommit',
    args: () => ({
      groupId: 'billing',
      groupGenerationId: 4,
      memberId: 'member-1',
      retentionTime: 86_400_000,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '99', timestamp: TIMESTAMP, metadata: 'm' }] }],
    }),
    expected: (v) => ({
      groupId: 'billing',
      generationIdOrMemberEpoch: v >= 1 ? 4 : -1,
      memberId: v >= 1 ? 'member-1' : '',
      retentionTimeMs: v >= 2 && v <= 4 ? 86_400_000 : -1,
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 0, committedOffset: 99, commitTimestamp: v === 1 ? TIMESTAMP : -1, committedMetadata: 'm' }],
        },
      ],
    }),
  },
  offsetFetch: {
    api: 'OffsetFetch',
    args: () => ({ groupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }] }),
    expected: () => ({ groupId: 'billing', topics: [{ name: 'orders', partitionIndexes: [0, 1] }], groups: [], requireStable: false }),
  },
  listGroups: { api: 'ListGroups', args: () => ({}), expected: () => ({ statesFilter: [], typesFilter: [] }) },
  describeGroups: {
    api: 'DescribeGroups',
    args: () => ({ groupIds: ['billing', 'audit'] }),
    expected: () => ({ groups: ['billing', 'audit'], includeAuthorizedOperations: false }),
  },
  deleteGroups: { api: 'DeleteGroups', args: () => ['billing', 'audit'], expected: () => ({ groupsNames: ['billing', 'audit'] }) },
  saslHandshake: { api: 'SaslHandshake', args: () => ({ mechanism: 'PLAIN' }), expected: () => ({ mechanism: 'PLAIN' }) },
  saslAuthenticate: { api: 'SaslAuthenticate', args: () => ({ authBytes: lengthPrefixed }), expected: () => ({ authBytes: authPayload }) },
}

describe('requests encoded by KafkaJS decode with our codec', () => {
  for (const [directory, testCase] of Object.entries(CASES)) {
    for (const version of kafkajsVersions(directory)) {
      it(`${testCase.api} v${version}`, async () => {
        const frame = await kafkajsRequestFrame(directory, version, testCase.args(version))
        expect(frame.readInt32BE(0)).toBe(frame.length - 4)
        const decoded = decodeRequest(frame.subarray(4))
        expect(decoded.apiName).toBe(testCase.api)
        expect(decoded.header).toEqual({
          requestApiKey: decoded.apiKey,
          requestApiVersion: version,
          correlationId: CORRELATION_ID,
          clientId: CLIENT_ID,
        })
        expect(decoded.body).toMatchObject(testCase.expected(version))
        testCase.check?.(decoded.body as Record<string, unknown>, version)
      })
    }
  }

  it('covers every API KafkaJS implements that the codec defines', () => {
    expect(Object.keys(CASES).length).toBe(24)
  })
})

import { describe, expect, it } from 'vitest'
import { encodeBatch } from '../../../src/index.js'
import { encodeResponse, type ApiName } from '../../../src/server/protocol/index.js'
import { kafkajsDecodeResponse, kafkajsVersions, throttleOf } from './kafkajs-helpers.js'

/**
 * Responses encoded by our codec, every version KafkaJS implements, decoded by KafkaJS's own
 * response decoders: the fields it reads must hold what we wrote. KafkaJS speaks no flexible
 * version, so every frame here has response header v0 (correlation id only).
 */

interface ResponseCase {
  api: ApiName
  /** First version with ThrottleTimeMs (-1: none). */
  throttleSince: number
  body: (version: number) => Record<string, unknown>
  expected: (version: number) => Record<string, unknown>
  check?: (decoded: Record<string, unknown>, version: number) => void
}

const THROTTLE_MS = 25
const BATCH = encodeBatch([{ key: Buffer.from('k1'), value: Buffer.from('fetched-value'), timestamp: 1_700_000_000_000 }], {
  baseOffset: 40,
})

const CASES: Record<string, ResponseCase> = {
  apiVersions: {
    api: 'ApiVersions',
    throttleSince: 1,
    body: () => ({
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 9 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ],
    }),
    expected: () => ({
      errorCode: 0,
      apiVersions: [
        { apiKey: 0, minVersion: 0, maxVersion: 9 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ],
    }),
  },
  metadata: {
    api: 'Metadata',
    throttleSince: 3,
    body: () => ({
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' }],
      clusterId: 'cluster-a',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        },
      ],
    }),
    expected: (v) => ({
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, ...(v >= 1 ? { rack: 'r1' } : {}) }],
      ...(v >= 2 ? { clusterId: 'cluster-a' } : {}),
      ...(v >= 1 ? { controllerId: 1 } : {}),
      topicMetadata: [
        {
          topicErrorCode: 0,
          topic: 'orders',
          partitionMetadata: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1] }],
        },
      ],
    }),
  },
  produce: {
    api: 'Produce',
    throttleSince: 1,
    body: () => ({
      responses: [
        {
          name: 'orders',
          partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 1234, logAppendTimeMs: 1_700_000_000_123, logStartOffset: 7 }],
        },
      ],
    }),
    expected: (v) => ({
      topics: [
        {
          topicName: 'orders',
          partitions: [
            v >= 3
              ? {
                  partition: 2,
                  errorCode: 0,
                  baseOffset: '1234',
                  logAppendTime: '1700000000123',
                  ...(v >= 5 ? { logStartOffset: '7' } : {}),
                }
              : { partition: 2, errorCode: 0, offset: '1234', ...(v >= 2 ? { timestamp: '1700000000123' } : {}) },
          ],
        },
      ],
    }),
  },
  fetch: {
    api: 'Fetch',
    throttleSince: 1,
    // SessionId is not ignorable: versions before 7 must leave it at its default.
    body: (v) => ({
      errorCode: 0,
      sessionId: v >= 7 ? 77 : 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 41,
              lastStableOffset: 41,
              logStartOffset: 3,
              abortedTransactions: [{ producerId: 5, firstOffset: 6 }],
              preferredReadReplica: -1,
              // KafkaJS reads message sets (magic 0/1) before v4: an empty set there, a v2 batch after.
              records: v >= 4 ? BATCH : Buffer.alloc(0),
            },
          ],
        },
      ],
    }),
    expected: (v) => ({
      ...(v >= 7 ? { errorCode: 0, sessionId: 77 } : {}),
      responses: [
        {
          topicName: 'orders',
          partitions: [
            {
              partition: 2,
              errorCode: 0,
              highWatermark: '41',
              ...(v >= 4 ? { lastStableOffset: '41', abortedTransactions: [{ producerId: '5', firstOffset: '6' }] } : {}),
              ...(v >= 5 ? { lastStartOffset: '3' } : {}),
              ...(v >= 11 ? { preferredReadReplica: -1 } : {}),
            },
          ],
        },
      ],
    }),
    check: (decoded, v) => {
      const messages = (decoded as { responses: { partitions: { messages: { offset: string; value: Buffer }[] }[] }[] }).responses[0]!
        .partitions[0]!.messages
      if (v < 4) expect(messages).toEqual([])
      else expect(messages.map((message) => [message.offset, message.value.toString()])).toEqual([['40', 'fetched-value']])
    },
  },
  listOffsets: {
    api: 'ListOffsets',
    throttleSince: 2,
    // v0 answers with a list of offsets; Timestamp and Offset replace it from v1, and none of them is ignorable.
    body: (v) => ({
      topics: [
        {
          name: 'orders',
          partitions: [
            v === 0
              ? { partitionIndex: 3, errorCode: 0, oldStyleOffsets: [55, 12] }
              : { partitionIndex: 3, errorCode: 0, timestamp: 1_700_000_000_000, offset: 55 },
          ],
        },
      ],
    }),
    expected: (v) => ({
      responses: [
        {
          topic: 'orders',
          partitions: [
            v === 0
              ? { partition: 3, errorCode: 0, offsets: ['55', '12'] }
              : { partition: 3, errorCode: 0, timestamp: '1700000000000', offset: '55' },
          ],
        },
      ],
    }),
  },
  createTopics: {
    api: 'CreateTopics',
    throttleSince: 2,
    body: () => ({ topics: [{ name: 'orders', errorCode: 36, errorMessage: 'exists' }] }),
    expected: (v) => ({ topicErrors: [{ topic: 'orders', errorCode: 36, ...(v >= 1 ? { errorMessage: 'exists' } : {}) }] }),
  },
  deleteTopics: {
    api: 'DeleteTopics',
    throttleSince: 1,
    body: () => ({ responses: [{ name: 'orders', errorCode: 3 }] }),
    expected: () => ({ topicErrors: [{ topic: 'orders', errorCode: 3 }] }),
  },
  createPartitions: {
    api: 'CreatePartitions',
    throttleSince: 0,
    body: () => ({ results: [{ name: 'orders', errorCode: 37, errorMessage: 'too few' }] }),
    expected: () => ({ topicErrors: [{ topic: 'orders', errorCode: 37, errorMessage: 'too few' }] }),
  },
  deleteRecords: {
    api: 'DeleteRecords',
    throttleSince: 0,
    body: () => ({ topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, lowWatermark: 123, errorCode: 0 }] }] }),
    expected: () => ({ topics: [{ topic: 'orders', partitions: [{ partition: 1, errorCode: 0 }] }] }),
    check: (decoded) => {
      const lowWatermark = (decoded as { topics: { partitions: { lowWatermark: { toString(): string } }[] }[] }).topics[0]!.partitions[0]!
        .lowWatermark
      expect(lowWatermark.toString()).toBe('123')
    },
  },
  describeConfigs: {
    api: 'DescribeConfigs',
    throttleSince: 0,
    body: () => ({
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 'orders',
          configs: [
            {
              name: 'retention.ms',
              value: '1000',
              readOnly: false,
              isDefault: false,
              configSource: 1,
              isSensitive: false,
              synonyms: [{ name: 'log.retention.ms', value: '1000', source: 5 }],
            },
          ],
        },
      ],
    }),
    expected: (v) => ({
      resources: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 'orders',
          configEntries: [
            {
              configName: 'retention.ms',
              configValue: '1000',
              readOnly: false,
              isSensitive: false,
              ...(v >= 1
                ? { configSource: 1, configSynonyms: [{ configName: 'log.retention.ms', configValue: '1000', configSource: 5 }] }
                : { isDefault: false }),
            },
          ],
        },
      ],
    }),
  },
  alterConfigs: {
    api: 'AlterConfigs',
    throttleSince: 0,
    body: () => ({ responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }] }),
    expected: () => ({ resources: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }] }),
  },
  initProducerId: {
    api: 'InitProducerId',
    throttleSince: 0,
    body: () => ({ errorCode: 0, producerId: 9_007_199_254_740_991, producerEpoch: 3 }),
    expected: () => ({ errorCode: 0, producerId: '9007199254740991', producerEpoch: 3 }),
  },
  findCoordinator: {
    api: 'FindCoordinator',
    throttleSince: 1,
    body: () => ({ errorCode: 0, errorMessage: null, nodeId: 1, host: 'localhost', port: 9092 }),
    expected: (v) => ({
      errorCode: 0,
      ...(v >= 1 ? { errorMessage: null } : {}),
      coordinator: { nodeId: 1, host: 'localhost', port: 9092 },
    }),
  },
  joinGroup: {
    api: 'JoinGroup',
    throttleSince: 2,
    body: () => ({
      errorCode: 0,
      generationId: 4,
      protocolName: 'RoundRobinAssigner',
      leader: 'member-1',
      memberId: 'member-2',
      members: [{ memberId: 'member-1', groupInstanceId: 'i-1', metadata: Buffer.from([1, 2]) }],
    }),
    expected: (v) => ({
      errorCode: 0,
      generationId: 4,
      groupProtocol: 'RoundRobinAssigner',
      leaderId: 'member-1',
      memberId: 'member-2',
      members: [{ memberId: 'member-1', memberMetadata: Buffer.from([1, 2]), ...(v >= 5 ? { groupInstanceId: 'i-1' } : {}) }],
    }),
  },
  heartbeat: { api: 'Heartbeat', throttleSince: 1, body: () => ({ errorCode: 27 }), expected: () => ({ errorCode: 27 }) },
  leaveGroup: {
    api: 'LeaveGroup',
    throttleSince: 1,
    body: (v) => ({ errorCode: 0, members: v >= 3 ? [{ memberId: 'member-1', groupInstanceId: null, errorCode: 0 }] : [] }),
    expected: (v) => ({ errorCode: 0, ...(v >= 3 ? { members: [{ memberId: 'member-1', groupInstanceId: null, errorCode: 0 }] } : {}) }),
  },
  syncGroup: {
    api: 'SyncGroup',
    throttleSince: 1,
    body: () => ({ errorCode: 0, assignment: Buffer.from([0, 1, 0, 0]) }),
    expected: () => ({ errorCode: 0, memberAssignment: Buffer.from([0, 1, 0, 0]) }),
  },
  offsetCommit: {
    api: 'OffsetCommit',
    throttleSince: 3,
    body: () => ({
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 1, errorCode: 22 },
          ],
        },
      ],
    }),
    expected: () => ({
      responses: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 22 },
          ],
        },
      ],
    }),
  },
  offsetFetch: {
    api: 'OffsetFetch',
    throttleSince: 3,
    body: () => ({
      errorCode: 0,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 99, metadata: 'm', errorCode: 0 }] }],
    }),
    expected: (v) => ({
      responses: [{ topic: 'orders', partitions: [{ partition: 0, offset: '99', metadata: 'm', errorCode: 0 }] }],
      ...(v >= 2 ? { errorCode: 0 } : {}),
    }),
  },
  listGroups: {
    api: 'ListGroups',
    throttleSince: 1,
    body: () => ({ errorCode: 0, groups: [{ groupId: 'billing', protocolType: 'consumer' }] }),
    expected: () => ({ errorCode: 0, groups: [{ groupId: 'billing', protocolType: 'consumer' }] }),
  },
  describeGroups: {
    api: 'DescribeGroups',
    throttleSince: 1,
    body: () => ({
      groups: [
        {
          errorCode: 0,
          groupId: 'billing',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [
            {
              memberId: 'member-1',
              clientId: 'c1',
              clientHost: '/127.0.0.1',
              memberMetadata: Buffer.from([1]),
              memberAssignment: Buffer.from([2]),
            },
          ],
        },
      ],
    }),
    expected: () => ({
      groups: [
        {
          errorCode: 0,
          groupId: 'billing',
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'RoundRobinAssigner',
          members: [
            {
              memberId: 'member-1',
              clientId: 'c1',
              clientHost: '/127.0.0.1',
              memberMetadata: Buffer.from([1]),
              memberAssignment: Buffer.from([2]),
            },
          ],
        },
      ],
    }),
  },
  deleteGroups: {
    api: 'DeleteGroups',
    throttleSince: 0,
    body: () => ({
      results: [
        { groupId: 'billing', errorCode: 0 },
        { groupId: 'audit', errorCode: 69 },
      ],
    }),
    expected: () => ({ results: [{ groupId: 'billing', errorCode: 0 }, expect.objectContaining({ groupId: 'audit', errorCode: 69 })] }),
  },
  saslHandshake: {
    api: 'SaslHandshake',
    throttleSince: -1,
    body: () => ({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] }),
    expected: () => ({ errorCode: 0, enabledMechanisms: ['PLAIN', 'SCRAM-SHA-256'] }),
  },
  saslAuthenticate: {
    api: 'SaslAuthenticate',
    throttleSince: -1,
    body: () => ({ errorCode: 0, errorMessage: null, authBytes: Buffer.from('ok'), sessionLifetimeMs: 3_600_000 }),
    // KafkaJS hands the auth bytes back with their int32 length in front.
    expected: (v) => ({
      errorCode: 0,
      errorMessage: null,
      authBytes: Buffer.from([0, 0, 0, 2, 0x6f, 0x6b]),
      ...(v >= 1 ? { sessionLifetimeMs: '3600000' } : {}),
    }),
  },
}

describe('responses encoded by our codec decode with KafkaJS', () => {
  for (const [directory, testCase] of Object.entries(CASES)) {
    for (const version of kafkajsVersions(directory)) {
      it(`${testCase.api} v${version}`, async () => {
        const body = { throttleTimeMs: THROTTLE_MS, ...testCase.body(version) }
        const frame = Buffer.concat(encodeResponse(testCase.api, version, 99, body as never))
        expect(frame.readInt32BE(0)).toBe(frame.length - 4)
        expect(frame.readInt32BE(4)).toBe(99)
        const decoded = await kafkajsDecodeResponse(directory, version, frame.subarray(8))
        expect(decoded).toMatchObject(testCase.expected(version))
        if (testCase.throttleSince >= 0 && version >= testCase.throttleSince) expect(throttleOf(decoded)).toBe(THROTTLE_MS)
        testCase.check?.(decoded, version)
      })
    }
  }

  it('covers every API KafkaJS implements that the codec defines', () => {
    expect(Object.keys(CASES).length).toBe(24)
  })
})

import type { ApiName } from '../../../src/server/protocol/index.js'

/**
 * Pinned response frames (size prefix included), one or more per API. Generated once from the
 * encoders named in `source`; see pinned-bytes.test.ts.
 */

const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex')

export interface PinnedResponse {
  api: ApiName
  version: number
  source: string
  body: Record<string, unknown>
  hex: string
}

export const PINNED_RESPONSES: PinnedResponse[] = [
  {
    api: 'Produce',
    version: 7,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      responses: [
        { name: 'orders', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 1234, logAppendTimeMs: -1, logStartOffset: 0 }] },
      ],
    },
    hex: ['00000036123456780000000100066f72646572730000000100000002000000000000000004d2ffffffffffffffff0000', '00000000000000000000'].join(
      '',
    ),
  },
  {
    api: 'Fetch',
    version: 11,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 41,
              lastStableOffset: 41,
              logStartOffset: 0,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: bytes(
                '000000000000002800000041ffffffff0270d2f30a0000000000000000018bcfe568000000018bcfe56800ffffffffffffffffffffffffffff000000011e000000046b310e6665746368656400',
              ),
            },
          ],
        },
      ],
    },
    hex: [
      '0000009512345678000000000000000000000000000100066f7264657273000000010000000200000000000000000029',
      '00000000000000290000000000000000ffffffffffffffff0000004d000000000000002800000041ffffffff0270d2f3',
      '0a0000000000000000018bcfe568000000018bcfe56800ffffffffffffffffffffffffffff000000011e000000046b31',
      '0e6665746368656400',
    ].join(''),
  },
  {
    api: 'ListOffsets',
    version: 3,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 3, errorCode: 0, timestamp: -1, offset: 55 }] }] },
    hex: ['0000002e12345678000000000000000100066f726465727300000001000000030000ffffffffffffffff000000000000', '0037'].join(''),
  },
  {
    api: 'Metadata',
    version: 6,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'seglog',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
        },
      ],
    },
    hex: [
      '0000005e1234567800000000000000010000000100096c6f63616c686f737400002384ffff00067365676c6f67000000',
      '0100000001000000066f7264657273000000000100000000000000000001000000010000000100000001000000010000',
      '0000',
    ].join(''),
  },
  {
    api: 'OffsetCommit',
    version: 5,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] },
    hex: '0000001e12345678000000000000000100066f726465727300000001000000000000',
  },
  {
    api: 'OffsetFetch',
    version: 4,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 99, metadata: '', errorCode: 0 }] }],
      errorCode: 0,
    },
    hex: '0000002a12345678000000000000000100066f726465727300000001000000000000000000000063000000000000',
  },
  {
    api: 'FindCoordinator',
    version: 2,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: 'localhost', port: 9092 },
    hex: '0000001f12345678000000000000ffff0000000100096c6f63616c686f737400002384',
  },
  {
    api: 'JoinGroup',
    version: 5,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 1,
      protocolName: 'RoundRobinAssigner',
      leader: 'member-1',
      memberId: 'member-1',
      members: [{ memberId: 'member-1', groupInstanceId: null, metadata: bytes('0001') }],
    },
    hex: [
      '0000004c12345678000000000000000000010012526f756e64526f62696e41737369676e657200086d656d6265722d31',
      '00086d656d6265722d310000000100086d656d6265722d31ffff000000020001',
    ].join(''),
  },
  {
    api: 'Heartbeat',
    version: 3,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0 },
    hex: '0000000a12345678000000000000',
  },
  {
    api: 'LeaveGroup',
    version: 3,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0, members: [{ memberId: 'member-1', groupInstanceId: null, errorCode: 0 }] },
    hex: '0000001c123456780000000000000000000100086d656d6265722d31ffff0000',
  },
  {
    api: 'SyncGroup',
    version: 3,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0, assignment: bytes('00010000') },
    hex: '00000012123456780000000000000000000400010000',
  },
  {
    api: 'DescribeGroups',
    version: 2,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: 0,
          groupId: 'billing',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [],
        },
      ],
    },
    hex: [
      '000000411234567800000000000000010000000762696c6c696e670006537461626c650008636f6e73756d6572001252',
      '6f756e64526f62696e41737369676e657200000000',
    ].join(''),
  },
  {
    api: 'ListGroups',
    version: 2,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0, groups: [{ groupId: 'billing', protocolType: 'consumer' }] },
    hex: '000000211234567800000000000000000001000762696c6c696e670008636f6e73756d6572',
  },
  {
    api: 'SaslHandshake',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { errorCode: 0, mechanisms: ['PLAIN'] },
    hex: '00000011123456780000000000010005504c41494e',
  },
  {
    api: 'ApiVersions',
    version: 2,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 },
    hex: '000000141234567800000000000100120000000400000000',
  },
  {
    api: 'CreateTopics',
    version: 3,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, topics: [{ name: 'orders', errorCode: 0, errorMessage: null }] },
    hex: '0000001812345678000000000000000100066f72646572730000ffff',
  },
  {
    api: 'DeleteTopics',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, responses: [{ name: 'orders', errorCode: 0 }] },
    hex: '0000001612345678000000000000000100066f72646572730000',
  },
  {
    api: 'DeleteRecords',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, lowWatermark: 123, errorCode: 0 }] }] },
    hex: '0000002612345678000000000000000100066f72646572730000000100000001000000000000007b0000',
  },
  {
    api: 'InitProducerId',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0, producerId: 1000, producerEpoch: 0 },
    hex: '000000141234567800000000000000000000000003e80000',
  },
  {
    api: 'DescribeConfigs',
    version: 2,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 'orders',
          configs: [{ name: 'retention.ms', value: '1000', readOnly: false, configSource: 1, isSensitive: false, synonyms: [] }],
        },
      ],
    },
    hex: [
      '000000381234567800000000000000010000ffff0200066f726465727300000001000c726574656e74696f6e2e6d7300',
      '043130303000010000000000',
    ].join(''),
  },
  {
    api: 'AlterConfigs',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }] },
    hex: '000000191234567800000000000000010000ffff0200066f7264657273',
  },
  {
    api: 'SaslAuthenticate',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { errorCode: 0, errorMessage: null, authBytes: bytes(''), sessionLifetimeMs: 0 },
    hex: '00000014123456780000ffff000000000000000000000000',
  },
  {
    api: 'CreatePartitions',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, results: [{ name: 'orders', errorCode: 0, errorMessage: null }] },
    hex: '0000001812345678000000000000000100066f72646572730000ffff',
  },
  {
    api: 'DeleteGroups',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, results: [{ groupId: 'billing', errorCode: 0 }] },
    hex: '00000017123456780000000000000001000762696c6c696e670000',
  },
  {
    api: 'IncrementalAlterConfigs',
    version: 1,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: { throttleTimeMs: 0, responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }] },
    hex: '000000171234567800000000000200000002076f72646572730000',
  },
  {
    api: 'DescribeCluster',
    version: 1,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: 'seglog',
      controllerId: 1,
      brokers: [{ brokerId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    },
    hex: ['0000003212345678000000000000000001077365676c6f670000000102000000010a6c6f63616c686f73740000238400', '008000000000'].join(''),
  },
  {
    api: 'OffsetDelete',
    version: 0,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: { errorCode: 0, throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] },
    hex: '00000020123456780000000000000000000100066f726465727300000001000000000000',
  },
  {
    api: 'ApiVersions',
    version: 3,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0, finalizedFeaturesEpoch: 7 },
    hex: '0000001d1234567800000200120000000400000000000101080000000000000007',
  },
  {
    api: 'Metadata',
    version: 12,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'seglog',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          topicId: 'ASNFZ4mrze8BI0VniavN7w',
          isInternal: false,
          partitions: [
            { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] },
          ],
          topicAuthorizedOperations: -2147483648,
        },
      ],
    },
    hex: [
      '0000006512345678000000000002000000010a6c6f63616c686f7374000023840000077365676c6f6700000001020000',
      '076f72646572730123456789abcdef0123456789abcdef00020000000000000000000100000000020000000102000000',
      '010100800000000000',
    ].join(''),
  },
  {
    api: 'Produce',
    version: 10,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: {
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            {
              index: 2,
              errorCode: 0,
              baseOffset: 1234,
              logAppendTimeMs: -1,
              logStartOffset: 0,
              currentLeader: { leaderId: 1, leaderEpoch: 3 },
            },
          ],
        },
      ],
      throttleTimeMs: 0,
    },
    hex: [
      '00000040123456780002076f72646572730200000002000000000000000004d2ffffffffffffffff0000000000000000',
      '0100010009000000010000000300000000000000',
    ].join(''),
  },
  {
    api: 'Fetch',
    version: 13,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topicId: 'ASNFZ4mrze8BI0VniavN7w',
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              highWatermark: 41,
              lastStableOffset: 41,
              logStartOffset: 0,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: bytes(
                '000000000000002800000041ffffffff0270d2f30a0000000000000000018bcfe568000000018bcfe56800ffffffffffffffffffffffffffff000000011e000000046b310e6665746368656400',
              ),
            },
          ],
        },
      ],
    },
    hex: [
      '00000095123456780000000000000000000000020123456789abcdef0123456789abcdef020000000200000000000000',
      '0000290000000000000029000000000000000000ffffffff4e000000000000002800000041ffffffff0270d2f30a0000',
      '000000000000018bcfe568000000018bcfe56800ffffffffffffffffffffffffffff000000011e000000046b310e6665',
      '746368656400000000',
    ].join(''),
  },
  {
    api: 'FindCoordinator',
    version: 4,
    source: '@platformatic/kafka 2.12.1 decodes it',
    body: {
      throttleTimeMs: 0,
      coordinators: [{ key: 'billing', nodeId: 1, host: 'localhost', port: 9092, errorCode: 0, errorMessage: null }],
    },
    hex: '00000029123456780000000000020862696c6c696e67000000010a6c6f63616c686f7374000023840000000000',
  },
  {
    api: 'OffsetForLeaderEpoch',
    version: 3,
    source: 'Kafka protocol guide (assembled by hand)',
    body: { throttleTimeMs: 0, topics: [{ topic: 'orders', partitions: [{ errorCode: 0, partition: 0, leaderEpoch: 1, endOffset: 2 }] }] },
    hex: [
      '0000002a12345678', // frame size 42, correlation id
      '00000000', // throttle time
      '00000001' + '00066f7264657273', // one topic, 'orders'
      '00000001' + '0000' + '00000000' + '00000001' + '0000000000000002', // error 0, partition 0, epoch 1, end offset 2
    ].join(''),
  },
  {
    api: 'AddPartitionsToTxn',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: [
        {
          name: 'orders',
          resultsByPartition: [
            { partitionIndex: 0, partitionErrorCode: 0 },
            { partitionIndex: 2, partitionErrorCode: 0 },
          ],
        },
      ],
    },
    hex: '0000002412345678000000000000000100066f726465727300000002000000000000000000020000',
  },
  {
    api: 'AddOffsetsToTxn',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0 },
    hex: '0000000a12345678000000000000',
  },
  {
    api: 'EndTxn',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, errorCode: 0 },
    hex: '0000000a12345678000000000000',
  },
  {
    api: 'TxnOffsetCommit',
    version: 1,
    source: 'KafkaJS 2.2.4 decodes it',
    body: { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] },
    hex: '0000001e12345678000000000000000100066f726465727300000001000000000000',
  },
]

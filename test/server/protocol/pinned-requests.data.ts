import type { ApiName } from '../../../src/server/protocol/index.js'

/**
 * Pinned request frames (size prefix included), one or more per API. Generated once from the
 * encoders named in `source`; see pinned-bytes.test.ts.
 */

const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex')

export interface PinnedRequest {
  api: ApiName
  version: number
  source: string
  header: { requestApiKey: number; requestApiVersion: number; correlationId: number; clientId: string | null }
  body: Record<string, unknown>
  hex: string
}

export const PINNED_REQUESTS: PinnedRequest[] = [
  {
    api: 'Produce',
    version: 7,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 0, requestApiVersion: 7, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [
        {
          name: 'orders',
          partitionData: [
            {
              index: 2,
              records: bytes(
                '00000000000000000000003f0000000002c06eb75d0000000000000000018bcfe568000000018bcfe56800ffffffffffffffff000000000000000000011a000000046b310a68656c6c6f00',
              ),
            },
          ],
        },
      ],
    },
    hex: [
      '000000820000000712345678000d70696e6e65642d636c69656e74ffffffff000075300000000100066f726465727300',
      '000001000000020000004b00000000000000000000003f0000000002c06eb75d0000000000000000018bcfe568000000',
      '018bcfe56800ffffffffffffffff000000000000000000011a000000046b310a68656c6c6f00',
    ].join(''),
  },
  {
    api: 'Fetch',
    version: 11,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 1, requestApiVersion: 11, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'orders',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
          partitions: [
            {
              partition: 2,
              currentLeaderEpoch: 9,
              fetchOffset: 42,
              lastFetchedEpoch: -1,
              logStartOffset: -1,
              partitionMaxBytes: 65536,
              replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: 'rack-a',
    },
    hex: [
      '000000680001000b12345678000d70696e6e65642d636c69656e74ffffffff000001f400000001001000000100000000',
      'ffffffff0000000100066f7264657273000000010000000200000009000000000000002affffffffffffffff00010000',
      '0000000000067261636b2d61',
    ].join(''),
  },
  {
    api: 'ListOffsets',
    version: 3,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 2, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 3, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }],
      timeoutMs: 0,
    },
    hex: [
      '000000380002000312345678000d70696e6e65642d636c69656e74ffffffff010000000100066f726465727300000001',
      '00000003fffffffffffffffe',
    ].join(''),
  },
  {
    api: 'Metadata',
    version: 6,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 3, requestApiVersion: 6, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    },
    hex: '000000240003000612345678000d70696e6e65642d636c69656e740000000100066f726465727300',
  },
  {
    api: 'OffsetCommit',
    version: 5,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 8, requestApiVersion: 5, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      groupId: 'billing',
      generationIdOrMemberEpoch: 4,
      memberId: 'member-1',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 0, committedOffset: 99, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }],
        },
      ],
    },
    hex: [
      '0000004c0008000512345678000d70696e6e65642d636c69656e74000762696c6c696e670000000400086d656d626572',
      '2d310000000100066f726465727300000001000000000000000000000063ffff',
    ].join(''),
  },
  {
    api: 'OffsetFetch',
    version: 4,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 9, requestApiVersion: 4, correlationId: 305419896, clientId: 'pinned-client' },
    body: { groupId: 'billing', topics: [{ name: 'orders', partitionIndexes: [0] }], groups: [], requireStable: false },
    hex: ['000000340009000412345678000d70696e6e65642d636c69656e74000762696c6c696e670000000100066f7264657273', '0000000100000000'].join(''),
  },
  {
    api: 'FindCoordinator',
    version: 2,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 10, requestApiVersion: 2, correlationId: 305419896, clientId: 'pinned-client' },
    body: { key: 'billing', keyType: 0, coordinatorKeys: [] },
    hex: '00000021000a000212345678000d70696e6e65642d636c69656e74000762696c6c696e6700',
  },
  {
    api: 'JoinGroup',
    version: 5,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 11, requestApiVersion: 5, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      groupId: 'billing',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: bytes('0001') }],
      reason: null,
    },
    hex: [
      '00000054000b000512345678000d70696e6e65642d636c69656e74000762696c6c696e67000075300000ea600000ffff',
      '0008636f6e73756d6572000000010012526f756e64526f62696e41737369676e6572000000020001',
    ].join(''),
  },
  {
    api: 'Heartbeat',
    version: 3,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 12, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: { groupId: 'billing', generationId: 4, memberId: 'member-1', groupInstanceId: null },
    hex: ['00000030000c000312345678000d70696e6e65642d636c69656e74000762696c6c696e670000000400086d656d626572', '2d31ffff'].join(''),
  },
  {
    api: 'LeaveGroup',
    version: 3,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 13, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: { groupId: 'billing', memberId: '', members: [{ memberId: 'member-1', groupInstanceId: null, reason: null }] },
    hex: ['00000030000d000312345678000d70696e6e65642d636c69656e74000762696c6c696e670000000100086d656d626572', '2d31ffff'].join(''),
  },
  {
    api: 'SyncGroup',
    version: 3,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 14, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      groupId: 'billing',
      generationId: 4,
      memberId: 'member-1',
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: 'member-1', assignment: bytes('00010000') }],
    },
    hex: [
      '00000046000e000312345678000d70696e6e65642d636c69656e74000762696c6c696e670000000400086d656d626572',
      '2d31ffff0000000100086d656d6265722d310000000400010000',
    ].join(''),
  },
  {
    api: 'DescribeGroups',
    version: 2,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 15, requestApiVersion: 2, correlationId: 305419896, clientId: 'pinned-client' },
    body: { groups: ['billing'], includeAuthorizedOperations: false },
    hex: '00000024000f000212345678000d70696e6e65642d636c69656e7400000001000762696c6c696e67',
  },
  {
    api: 'ListGroups',
    version: 2,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 16, requestApiVersion: 2, correlationId: 305419896, clientId: 'pinned-client' },
    body: { statesFilter: [], typesFilter: [] },
    hex: '000000170010000212345678000d70696e6e65642d636c69656e74',
  },
  {
    api: 'SaslHandshake',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 17, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { mechanism: 'PLAIN' },
    hex: '0000001e0011000112345678000d70696e6e65642d636c69656e740005504c41494e',
  },
  {
    api: 'ApiVersions',
    version: 2,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 18, requestApiVersion: 2, correlationId: 305419896, clientId: 'pinned-client' },
    body: { clientSoftwareName: '', clientSoftwareVersion: '' },
    hex: '000000170012000212345678000d70696e6e65642d636c69656e74',
  },
  {
    api: 'CreateTopics',
    version: 3,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 19, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      topics: [
        {
          name: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    },
    hex: [
      '0000004f0013000312345678000d70696e6e65642d636c69656e740000000100066f7264657273000000030001000000',
      '0000000001000e636c65616e75702e706f6c6963790007636f6d706163740000138800',
    ].join(''),
  },
  {
    api: 'DeleteTopics',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 20, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { topics: [], topicNames: ['orders'], timeoutMs: 5000 },
    hex: '000000270014000112345678000d70696e6e65642d636c69656e740000000100066f726465727300001388',
  },
  {
    api: 'DeleteRecords',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 21, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, offset: 123 }] }], timeoutMs: 5000 },
    hex: [
      '000000370015000112345678000d70696e6e65642d636c69656e740000000100066f7264657273000000010000000100',
      '0000000000007b00001388',
    ].join(''),
  },
  {
    api: 'InitProducerId',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 22, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 },
    hex: '0000001d0016000112345678000d70696e6e65642d636c69656e74ffff0000ea60',
  },
  {
    api: 'DescribeConfigs',
    version: 2,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 32, requestApiVersion: 2, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    },
    hex: [
      '000000370020000212345678000d70696e6e65642d636c69656e74000000010200066f726465727300000001000c7265',
      '74656e74696f6e2e6d7300',
    ].join(''),
  },
  {
    api: 'AlterConfigs',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 33, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', value: '1000' }] }],
      validateOnly: false,
    },
    hex: [
      '0000003d0021000112345678000d70696e6e65642d636c69656e74000000010200066f726465727300000001000c7265',
      '74656e74696f6e2e6d7300043130303000',
    ].join(''),
  },
  {
    api: 'SaslAuthenticate',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 36, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { authBytes: bytes('007573657200736563726574') },
    hex: '000000270024000112345678000d70696e6e65642d636c69656e740000000c007573657200736563726574',
  },
  {
    api: 'CreatePartitions',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 37, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { topics: [{ name: 'orders', count: 6, assignments: null }], timeoutMs: 5000, validateOnly: false },
    hex: ['000000300025000112345678000d70696e6e65642d636c69656e740000000100066f726465727300000006ffffffff00', '00138800'].join(''),
  },
  {
    api: 'DeleteGroups',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 42, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { groupsNames: ['billing'] },
    hex: '00000024002a000112345678000d70696e6e65642d636c69656e7400000001000762696c6c696e67',
  },
  {
    api: 'IncrementalAlterConfigs',
    version: 1,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 44, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }],
      validateOnly: false,
    },
    hex: [
      '00000039002c000112345678000d70696e6e65642d636c69656e74000202076f7264657273020d726574656e74696f6e',
      '2e6d7300053130303000000000',
    ].join(''),
  },
  {
    api: 'DescribeCluster',
    version: 1,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 60, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { includeClusterAuthorizedOperations: true, endpointType: 1 },
    hex: '0000001b003c000112345678000d70696e6e65642d636c69656e7400010100',
  },
  {
    api: 'OffsetDelete',
    version: 0,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 47, requestApiVersion: 0, correlationId: 305419896, clientId: 'pinned-client' },
    body: { groupId: 'billing', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] },
    hex: ['00000034002f000012345678000d70696e6e65642d636c69656e74000762696c6c696e670000000100066f7264657273', '0000000100000000'].join(''),
  },
  {
    api: 'ApiVersions',
    version: 3,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 18, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: { clientSoftwareName: 'seglog-test', clientSoftwareVersion: '1.0.0' },
    hex: '0000002b0012000312345678000d70696e6e65642d636c69656e74000c7365676c6f672d7465737406312e302e3000',
  },
  {
    api: 'Metadata',
    version: 12,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 3, requestApiVersion: 12, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: true,
    },
    hex: ['000000340003000c12345678000d70696e6e65642d636c69656e74000200000000000000000000000000000000076f72', '6465727300000100'].join(''),
  },
  {
    api: 'Produce',
    version: 9,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 0, requestApiVersion: 9, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [
        {
          name: 'orders',
          partitionData: [
            {
              index: 2,
              records: bytes(
                '00000000000000000000003f00000000029da7534b0000000000000000018bcfe568000000018bcfe56800ffffffffffffffffffff00000000000000011a000000046b310a68656c6c6f00',
              ),
            },
          ],
        },
      ],
    },
    hex: [
      '0000007b0000000912345678000d70696e6e65642d636c69656e740000ffff0000753002076f72646572730200000002',
      '4c00000000000000000000003f00000000029da7534b0000000000000000018bcfe568000000018bcfe56800ffffffff',
      'ffffffffffff00000000000000011a000000046b310a68656c6c6f00000000',
    ].join(''),
  },
  {
    api: 'Fetch',
    version: 13,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 1, requestApiVersion: 13, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: '',
          topicId: 'ASNFZ4mrze8BI0VniavN7w',
          partitions: [
            {
              partition: 2,
              currentLeaderEpoch: 9,
              fetchOffset: 42,
              lastFetchedEpoch: -1,
              logStartOffset: -1,
              partitionMaxBytes: 65536,
              replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: 'rack-a',
    },
    hex: [
      '0000006e0001000d12345678000d70696e6e65642d636c69656e7400ffffffff000001f4000000010010000001000000',
      '00ffffffff020123456789abcdef0123456789abcdef020000000200000009000000000000002affffffffffffffffff',
      'ffffff00010000000001077261636b2d6100',
    ].join(''),
  },
  {
    api: 'FindCoordinator',
    version: 4,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 10, requestApiVersion: 4, correlationId: 305419896, clientId: 'pinned-client' },
    body: { key: '', keyType: 0, coordinatorKeys: ['billing'] },
    hex: '00000023000a000412345678000d70696e6e65642d636c69656e740000020862696c6c696e6700',
  },
  {
    api: 'OffsetCommit',
    version: 8,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 8, requestApiVersion: 8, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      groupId: 'billing',
      generationIdOrMemberEpoch: 4,
      memberId: 'member-1',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 0, committedOffset: 99, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }],
        },
      ],
    },
    hex: [
      '0000004b0008000812345678000d70696e6e65642d636c69656e74000862696c6c696e6700000004096d656d6265722d',
      '310002076f726465727302000000000000000000000063ffffffff00000000',
    ].join(''),
  },
  {
    api: 'OffsetFetch',
    version: 8,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 9, requestApiVersion: 8, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      groupId: '',
      topics: [],
      groups: [{ groupId: 'billing', memberId: null, memberEpoch: -1, topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }],
      requireStable: false,
    },
    hex: ['000000360009000812345678000d70696e6e65642d636c69656e7400020862696c6c696e6702076f7264657273030000', '00000000000100000000'].join(
      '',
    ),
  },
  {
    api: 'CreateTopics',
    version: 5,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 19, requestApiVersion: 5, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      topics: [
        {
          name: 'orders',
          numPartitions: 3,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    },
    hex: [
      '000000470013000512345678000d70696e6e65642d636c69656e740002076f726465727300000003000101020f636c65',
      '616e75702e706f6c69637908636f6d706163740000000013880000',
    ].join(''),
  },
  {
    api: 'ListOffsets',
    version: 6,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 2, requestApiVersion: 6, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 3, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 }] }],
      timeoutMs: 0,
    },
    hex: [
      '000000390002000612345678000d70696e6e65642d636c69656e7400ffffffff0102076f72646572730200000003ffff',
      'fffffffffffffffffffe000000',
    ].join(''),
  },
  {
    api: 'JoinGroup',
    version: 6,
    source: '@platformatic/kafka 2.12.1',
    header: { requestApiKey: 11, requestApiVersion: 6, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      groupId: 'billing',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: bytes('0001') }],
      reason: null,
    },
    hex: [
      '0000004c000b000612345678000d70696e6e65642d636c69656e74000862696c6c696e67000075300000ea6001000963',
      '6f6e73756d65720213526f756e64526f62696e41737369676e65720300010000',
    ].join(''),
  },
  {
    api: 'OffsetForLeaderEpoch',
    version: 3,
    // No installed client encodes this API: assembled field by field from Kafka's protocol guide.
    source: 'Kafka protocol guide (assembled by hand)',
    header: { requestApiKey: 23, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: { replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 2, leaderEpoch: 1 }] }] },
    hex: [
      '00000037', // frame size 55
      '0017000312345678000d70696e6e65642d636c69656e74', // key 23, v3, correlation id, client id
      'ffffffff', // replica id -1 (a consumer)
      '00000001' + '00066f7264657273', // one topic, 'orders'
      '00000001' + '00000000' + '00000002' + '00000001', // one partition: 0, current epoch 2, epoch 1
    ].join(''),
  },
  {
    api: 'AddPartitionsToTxn',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 24, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      transactions: [],
      v3AndBelowTransactionalId: 'tx-1',
      v3AndBelowProducerId: 1000,
      v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: [{ name: 'orders', partitions: [0, 2] }],
    },
    hex: '0000003f0018000112345678000d70696e6e65642d636c69656e74000474782d3100000000000003e800020000000100066f7264657273000000020000000000000002',
  },
  {
    api: 'AddOffsetsToTxn',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 25, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { transactionalId: 'tx-1', producerId: 1000, producerEpoch: 2, groupId: 'billing' },
    hex: '000000300019000112345678000d70696e6e65642d636c69656e74000474782d3100000000000003e80002000762696c6c696e67',
  },
  {
    api: 'EndTxn',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 26, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: { transactionalId: 'tx-1', producerId: 1000, producerEpoch: 2, committed: true },
    hex: '00000028001a000112345678000d70696e6e65642d636c69656e74000474782d3100000000000003e8000201',
  },
  {
    api: 'EndTxn',
    version: 3,
    source: 'Kafka protocol guide (assembled by hand)',
    header: { requestApiKey: 26, requestApiVersion: 3, correlationId: 305419896, clientId: 'pinned-client' },
    body: { transactionalId: 'tx-1', producerId: 1000, producerEpoch: 2, committed: false },
    hex: [
      '00000029001a000312345678', // frame size 41, api 26, version 3, correlation id
      '000d70696e6e65642d636c69656e74' + '00', // client id (int16 length even in header v2), no tagged fields
      '0574782d31', // compact string 'tx-1' (length + 1)
      '00000000000003e8' + '0002' + '00' + '00', // producer id 1000, epoch 2, committed false, no tagged fields
    ].join(''),
  },
  {
    api: 'TxnOffsetCommit',
    version: 1,
    source: 'KafkaJS 2.2.4',
    header: { requestApiKey: 28, requestApiVersion: 1, correlationId: 305419896, clientId: 'pinned-client' },
    body: {
      transactionalId: 'tx-1',
      groupId: 'billing',
      producerId: 1000,
      producerEpoch: 2,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: null }] },
      ],
    },
    hex: '0000004e001c000112345678000d70696e6e65642d636c69656e74000474782d31000762696c6c696e6700000000000003e800020000000100066f72646572730000000100000000000000000000002affff',
  },
]

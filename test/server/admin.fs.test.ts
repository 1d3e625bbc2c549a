import { afterEach, describe, expect, it } from 'vitest'
import { KafkaErrorCode } from '../../src/server/index.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, startServerOnDir, stopServer } from './helpers.js'

/** Metadata, DescribeCluster and topic administration through the protocol, at every version served. */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

describe('Metadata', () => {
  it('lists one broker, every topic and their partitions, at every version served', async () => {
    const { port, server } = await startServer({ nodeId: 7 })
    await server.engine.createTopic('orders', { partitions: 3 })
    const client = await connect(port)
    for (let version = 0; version <= 9; version++) {
      const response = await client.request('Metadata', version, { topics: version === 0 ? [] : null })
      expect(response.brokers).toEqual([{ nodeId: 7, host: '127.0.0.1', port, rack: null }])
      const orders = response.topics.find((topic) => topic.name === 'orders')!
      expect(
        orders.partitions.map((partition) => [partition.partitionIndex, partition.leaderId, partition.replicaNodes, partition.isrNodes]),
      ).toEqual([0, 1, 2].map((index) => [index, 7, [7], [7]]))
      if (version >= 1) {
        expect(response.controllerId).toBe(7)
        expect(response.topics.find((topic) => topic.name === '__consumer_offsets')!.isInternal).toBe(true)
      }
      if (version >= 2) expect(response.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    }
  })

  it('creates a topic it is asked about, as Kafka does by default, unless the broker or the request says not to', async () => {
    const { port, server } = await startServer({ defaultPartitions: 4 })
    const client = await connect(port)
    const created = await client.request('Metadata', 9, { topics: [{ name: 'fresh' }], allowAutoTopicCreation: true })
    expect(created.topics[0]).toMatchObject({ errorCode: KafkaErrorCode.NONE, name: 'fresh' })
    expect(created.topics[0]!.partitions).toHaveLength(4)
    expect(server.engine.partitions('fresh')).toHaveLength(4)
    const refused = await client.request('Metadata', 9, { topics: [{ name: 'other' }], allowAutoTopicCreation: false })
    expect(refused.topics[0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const invalid = await client.request('Metadata', 4, { topics: [{ name: 'no/slash' }], allowAutoTopicCreation: true })
    expect(invalid.topics[0]!.errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION)
    expect(server.engine.hasTopic('other')).toBe(false)

    const strict = await startServer({ autoCreateTopics: false })
    const strictClient = await connect(strict.port)
    const response = await strictClient.request('Metadata', 1, { topics: [{ name: 'fresh' }] })
    expect(response.topics[0]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('tells clients the advertised address', async () => {
    const { port } = await startServer({ advertisedHost: 'kafka.example', advertisedPort: 19092 })
    const client = await connect(port)
    expect((await client.request('Metadata', 1, { topics: [] })).brokers[0]).toMatchObject({ host: 'kafka.example', port: 19092 })
    expect((await client.request('DescribeCluster', 1, { endpointType: 1 })).brokers[0]).toMatchObject({
      host: 'kafka.example',
      port: 19092,
    })
  })
})

describe('DescribeCluster', () => {
  it('describes the one broker, and refuses controller endpoints', async () => {
    const { port } = await startServer({ clusterId: 'seglog-test-cluster' })
    const client = await connect(port)
    for (const version of [0, 1]) {
      const response = await client.request('DescribeCluster', version, { includeClusterAuthorizedOperations: false })
      expect(response).toMatchObject({ errorCode: 0, clusterId: 'seglog-test-cluster', controllerId: 0 })
      expect(response.brokers).toEqual([{ brokerId: 0, host: '127.0.0.1', port, rack: null }])
    }
    expect((await client.request('DescribeCluster', 1, { endpointType: 2 })).errorCode).toBe(KafkaErrorCode.MISMATCHED_ENDPOINT_TYPE)
  })
})

describe('FindCoordinator', () => {
  it('names this broker for every group, and refuses transactions', async () => {
    const { port } = await startServer({ nodeId: 3 })
    const client = await connect(port)
    for (let version = 0; version <= 3; version++) {
      const response = await client.request('FindCoordinator', version, { key: 'billing', keyType: 0 })
      expect(response).toMatchObject({ errorCode: 0, nodeId: 3, host: '127.0.0.1', port })
    }
    const batched = await client.request('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['a', 'b'] })
    expect(batched.coordinators.map((coordinator) => [coordinator.key, coordinator.nodeId, coordinator.errorCode])).toEqual([
      ['a', 3, 0],
      ['b', 3, 0],
    ])
    const transaction = await client.request('FindCoordinator', 3, { key: 'tx', keyType: 1 })
    expect(transaction).toMatchObject({ errorCode: 0, nodeId: 3, host: '127.0.0.1', port })
    const unknownKeyType = await client.request('FindCoordinator', 3, { key: 'x', keyType: 2 })
    expect(unknownKeyType.errorCode).toBe(KafkaErrorCode.INVALID_REQUEST)
  })
})

describe('CreateTopics, DeleteTopics, CreatePartitions', () => {
  it('create topics with Kafka configs, at every version served, and refuse what one broker cannot do', async () => {
    const { port, server } = await startServer({ defaultPartitions: 2 })
    const client = await connect(port)
    for (let version = 0; version <= 6; version++) {
      const response = await client.request('CreateTopics', version, {
        topics: [
          {
            name: `t${version}`,
            numPartitions: version >= 4 ? -1 : 2,
            replicationFactor: version >= 4 ? -1 : 1,
            configs: [
              { name: 'retention.ms', value: '60000' },
              { name: 'message.timestamp.type', value: 'LogAppendTime' },
            ],
          },
        ],
        timeoutMs: 1000,
      })
      expect(response.topics[0]).toMatchObject({ name: `t${version}`, errorCode: KafkaErrorCode.NONE })
      if (version >= 5) {
        expect(response.topics[0]).toMatchObject({ numPartitions: 2, replicationFactor: 1 })
        expect(response.topics[0]!.configs!.find((config) => config.name === 'retention.ms')).toMatchObject({
          value: '60000',
          configSource: 1,
        })
      }
      expect(server.engine.topicConfig(`t${version}`)).toMatchObject({ partitions: 2, retentionMs: 60000, timestampType: 'LogAppendTime' })
    }
    const response = await client.request('CreateTopics', 4, {
      topics: [
        { name: 't0', numPartitions: 1, replicationFactor: 1 },
        { name: 'rf3', numPartitions: 1, replicationFactor: 3 },
        { name: 'p0', numPartitions: 0, replicationFactor: 1 },
        { name: 'bad name', numPartitions: 1, replicationFactor: 1 },
        { name: 'compact', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'shred' }] },
        { name: 'tiny', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '5' }] },
        { name: 'elsewhere', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] },
        {
          name: 'assigned',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 0, brokerIds: [0] },
            { partitionIndex: 1, brokerIds: [0] },
          ],
        },
        { name: 'twice', numPartitions: 1, replicationFactor: 1 },
        { name: 'twice', numPartitions: 1, replicationFactor: 1 },
        { name: '__consumer_offsets', numPartitions: 1, replicationFactor: 1 },
      ],
      timeoutMs: 1000,
    })
    expect(response.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([
      ['t0', KafkaErrorCode.TOPIC_ALREADY_EXISTS],
      ['rf3', KafkaErrorCode.INVALID_REPLICATION_FACTOR],
      ['p0', KafkaErrorCode.INVALID_PARTITIONS],
      ['bad name', KafkaErrorCode.INVALID_TOPIC_EXCEPTION],
      ['compact', KafkaErrorCode.INVALID_CONFIG],
      ['tiny', KafkaErrorCode.INVALID_CONFIG],
      ['elsewhere', KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT],
      ['assigned', KafkaErrorCode.NONE],
      ['twice', KafkaErrorCode.INVALID_REQUEST],
      ['twice', KafkaErrorCode.INVALID_REQUEST],
      ['__consumer_offsets', KafkaErrorCode.TOPIC_ALREADY_EXISTS],
    ])
    expect(server.engine.partitions('assigned')).toHaveLength(2)
    for (const name of ['rf3', 'p0', 'compact', 'tiny', 'elsewhere', 'twice']) expect(server.engine.hasTopic(name)).toBe(false)
    const validated = await client.request('CreateTopics', 6, {
      topics: [
        { name: 'dry', numPartitions: 3, replicationFactor: 1 },
        { name: 'dry-bad', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '5' }] },
      ],
      timeoutMs: 1000,
      validateOnly: true,
    })
    expect(validated.topics.map((topic) => topic.errorCode)).toEqual([KafkaErrorCode.NONE, KafkaErrorCode.INVALID_CONFIG])
    expect(validated.topics[0]!.numPartitions).toBe(3)
    expect(server.engine.hasTopic('dry')).toBe(false)
  })

  it('delete topics, and refuse unknown and internal ones', async () => {
    const { port, server } = await startServer()
    const client = await connect(port)
    for (let version = 0; version <= 5; version++) {
      await server.engine.createTopic(`gone${version}`)
      const response = await client.request('DeleteTopics', version, {
        topicNames: [`gone${version}`, 'never', '__consumer_offsets'],
        timeoutMs: 1000,
      })
      expect(response.responses.map((result) => result.errorCode)).toEqual([
        KafkaErrorCode.NONE,
        KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        KafkaErrorCode.INVALID_TOPIC_EXCEPTION,
      ])
      expect(server.engine.hasTopic(`gone${version}`)).toBe(false)
    }
  })

  it('add partitions, and refuse a count that does not grow or an assignment elsewhere', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('grow', { partitions: 1 })
    const client = await connect(port)
    for (let version = 0; version <= 3; version++) {
      const response = await client.request('CreatePartitions', version, {
        topics: [{ name: 'grow', count: version + 2, assignments: null }],
        timeoutMs: 1000,
        validateOnly: false,
      })
      expect(response.results[0]).toMatchObject({ name: 'grow', errorCode: KafkaErrorCode.NONE })
      expect(server.engine.partitions('grow')).toHaveLength(version + 2)
    }
    const response = await client.request('CreatePartitions', 3, {
      topics: [
        { name: 'grow', count: 5, assignments: null },
        { name: 'nope', count: 5, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    })
    expect(response.results.map((result) => result.errorCode)).toEqual([
      KafkaErrorCode.INVALID_PARTITIONS,
      KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ])
    const elsewhere = await client.request('CreatePartitions', 1, {
      topics: [{ name: 'grow', count: 6, assignments: [{ brokerIds: [2] }] }],
      timeoutMs: 1000,
      validateOnly: false,
    })
    expect(elsewhere.results[0]!.errorCode).toBe(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT)
    const dry = await client.request('CreatePartitions', 1, {
      topics: [{ name: 'grow', count: 9, assignments: [{ brokerIds: [0] }, { brokerIds: [0] }, { brokerIds: [0] }, { brokerIds: [0] }] }],
      timeoutMs: 1000,
      validateOnly: true,
    })
    expect(dry.results[0]!.errorCode).toBe(KafkaErrorCode.NONE)
    expect(server.engine.partitions('grow')).toHaveLength(5)
  })
})

describe('DeleteRecords', () => {
  it('moves the log start, answers the low watermark, and refuses offsets past the high watermark', async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { partitions: 2 })
    for (let slot = 0; slot < 5; slot++) await server.engine.partition('t', 0).appendRecords([{ value: Buffer.from(String(slot)) }])
    await server.engine.partition('t', 1).appendRecords([{ value: Buffer.from('x') }])
    const client = await connect(port)
    for (let version = 0; version <= 2; version++) {
      const response = await client.request('DeleteRecords', version, {
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: version + 1 }] }],
        timeoutMs: 1000,
      })
      expect(response.topics[0]!.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: version + 1, errorCode: KafkaErrorCode.NONE })
    }
    const response = await client.request('DeleteRecords', 2, {
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, offset: 9 },
            { partitionIndex: 1, offset: -1 },
            { partitionIndex: 4, offset: 0 },
          ],
        },
        { name: 'nope', partitions: [{ partitionIndex: 0, offset: 0 }] },
      ],
      timeoutMs: 1000,
    })
    expect(response.topics.flatMap((topic) => topic.partitions.map((partition) => [partition.errorCode, partition.lowWatermark]))).toEqual([
      [KafkaErrorCode.OFFSET_OUT_OF_RANGE, -1],
      [KafkaErrorCode.NONE, 1],
      [KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1],
      [KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1],
    ])
    expect(server.engine.partition('t', 0).logStartOffset).toBe(3)
  })
})

describe('DescribeConfigs, AlterConfigs, IncrementalAlterConfigs', () => {
  it("describe a topic's configs with their sources, and the broker's", async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { retentionMs: 1234 })
    const client = await connect(port)
    for (let version = 0; version <= 4; version++) {
      const response = await client.request('DescribeConfigs', version, {
        resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }],
        includeSynonyms: version >= 1,
        includeDocumentation: version >= 3,
      })
      const configs = new Map(response.results[0]!.configs.map((config) => [config.name, config]))
      expect(configs.get('retention.ms')!.value).toBe('1234')
      expect(configs.get('segment.bytes')!.value).toBe(String(1024 ** 3))
      if (version === 0) {
        expect(configs.get('retention.ms')!.isDefault).toBe(false)
        expect(configs.get('segment.bytes')!.isDefault).toBe(true)
      } else {
        expect(configs.get('retention.ms')!.configSource).toBe(1)
        expect(configs.get('segment.bytes')!.configSource).toBe(5)
        expect(configs.get('retention.ms')!.synonyms).toEqual([{ name: 'retention.ms', value: '1234', source: 1 }])
      }
      if (version >= 3) expect(configs.get('retention.ms')!.documentation).toMatch(/older/)
    }
    const some = await client.request('DescribeConfigs', 2, {
      resources: [
        { resourceType: 2, resourceName: 't', configurationKeys: ['max.message.bytes'] },
        { resourceType: 2, resourceName: 'nope', configurationKeys: null },
        { resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions', 'auto.create.topics.enable'] },
      ],
    })
    expect(some.results[0]!.configs.map((config) => config.name)).toEqual(['max.message.bytes'])
    expect(some.results[1]!.errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    expect(some.results[2]!.configs.map((config) => [config.name, config.value, config.readOnly])).toEqual([
      ['auto.create.topics.enable', 'true', true],
      ['num.partitions', '1', true],
    ])
  })

  it("AlterConfigs replaces a topic's settings: what it leaves out goes back to the default", async () => {
    const { port, server } = await startServer()
    await server.engine.createTopic('t', { retentionMs: 1234, maxBatchBytes: 5000 })
    const client = await connect(port)
    for (let version = 0; version <= 2; version++) {
      const response = await client.request('AlterConfigs', version, {
        resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', value: String(1000 + version) }] }],
        validateOnly: false,
      })
      expect(response.responses[0]).toMatchObject({ errorCode: KafkaErrorCode.NONE, resourceName: 't' })
      expect(server.engine.topicConfig('t')).toMatchObject({
        retentionMs: 1000 + version,
        maxBatchBytes: server.engine.topicDefaults.maxBatchBytes,
      })
    }
    const refused = await client.request('AlterConfigs', 1, {
      resources: [
        { resourceType: 2, resourceName: 't', configs: [{ name: 'cleanup.policy', value: 'shred' }] },
        { resourceType: 2, resourceName: 'nope', configs: [] },
        { resourceType: 4, resourceName: '0', configs: [{ name: 'num.partitions', value: '3' }] },
        { resourceType: 2, resourceName: '__consumer_offsets', configs: [] },
        { resourceType: 2, resourceName: 't', configs: [{ name: 'segment.bytes', value: '1' }] },
      ],
      validateOnly: false,
    })
    expect(refused.responses.map((result) => result.errorCode)).toEqual([
      KafkaErrorCode.INVALID_CONFIG,
      KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      KafkaErrorCode.INVALID_REQUEST,
      KafkaErrorCode.POLICY_VIOLATION,
      KafkaErrorCode.INVALID_CONFIG,
    ])
    expect(server.engine.topicConfig('t').retentionMs).toBe(1002)
    const dry = await client.request('AlterConfigs', 0, {
      resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', value: '7' }] }],
      validateOnly: true,
    })
    expect(dry.responses[0]!.errorCode).toBe(KafkaErrorCode.NONE)
    expect(server.engine.topicConfig('t').retentionMs).toBe(1002)
  })

  it('IncrementalAlterConfigs sets and deletes single names, and persists them', async () => {
    const started = await startServerOnDir()
    await started.engine.createTopic('t', { retentionMs: 1234, maxBatchBytes: 5000 })
    const client = await connect(started.port)
    const response = await client.request('IncrementalAlterConfigs', 1, {
      resources: [
        {
          resourceType: 2,
          resourceName: 't',
          configs: [
            { name: 'retention.ms', configOperation: 1, value: null },
            { name: 'flush.ms', configOperation: 0, value: '250' },
            { name: 'message.timestamp.type', configOperation: 0, value: 'LogAppendTime' },
          ],
        },
      ],
      validateOnly: false,
    })
    expect(response.responses[0]!.errorCode).toBe(KafkaErrorCode.NONE)
    expect(started.engine.topicConfig('t')).toMatchObject({
      retentionMs: started.engine.topicDefaults.retentionMs,
      maxBatchBytes: 5000,
      flush: { mode: 'interval', ms: 250 },
      timestampType: 'LogAppendTime',
    })
    const refused = await client.request('IncrementalAlterConfigs', 0, {
      resources: [
        { resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 2, value: '5' }] },
        { resourceType: 2, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'shred' }] },
        { resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 9, value: '5' }] },
        { resourceType: 2, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }] },
      ],
      validateOnly: false,
    })
    expect(refused.responses.map((result) => result.errorCode)).toEqual([
      KafkaErrorCode.INVALID_CONFIG,
      KafkaErrorCode.INVALID_CONFIG,
      KafkaErrorCode.INVALID_REQUEST,
      KafkaErrorCode.NONE,
    ])
    // The settings are the engine's: they survive a restart of the server and the engine.
    await stopServer(started)
    const again = await startServerOnDir(started.dir)
    const describe = await (
      await connect(again.port)
    ).request('DescribeConfigs', 1, {
      resources: [{ resourceType: 2, resourceName: 't', configurationKeys: ['flush.ms', 'message.timestamp.type', 'max.message.bytes'] }],
    })
    expect(describe.results[0]!.configs.map((config) => [config.name, config.value])).toEqual([
      ['flush.ms', '250'],
      ['max.message.bytes', '5000'],
      ['message.timestamp.type', 'LogAppendTime'],
    ])
  })
})

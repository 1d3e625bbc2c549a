import { resolveTopicConfig, validateTopicName, type TopicConfig } from '../../index.js'
import type { ApiHandler, Broker, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import { isInternalTopic } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'
import { ConfigSource, kafkaConfigsOf, TopicConfigError, topicSettingsFromKafka, type KafkaConfigMap } from '../topic-configs.js'

/**
 * CreateTopics (v0-6), DeleteTopics (v0-5) and CreatePartitions (v0-3). One broker: the
 * replication factor is 1 (or -1 for the default), and replica assignments may only name this
 * broker. Topic configs use Kafka's names (src/server/topic-configs.ts); one seglog cannot honour
 * is refused with INVALID_CONFIG rather than ignored. validate_only checks without changing anything.
 */

type CreateTopicsRequest = RequestOf<'CreateTopics'>
type CreateTopicsResponse = ResponseInputOf<'CreateTopics'>
type CreatableTopic = CreateTopicsRequest['topics'][number]
type CreatableTopicResult = NonNullable<CreateTopicsResponse['topics']>[number]

/** What a CreateTopics entry asks for, checked: the settings to create it with, or the error. */
function planTopic(
  broker: Broker,
  topic: CreatableTopic,
): { settings: Partial<TopicConfig> } | { errorCode: number; errorMessage: string } {
  try {
    validateTopicName(topic.name)
  } catch (error) {
    return { errorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: (error as Error).message }
  }
  if (isInternalTopic(topic.name) || broker.engine.hasTopic(topic.name))
    return { errorCode: KafkaErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `topic '${topic.name}' already exists` }
  const nodeId = broker.settings.nodeId
  let partitions = topic.numPartitions
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1)
      return {
        errorCode: KafkaErrorCode.INVALID_REQUEST,
        errorMessage: 'give either replica assignments or a partition count and replication factor',
      }
    const sorted = [...topic.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex)
    if (
      sorted.some(
        (assignment, slot) => assignment.partitionIndex !== slot || assignment.brokerIds.length !== 1 || assignment.brokerIds[0] !== nodeId,
      )
    ) {
      return {
        errorCode: KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: `assignments must cover partitions 0..n-1, each with the one broker ${nodeId}`,
      }
    }
    partitions = sorted.length
  } else {
    if (partitions === -1) partitions = broker.settings.defaultPartitions
    if (partitions < 1)
      return {
        errorCode: KafkaErrorCode.INVALID_PARTITIONS,
        errorMessage: `number of partitions must be at least 1, got ${topic.numPartitions}`,
      }
    if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
      return {
        errorCode: KafkaErrorCode.INVALID_REPLICATION_FACTOR,
        errorMessage: `replication factor ${topic.replicationFactor} is larger than the 1 broker available`,
      }
    }
  }
  const configs: KafkaConfigMap = new Map()
  for (const config of topic.configs) {
    if (configs.has(config.name)) return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `config ${config.name} is given twice` }
    if (config.value !== null) configs.set(config.name, config.value)
  }
  try {
    return { settings: { ...topicSettingsFromKafka(configs, engineDefaults(broker)), partitions } }
  } catch (error) {
    if (error instanceof TopicConfigError) return { errorCode: KafkaErrorCode.INVALID_CONFIG, errorMessage: error.message }
    throw error
  }
}

export function engineDefaults(broker: Broker): KafkaConfigMap {
  return kafkaConfigsOf(broker.engine.topicDefaults, broker.engine.flushPolicy)
}

async function createTopic(broker: Broker, topic: CreatableTopic, validateOnly: boolean, version: number): Promise<CreatableTopicResult> {
  const plan = planTopic(broker, topic)
  if ('errorCode' in plan) return createError(topic.name, plan.errorCode, plan.errorMessage)
  let config: TopicConfig
  try {
    if (validateOnly) {
      config = resolveTopicConfig(plan.settings, broker.engine.topicDefaults)
    } else {
      config = (await broker.engine.createTopic(topic.name, plan.settings)).config
      broker.log(`created topic '${topic.name}' (${config.partitions} partition${config.partitions === 1 ? '' : 's'})`)
    }
  } catch (error) {
    const code = kafkaCodeFor(error)
    return createError(topic.name, code === KafkaErrorCode.INVALID_REQUEST ? KafkaErrorCode.INVALID_CONFIG : code, (error as Error).message)
  }
  const result: CreatableTopicResult = {
    name: topic.name,
    errorCode: KafkaErrorCode.NONE,
    errorMessage: null,
    numPartitions: config.partitions,
    replicationFactor: 1,
  }
  if (version < 5) return result
  const defaults = engineDefaults(broker)
  const configs = [...kafkaConfigsOf(config, broker.engine.flushPolicy)].map(([name, value]) => ({
    name,
    value,
    readOnly: false,
    isSensitive: false,
    configSource: value === defaults.get(name) ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_TOPIC_CONFIG,
  }))
  return { ...result, configs }
}

function createError(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return { name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null }
}

async function handleCreateTopics(request: CreateTopicsRequest, context: RequestContext): Promise<CreateTopicsResponse> {
  const counts = new Map<string, number>()
  for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1)
  const topics: CreatableTopicResult[] = []
  for (const topic of request.topics) {
    if (counts.get(topic.name)! > 1)
      topics.push(createError(topic.name, KafkaErrorCode.INVALID_REQUEST, `topic '${topic.name}' appears more than once in the request`))
    else topics.push(await createTopic(context.broker, topic, request.validateOnly, context.apiVersion))
  }
  return { throttleTimeMs: 0, topics }
}

export const createTopicsHandler: ApiHandler<'CreateTopics'> = {
  apiName: 'CreateTopics',
  // v7 returns topic ids, which seglog does not keep.
  minVersion: 0,
  maxVersion: 6,
  isExclusive: true,
  handle: handleCreateTopics,
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    topics: request.topics.map((topic) => createError(topic.name, errorCode, null)),
  }),
}

type DeleteTopicsResponse = ResponseInputOf<'DeleteTopics'>

async function deleteTopic(broker: Broker, name: string): Promise<{ name: string; errorCode: number; errorMessage: string | null }> {
  if (isInternalTopic(name))
    return { name, errorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `'${name}' is internal and cannot be deleted` }
  if (!broker.engine.hasTopic(name)) return { name, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }
  try {
    await broker.engine.deleteTopic(name)
    broker.log(`deleted topic '${name}'`)
    return { name, errorCode: KafkaErrorCode.NONE, errorMessage: null }
  } catch (error) {
    broker.log(`deleting topic '${name}' failed: ${(error as Error).message}`)
    return { name, errorCode: kafkaCodeFor(error), errorMessage: (error as Error).message }
  }
}

export const deleteTopicsHandler: ApiHandler<'DeleteTopics'> = {
  apiName: 'DeleteTopics',
  // v6 names topics by id as well.
  minVersion: 0,
  maxVersion: 5,
  isExclusive: true,
  async handle(request, context): Promise<DeleteTopicsResponse> {
    const responses = []
    for (const name of request.topicNames) responses.push(await deleteTopic(context.broker, name))
    return { throttleTimeMs: 0, responses }
  },
  errorResponse: (request, errorCode) => ({ throttleTimeMs: 0, responses: request.topicNames.map((name) => ({ name, errorCode })) }),
}

type CreatePartitionsRequest = RequestOf<'CreatePartitions'>
type CreatePartitionsTopic = CreatePartitionsRequest['topics'][number]

async function addPartitions(
  broker: Broker,
  topic: CreatePartitionsTopic,
  validateOnly: boolean,
): Promise<{ name: string; errorCode: number; errorMessage: string | null }> {
  const fail = (errorCode: number, errorMessage: string): { name: string; errorCode: number; errorMessage: string } => ({
    name: topic.name,
    errorCode,
    errorMessage,
  })
  if (!broker.engine.hasTopic(topic.name)) return fail(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topic.name}' does not exist`)
  if (isInternalTopic(topic.name)) return fail(KafkaErrorCode.INVALID_TOPIC_EXCEPTION, `'${topic.name}' is internal`)
  const current = broker.engine.partitions(topic.name).length
  if (topic.count <= current)
    return fail(
      KafkaErrorCode.INVALID_PARTITIONS,
      `topic '${topic.name}' has ${current} partitions; the new count must be larger, got ${topic.count}`,
    )
  const nodeId = broker.settings.nodeId
  if (topic.assignments !== null) {
    if (topic.assignments.length !== topic.count - current)
      return fail(
        KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `${topic.assignments.length} assignments for ${topic.count - current} new partitions`,
      )
    if (topic.assignments.some((assignment) => assignment.brokerIds.length !== 1 || assignment.brokerIds[0] !== nodeId))
      return fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `each new partition must be assigned to the one broker ${nodeId}`)
  }
  if (validateOnly) return { name: topic.name, errorCode: KafkaErrorCode.NONE, errorMessage: null }
  try {
    await broker.engine.addPartitions(topic.name, topic.count)
    broker.log(`topic '${topic.name}' now has ${topic.count} partitions`)
    return { name: topic.name, errorCode: KafkaErrorCode.NONE, errorMessage: null }
  } catch (error) {
    const code = kafkaCodeFor(error)
    return fail(code === KafkaErrorCode.INVALID_REQUEST ? KafkaErrorCode.INVALID_PARTITIONS : code, (error as Error).message)
  }
}

export const createPartitionsHandler: ApiHandler<'CreatePartitions'> = {
  apiName: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  isExclusive: true,
  async handle(request, context) {
    const counts = new Map<string, number>()
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1)
    const results = []
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1)
        results.push({
          name: topic.name,
          errorCode: KafkaErrorCode.INVALID_REQUEST,
          errorMessage: `topic '${topic.name}' appears more than once in the request`,
        })
      else results.push(await addPartitions(context.broker, topic, request.validateOnly))
    }
    return { throttleTimeMs: 0, results }
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    results: request.topics.map((topic) => ({ name: topic.name, errorCode, errorMessage: null })),
  }),
}

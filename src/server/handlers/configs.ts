import { resolveTopicConfig, type TopicConfigChanges } from '../../index.js'
import type { ApiHandler, Broker, RequestContext } from '../broker.js'
import { brokerConfigs } from '../broker-configs.js'
import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import { isInternalTopic } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'
import {
  BUILT_IN_DEFAULTS,
  ConfigSource,
  configSourceOf,
  ConfigType,
  kafkaConfigsOf,
  TOPIC_CONFIG_NAMES,
  TopicConfigError,
  topicChangesFromKafka,
  topicConfigName,
  type KafkaConfigMap,
} from '../topic-configs.js'
import { engineDefaults } from './topics.js'

/**
 * DescribeConfigs (v0-4), AlterConfigs (v0-2) and IncrementalAlterConfigs (v0-1). Topic configs
 * can be read and changed (src/server/topic-configs.ts says which and how they map to seglog's
 * settings); the broker's are read-only. AlterConfigs replaces a topic's settings as a whole
 * (what it does not name goes back to the default); IncrementalAlterConfigs sets or deletes names.
 */

const RESOURCE_TOPIC = 2
const RESOURCE_BROKER = 4
const OP_SET = 0
const OP_DELETE = 1
const OP_APPEND = 2
const OP_SUBTRACT = 3

type DescribeConfigsRequest = RequestOf<'DescribeConfigs'>
type DescribeConfigsResponse = ResponseInputOf<'DescribeConfigs'>
type DescribeResult = NonNullable<DescribeConfigsResponse['results']>[number]
type ConfigEntry = NonNullable<DescribeResult['configs']>[number]
type DescribeResource = DescribeConfigsRequest['resources'][number]

class ResourceError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message)
  }
}

function describeTopic(broker: Broker, name: string, request: DescribeConfigsRequest, version: number): ConfigEntry[] {
  if (!broker.engine.hasTopic(name)) throw new ResourceError(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`)
  const values = kafkaConfigsOf(broker.engine.topicConfig(name), broker.engine.flushPolicy)
  const defaults = engineDefaults(broker)
  return TOPIC_CONFIG_NAMES.map((entry) => {
    const value = values.get(entry.name)!
    const source = configSourceOf(entry.name, value, defaults, BUILT_IN_DEFAULTS)
    return configEntry(
      entry.name,
      value,
      source,
      entry.fixed !== undefined || isInternalTopic(name),
      entry.type,
      entry.documentation,
      request,
      version,
    )
  })
}

function describeBroker(broker: Broker, name: string, request: DescribeConfigsRequest, version: number): ConfigEntry[] {
  if (name !== '' && name !== String(broker.settings.nodeId))
    throw new ResourceError(KafkaErrorCode.INVALID_REQUEST, `this is broker ${broker.settings.nodeId}, not '${name}'`)
  return brokerConfigs(broker).map((entry) =>
    configEntry(
      entry.name,
      entry.value,
      entry.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG,
      true,
      entry.type,
      entry.documentation,
      request,
      version,
    ),
  )
}

function configEntry(
  name: string,
  value: string,
  source: number,
  readOnly: boolean,
  type: number,
  documentation: string,
  request: DescribeConfigsRequest,
  version: number,
): ConfigEntry {
  return {
    name,
    value,
    readOnly,
    // Only v0 has isDefault; later versions say where the value comes from instead.
    isDefault: version === 0 && source !== ConfigSource.DYNAMIC_TOPIC_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: request.includeSynonyms ? [{ name, value, source }] : [],
    configType: type,
    documentation: request.includeDocumentation ? documentation : null,
  }
}

function describeResource(broker: Broker, resource: DescribeResource, request: DescribeConfigsRequest, version: number): DescribeResult {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName }
  try {
    let configs: ConfigEntry[]
    if (resource.resourceType === RESOURCE_TOPIC) configs = describeTopic(broker, resource.resourceName, request, version)
    else if (resource.resourceType === RESOURCE_BROKER) configs = describeBroker(broker, resource.resourceName, request, version)
    else
      throw new ResourceError(
        KafkaErrorCode.INVALID_REQUEST,
        `resource type ${resource.resourceType} has no configs here (topics: 2, brokers: 4)`,
      )
    const keys = resource.configurationKeys
    if (keys !== null && keys.length > 0) configs = configs.filter((entry) => keys.includes(entry.name ?? ''))
    return { ...base, errorCode: KafkaErrorCode.NONE, errorMessage: null, configs }
  } catch (error) {
    if (!(error instanceof ResourceError)) throw error
    return { ...base, errorCode: error.errorCode, errorMessage: error.message, configs: [] }
  }
}

export const describeConfigsHandler: ApiHandler<'DescribeConfigs'> = {
  apiName: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  isExclusive: false,
  handle: (request, context) => ({
    throttleTimeMs: 0,
    results: request.resources.map((resource) => describeResource(context.broker, resource, request, context.apiVersion)),
  }),
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    results: request.resources.map((resource) => ({
      errorCode,
      errorMessage: null,
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      configs: [],
    })),
  }),
}

interface AlterResult {
  errorCode: number
  errorMessage: string | null
  resourceType: number
  resourceName: string
}

/** Checks and (unless validateOnly) applies a topic's new Kafka-side config map. */
async function alterTopic(broker: Broker, name: string, map: KafkaConfigMap, validateOnly: boolean): Promise<void> {
  const changes = topicChangesFromKafka(map, engineDefaults(broker))
  if (validateOnly) {
    const next: Record<string, unknown> = { ...broker.engine.topicConfig(name) }
    for (const [key, value] of Object.entries(changes))
      next[key] = value === null ? broker.engine.topicDefaults[key as keyof TopicConfigChanges] : value
    resolveTopicConfig(next, broker.engine.topicDefaults)
    return
  }
  await broker.engine.alterTopicConfig(name, changes)
  broker.log(`changed the configs of topic '${name}'`)
}

/** Runs one resource's alteration, turning every refusal into its error code. */
async function alterResource(
  broker: Broker,
  resourceType: number,
  resourceName: string,
  change: (current: KafkaConfigMap) => KafkaConfigMap,
  validateOnly: boolean,
): Promise<AlterResult> {
  const result = (errorCode: number, errorMessage: string | null): AlterResult => ({ errorCode, errorMessage, resourceType, resourceName })
  if (resourceType === RESOURCE_BROKER)
    return result(KafkaErrorCode.INVALID_REQUEST, "broker configs are read-only here: set them in the server's config file")
  if (resourceType !== RESOURCE_TOPIC) return result(KafkaErrorCode.INVALID_REQUEST, `resource type ${resourceType} has no configs here`)
  if (!broker.engine.hasTopic(resourceName))
    return result(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${resourceName}' does not exist`)
  if (isInternalTopic(resourceName)) return result(KafkaErrorCode.POLICY_VIOLATION, `the settings of '${resourceName}' are fixed`)
  try {
    const current = kafkaConfigsOf(broker.engine.topicConfig(resourceName), broker.engine.flushPolicy)
    await alterTopic(broker, resourceName, change(current), validateOnly)
    return result(KafkaErrorCode.NONE, null)
  } catch (error) {
    if (error instanceof TopicConfigError || error instanceof ResourceError)
      return result(error instanceof ResourceError ? error.errorCode : KafkaErrorCode.INVALID_CONFIG, error.message)
    const code = kafkaCodeFor(error)
    return result(code === KafkaErrorCode.INVALID_REQUEST ? KafkaErrorCode.INVALID_CONFIG : code, (error as Error).message)
  }
}

function checkUnique(names: readonly string[]): void {
  const seen = new Set<string>()
  for (const name of names) {
    if (seen.has(name)) throw new ResourceError(KafkaErrorCode.INVALID_REQUEST, `config ${name} appears more than once`)
    seen.add(name)
  }
}

export const alterConfigsHandler: ApiHandler<'AlterConfigs'> = {
  apiName: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  isExclusive: true,
  async handle(request, context) {
    const responses = []
    for (const resource of request.resources) {
      responses.push(
        await alterResource(
          context.broker,
          resource.resourceType,
          resource.resourceName,
          () => {
            checkUnique(resource.configs.map((config) => config.name))
            // The whole set: names left out go back to their defaults.
            const map: KafkaConfigMap = new Map()
            for (const config of resource.configs) if (config.value !== null) map.set(config.name, config.value)
            return map
          },
          request.validateOnly,
        ),
      )
    }
    return { throttleTimeMs: 0, responses }
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    responses: request.resources.map((resource) => ({
      errorCode,
      errorMessage: null,
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
    })),
  }),
}

type IncrementalConfig = RequestOf<'IncrementalAlterConfigs'>['resources'][number]['configs'][number]

function applyIncremental(current: KafkaConfigMap, defaults: KafkaConfigMap, configs: readonly IncrementalConfig[]): KafkaConfigMap {
  checkUnique(configs.map((config) => config.name))
  const map = new Map(current)
  for (const config of configs) {
    const entry = topicConfigName(config.name)
    if (entry === undefined) throw new TopicConfigError(`unknown or unsupported topic config '${config.name}'`)
    if (config.configOperation === OP_SET) {
      if (config.value === null) throw new TopicConfigError(`SET of ${config.name} needs a value`)
      map.set(config.name, config.value)
    } else if (config.configOperation === OP_DELETE) {
      map.set(config.name, defaults.get(config.name)!)
    } else if (config.configOperation === OP_APPEND || config.configOperation === OP_SUBTRACT) {
      if (entry.type !== ConfigType.LIST)
        throw new TopicConfigError(`${config.name} is not a list: APPEND and SUBTRACT apply to lists only`)
      const items = (map.get(config.name) ?? '').split(',').filter((item) => item !== '')
      const given = (config.value ?? '').split(',').filter((item) => item !== '')
      const next =
        config.configOperation === OP_APPEND
          ? [...items, ...given.filter((item) => !items.includes(item))]
          : items.filter((item) => !given.includes(item))
      map.set(config.name, next.join(','))
    } else {
      throw new ResourceError(KafkaErrorCode.INVALID_REQUEST, `unknown config operation ${config.configOperation}`)
    }
  }
  return map
}

export const incrementalAlterConfigsHandler: ApiHandler<'IncrementalAlterConfigs'> = {
  apiName: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  isExclusive: true,
  async handle(request, context: RequestContext) {
    const responses = []
    for (const resource of request.resources) {
      responses.push(
        await alterResource(
          context.broker,
          resource.resourceType,
          resource.resourceName,
          (current) => applyIncremental(current, engineDefaults(context.broker), resource.configs),
          request.validateOnly,
        ),
      )
    }
    return { throttleTimeMs: 0, responses }
  },
  errorResponse: (request, errorCode) => ({
    throttleTimeMs: 0,
    responses: request.resources.map((resource) => ({
      errorCode,
      errorMessage: null,
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
    })),
  }),
}

import { validateTopicName } from '../../index.js'
import type { ApiHandler, Broker, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { isInternalTopic } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'

/**
 * Metadata (v0-9) and DescribeCluster (v0-1). One broker leads every partition and is its only
 * replica and the controller. Leader epochs are reported as unknown (-1), so clients do not ask for
 * epoch validation (OffsetForLeaderEpoch), which this server does not offer.
 *
 * A Metadata request for a topic that does not exist creates it when the broker allows it
 * (auto.create.topics.enable) and the request does too (v4+), with num.partitions partitions. The
 * topic is created before the answer, so the answer already lists it (Kafka answers
 * LEADER_NOT_AVAILABLE first and lets the client ask again).
 */

type MetadataRequest = RequestOf<'Metadata'>
type MetadataResponse = ResponseInputOf<'Metadata'>
type TopicResponse = NonNullable<MetadataResponse['topics']>[number]

function brokerEntry(broker: Broker): { nodeId: number; host: string; port: number; rack: null } {
  return { nodeId: broker.settings.nodeId, host: broker.advertisedHost, port: broker.advertisedPort, rack: null }
}

function describeTopic(broker: Broker, name: string): TopicResponse {
  const nodeId = broker.settings.nodeId
  let partitionCount: number
  try {
    partitionCount = broker.engine.partitions(name).length
  } catch {
    // Deleted between the check and now.
    return topicError(name, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  }
  const partitions = []
  for (let partitionIndex = 0; partitionIndex < partitionCount; partitionIndex++) {
    partitions.push({
      errorCode: KafkaErrorCode.NONE,
      partitionIndex,
      leaderId: nodeId,
      leaderEpoch: -1,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    })
  }
  return { errorCode: KafkaErrorCode.NONE, name, isInternal: isInternalTopic(name), partitions }
}

function topicError(name: string, errorCode: number): TopicResponse {
  return { errorCode, name, isInternal: false, partitions: [] }
}

async function resolveTopic(broker: Broker, name: string, mayCreate: boolean): Promise<TopicResponse> {
  if (broker.engine.hasTopic(name)) return describeTopic(broker, name)
  try {
    validateTopicName(name)
  } catch {
    return topicError(name, KafkaErrorCode.INVALID_TOPIC_EXCEPTION)
  }
  if (!mayCreate || !broker.settings.autoCreateTopics || isInternalTopic(name))
    return topicError(name, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  try {
    await broker.engine.createTopic(name, { partitions: broker.settings.defaultPartitions })
    broker.log(
      `created topic '${name}' (${broker.settings.defaultPartitions} partition${broker.settings.defaultPartitions === 1 ? '' : 's'}) for a metadata request`,
    )
  } catch (error) {
    // Another request may have created it meanwhile; anything else is the client's to retry.
    if (!broker.engine.hasTopic(name)) {
      broker.log(`auto-creating topic '${name}' failed: ${(error as Error).message}`)
      return topicError(name, KafkaErrorCode.LEADER_NOT_AVAILABLE)
    }
  }
  return describeTopic(broker, name)
}

async function handleMetadata(request: MetadataRequest, context: RequestContext): Promise<MetadataResponse> {
  const broker = context.broker
  // v0 asks for every topic with an empty list; v1+ with null.
  const isAll = request.topics === null || (context.apiVersion === 0 && request.topics.length === 0)
  let topics: TopicResponse[]
  if (isAll) {
    topics = broker.engine.listTopics().map((topic) => describeTopic(broker, topic.name))
  } else {
    const mayCreate = context.apiVersion < 4 || request.allowAutoTopicCreation
    topics = []
    // One at a time: creating two topics at once would race on topics.json.
    for (const topic of request.topics!) topics.push(await resolveTopic(broker, topic.name ?? '', mayCreate))
  }
  return {
    throttleTimeMs: 0,
    brokers: [brokerEntry(broker)],
    clusterId: broker.clusterId,
    controllerId: broker.settings.nodeId,
    topics,
  }
}

export const metadataHandler: ApiHandler<'Metadata'> = {
  apiName: 'Metadata',
  // v10+ name topics by id, which seglog does not keep.
  minVersion: 0,
  maxVersion: 9,
  isExclusive: false,
  handle: handleMetadata,
  errorResponse: (request, errorCode, context) => ({
    brokers: [brokerEntry(context.broker)],
    clusterId: context.broker.clusterId,
    controllerId: context.broker.settings.nodeId,
    topics: (request.topics ?? []).map((topic) => topicError(topic.name ?? '', errorCode)),
  }),
}

type DescribeClusterResponse = ResponseInputOf<'DescribeCluster'>

const BROKERS_ENDPOINT = 1
const CONTROLLERS_ENDPOINT = 2

function describeCluster(request: RequestOf<'DescribeCluster'>, context: RequestContext): DescribeClusterResponse {
  const broker = context.broker
  const base = { throttleTimeMs: 0, endpointType: request.endpointType, clusterId: broker.clusterId, controllerId: broker.settings.nodeId }
  if (request.endpointType === CONTROLLERS_ENDPOINT)
    return { ...base, errorCode: KafkaErrorCode.MISMATCHED_ENDPOINT_TYPE, errorMessage: 'this is a broker endpoint' }
  if (request.endpointType !== BROKERS_ENDPOINT)
    return { ...base, errorCode: KafkaErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `unknown endpoint type ${request.endpointType}` }
  const { nodeId, host, port } = brokerEntry(broker)
  return { ...base, errorCode: KafkaErrorCode.NONE, brokers: [{ brokerId: nodeId, host, port, rack: null }] }
}

export const describeClusterHandler: ApiHandler<'DescribeCluster'> = {
  apiName: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  isExclusive: false,
  handle: describeCluster,
  errorResponse: (_request, errorCode, context) => ({ throttleTimeMs: 0, errorCode, clusterId: context.broker.clusterId }),
}

import * as admin from './definitions/admin.js'
import * as configs from './definitions/configs.js'
import * as epochs from './definitions/epochs.js'
import * as groups from './definitions/groups.js'
import * as metadata from './definitions/metadata.js'
import * as offsets from './definitions/offsets.js'
import * as produceFetch from './definitions/produce-fetch.js'
import * as txn from './definitions/txn.js'
import { parseVersions, type MessageDef, type VersionRange } from './schema.js'
import type { MessageInput, MessageValue } from './types.js'

/** Every API the codec speaks, by Kafka's name, with its request and response definitions. */
export const APIS = {
  Produce: { apiKey: 0, request: produceFetch.ProduceRequest, response: produceFetch.ProduceResponse },
  Fetch: { apiKey: 1, request: produceFetch.FetchRequest, response: produceFetch.FetchResponse },
  ListOffsets: { apiKey: 2, request: produceFetch.ListOffsetsRequest, response: produceFetch.ListOffsetsResponse },
  Metadata: { apiKey: 3, request: metadata.MetadataRequest, response: metadata.MetadataResponse },
  OffsetCommit: { apiKey: 8, request: offsets.OffsetCommitRequest, response: offsets.OffsetCommitResponse },
  OffsetFetch: { apiKey: 9, request: offsets.OffsetFetchRequest, response: offsets.OffsetFetchResponse },
  FindCoordinator: { apiKey: 10, request: groups.FindCoordinatorRequest, response: groups.FindCoordinatorResponse },
  JoinGroup: { apiKey: 11, request: groups.JoinGroupRequest, response: groups.JoinGroupResponse },
  Heartbeat: { apiKey: 12, request: groups.HeartbeatRequest, response: groups.HeartbeatResponse },
  LeaveGroup: { apiKey: 13, request: groups.LeaveGroupRequest, response: groups.LeaveGroupResponse },
  SyncGroup: { apiKey: 14, request: groups.SyncGroupRequest, response: groups.SyncGroupResponse },
  DescribeGroups: { apiKey: 15, request: groups.DescribeGroupsRequest, response: groups.DescribeGroupsResponse },
  ListGroups: { apiKey: 16, request: groups.ListGroupsRequest, response: groups.ListGroupsResponse },
  SaslHandshake: { apiKey: 17, request: metadata.SaslHandshakeRequest, response: metadata.SaslHandshakeResponse },
  ApiVersions: { apiKey: 18, request: metadata.ApiVersionsRequest, response: metadata.ApiVersionsResponse },
  CreateTopics: { apiKey: 19, request: admin.CreateTopicsRequest, response: admin.CreateTopicsResponse },
  DeleteTopics: { apiKey: 20, request: admin.DeleteTopicsRequest, response: admin.DeleteTopicsResponse },
  DeleteRecords: { apiKey: 21, request: admin.DeleteRecordsRequest, response: admin.DeleteRecordsResponse },
  InitProducerId: { apiKey: 22, request: metadata.InitProducerIdRequest, response: metadata.InitProducerIdResponse },
  OffsetForLeaderEpoch: { apiKey: 23, request: epochs.OffsetForLeaderEpochRequest, response: epochs.OffsetForLeaderEpochResponse },
  AddPartitionsToTxn: { apiKey: 24, request: txn.AddPartitionsToTxnRequest, response: txn.AddPartitionsToTxnResponse },
  AddOffsetsToTxn: { apiKey: 25, request: txn.AddOffsetsToTxnRequest, response: txn.AddOffsetsToTxnResponse },
  EndTxn: { apiKey: 26, request: txn.EndTxnRequest, response: txn.EndTxnResponse },
  TxnOffsetCommit: { apiKey: 28, request: txn.TxnOffsetCommitRequest, response: txn.TxnOffsetCommitResponse },
  DescribeConfigs: { apiKey: 32, request: configs.DescribeConfigsRequest, response: configs.DescribeConfigsResponse },
  AlterConfigs: { apiKey: 33, request: configs.AlterConfigsRequest, response: configs.AlterConfigsResponse },
  SaslAuthenticate: { apiKey: 36, request: metadata.SaslAuthenticateRequest, response: metadata.SaslAuthenticateResponse },
  CreatePartitions: { apiKey: 37, request: admin.CreatePartitionsRequest, response: admin.CreatePartitionsResponse },
  DeleteGroups: { apiKey: 42, request: groups.DeleteGroupsRequest, response: groups.DeleteGroupsResponse },
  IncrementalAlterConfigs: {
    apiKey: 44,
    request: configs.IncrementalAlterConfigsRequest,
    response: configs.IncrementalAlterConfigsResponse,
  },
  OffsetDelete: { apiKey: 47, request: offsets.OffsetDeleteRequest, response: offsets.OffsetDeleteResponse },
  DescribeCluster: { apiKey: 60, request: metadata.DescribeClusterRequest, response: metadata.DescribeClusterResponse },
} as const

export type ApiName = keyof typeof APIS
export type ApiKeyOf<N extends ApiName> = (typeof APIS)[N]['apiKey']
/** A decoded request body of one API, e.g. `RequestOf<'Fetch'>`. */
export type RequestOf<N extends ApiName> = MessageValue<(typeof APIS)[N]['request']>
export type RequestInputOf<N extends ApiName> = MessageInput<(typeof APIS)[N]['request']>
export type ResponseOf<N extends ApiName> = MessageValue<(typeof APIS)[N]['response']>
/** A response body to encode, e.g. `ResponseInputOf<'Fetch'>`: any field may be left out. */
export type ResponseInputOf<N extends ApiName> = MessageInput<(typeof APIS)[N]['response']>

/** One API as the codec uses it: both definitions and their shared version ranges, parsed. */
export interface ApiDefinition {
  readonly name: ApiName
  readonly apiKey: number
  readonly request: MessageDef
  readonly response: MessageDef
  readonly validVersions: VersionRange
  readonly flexibleVersions: VersionRange
}

const byKey: (ApiDefinition | undefined)[] = []
const byName = new Map<string, ApiDefinition>()
for (const [name, api] of Object.entries(APIS) as [ApiName, (typeof APIS)[ApiName]][]) {
  const request: MessageDef = api.request
  const response: MessageDef = api.response
  // A request and its response share their ranges in every Kafka definition; the header rules rely on it.
  if (
    request.apiKey !== api.apiKey ||
    response.apiKey !== api.apiKey ||
    request.validVersions !== response.validVersions ||
    request.flexibleVersions !== response.flexibleVersions
  ) {
    throw new Error(`${name}: request and response definitions disagree on api key or versions`)
  }
  const definition: ApiDefinition = {
    name,
    apiKey: api.apiKey,
    request,
    response,
    validVersions: parseVersions(request.validVersions),
    flexibleVersions: parseVersions(request.flexibleVersions),
  }
  byKey[api.apiKey] = definition
  byName.set(name, definition)
}

/** The API with this key, or undefined when the codec has no definition for it. */
export function apiByKey(apiKey: number): ApiDefinition | undefined {
  return Number.isInteger(apiKey) && apiKey >= 0 ? byKey[apiKey] : undefined
}

/** The API with this name (`'Fetch'`), or undefined. */
export function apiByName(name: string): ApiDefinition | undefined {
  return byName.get(name)
}

/** Every API the codec defines, ascending by key. */
export function allApis(): ApiDefinition[] {
  return byKey.filter((api): api is ApiDefinition => api !== undefined)
}

import type { AnyApiHandler, HandlerResult, RequestContext } from '../broker.js'
import { CLOSE_CONNECTION } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import type { ApiName } from '../protocol/index.js'
import { CLUSTER_RESOURCE, hasAnyAllow, isAllowedBy, type AclOperation, type AclRule, type ResourceType } from './acls.js'

/**
 * Every request's access check, in one place, as Kafka's KafkaApis asks its authorizer: the table
 * below says which operation on which resources each API needs. A request whose resources are all
 * allowed goes to its handler as it came. Resources that are denied are taken out of the request
 * before the handler sees it (so nothing is written for them) and answered with Kafka's
 * TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED in their own entries, beside the handler's answers
 * for the rest. Where Kafka refuses a request as a whole (group membership, InitProducerId), the
 * handler's error response carries the code. Metadata, ListGroups and OffsetFetch leave out what
 * the principal may not DESCRIBE, as Kafka's do. Without an ACL file, and for super users,
 * everything is allowed.
 */

type Body = Record<string, unknown>

interface Resource {
  readonly type: ResourceType
  readonly name: string
}

/** A request's top-level array whose entries are checked one by one, and where their answers go. */
interface PerEntry {
  readonly kind: 'per-entry'
  readonly requestKey: string
  readonly responseKey: string
  readonly operation: AclOperation
  /** The resource an entry names (entries may be strings: topic or group names). */
  readonly resourceOf: (entry: unknown) => Resource
  /** Checked first, for the whole request: a group the request acts in. */
  readonly group?: { readonly operation: AclOperation; readonly idOf: (body: Body) => string[] }
  /** For topic creation: an ALLOW of this on the cluster allows every entry. */
  readonly clusterOperation?: AclOperation
}

/** One check for the whole request; a denial is the handler's error response with the code. */
interface Whole {
  readonly kind: 'whole'
  readonly check: (allows: Allows, body: Body) => number
}

interface Filtered {
  readonly kind: 'filtered'
  readonly handle: (handler: AnyApiHandler, body: Body, context: RequestContext, allows: Allows) => unknown
}

type Rule = PerEntry | Whole | Filtered | { readonly kind: 'none' }

type Allows = (operation: AclOperation, type: ResourceType, name: string) => boolean

const topicNamed = (key: string) => (entry: unknown) => ({ type: 'TOPIC' as const, name: (entry as Body)[key] as string })
const groupString = (entry: unknown): Resource => ({ type: 'GROUP', name: entry as string })
const configResource = (entry: unknown): Resource => {
  const resource = entry as { resourceType: number; resourceName: string }
  // ConfigResource types: 2 topic, 4 broker (the cluster's configs, as Kafka checks them).
  return resource.resourceType === 2 ? { type: 'TOPIC', name: resource.resourceName } : { type: 'CLUSTER', name: CLUSTER_RESOURCE }
}
const groupId = (body: Body): string[] => [body.groupId as string]

function groupCheck(operation: AclOperation, idsOf: (body: Body) => string[]): Whole {
  return {
    kind: 'whole',
    check: (allows, body) =>
      idsOf(body).every((id) => allows(operation, 'GROUP', id)) ? KafkaErrorCode.NONE : KafkaErrorCode.GROUP_AUTHORIZATION_FAILED,
  }
}

const RULES: { readonly [N in ApiName]: Rule } = {
  ApiVersions: { kind: 'none' },
  SaslHandshake: { kind: 'none' },
  SaslAuthenticate: { kind: 'none' },
  DescribeCluster: { kind: 'none' },
  Produce: { kind: 'per-entry', requestKey: 'topicData', responseKey: 'responses', operation: 'WRITE', resourceOf: topicNamed('name') },
  Fetch: { kind: 'per-entry', requestKey: 'topics', responseKey: 'responses', operation: 'READ', resourceOf: topicNamed('topic') },
  ListOffsets: { kind: 'per-entry', requestKey: 'topics', responseKey: 'topics', operation: 'DESCRIBE', resourceOf: topicNamed('name') },
  OffsetForLeaderEpoch: {
    kind: 'per-entry',
    requestKey: 'topics',
    responseKey: 'topics',
    operation: 'DESCRIBE',
    resourceOf: topicNamed('topic'),
  },
  DeleteRecords: { kind: 'per-entry', requestKey: 'topics', responseKey: 'topics', operation: 'DELETE', resourceOf: topicNamed('name') },
  CreateTopics: {
    kind: 'per-entry',
    requestKey: 'topics',
    responseKey: 'topics',
    operation: 'CREATE',
    resourceOf: topicNamed('name'),
    clusterOperation: 'CREATE',
  },
  DeleteTopics: {
    kind: 'per-entry',
    requestKey: 'topicNames',
    responseKey: 'responses',
    operation: 'DELETE',
    resourceOf: (entry) => ({ type: 'TOPIC', name: entry as string }),
  },
  CreatePartitions: { kind: 'per-entry', requestKey: 'topics', responseKey: 'results', operation: 'ALTER', resourceOf: topicNamed('name') },
  DescribeConfigs: {
    kind: 'per-entry',
    requestKey: 'resources',
    responseKey: 'results',
    operation: 'DESCRIBE_CONFIGS',
    resourceOf: configResource,
  },
  AlterConfigs: {
    kind: 'per-entry',
    requestKey: 'resources',
    responseKey: 'responses',
    operation: 'ALTER_CONFIGS',
    resourceOf: configResource,
  },
  IncrementalAlterConfigs: {
    kind: 'per-entry',
    requestKey: 'resources',
    responseKey: 'responses',
    operation: 'ALTER_CONFIGS',
    resourceOf: configResource,
  },
  OffsetCommit: {
    kind: 'per-entry',
    requestKey: 'topics',
    responseKey: 'topics',
    operation: 'READ',
    resourceOf: topicNamed('name'),
    group: { operation: 'READ', idOf: groupId },
  },
  JoinGroup: groupCheck('READ', groupId),
  SyncGroup: groupCheck('READ', groupId),
  Heartbeat: groupCheck('READ', groupId),
  LeaveGroup: groupCheck('READ', groupId),
  // Key type 1 names a transactional id, not a group: there is no TRANSACTIONAL_ID resource to check.
  FindCoordinator: groupCheck('DESCRIBE', (body) =>
    body.keyType === 1
      ? []
      : Array.isArray(body.coordinatorKeys) && body.coordinatorKeys.length > 0
        ? (body.coordinatorKeys as string[])
        : [body.key as string],
  ),
  DescribeGroups: { kind: 'per-entry', requestKey: 'groups', responseKey: 'groups', operation: 'DESCRIBE', resourceOf: groupString },
  DeleteGroups: { kind: 'per-entry', requestKey: 'groupsNames', responseKey: 'results', operation: 'DELETE', resourceOf: groupString },
  OffsetDelete: {
    kind: 'whole',
    check: (allows, body) => {
      if (!allows('DELETE', 'GROUP', body.groupId as string)) return KafkaErrorCode.GROUP_AUTHORIZATION_FAILED
      const topics = body.topics as { name: string }[]
      return topics.every((topic) => allows('READ', 'TOPIC', topic.name)) ? KafkaErrorCode.NONE : KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED
    },
  },
  // Kafka: an idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
  InitProducerId: { kind: 'whole', check: () => KafkaErrorCode.NONE },
  Metadata: { kind: 'filtered', handle: (handler, body, context, allows) => filterMetadata(handler, body, context, allows) },
  ListGroups: { kind: 'filtered', handle: (handler, body, context, allows) => filterListGroups(handler, body, context, allows) },
  OffsetFetch: { kind: 'filtered', handle: (handler, body, context, allows) => filterOffsetFetch(handler, body, context, allows) },
  // Transactions: the topics and groups they touch are checked; seglog's ACLs have no TRANSACTIONAL_ID resource.
  AddPartitionsToTxn: {
    kind: 'whole',
    check: (allows, body) =>
      ((body.v3AndBelowTopics ?? []) as { name: string }[]).every((topic) => allows('WRITE', 'TOPIC', topic.name))
        ? KafkaErrorCode.NONE
        : KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  AddOffsetsToTxn: groupCheck('READ', groupId),
  EndTxn: { kind: 'none' },
  TxnOffsetCommit: {
    kind: 'whole',
    check: (allows, body) => {
      if (!allows('READ', 'GROUP', body.groupId as string)) return KafkaErrorCode.GROUP_AUTHORIZATION_FAILED
      const topics = body.topics as { name: string }[]
      return topics.every((topic) => allows('READ', 'TOPIC', topic.name)) ? KafkaErrorCode.NONE : KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED
    },
  },
}

function deniedCode(type: ResourceType): number {
  return type === 'TOPIC'
    ? KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED
    : type === 'GROUP'
      ? KafkaErrorCode.GROUP_AUTHORIZATION_FAILED
      : KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED
}

/** Runs the request's handler as far as the principal may: see the file comment. */
export function handleAuthorized(handler: AnyApiHandler, body: unknown, context: RequestContext): unknown {
  const security = context.broker.security
  const session = context.session
  if (security.acls === null || security.superUsers.has(session.principal)) return handler.handle(body as never, context)
  const rules: readonly AclRule[] = security.acls.current()
  const allows: Allows = (operation, type, name) => isAllowedBy(rules, session.principal, session.host, operation, type, name)
  const rule = RULES[handler.apiName]
  const request = body as Body
  switch (rule.kind) {
    case 'none':
      return handler.handle(body as never, context)
    case 'whole': {
      let code = rule.check(allows, request)
      if (handler.apiName === 'InitProducerId' && request.transactionalId === null) {
        const isAllowed =
          allows('IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_RESOURCE) || hasAnyAllow(rules, session.principal, session.host, 'WRITE', 'TOPIC')
        code = isAllowed ? KafkaErrorCode.NONE : KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED
      }
      return code === KafkaErrorCode.NONE ? handler.handle(body as never, context) : handler.errorResponse(body as never, code, context)
    }
    case 'filtered':
      return rule.handle(handler, request, context, allows)
    case 'per-entry':
      return handlePerEntry(rule, handler, request, context, allows)
  }
}

function handlePerEntry(rule: PerEntry, handler: AnyApiHandler, request: Body, context: RequestContext, allows: Allows): unknown {
  if (rule.group !== undefined && !rule.group.idOf(request).every((id) => allows(rule.group!.operation, 'GROUP', id)))
    return handler.errorResponse(request as never, KafkaErrorCode.GROUP_AUTHORIZATION_FAILED, context)
  const entries = (request[rule.requestKey] ?? []) as unknown[]
  const isClusterWide = rule.clusterOperation !== undefined && allows(rule.clusterOperation, 'CLUSTER', CLUSTER_RESOURCE)
  const allowed: unknown[] = []
  const deniedByCode = new Map<number, unknown[]>()
  for (const entry of entries) {
    const resource = rule.resourceOf(entry)
    if (isClusterWide || allows(rule.operation, resource.type, resource.name)) {
      allowed.push(entry)
    } else {
      const code = deniedCode(resource.type)
      deniedByCode.set(code, [...(deniedByCode.get(code) ?? []), entry])
    }
  }
  if (deniedByCode.size === 0) return handler.handle(request as never, context)
  const deniedAnswers: unknown[] = []
  for (const [code, denied] of deniedByCode) {
    const answer = handler.errorResponse({ ...request, [rule.requestKey]: denied } as never, code, context) as Body
    deniedAnswers.push(...((answer[rule.responseKey] ?? []) as unknown[]))
  }
  if (allowed.length === 0) {
    // Nothing left to do: the answer is the refusals alone, without a top-level error (Fetch v7+ has one).
    if (handler.apiName === 'Produce' && request.acks === 0) return CLOSE_CONNECTION
    const answer = handler.errorResponse(request as never, KafkaErrorCode.NONE, context) as Body
    return { ...answer, [rule.responseKey]: deniedAnswers }
  }
  const result = handler.handle({ ...request, [rule.requestKey]: allowed } as never, context)
  return Promise.resolve(result).then((response: HandlerResult<ApiName>) => {
    // acks=0: no answer to merge into; the client learns of the refusal by the connection closing.
    if (response === null || response === CLOSE_CONNECTION) return CLOSE_CONNECTION
    const body = response as Body
    return { ...body, [rule.responseKey]: [...((body[rule.responseKey] ?? []) as unknown[]), ...deniedAnswers] }
  })
}

/**
 * Metadata: named topics the principal may not DESCRIBE are answered TOPIC_AUTHORIZATION_FAILED;
 * a named topic that does not exist is only created for a principal with CREATE (on the cluster
 * or the topic), otherwise UNKNOWN_TOPIC_OR_PARTITION; a request for every topic lists only those
 * the principal may DESCRIBE.
 */
function filterMetadata(handler: AnyApiHandler, request: Body, context: RequestContext, allows: Allows): unknown {
  const named = request.topics as { name: string | null }[] | null
  const isAll = named === null || (context.apiVersion === 0 && named.length === 0)
  const engine = context.broker.engine
  const refused: Body[] = []
  const asked = new Set<string>()
  let topics = named
  if (!isAll) {
    topics = []
    for (const topic of named!) {
      const name = topic.name ?? ''
      let code: number = KafkaErrorCode.NONE
      if (!allows('DESCRIBE', 'TOPIC', name)) code = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED
      else if (!engine.hasTopic(name) && !allows('CREATE', 'CLUSTER', CLUSTER_RESOURCE) && !allows('CREATE', 'TOPIC', name))
        code = KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      if (code === KafkaErrorCode.NONE) {
        topics.push(topic)
        asked.add(name)
      } else {
        refused.push({ errorCode: code, name, isInternal: false, partitions: [] })
      }
    }
  }
  return Promise.resolve(handler.handle({ ...request, topics } as never, context)).then((response) => {
    const body = response as Body
    const listed = (body.topics ?? []) as { name: string }[]
    // A v0 request left with no topics reads as "every topic": keep only those asked for.
    const kept = isAll ? listed.filter((topic) => allows('DESCRIBE', 'TOPIC', topic.name)) : listed.filter((topic) => asked.has(topic.name))
    return { ...body, topics: [...kept, ...refused] }
  })
}

/** ListGroups: every group for a principal with DESCRIBE on the cluster, otherwise those it may DESCRIBE. */
function filterListGroups(handler: AnyApiHandler, request: Body, context: RequestContext, allows: Allows): unknown {
  const isClusterWide = allows('DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE)
  return Promise.resolve(handler.handle(request as never, context)).then((response) => {
    if (isClusterWide) return response
    const body = response as Body
    const groups = (body.groups ?? []) as { groupId: string }[]
    return { ...body, groups: groups.filter((group) => allows('DESCRIBE', 'GROUP', group.groupId)) }
  })
}

/** OffsetFetch: DESCRIBE on the group(s); topics the principal may not DESCRIBE are left out of the answer. */
function filterOffsetFetch(handler: AnyApiHandler, request: Body, context: RequestContext, allows: Allows): unknown {
  const groupIds =
    context.apiVersion >= 8 ? (request.groups as { groupId: string }[]).map((group) => group.groupId) : [request.groupId as string]
  if (!groupIds.every((id) => allows('DESCRIBE', 'GROUP', id)))
    return handler.errorResponse(request as never, KafkaErrorCode.GROUP_AUTHORIZATION_FAILED, context)
  const visible = (topics: unknown): unknown =>
    Array.isArray(topics) ? (topics as { name: string }[]).filter((topic) => allows('DESCRIBE', 'TOPIC', topic.name)) : topics
  return Promise.resolve(handler.handle(request as never, context)).then((response) => {
    const body = response as Body
    if (Array.isArray(body.groups))
      return { ...body, groups: (body.groups as Body[]).map((group) => ({ ...group, topics: visible(group.topics) })) }
    return { ...body, topics: visible(body.topics) }
  })
}

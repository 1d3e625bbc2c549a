import { CorruptMetadataError } from '../../index.js'

/**
 * Access control lists as Kafka's StandardAuthorizer reads them, from the ACL file
 * (docs/format/acl-file.md). UTF-8 JSON:
 *
 * | field | type | meaning |
 * |---|---|---|
 * | `version` | number | 1 |
 * | `acls` | array | the rules, in any order |
 * | `acls[].principal` | string | `User:NAME`, or `User:*` for everyone |
 * | `acls[].host` | string | the client's IP address, or `*` (default) |
 * | `acls[].resourceType` | string | `TOPIC`, `GROUP` or `CLUSTER` |
 * | `acls[].resourceName` | string | a name, a prefix (PREFIXED), or `*` for all of the type; `kafka-cluster` for CLUSTER |
 * | `acls[].patternType` | string | `LITERAL` (default) or `PREFIXED` |
 * | `acls[].operation` | string | `READ`, `WRITE`, `CREATE`, `DELETE`, `DESCRIBE`, `ALTER`, `DESCRIBE_CONFIGS`, `ALTER_CONFIGS`, |
 * | | | `IDEMPOTENT_WRITE` or `ALL` |
 * | `acls[].permission` | string | `ALLOW` or `DENY` |
 *
 * Decision, as Kafka's: a matching DENY wins over any ALLOW; otherwise a matching ALLOW allows;
 * otherwise the request is denied. An ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE,
 * and ALTER_CONFIGS also allows DESCRIBE_CONFIGS.
 */

export type ResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER'
export type AclOperation =
  'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'DESCRIBE' | 'ALTER' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE' | 'ALL'
export type PatternType = 'LITERAL' | 'PREFIXED'
export type Permission = 'ALLOW' | 'DENY'

export interface AclRule {
  readonly principal: string
  readonly host: string
  readonly resourceType: ResourceType
  readonly resourceName: string
  readonly patternType: PatternType
  readonly operation: AclOperation
  readonly permission: Permission
}

export const CLUSTER_RESOURCE = 'kafka-cluster'
const WILDCARD = '*'
const RESOURCE_TYPES: readonly ResourceType[] = ['TOPIC', 'GROUP', 'CLUSTER']
const OPERATIONS: readonly AclOperation[] = [
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'DESCRIBE',
  'ALTER',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
  'ALL',
]

/** Operations an ALLOW of the key also allows (Kafka's implied operations). */
const IMPLIED_BY: Readonly<Partial<Record<AclOperation, readonly AclOperation[]>>> = {
  DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
}

function oneOf<T extends string>(file: string, where: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw new CorruptMetadataError(file, `${where} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

export function parseAclFile(text: string, file: string): AclRule[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CorruptMetadataError(file, 'not JSON')
  }
  const root = json as { version?: unknown; acls?: unknown }
  if (typeof root !== 'object' || root === null || root.version !== 1 || !Array.isArray(root.acls))
    throw new CorruptMetadataError(file, 'expected {"version": 1, "acls": [...]}')
  return root.acls.map((raw: unknown, slot: number): AclRule => {
    const where = `acls[${slot}]`
    if (typeof raw !== 'object' || raw === null) throw new CorruptMetadataError(file, `${where} is not an object`)
    const entry = raw as Record<string, unknown>
    const principal = entry.principal
    if (typeof principal !== 'string' || !/^User:.+$/s.test(principal))
      throw new CorruptMetadataError(file, `${where}.principal must be User:NAME or User:*`)
    const host = entry.host ?? WILDCARD
    if (typeof host !== 'string' || host === '') throw new CorruptMetadataError(file, `${where}.host must be an address or *`)
    const resourceType = oneOf(file, `${where}.resourceType`, entry.resourceType, RESOURCE_TYPES)
    const resourceName = resourceType === 'CLUSTER' ? (entry.resourceName ?? CLUSTER_RESOURCE) : entry.resourceName
    if (typeof resourceName !== 'string' || resourceName === '')
      throw new CorruptMetadataError(file, `${where}.resourceName must be a non-empty string`)
    const patternType = oneOf(file, `${where}.patternType`, entry.patternType, ['LITERAL', 'PREFIXED'] as const, 'LITERAL')
    if (patternType === 'PREFIXED' && resourceName === WILDCARD)
      throw new CorruptMetadataError(file, `${where}: a PREFIXED pattern cannot be '*' (use LITERAL '*')`)
    return {
      principal,
      host,
      resourceType,
      resourceName,
      patternType,
      operation: oneOf(file, `${where}.operation`, entry.operation, OPERATIONS),
      permission: oneOf(file, `${where}.permission`, entry.permission, ['ALLOW', 'DENY'] as const),
    }
  })
}

function matchesResource(rule: AclRule, type: ResourceType, name: string): boolean {
  if (rule.resourceType !== type) return false
  if (rule.patternType === 'PREFIXED') return name.startsWith(rule.resourceName)
  return rule.resourceName === WILDCARD || rule.resourceName === name
}

function matchesPrincipal(rule: AclRule, principal: string, host: string): boolean {
  return (rule.principal === principal || rule.principal === 'User:*') && (rule.host === WILDCARD || rule.host === host)
}

/** Kafka's decision for one principal, client host, operation and resource (deny first). */
export function isAllowedBy(
  rules: readonly AclRule[],
  principal: string,
  host: string,
  operation: AclOperation,
  type: ResourceType,
  name: string,
): boolean {
  let isAllowed = false
  const implying = IMPLIED_BY[operation]
  for (const rule of rules) {
    if (!matchesResource(rule, type, name) || !matchesPrincipal(rule, principal, host)) continue
    const isSame = rule.operation === operation || rule.operation === 'ALL'
    if (rule.permission === 'DENY') {
      // A DENY of READ does not deny DESCRIBE: implication only widens ALLOWs, as in Kafka.
      if (isSame) return false
    } else if (isSame || (implying !== undefined && implying.includes(rule.operation))) {
      isAllowed = true
    }
  }
  return isAllowed
}

/** Whether any ALLOW of `operation` on some resource of `type` applies to the principal (Kafka's "any topic" checks). */
export function hasAnyAllow(
  rules: readonly AclRule[],
  principal: string,
  host: string,
  operation: AclOperation,
  type: ResourceType,
): boolean {
  return rules.some(
    (rule) =>
      rule.permission === 'ALLOW' &&
      rule.resourceType === type &&
      (rule.operation === operation || rule.operation === 'ALL') &&
      matchesPrincipal(rule, principal, host),
  )
}

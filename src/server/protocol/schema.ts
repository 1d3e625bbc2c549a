/**
 * The shape of a message definition: Apache Kafka's JSON message specs
 * (clients/src/main/resources/common/message/*.json) written as TypeScript data. Field names stay
 * in Kafka's PascalCase so a definition can be checked line by line against Kafka's file; decoded
 * objects use the camelCase form (`PartitionIndex` -> `partitionIndex`).
 *
 * Version ranges are strings as in Kafka: `'3+'` (3 and later), `'0-7'`, `'5'` or `'none'`.
 */

/** Fixed and variable-length primitives a field can have. */
export type PrimitiveTypeName =
  'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'uuid' | 'string' | 'bytes' | 'records'

export interface FieldDef {
  readonly name: string
  /** A primitive, `[]primitive`, `[]StructName` or `StructName` (with `fields`, or one of `commonStructs`). */
  readonly type: string
  readonly versions: string
  readonly nullableVersions?: string
  readonly taggedVersions?: string
  readonly tag?: number
  /** The value a field takes when a version lacks it; when omitted, 0, false, '', empty, or null for records. */
  readonly default?: number | boolean | string | null
  /** A non-default value may be dropped silently when the version being written lacks the field. */
  readonly ignorable?: boolean
  /** Kafka keys its generated collections by these fields; the codec keeps plain arrays. */
  readonly mapKey?: boolean
  /** Overrides the message's flexible versions for one string or bytes field (the request header's ClientId). */
  readonly flexibleVersions?: string
  readonly fields?: readonly FieldDef[]
}

export interface StructDef {
  readonly name: string
  readonly versions: string
  readonly fields: readonly FieldDef[]
}

export interface MessageDef {
  /** `ProduceRequest`, `FetchResponse`, `RequestHeader`: Kafka's file name without `.json`. */
  readonly name: string
  /** `data`: a record stored in an internal topic (TransactionLogKey), not a request or response. */
  readonly type: 'request' | 'response' | 'header' | 'data'
  readonly apiKey?: number
  readonly validVersions: string
  /** Versions Kafka has deprecated (KIP-896) and later releases drop; still defined here. */
  readonly deprecatedVersions?: string
  readonly flexibleVersions: string
  /** Kafka's mark on a newest version still under development: defined, but not advertised by default. */
  readonly latestVersionUnstable?: boolean
  readonly fields: readonly FieldDef[]
  readonly commonStructs?: readonly StructDef[]
}

/** An inclusive version range; `lowest > highest` is the empty range. */
export interface VersionRange {
  readonly lowest: number
  readonly highest: number
}

const NO_VERSIONS: VersionRange = { lowest: 1, highest: 0 }
const OPEN_END = 0x7fff

/** Parses `'3+'`, `'0-7'`, `'5'` or `'none'`. A malformed range is a bug in a definition. */
export function parseVersions(text: string): VersionRange {
  if (text === 'none') return NO_VERSIONS
  const open = /^(\d+)\+$/.exec(text)
  if (open !== null) return { lowest: Number(open[1]), highest: OPEN_END }
  const closed = /^(\d+)-(\d+)$/.exec(text)
  if (closed !== null) return { lowest: Number(closed[1]), highest: Number(closed[2]) }
  if (/^\d+$/.test(text)) return { lowest: Number(text), highest: Number(text) }
  throw new Error(`malformed version range '${text}'`)
}

export function inVersions(range: VersionRange, version: number): boolean {
  return version >= range.lowest && version <= range.highest
}

/** `PartitionIndex` -> `partitionIndex`; names Kafka already writes in camelCase stay as they are. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

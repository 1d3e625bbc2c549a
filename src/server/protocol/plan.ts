import { camelCase, inVersions, parseVersions, type FieldDef, type MessageDef, type StructDef, type VersionRange } from './schema.js'

/**
 * A definition resolved for one version: every version question (is the field there, tagged,
 * nullable, compact?) answered once, so the reader and writer only walk flat arrays. Plans are built
 * on first use and cached per definition and version.
 */

export const Kind = {
  BOOL: 0,
  INT8: 1,
  INT16: 2,
  UINT16: 3,
  INT32: 4,
  UINT32: 5,
  INT64: 6,
  FLOAT64: 7,
  UUID: 8,
  STRING: 9,
  BYTES: 10,
  RECORDS: 11,
  ARRAY: 12,
  STRUCT: 13,
} as const

/** How a field appears in one version: in the fixed sequence, in the tagged section, or not at all. */
export const Mode = { WIRE: 0, TAGGED: 1, ABSENT: 2 } as const

const PRIMITIVE_KINDS: Readonly<Record<string, number>> = {
  bool: Kind.BOOL,
  int8: Kind.INT8,
  int16: Kind.INT16,
  uint16: Kind.UINT16,
  int32: Kind.INT32,
  uint32: Kind.UINT32,
  int64: Kind.INT64,
  float64: Kind.FLOAT64,
  uuid: Kind.UUID,
  string: Kind.STRING,
  bytes: Kind.BYTES,
  records: Kind.RECORDS,
}

const FIXED_SIZES: readonly number[] = [1, 1, 2, 2, 4, 4, 8, 8, 16]

/** Kafka's Uuid.ZERO_UUID in its base64url form, the default of every uuid field. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export interface FieldPlan {
  /** camelCase property name in decoded objects. */
  readonly key: string
  readonly kind: number
  readonly mode: number
  readonly isNullable: boolean
  /** Flexible encoding of lengths (unsigned varint + 1) for strings, bytes, records and arrays. */
  readonly isCompact: boolean
  readonly isIgnorable: boolean
  /** -1 unless the field is tagged in this version. */
  readonly tag: number
  /** The element of an array field (key `[]`), else null. */
  readonly element: FieldPlan | null
  /** The struct of a struct field or of a struct array's element, else null. */
  readonly struct: StructPlan | null
  /** Default of a scalar field; arrays and structs build a fresh default with `defaultOf`. */
  readonly defaultValue: unknown
  /** Fewest bytes the field can take on the wire: bounds array counts before anything is allocated. */
  readonly minSize: number
}

export interface StructPlan {
  readonly name: string
  /** Every field in definition order: decoded objects get their properties in this order. */
  readonly fields: readonly FieldPlan[]
  /** Tagged fields of this version, ascending by tag. */
  readonly tagged: readonly FieldPlan[]
  readonly isFlexible: boolean
  readonly minSize: number
}

interface Context {
  readonly message: MessageDef
  readonly version: number
  readonly isFlexible: boolean
}

const cache = new WeakMap<MessageDef, Map<number, StructPlan>>()

/** The plan of `message` at `version`. The caller has checked that the version is valid. */
export function planFor(message: MessageDef, version: number): StructPlan {
  let byVersion = cache.get(message)
  if (byVersion === undefined) {
    byVersion = new Map()
    cache.set(message, byVersion)
  }
  let plan = byVersion.get(version)
  if (plan === undefined) {
    const context: Context = { message, version, isFlexible: inVersions(parseVersions(message.flexibleVersions), version) }
    plan = planStruct(message.name, message.fields, context)
    byVersion.set(version, plan)
  }
  return plan
}

function planStruct(name: string, fields: readonly FieldDef[], context: Context): StructPlan {
  const planned = fields.map((field) => planField(field, context))
  const tagged = planned.filter((field) => field.mode === Mode.TAGGED).sort((a, b) => a.tag - b.tag)
  for (let slot = 1; slot < tagged.length; slot++) {
    if (tagged[slot]!.tag === tagged[slot - 1]!.tag) throw new Error(`${context.message.name}.${name}: tag ${tagged[slot]!.tag} used twice`)
  }
  let minSize = context.isFlexible ? 1 : 0
  for (const field of planned) if (field.mode === Mode.WIRE) minSize += field.minSize
  return { name, fields: planned, tagged, isFlexible: context.isFlexible, minSize }
}

function planField(field: FieldDef, context: Context): FieldPlan {
  const where = `${context.message.name}.${field.name}`
  const versions = parseVersions(field.versions)
  const nullable = parseVersions(field.nullableVersions ?? 'none')
  const taggedVersions = parseVersions(field.taggedVersions ?? 'none')
  const isPresent = inVersions(versions, context.version)
  const isTagged = isPresent && context.isFlexible && inVersions(taggedVersions, context.version)
  if (field.taggedVersions !== undefined && field.tag === undefined) throw new Error(`${where}: taggedVersions without a tag`)
  if (field.default === null && !containsRange(nullable, versions))
    throw new Error(`${where}: null default on a field not nullable in all its versions`)
  const flexible =
    field.flexibleVersions === undefined ? context.isFlexible : inVersions(parseVersions(field.flexibleVersions), context.version)
  const isCompact = isTagged || flexible
  const mode = !isPresent ? Mode.ABSENT : isTagged ? Mode.TAGGED : Mode.WIRE
  const isNullable = isPresent && inVersions(nullable, context.version)
  const shape = resolveType(field, context)
  if (shape.kind === Kind.STRUCT && field.nullableVersions !== undefined) throw new Error(`${where}: nullable structs are not supported`)
  if (shape.kind === Kind.RECORDS && isTagged) throw new Error(`${where}: records cannot be tagged`)
  return {
    key: camelCase(field.name),
    kind: shape.kind,
    mode,
    isNullable,
    isCompact,
    isIgnorable: field.ignorable === true,
    tag: isTagged ? field.tag! : -1,
    element: shape.element,
    struct: shape.struct,
    defaultValue: scalarDefault(shape.kind, field, where),
    minSize: minSizeOf(shape.kind, isCompact, shape.struct),
  }
}

interface Shape {
  kind: number
  element: FieldPlan | null
  struct: StructPlan | null
}

function resolveType(field: FieldDef, context: Context): Shape {
  const isArray = field.type.startsWith('[]')
  const typeName = isArray ? field.type.slice(2) : field.type
  const primitive = PRIMITIVE_KINDS[typeName]
  let struct: StructPlan | null = null
  if (primitive === undefined) {
    const fields = field.fields ?? findCommonStruct(context.message, typeName)?.fields
    if (fields === undefined) throw new Error(`${context.message.name}.${field.name}: unknown type '${field.type}'`)
    struct = planStruct(typeName, fields, context)
  } else if (field.fields !== undefined) {
    throw new Error(`${context.message.name}.${field.name}: a primitive type cannot have fields`)
  }
  const kind = primitive ?? Kind.STRUCT
  if (!isArray) return { kind, element: null, struct }
  if (kind === Kind.RECORDS) throw new Error(`${context.message.name}.${field.name}: arrays of records are not supported`)
  const flexible = context.isFlexible
  const element: FieldPlan = {
    key: '[]',
    kind,
    mode: Mode.WIRE,
    isNullable: false,
    isCompact: flexible,
    isIgnorable: false,
    tag: -1,
    element: null,
    struct,
    defaultValue: kind === Kind.STRUCT ? null : scalarDefault(kind, { name: '[]', type: typeName, versions: '0+' }, ''),
    minSize: minSizeOf(kind, flexible, struct),
  }
  return { kind: Kind.ARRAY, element, struct }
}

function findCommonStruct(message: MessageDef, name: string): StructDef | undefined {
  return message.commonStructs?.find((struct) => struct.name === name)
}

function containsRange(outer: VersionRange, inner: VersionRange): boolean {
  return inner.lowest > inner.highest || (outer.lowest <= inner.lowest && outer.highest >= inner.highest)
}

const EMPTY_BYTES = Buffer.alloc(0)

function scalarDefault(kind: number, field: FieldDef, where: string): unknown {
  const given = field.default
  switch (kind) {
    case Kind.BOOL:
      if (given !== undefined && typeof given !== 'boolean') throw new Error(`${where}: bool default must be a boolean`)
      return given ?? false
    case Kind.UUID:
      return given ?? ZERO_UUID
    case Kind.STRING:
      if (given !== undefined && given !== null && typeof given !== 'string')
        throw new Error(`${where}: string default must be a string or null`)
      return given === undefined ? '' : given
    case Kind.BYTES:
      return given === null ? null : EMPTY_BYTES
    case Kind.RECORDS:
      return null
    case Kind.ARRAY:
    case Kind.STRUCT:
      return given === null ? null : undefined
    default:
      if (given !== undefined && typeof given !== 'number') throw new Error(`${where}: numeric default must be a number`)
      return given ?? 0
  }
}

function minSizeOf(kind: number, isCompact: boolean, struct: StructPlan | null): number {
  if (kind <= Kind.UUID) return FIXED_SIZES[kind]!
  if (kind === Kind.STRUCT) return struct!.minSize
  if (isCompact) return 1
  return kind === Kind.STRING ? 2 : 4
}

/** A fresh default value for a field: arrays and structs are new objects so callers may mutate them. */
export function defaultOf(field: FieldPlan): unknown {
  if (field.kind === Kind.ARRAY) return field.defaultValue === null ? null : []
  if (field.kind === Kind.STRUCT) return defaultStruct(field.struct!)
  return field.defaultValue
}

export function defaultStruct(plan: StructPlan): Record<string, unknown> {
  const value: Record<string, unknown> = {}
  for (const field of plan.fields) value[field.key] = defaultOf(field)
  return value
}

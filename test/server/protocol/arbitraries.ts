import fc from 'fast-check'
import { defaultOf, Kind, Mode, type FieldPlan, type StructPlan } from '../../../src/server/protocol/plan.js'

/**
 * fast-check values for any plan (a definition at one version): every field the version has gets a
 * random value of its type (null where the version allows it), and fields it lacks are left out.
 * `expectedDecode` gives what the reader must return for such a value: the same, plus defaults.
 */

const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('base64url'))
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }))
const bytes = fc.uint8Array({ maxLength: 24 }).map((array) => Buffer.from(array))
// Some record sets cross the pass-through threshold so both the copy and the chunk path run.
const records = fc.oneof(
  { weight: 4, arbitrary: bytes },
  { weight: 1, arbitrary: fc.integer({ min: 1024, max: 3000 }).map((size) => Buffer.alloc(size, size & 0xff)) },
)

function scalar(kind: number): fc.Arbitrary<unknown> {
  switch (kind) {
    case Kind.BOOL:
      return fc.boolean()
    case Kind.INT8:
      return fc.integer({ min: -0x80, max: 0x7f })
    case Kind.INT16:
      return fc.integer({ min: -0x8000, max: 0x7fff })
    case Kind.UINT16:
      return fc.integer({ min: 0, max: 0xffff })
    case Kind.INT32:
      return fc.oneof(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }))
    case Kind.UINT32:
      return fc.integer({ min: 0, max: 0xffff_ffff })
    case Kind.INT64:
      return fc.oneof(fc.integer({ min: -2, max: 3 }), fc.maxSafeInteger(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }))
    case Kind.FLOAT64:
      return fc.double({ noNaN: true }).map((value) => (Object.is(value, -0) ? 0 : value))
    case Kind.UUID:
      return uuid
    case Kind.STRING:
      return text
    case Kind.BYTES:
      return bytes
    case Kind.RECORDS:
      return records
    default:
      throw new Error(`no arbitrary for kind ${kind}`)
  }
}

function fieldValue(field: FieldPlan): fc.Arbitrary<unknown> {
  let value: fc.Arbitrary<unknown>
  if (field.kind === Kind.ARRAY) value = fc.array(fieldValue(field.element!), { maxLength: 3 })
  else if (field.kind === Kind.STRUCT) value = structValue(field.struct!)
  else value = scalar(field.kind)
  return field.isNullable ? fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: value }) : value
}

export function structValue(plan: StructPlan): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {}
  for (const field of plan.fields) if (field.mode !== Mode.ABSENT) shape[field.key] = fieldValue(field)
  return fc.record(shape) as fc.Arbitrary<Record<string, unknown>>
}

/** The value the reader must produce for `value`: absent fields (and nested ones) hold their defaults. */
export function expectedDecode(plan: StructPlan, value: Record<string, unknown>): Record<string, unknown> {
  const expected: Record<string, unknown> = {}
  for (const field of plan.fields) {
    if (field.mode === Mode.ABSENT) expected[field.key] = defaultOf(field)
    else expected[field.key] = expectedField(field, value[field.key])
  }
  return expected
}

function expectedField(field: FieldPlan, value: unknown): unknown {
  if (value === null || value === undefined) return value === undefined ? defaultOf(field) : null
  if (field.kind === Kind.STRUCT) return expectedDecode(field.struct!, value as Record<string, unknown>)
  if (field.kind === Kind.ARRAY) return (value as unknown[]).map((item) => expectedField(field.element!, item))
  return value
}

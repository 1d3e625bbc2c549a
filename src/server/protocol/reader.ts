import { ProtocolDecodeError } from './errors.js'
import { defaultOf, Kind, Mode, type FieldPlan, type StructPlan } from './plan.js'
import { FrameReader } from './primitives.js'

/**
 * The one generic reader: walks a plan (a definition resolved for one version) over a frame and
 * builds plain objects with camelCase keys. Fields the version lacks take their defaults, so a
 * decoded object has the same properties whatever the version. `bytes` and `records` are views into
 * the frame, never copies: copy them (`Buffer.from(view)`) before keeping them beyond the frame's life.
 *
 * Every count and length is checked against the bytes left before anything is allocated, so a frame
 * cannot make the reader allocate more than a small multiple of its own size.
 */

/** A tagged field this version does not know: kept as raw bytes and written back unchanged. */
export interface UnknownTaggedField {
  readonly tag: number
  readonly data: Buffer
}

/** Property under which a struct keeps tags it did not know, when it met any. */
export const UNKNOWN_TAGGED_FIELDS = '_unknownTaggedFields'

export function readStruct(plan: StructPlan, reader: FrameReader): Record<string, unknown> {
  const value: Record<string, unknown> = {}
  const fields = plan.fields
  let slot = 0
  try {
    for (; slot < fields.length; slot++) {
      const field = fields[slot]!
      value[field.key] = field.mode === Mode.WIRE ? readField(field, reader) : defaultOf(field)
    }
  } catch (error) {
    throw error instanceof ProtocolDecodeError ? error.inField(fields[slot]!.key) : error
  }
  if (plan.isFlexible) readTaggedFields(plan, value, reader)
  return value
}

function readField(field: FieldPlan, reader: FrameReader): unknown {
  switch (field.kind) {
    case Kind.BOOL:
      return reader.readBool()
    case Kind.INT8:
      return reader.readInt8()
    case Kind.INT16:
      return reader.readInt16()
    case Kind.UINT16:
      return reader.readUint16()
    case Kind.INT32:
      return reader.readInt32()
    case Kind.UINT32:
      return reader.readUint32()
    case Kind.INT64:
      return reader.readInt64()
    case Kind.FLOAT64:
      return reader.readFloat64()
    case Kind.UUID:
      return reader.readUuid()
    case Kind.STRING: {
      const lengthAt = reader.position
      const length = reader.readLength(field.isCompact, true)
      if (length === -1) return nullOrThrow(field, lengthAt)
      const start = reader.region(length, lengthAt)
      return reader.buf.toString('utf8', start, start + length)
    }
    case Kind.BYTES:
    case Kind.RECORDS: {
      const lengthAt = reader.position
      const length = reader.readLength(field.isCompact, false)
      if (length === -1) return nullOrThrow(field, lengthAt)
      const start = reader.region(length, lengthAt)
      return reader.buf.subarray(start, start + length)
    }
    case Kind.ARRAY:
      return readArray(field, reader)
    default:
      return readStruct(field.struct!, reader)
  }
}

function nullOrThrow(field: FieldPlan, lengthAt: number): null {
  if (!field.isNullable)
    throw new ProtocolDecodeError('unexpected-null', lengthAt, 'null in a field this version does not allow to be null')
  return null
}

function readArray(field: FieldPlan, reader: FrameReader): unknown[] | null {
  const countAt = reader.position
  const count = reader.readLength(field.isCompact, false)
  if (count === -1) return nullOrThrow(field, countAt)
  const element = field.element!
  // Elements of a struct whose fields are all absent take no bytes; count them as one so a count
  // cannot exceed the frame's size either way.
  if (count * Math.max(element.minSize, 1) > reader.remaining) {
    throw new ProtocolDecodeError(
      'length-past-end',
      countAt,
      `${count} elements of at least ${element.minSize} bytes with ${reader.remaining} left`,
    )
  }
  const items: unknown[] = []
  let index = 0
  try {
    for (; index < count; index++) items.push(readField(element, reader))
  } catch (error) {
    throw error instanceof ProtocolDecodeError ? error.inField(`[${index}]`) : error
  }
  return items
}

/** The section that ends every struct in flexible versions: a count, then tag, size and value each. */
function readTaggedFields(plan: StructPlan, value: Record<string, unknown>, reader: FrameReader): void {
  const count = reader.readUvarint()
  let unknown: UnknownTaggedField[] | null = null
  for (let read = 0; read < count; read++) {
    const tag = reader.readUvarint()
    const sizeAt = reader.position
    const size = reader.readUvarint()
    const start = reader.region(size, sizeAt)
    const field = taggedField(plan, tag)
    if (field === null) {
      unknown ??= []
      unknown.push({ tag, data: reader.buf.subarray(start, start + size) })
      continue
    }
    value[field.key] = readTaggedValue(field, reader, start, size)
  }
  if (unknown !== null) value[UNKNOWN_TAGGED_FIELDS] = unknown
}

/** Reads one tagged value inside its `size` bytes, which it must fill exactly. */
function readTaggedValue(field: FieldPlan, reader: FrameReader, start: number, size: number): unknown {
  const outerEnd = reader.end
  const end = start + size
  reader.position = start
  reader.end = end
  try {
    const value = readField(field, reader)
    if (reader.position !== end) {
      throw new ProtocolDecodeError('tagged-field-size', start, `value took ${reader.position - start} of its ${size} bytes`)
    }
    return value
  } catch (error) {
    throw error instanceof ProtocolDecodeError ? error.inField(field.key) : error
  } finally {
    reader.end = outerEnd
    reader.position = end
  }
}

function taggedField(plan: StructPlan, tag: number): FieldPlan | null {
  const tagged = plan.tagged
  for (let slot = 0; slot < tagged.length; slot++) if (tagged[slot]!.tag === tag) return tagged[slot]!
  return null
}

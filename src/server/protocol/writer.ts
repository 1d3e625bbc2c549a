import { ProtocolEncodeError } from './errors.js'
import { Kind, Mode, type FieldPlan, type StructPlan } from './plan.js'
import { INT16_SIZE, INT32_SIZE, isUuid, sizeOfUvarint, writeInt64, writeUvarint } from './primitives.js'
import { UNKNOWN_TAGGED_FIELDS, type UnknownTaggedField } from './reader.js'

/**
 * The one generic writer, in two passes over the same plan. The sizing pass checks every value and
 * computes the exact size, queueing the byte lengths the second pass needs (string byte lengths,
 * tagged-field sizes, tagged-field counts) so nothing is measured twice. The writing pass fills one
 * buffer. Record sets of PASSTHROUGH_MIN_BYTES or more are not copied: the result is a list of chunks
 * (our buffer's slices with the caller's record buffers between them) ready for one `writev`.
 *
 * A field left undefined takes its default. A field the version lacks must hold its default unless
 * the definition marks it ignorable, as Kafka's generated writers require.
 */

/** Smaller record sets are copied: one more iovec costs about as much as copying a kilobyte. */
export const PASSTHROUGH_MIN_BYTES = 1024

/** A record set to write: one buffer, or several (consecutive batches) sent back to back. */
export type RecordsInput = Buffer | readonly Buffer[] | null

const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({})
const NO_ITEMS: readonly unknown[] = Object.freeze([])

/** The default to write for a field left undefined; shared where it is never mutated, unlike `defaultOf`. */
function writeDefault(field: FieldPlan): unknown {
  if (field.kind === Kind.ARRAY) return field.defaultValue === null ? null : NO_ITEMS
  if (field.kind === Kind.STRUCT) return NO_FIELDS
  return field.defaultValue
}

interface SizeState {
  /** Lengths queued by the sizing pass, consumed in the same order by the writing pass. */
  readonly lengths: number[]
  /** Bytes of record sets that will be passed through rather than copied. */
  passthroughBytes: number
}

/** One struct to encode: a header and a body are written back to back into one allocation. */
export interface EncodePart {
  readonly plan: StructPlan
  readonly value: Readonly<Record<string, unknown>> | undefined
}

/** Encodes `parts` back to back, optionally after a 4-byte size prefix (a whole frame). */
export function encodeParts(parts: readonly EncodePart[], withSizePrefix: boolean): Buffer[] {
  const state: SizeState = { lengths: [], passthroughBytes: 0 }
  let size = 0
  for (const part of parts) size += sizeStruct(part.plan, part.value ?? NO_FIELDS, state)
  const total = size + (withSizePrefix ? INT32_SIZE : 0)
  const writer = new Writer(Buffer.allocUnsafe(total - state.passthroughBytes), state.lengths)
  if (withSizePrefix) writer.position = writer.buf.writeInt32BE(size, 0)
  for (const part of parts) writer.writeStruct(part.plan, part.value ?? NO_FIELDS)
  return writer.finish()
}

function sizeStruct(plan: StructPlan, value: Readonly<Record<string, unknown>>, state: SizeState): number {
  if (value === null || typeof value !== 'object') throw new ProtocolEncodeError('bad-value', `expected an object for ${plan.name}`)
  const fields = plan.fields
  let size = 0
  let slot = 0
  try {
    for (; slot < fields.length; slot++) {
      const field = fields[slot]!
      const given = value[field.key]
      if (field.mode === Mode.WIRE) size += sizeField(field, given === undefined ? writeDefault(field) : given, state)
      else if (field.mode === Mode.ABSENT && !field.isIgnorable && given !== undefined && !isDefault(field, given)) {
        throw new ProtocolEncodeError('non-default-in-version', 'the version being written lacks this field')
      }
    }
    if (plan.isFlexible) size += sizeTaggedFields(plan, value, state)
  } catch (error) {
    throw error instanceof ProtocolEncodeError && slot < fields.length ? error.inField(fields[slot]!.key) : error
  }
  return size
}

function sizeTaggedFields(plan: StructPlan, value: Readonly<Record<string, unknown>>, state: SizeState): number {
  const lengths = state.lengths
  const countSlot = lengths.length
  lengths.push(0)
  let count = 0
  let size = 0
  for (const field of plan.tagged) {
    const slot = lengths.length
    lengths.push(-1)
    const given = value[field.key]
    if (given === undefined || isDefault(field, given)) continue
    let dataSize: number
    try {
      dataSize = sizeField(field, given, state)
    } catch (error) {
      throw error instanceof ProtocolEncodeError ? error.inField(field.key) : error
    }
    lengths[slot] = dataSize
    size += sizeOfUvarint(field.tag) + sizeOfUvarint(dataSize) + dataSize
    count++
  }
  const unknown = value[UNKNOWN_TAGGED_FIELDS] as readonly UnknownTaggedField[] | undefined
  if (unknown !== undefined) {
    for (const field of unknown) size += sizeOfUvarint(field.tag) + sizeOfUvarint(field.data.length) + field.data.length
    count += unknown.length
  }
  lengths[countSlot] = count
  return size + sizeOfUvarint(count)
}

function sizeField(field: FieldPlan, value: unknown, state: SizeState): number {
  switch (field.kind) {
    case Kind.BOOL:
      if (typeof value !== 'boolean') throw badValue('a boolean', value)
      return 1
    case Kind.INT8:
      return checkInteger(value, -0x80, 0x7f, 1)
    case Kind.INT16:
      return checkInteger(value, -0x8000, 0x7fff, 2)
    case Kind.UINT16:
      return checkInteger(value, 0, 0xffff, 2)
    case Kind.INT32:
      return checkInteger(value, -0x8000_0000, 0x7fff_ffff, 4)
    case Kind.UINT32:
      return checkInteger(value, 0, 0xffff_ffff, 4)
    case Kind.INT64:
      return checkInteger(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 8)
    case Kind.FLOAT64:
      if (typeof value !== 'number') throw badValue('a number', value)
      return 8
    case Kind.UUID:
      if (!isUuid(value)) throw badValue('a uuid (22 base64url characters)', value)
      return 16
    case Kind.STRING:
      return sizeString(field, value, state)
    case Kind.BYTES:
      if (value === null) return sizeNull(field)
      if (!(value instanceof Uint8Array)) throw badValue('a Buffer', value)
      return sizeOfPrefix(field, value.length) + value.length
    case Kind.RECORDS:
      return sizeRecords(field, value, state)
    case Kind.ARRAY:
      return sizeArray(field, value, state)
    default:
      return sizeStruct(field.struct!, value as Record<string, unknown>, state)
  }
}

function sizeString(field: FieldPlan, value: unknown, state: SizeState): number {
  if (value === null) return sizeNull(field)
  if (typeof value !== 'string') throw badValue('a string', value)
  const length = Buffer.byteLength(value, 'utf8')
  if (!field.isCompact && length > 0x7fff)
    throw new ProtocolEncodeError('bad-value', `string of ${length} bytes does not fit an int16 length`)
  state.lengths.push(length)
  return sizeOfPrefix(field, length) + length
}

function sizeRecords(field: FieldPlan, value: unknown, state: SizeState): number {
  if (value === null) return sizeNull(field)
  let length = 0
  if (value instanceof Uint8Array) length = value.length
  else if (Array.isArray(value)) {
    for (const chunk of value) {
      if (!(chunk instanceof Uint8Array)) throw badValue('a Buffer in the record set list', chunk)
      length += chunk.length
    }
  } else throw badValue('a Buffer or a list of Buffers', value)
  state.lengths.push(length)
  if (length >= PASSTHROUGH_MIN_BYTES) state.passthroughBytes += length
  return sizeOfPrefix(field, length) + length
}

function sizeArray(field: FieldPlan, value: unknown, state: SizeState): number {
  if (value === null) return sizeNull(field)
  if (!Array.isArray(value)) throw badValue('an array', value)
  const element = field.element!
  let size = sizeOfPrefix(field, value.length)
  let index = 0
  try {
    for (; index < value.length; index++) size += sizeField(element, value[index], state)
  } catch (error) {
    throw error instanceof ProtocolEncodeError ? error.inField(`[${index}]`) : error
  }
  return size
}

function sizeNull(field: FieldPlan): number {
  if (!field.isNullable) throw new ProtocolEncodeError('null-not-allowed', 'this version does not allow null here')
  return field.isCompact ? 1 : field.kind === Kind.STRING ? INT16_SIZE : INT32_SIZE
}

function sizeOfPrefix(field: FieldPlan, length: number): number {
  if (field.isCompact) return sizeOfUvarint(length + 1)
  return field.kind === Kind.STRING ? INT16_SIZE : INT32_SIZE
}

function checkInteger(value: unknown, min: number, max: number, size: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badValue(`an integer in [${min}, ${max}]`, value)
  }
  return size
}

function badValue(expected: string, value: unknown): ProtocolEncodeError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : value instanceof Uint8Array ? 'a Buffer' : String(value)
  return new ProtocolEncodeError('bad-value', `expected ${expected}, got ${shown}`)
}

/** Kafka's rule for "holds its default": equal scalars; null or empty arrays and bytes; all-default structs. */
export function isDefault(field: FieldPlan, value: unknown): boolean {
  switch (field.kind) {
    case Kind.ARRAY:
      return field.defaultValue === null ? value === null : Array.isArray(value) && value.length === 0
    case Kind.BYTES:
      return field.defaultValue === null ? value === null : value instanceof Uint8Array && value.length === 0
    case Kind.RECORDS:
      return value === null
    case Kind.STRUCT:
      return isDefaultStruct(field.struct!, value)
    default:
      return value === field.defaultValue
  }
}

function isDefaultStruct(plan: StructPlan, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  const fields = value as Record<string, unknown>
  if (fields[UNKNOWN_TAGGED_FIELDS] !== undefined) return false
  for (const field of plan.fields) {
    const given = fields[field.key]
    if (given !== undefined && !isDefault(field, given)) return false
  }
  return true
}

/** The writing pass: fills one buffer sized by the sizing pass, consuming its queued lengths in order. */
class Writer {
  readonly buf: Buffer
  position = 0
  private readonly lengths: readonly number[]
  private lengthSlot = 0
  private readonly chunks: Buffer[] = []
  private chunkStart = 0

  constructor(buf: Buffer, lengths: readonly number[]) {
    this.buf = buf
    this.lengths = lengths
  }

  finish(): Buffer[] {
    if (this.position > this.chunkStart || this.chunks.length === 0) this.chunks.push(this.buf.subarray(this.chunkStart, this.position))
    return this.chunks
  }

  writeStruct(plan: StructPlan, value: Readonly<Record<string, unknown>>): void {
    for (const field of plan.fields) {
      if (field.mode !== Mode.WIRE) continue
      const given = value[field.key]
      this.writeField(field, given === undefined ? writeDefault(field) : given)
    }
    if (plan.isFlexible) this.writeTaggedFields(plan, value)
  }

  private writeTaggedFields(plan: StructPlan, value: Readonly<Record<string, unknown>>): void {
    this.writeUvarint(this.lengths[this.lengthSlot++]!)
    const unknown = (value[UNKNOWN_TAGGED_FIELDS] as readonly UnknownTaggedField[] | undefined) ?? []
    let next = 0
    for (const field of plan.tagged) {
      const dataSize = this.lengths[this.lengthSlot++]!
      if (dataSize === -1) continue
      // Kafka writes tags in ascending order; unknown tags kept from a read go in their place.
      while (next < unknown.length && unknown[next]!.tag < field.tag) this.writeUnknownTag(unknown[next++]!)
      this.writeUvarint(field.tag)
      this.writeUvarint(dataSize)
      this.writeField(field, value[field.key])
    }
    while (next < unknown.length) this.writeUnknownTag(unknown[next++]!)
  }

  private writeUnknownTag(field: UnknownTaggedField): void {
    this.writeUvarint(field.tag)
    this.writeUvarint(field.data.length)
    this.position += field.data.copy(this.buf, this.position)
  }

  private writeField(field: FieldPlan, value: unknown): void {
    const buf = this.buf
    switch (field.kind) {
      case Kind.BOOL:
        buf[this.position++] = value === true ? 1 : 0
        return
      case Kind.INT8:
        this.position = buf.writeInt8(value as number, this.position)
        return
      case Kind.INT16:
        this.position = buf.writeInt16BE(value as number, this.position)
        return
      case Kind.UINT16:
        this.position = buf.writeUInt16BE(value as number, this.position)
        return
      case Kind.INT32:
        this.position = buf.writeInt32BE(value as number, this.position)
        return
      case Kind.UINT32:
        this.position = buf.writeUInt32BE(value as number, this.position)
        return
      case Kind.INT64:
        writeInt64(buf, value as number, this.position)
        this.position += 8
        return
      case Kind.FLOAT64:
        this.position = buf.writeDoubleBE(value as number, this.position)
        return
      case Kind.UUID:
        this.position += buf.write(value as string, this.position, 16, 'base64url')
        return
      case Kind.STRING:
        if (value === null) return this.writeLength(field, -1)
        this.writeLength(field, this.lengths[this.lengthSlot++]!)
        this.position += buf.write(value as string, this.position, 'utf8')
        return
      case Kind.BYTES:
        if (value === null) return this.writeLength(field, -1)
        this.writeLength(field, (value as Uint8Array).length)
        buf.set(value as Uint8Array, this.position)
        this.position += (value as Uint8Array).length
        return
      case Kind.RECORDS:
        return this.writeRecords(field, value as RecordsInput)
      case Kind.ARRAY:
        return this.writeArray(field, value as readonly unknown[] | null)
      default:
        return this.writeStruct(field.struct!, value as Record<string, unknown>)
    }
  }

  private writeArray(field: FieldPlan, value: readonly unknown[] | null): void {
    if (value === null) return this.writeLength(field, -1)
    this.writeLength(field, value.length)
    const element = field.element!
    for (let index = 0; index < value.length; index++) this.writeField(element, value[index])
  }

  private writeRecords(field: FieldPlan, value: RecordsInput): void {
    if (value === null) return this.writeLength(field, -1)
    const length = this.lengths[this.lengthSlot++]!
    this.writeLength(field, length)
    const list: readonly Buffer[] = value instanceof Uint8Array ? [value] : value
    if (length < PASSTHROUGH_MIN_BYTES) {
      for (const chunk of list) {
        this.buf.set(chunk, this.position)
        this.position += chunk.length
      }
      return
    }
    if (this.position > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.position))
    for (const chunk of list) if (chunk.length > 0) this.chunks.push(chunk)
    this.chunkStart = this.position
  }

  private writeLength(field: FieldPlan, length: number): void {
    if (field.isCompact) this.writeUvarint(length + 1)
    else if (field.kind === Kind.STRING) this.position = this.buf.writeInt16BE(length, this.position)
    else this.position = this.buf.writeInt32BE(length, this.position)
  }

  private writeUvarint(value: number): void {
    this.position = writeUvarint(this.buf, value, this.position)
  }
}

import type { FieldDef, MessageDef, StructDef } from './schema.js'

/**
 * TypeScript types derived from the definitions themselves, so a handler gets
 * `request.topics[0].partitions[0].fetchOffset: number` without a hand-written interface that could
 * drift from the data the codec walks. Decoded values have every field (absent ones hold their
 * defaults); values to encode may leave any field out.
 */

interface DecodedPrimitives {
  bool: boolean
  int8: number
  int16: number
  uint16: number
  int32: number
  uint32: number
  int64: number
  float64: number
  uuid: string
  string: string
  bytes: Buffer
  records: Buffer
}

interface InputPrimitives extends Omit<DecodedPrimitives, 'bytes' | 'records'> {
  bytes: Uint8Array
  /** Several buffers (consecutive batches) are written back to back as one record set. */
  records: Buffer | readonly Buffer[]
}

type Primitives<IsDecoded> = IsDecoded extends true ? DecodedPrimitives : InputPrimitives

type StructFields<F extends FieldDef, Name extends string, Common> = F extends { fields: infer Fields extends readonly FieldDef[] }
  ? Fields
  : Common extends readonly StructDef[]
    ? Extract<Common[number], { name: Name }>['fields']
    : never

type ElementValue<F extends FieldDef, TypeName extends string, Common, IsDecoded> = TypeName extends keyof DecodedPrimitives
  ? Primitives<IsDecoded>[TypeName]
  : StructValue<StructFields<F, TypeName, Common>, Common, IsDecoded>

type FieldValue<F extends FieldDef, Common, IsDecoded> =
  | (F['type'] extends `[]${infer Element}`
      ? IsDecoded extends true
        ? ElementValue<F, Element, Common, IsDecoded>[]
        : readonly ElementValue<F, Element, Common, IsDecoded>[]
      : ElementValue<F, F['type'], Common, IsDecoded>)
  | (F extends { nullableVersions: string } ? null : never)

export type StructValue<Fields extends readonly FieldDef[], Common, IsDecoded> = IsDecoded extends true
  ? { [F in Fields[number] as Uncapitalize<F['name']>]: FieldValue<F, Common, IsDecoded> }
  : { [F in Fields[number] as Uncapitalize<F['name']>]?: FieldValue<F, Common, IsDecoded> }

/** A decoded message: plain object, camelCase keys, every field present. */
export type MessageValue<M extends MessageDef> = StructValue<M['fields'], M['commonStructs'], true>

/** A message to encode: any field may be left out and takes its default. */
export type MessageInput<M extends MessageDef> = StructValue<M['fields'], M['commonStructs'], false>

import { InvalidArgumentError, InvalidRecordError } from '../errors.js'
import type { RecordHeader, RecordInput } from './record.js'

/** Kafka's NO_TIMESTAMP: a record (or batch) without a timestamp. */
export const NO_TIMESTAMP = -1

/**
 * The one check of a record a caller hands in (`appendRecords`, `encodeBatch`, `producer.send`),
 * so every entry point accepts the same shapes and refuses the rest with InvalidRecordError
 * (INVALID_ARGUMENT) naming the field, as in `records[3].headers[0].key must be a string`, never
 * with a TypeError from deep inside the encoder.
 *
 * | field        | accepted                                                        | encoded as         |
 * |--------------|-----------------------------------------------------------------|--------------------|
 * | key, value   | Buffer, Uint8Array, string (UTF-8), null, undefined (= null)    | bytes, or null     |
 * | headers      | array of { key: string, value: as key }, or { [key]: value }    | RecordHeader[]     |
 * | timestamp    | integer ms in [0, 2^53), or -1 (none); null/undefined for "now" | number             |
 *
 * A record that already is a RecordInput (Buffer or null key and value, a header array of string
 * keys and Buffer or null values, a valid timestamp or none) is returned as it is after a few type
 * checks: that is the encoder's hot path. Anything else is copied into a new object.
 */

export type BytesLike = Buffer | Uint8Array | string

/** What callers may pass for one record; `RecordInput` is the normalized subset. */
export interface RecordLike {
  key?: BytesLike | null
  value?: BytesLike | null
  headers?: readonly { key: string; value?: BytesLike | null }[] | Record<string, BytesLike | null | undefined>
  timestamp?: number | null
}

/**
 * `isBuffer(x)` answers what `x instanceof Buffer` does, at a fifth of the cost: V8 does not
 * optimize `instanceof Buffer` (about 15–20 ns a check on Node 20, two per record on the append
 * path), while `instanceof` a plain function with the same prototype compiles to a prototype-chain
 * check of a few ns. Buffer defines no Symbol.hasInstance, so both walk the same chain.
 */
function BufferPrototypeProbe(): void {}
BufferPrototypeProbe.prototype = Buffer.prototype

export function isBuffer(value: unknown): value is Buffer {
  return value instanceof (BufferPrototypeProbe as unknown as typeof Buffer)
}

/** Checks the record at `name[slot]`; returns it unchanged when it needs no conversion. */
export function normalizeRecord(input: unknown, slot: number, name = 'records'): RecordInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(name, slot, '', 'must be a record object ({ key, value, headers, timestamp })', input)
  }
  const record = input as RecordLike
  const key = record.key
  const value = record.value
  const headers = record.headers
  const timestamp = record.timestamp
  if (
    (key === undefined || key === null || isBuffer(key)) &&
    (value === null || isBuffer(value)) &&
    (headers === undefined || (Array.isArray(headers) && hasPlainHeaders(headers))) &&
    (timestamp === undefined || isTimestamp(timestamp))
  ) {
    return record as RecordInput
  }
  return convertRecord(record, name, slot)
}

/**
 * Lists whose records all came out of `normalizeRecord` (the producer's batches, built from records
 * it checked as they were sent): the encoder does not check them a second time.
 */
const checkedLists = new WeakSet<readonly RecordInput[]>()

/** Marks a list of `normalizeRecord` results as checked; the caller must not add anything else to it. */
export function markChecked(records: readonly RecordInput[]): void {
  checkedLists.add(records)
}

/**
 * Checks every record of a list; returns the list itself when none needed converting (no
 * allocation), otherwise a copy with the converted ones in place.
 */
export function normalizeRecords(records: unknown, name = 'records'): readonly RecordInput[] {
  if (!Array.isArray(records)) throw new InvalidArgumentError(`${name} must be an array of records, got ${describe(records)}`)
  if (checkedLists.has(records)) return records as RecordInput[]
  let converted: RecordInput[] | null = null
  for (let slot = 0; slot < records.length; slot++) {
    const record = records[slot] as unknown
    const normalized = normalizeRecord(record, slot, name)
    if (normalized !== record) {
      converted ??= records.slice() as RecordInput[]
      converted[slot] = normalized
    }
  }
  return converted ?? (records as RecordInput[])
}

function hasPlainHeaders(headers: readonly unknown[]): boolean {
  for (let slot = 0; slot < headers.length; slot++) {
    const header = headers[slot] as RecordHeader | null
    if (typeof header !== 'object' || header === null || typeof header.key !== 'string') return false
    if (header.value !== null && !isBuffer(header.value)) return false
  }
  return true
}

/** -1 is Kafka's NO_TIMESTAMP: the record has none (a segment then rolls by the wall clock). */
function isTimestamp(timestamp: unknown): boolean {
  return Number.isSafeInteger(timestamp) && (timestamp as number) >= NO_TIMESTAMP
}

function convertRecord(record: RecordLike, name: string, slot: number): RecordInput {
  const timestamp = record.timestamp
  if (timestamp !== undefined && timestamp !== null && !isTimestamp(timestamp)) {
    throw invalid(
      name,
      slot,
      '.timestamp',
      'must be an integer number of milliseconds in [0, 2^53), -1 for none, or null/undefined for now',
      timestamp,
    )
  }
  return {
    key: toBytes(record.key, name, slot, '.key'),
    value: toBytes(record.value, name, slot, '.value'),
    headers: toHeaders(record.headers, name, slot),
    timestamp: timestamp ?? undefined,
  }
}

function toHeaders(headers: RecordLike['headers'], name: string, slot: number): RecordHeader[] | undefined {
  if (headers === undefined || headers === null) return undefined
  if (typeof headers !== 'object')
    throw invalid(name, slot, '.headers', 'must be an array of { key, value } or an object of key: value', headers)
  const list: RecordHeader[] = []
  if (Array.isArray(headers)) {
    for (let index = 0; index < headers.length; index++) {
      const header = headers[index] as unknown
      if (typeof header !== 'object' || header === null)
        throw invalid(name, slot, `.headers[${index}]`, 'must be a { key, value } object', header)
      const { key, value } = header as { key: unknown; value: unknown }
      if (typeof key !== 'string') throw invalid(name, slot, `.headers[${index}].key`, 'must be a string', key)
      list.push({ key, value: toBytes(value, name, slot, `.headers[${index}].value`) })
    }
    return list
  }
  for (const [key, value] of Object.entries(headers))
    list.push({ key, value: toBytes(value, name, slot, `.headers[${JSON.stringify(key)}]`) })
  return list
}

function toBytes(value: unknown, name: string, slot: number, field: string): Buffer | null {
  if (value === undefined || value === null) return null
  if (isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  // A view, not a copy: the caller's bytes are encoded as a Buffer over them would be.
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw invalid(name, slot, field, 'must be a Buffer, Uint8Array, string or null', value)
}

function invalid(name: string, slot: number, field: string, rule: string, value: unknown): InvalidRecordError {
  const where = `${name}[${slot}]${field}`
  return new InvalidRecordError(where, slot, `${where} ${rule}, got ${describe(value)}`)
}

/** A short description of a bad value for an error message (never the value itself). */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return 'a string'
    case 'number':
    case 'bigint':
      return `the ${typeof value} ${String(value)}`
    case 'object':
      return `an object (${(value as object).constructor?.name ?? 'no prototype'})`
    default:
      return `a ${typeof value}`
  }
}

import { describe, expect, it } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { markChecked, normalizeRecord, normalizeRecords } from '../../src/record/record-input.js'
import type { RecordInput } from '../../src/record/record.js'

/**
 * What encodeBatch (and so appendRecords and the producer) accepts as a record, and how it
 * refuses the rest: INVALID_ARGUMENT with the field named, never a raw TypeError or RangeError,
 * and never a silently stored NaN or fractional timestamp.
 */

const T = 1_700_000_000_000

function encodeError(records: readonly unknown[]): SeglogError & { field?: string; recordIndex?: number } {
  try {
    encodeBatch(records as RecordInput[], { now: T })
  } catch (error) {
    expect(error).toBeInstanceOf(SeglogError)
    return error as SeglogError
  }
  throw new Error('expected encodeBatch to throw')
}

function decodeOne(batch: Buffer): { key: string | null; value: string | null; headers: [string, string | null][]; timestamp: number }[] {
  return new RecordBatch(batch).toArray().map((record) => ({
    key: record.key?.toString() ?? null,
    value: record.value?.toString() ?? null,
    headers: record.headers.map((header) => [header.key, header.value?.toString() ?? null]),
    timestamp: record.timestamp,
  }))
}

describe('encodeBatch refuses malformed records with INVALID_ARGUMENT naming the field', () => {
  const good = { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: T }
  const cases: [string, unknown, string][] = [
    ['a number value', { value: 12345 }, 'records[3].value'],
    ['an object value', { value: { a: 1 } }, 'records[3].value'],
    ['a number key', { key: 7, value: null }, 'records[3].key'],
    ['an object key', { key: {}, value: null }, 'records[3].key'],
    ['a boolean value', { value: true }, 'records[3].value'],
    ['a null record', null, 'records[3]'],
    ['a string record', 'hello', 'records[3]'],
    ['an array record', [Buffer.from('x')], 'records[3]'],
    ['a non-string header key', { value: null, headers: [{ key: 1, value: null }] }, 'records[3].headers[0].key'],
    ['a null header', { value: null, headers: [null] }, 'records[3].headers[0]'],
    ['a number header value', { value: null, headers: [{ key: 'h', value: 5 }] }, 'records[3].headers[0].value'],
    ['a number header value in object form', { value: null, headers: { h: 5 } }, 'records[3].headers["h"]'],
    ['headers that are a string', { value: null, headers: 'h:v' }, 'records[3].headers'],
    ['a NaN timestamp', { value: null, timestamp: Number.NaN }, 'records[3].timestamp'],
    ['a fractional timestamp', { value: null, timestamp: 1.5 }, 'records[3].timestamp'],
    ['a negative timestamp', { value: null, timestamp: -5 }, 'records[3].timestamp'],
    ['a timestamp of -2', { value: null, timestamp: -2 }, 'records[3].timestamp'],
    ['an infinite timestamp', { value: null, timestamp: Number.POSITIVE_INFINITY }, 'records[3].timestamp'],
    ['a 2^63 timestamp', { value: null, timestamp: 2 ** 63 }, 'records[3].timestamp'],
    ['a string timestamp', { value: null, timestamp: '1700000000000' }, 'records[3].timestamp'],
    ['a bigint timestamp', { value: null, timestamp: 10n }, 'records[3].timestamp'],
  ]
  for (const [what, bad, field] of cases) {
    it(`${what}`, () => {
      const error = encodeError([good, good, good, bad])
      expect(error.code).toBe('INVALID_ARGUMENT')
      expect(error.field).toBe(field)
      expect(error.recordIndex).toBe(3)
    })
  }

  it('refuses a list that is not an array', () => {
    for (const bad of [null, 'records', { length: 1, 0: good }]) {
      let error: unknown
      try {
        encodeBatch(bad as unknown as RecordInput[])
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(SeglogError)
      expect((error as SeglogError).code).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('encodeBatch accepts what callers pass in practice', () => {
  it('takes Buffers, Uint8Arrays and strings (UTF-8) for keys, values and header values', () => {
    const bytes = new Uint8Array([0x61, 0x62, 0x63, 0x64]).subarray(1, 3) // a view that does not start at 0
    const batch = encodeBatch(
      [
        { key: 'clé', value: 'välue', headers: [{ key: 'h', value: 'hv' }], timestamp: T },
        { key: bytes, value: bytes, headers: [{ key: 'u8', value: bytes }], timestamp: T + 1 },
        { key: Buffer.from('b'), value: Buffer.from('bv'), headers: { one: '1', two: Buffer.from('2'), none: null }, timestamp: T + 2 },
      ] as unknown as RecordInput[],
      { now: T },
    )
    expect(decodeOne(batch)).toEqual([
      { key: 'clé', value: 'välue', headers: [['h', 'hv']], timestamp: T },
      { key: 'bc', value: 'bc', headers: [['u8', 'bc']], timestamp: T + 1 },
      {
        key: 'b',
        value: 'bv',
        headers: [
          ['one', '1'],
          ['two', '2'],
          ['none', null],
        ],
        timestamp: T + 2,
      },
    ])
  })

  it('takes null and undefined for key and value, and null or no timestamp for now', () => {
    const batch = encodeBatch([{ value: null }, { key: undefined, value: undefined, timestamp: null }, {}] as unknown as RecordInput[], {
      now: T,
    })
    expect(decodeOne(batch)).toEqual([
      { key: null, value: null, headers: [], timestamp: T },
      { key: null, value: null, headers: [], timestamp: T },
      { key: null, value: null, headers: [], timestamp: T },
    ])
  })

  it("accepts timestamps 0 and 2^53 - 1, and -1 (Kafka's NO_TIMESTAMP: none)", () => {
    const batch = encodeBatch([
      { value: null, timestamp: 0 },
      { value: null, timestamp: Number.MAX_SAFE_INTEGER },
      { value: null, timestamp: -1 },
    ])
    expect(decodeOne(batch).map((record) => record.timestamp)).toEqual([0, Number.MAX_SAFE_INTEGER, -1])
  })
})

describe('normalizeRecord', () => {
  it('returns a record that needs no conversion as it is, and a list of them as it is', () => {
    const plain: RecordInput = {
      key: Buffer.from('k'),
      value: null,
      headers: [
        { key: 'h', value: Buffer.from('v') },
        { key: 'n', value: null },
      ],
      timestamp: 0,
    }
    expect(normalizeRecord(plain, 0)).toBe(plain)
    const list = [plain, { value: Buffer.alloc(0) }]
    expect(normalizeRecords(list)).toBe(list)
  })

  it('copies a list only when a record in it needed converting, and leaves the caller’s objects alone', () => {
    const record = { value: 'text', headers: { h: 'v' } }
    const plain = { value: Buffer.from('x') }
    const list = [plain, record]
    const normalized = normalizeRecords(list)
    expect(normalized).not.toBe(list)
    expect(normalized[0]).toBe(plain)
    expect(normalized[1]).toEqual({
      key: null,
      value: Buffer.from('text'),
      headers: [{ key: 'h', value: Buffer.from('v') }],
      timestamp: undefined,
    })
    expect(record).toEqual({ value: 'text', headers: { h: 'v' } })
  })

  it('does not check a list marked as checked again, and still checks every other list', () => {
    const checked = [normalizeRecord({ value: Buffer.from('x') }, 0)]
    markChecked(checked)
    // What a marked list holds is trusted: a later change to it (which its owner must not make) goes unnoticed.
    ;(checked[0] as { value: unknown }).value = 'not converted'
    expect(normalizeRecords(checked)).toBe(checked)
    const unmarked = [{ value: 'text' }]
    expect(normalizeRecords(unmarked)).not.toBe(unmarked)
    expect(() => normalizeRecords([{ value: 1 }])).toThrow(SeglogError)
  })

  it('names the list it was given', () => {
    let error: unknown
    try {
      normalizeRecord({ value: 1 }, 2, 'send')
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'send[2].value', recordIndex: 2 })
  })
})

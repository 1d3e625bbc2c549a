import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '../../src/record/errors.js'
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../src/record/varint.js'

function roundTripVarint(value: number): { bytes: Buffer; decoded: number } {
  const buf = Buffer.alloc(10)
  const end = writeVarint(buf, value, 0)
  expect(end).toBe(sizeOfVarint(value))
  const cursor = { position: 0 }
  const decoded = readVarint(buf, cursor, end)
  expect(cursor.position).toBe(end)
  return { bytes: buf.subarray(0, end), decoded }
}

function roundTripVarlong(value: number): { bytes: Buffer; decoded: number } {
  const buf = Buffer.alloc(12)
  const end = writeVarlong(buf, value, 0)
  expect(end).toBe(sizeOfVarlong(value))
  const cursor = { position: 0 }
  const decoded = readVarlong(buf, cursor, end)
  expect(cursor.position).toBe(end)
  return { bytes: buf.subarray(0, end), decoded }
}

describe('zigzag varint', () => {
  it('encodes the spec vectors', () => {
    expect(roundTripVarint(-1).bytes).toEqual(Buffer.from([0x01]))
    expect(roundTripVarint(0).bytes).toEqual(Buffer.from([0x00]))
    expect(roundTripVarint(5).bytes).toEqual(Buffer.from([0x0a]))
    expect(roundTripVarint(11).bytes).toEqual(Buffer.from([0x16]))
    expect(roundTripVarint(64).bytes).toEqual(Buffer.from([0x80, 0x01]))
  })

  it('round-trips the int32 edges', () => {
    for (const value of [0, 1, -1, 63, -64, 64, -65, 8191, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)]) {
      expect(roundTripVarint(value).decoded).toBe(value)
    }
    expect(sizeOfVarint(2 ** 31 - 1)).toBe(5)
  })

  it('rejects a sixth byte and a truncated varint', () => {
    const tooLong = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    expect(() => readVarint(tooLong, { position: 0 }, tooLong.length)).toThrow(CorruptRecordError)
    try {
      readVarint(tooLong, { position: 0 }, tooLong.length)
    } catch (error) {
      expect((error as CorruptRecordError).reason).toBe('varint-overflow')
    }
    const cut = Buffer.from([0x80, 0x80])
    expect(() => readVarint(cut, { position: 0 }, cut.length)).toThrowError(expect.objectContaining({ reason: 'truncated-record' }))
  })
})

describe('zigzag varlong', () => {
  it('round-trips values across the 28-bit fast path and up to the safe range', () => {
    const values = [
      0,
      -1,
      1,
      2 ** 27,
      -(2 ** 27),
      2 ** 30,
      -(2 ** 30) - 1,
      2 ** 31,
      1700000000000,
      -1700000000000,
      2 ** 52,
      -(2 ** 52),
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER + 1,
    ]
    for (const value of values) expect(roundTripVarlong(value).decoded).toBe(value)
    expect(roundTripVarlong(2 ** 52).decoded).toBe(2 ** 52)
  })

  it('matches the varint encoding for small values', () => {
    for (const value of [0, -1, 300, -300, 2 ** 29]) {
      expect(roundTripVarlong(value).bytes).toEqual(roundTripVarint(value).bytes)
    }
  })

  it('rejects an eleventh byte and values beyond 2^53', () => {
    const tooLong = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    expect(() => readVarlong(tooLong, { position: 0 }, tooLong.length)).toThrowError(expect.objectContaining({ reason: 'varint-overflow' }))
    // zigzag of 2^60: eight continuation bytes then a final group, all in range of 10 bytes.
    const huge = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])
    expect(() => readVarlong(huge, { position: 0 }, huge.length)).toThrowError(expect.objectContaining({ reason: 'unsafe-int64' }))
  })
})

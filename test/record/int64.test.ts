import { describe, expect, it } from 'vitest'
import { readSafeInt64BE, writeInt64BE } from '../../src/record/int64.js'

describe('int64 as safe numbers', () => {
  it('round-trips safe integers exactly, negative ones included', () => {
    const buf = Buffer.alloc(8)
    for (const value of [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 + 1, 1700000000000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      writeInt64BE(buf, value, 0)
      expect(buf.readBigInt64BE(0)).toBe(BigInt(value))
      expect(readSafeInt64BE(buf, 0)).toBe(value)
    }
  })

  it('rejects values outside the safe range instead of rounding them', () => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64BE(2n ** 53n, 0)
    expect(() => readSafeInt64BE(buf, 0)).toThrowError(
      expect.objectContaining({ code: 'CORRUPT_RECORD', reason: 'unsafe-int64', position: 0 }),
    )
    buf.writeBigInt64BE(-(2n ** 63n), 0)
    expect(() => readSafeInt64BE(buf, 0)).toThrowError(expect.objectContaining({ reason: 'unsafe-int64' }))
  })
})

import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CorruptCompressionError, gzipCodec } from '../../src/compression/index.js'
import { compressibleBytes, KIB, MIB, thrownBy } from './helpers.js'

function corruptionOf(fn: () => unknown): CorruptCompressionError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(CorruptCompressionError)
  return error as CorruptCompressionError
}

describe('gzip', () => {
  const input = compressibleBytes(100 * KIB, 1)

  it('writes one RFC 1952 member: 1F 8B 08, no flags, MTIME 0', () => {
    const member = gzipCodec.compress(input)
    expect(member.subarray(0, 8).toString('hex')).toBe('1f8b080000000000')
    expect(member.readUInt32LE(member.length - 4)).toBe(input.length)
  })

  it('reads concatenated members', () => {
    const members = Buffer.concat([gzipSync(input.subarray(0, 10)), gzipSync(Buffer.alloc(0)), gzipSync(input.subarray(10))])
    expect(gzipCodec.decompress(members, MIB).equals(input)).toBe(true)
  })

  it('reads a member with header flags (FNAME) and another OS byte', () => {
    const member = gzipSync(input)
    const withName = Buffer.concat([
      member.subarray(0, 3),
      Buffer.from([0x08, 0, 0, 0, 0, 0, 0xff]),
      Buffer.from('name\0'),
      member.subarray(10),
    ])
    expect(gzipCodec.decompress(withName, MIB).equals(input)).toBe(true)
  })

  it("rejects, wrapping zlib's error: garbage, truncation, a bad CRC, trailing garbage, empty input", () => {
    const member = gzipCodec.compress(input)
    const badCrc = Buffer.from(member)
    badCrc[badCrc.length - 8] = badCrc[badCrc.length - 8]! ^ 1
    for (const bad of [
      Buffer.from('not gzip'),
      member.subarray(0, member.length - 3),
      badCrc,
      Buffer.concat([member, Buffer.from('xx')]),
      Buffer.alloc(0),
    ]) {
      const error = corruptionOf(() => gzipCodec.decompress(bad, MIB))
      expect(error).toMatchObject({ code: 'CORRUPT_RECORD', codec: 'gzip' })
      expect(error.cause).toBeInstanceOf(Error)
    }
  })

  it('rejects, quickly, a member that would decompress past maxOutputBytes', () => {
    const bomb = gzipSync(Buffer.alloc(64 * MIB))
    const started = performance.now()
    expect(corruptionOf(() => gzipCodec.decompress(bomb, MIB)).detail).toMatch(/maxOutputBytes/)
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('honours a limit of 0', () => {
    expect(gzipCodec.decompress(gzipSync(Buffer.alloc(0)), 0).length).toBe(0)
    expect(corruptionOf(() => gzipCodec.decompress(gzipSync(Buffer.from('x')), 0)).detail).toMatch(/maxOutputBytes/)
  })
})

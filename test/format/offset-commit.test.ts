import { describe, expect, it } from 'vitest'
import {
  decodeOffsetCommitValue,
  decodeOffsetKey,
  decodeOffsetValue,
  encodeOffsetKey,
  encodeOffsetValue,
  OFFSET_COMMIT_KEY_VERSION,
  OFFSET_COMMIT_VALUE_VERSION,
} from '../../src/format/offset-commit.js'
import { SeglogError } from '../../src/errors.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { prng } from '../consumer/helpers.js'

/**
 * The records of the offsets log: Kafka's OffsetCommitKey v1 and OffsetCommitValue v3, byte for
 * byte. The expected bytes below were worked out by hand from Kafka's schemas (big-endian, strings
 * as int16 length + UTF-8), not produced by the encoder under test.
 */

/** Hex with spaces and `#` comments allowed, to Buffer. */
function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').replace(/\s+/g, ''))
    .join('')
  return Buffer.from(digits, 'hex')
}

// 1_700_000_000_000 = 0x0000018b_cfe56800 (395 * 2^32 + 3_487_918_080).
const T = 1_700_000_000_000
const T_HEX = '0000018b cfe56800'

describe('encodeOffsetKey', () => {
  it('writes OffsetCommitKey v1: version, group, topic, partition', () => {
    expect(OFFSET_COMMIT_KEY_VERSION).toBe(1)
    const expected = hex(`
      0001          # version 1
      0002 6731     # group "g1"
      0001 74       # topic "t"
      00000003      # partition 3
    `)
    expect(encodeOffsetKey({ group: 'g1', topic: 't', partition: 3 }).toString('hex')).toBe(expected.toString('hex'))
  })

  it('counts string lengths in UTF-8 bytes, not characters', () => {
    const expected = hex(`
      0001
      0003 c3a978   # group "éx": 3 bytes, 2 characters
      0000          # topic "" (the encoder does not judge names)
      7fffffff      # partition 2^31 - 1
    `)
    expect(encodeOffsetKey({ group: 'éx', topic: '', partition: 0x7fffffff }).equals(expected)).toBe(true)
  })

  it('round-trips through decodeOffsetKey', () => {
    const key = { group: 'orders-service', topic: 'orders.v2', partition: 17 }
    expect(decodeOffsetKey(encodeOffsetKey(key))).toEqual(key)
  })

  it('reads key version 0 (same layout) and returns null for other record types', () => {
    const v0 = hex('0000 0001 67 0001 74 00000009')
    expect(decodeOffsetKey(v0)).toEqual({ group: 'g', topic: 't', partition: 9 })
    // Version 2 is GroupMetadataKey: just a group. The store skips such records.
    expect(decodeOffsetKey(hex('0002 0001 67'))).toBeNull()
    expect(decodeOffsetKey(hex('ffff'))).toBeNull()
  })
})

describe('encodeOffsetValue', () => {
  it('writes OffsetCommitValue v3: version, offset, leaderEpoch -1, metadata, commitTimestamp', () => {
    expect(OFFSET_COMMIT_VALUE_VERSION).toBe(3)
    const expected = hex(`
      0003                # version 3
      00000000 0000002a   # offset 42
      ffffffff            # leaderEpoch -1 (none)
      0001 6d             # metadata "m"
      ${T_HEX}            # commitTimestamp 1_700_000_000_000
    `)
    const actual = encodeOffsetValue({ offset: 42, metadata: 'm', commitTimestamp: T })
    expect(actual.toString('hex')).toBe(expected.toString('hex'))
  })

  it('writes offsets above 2^32 and empty metadata exactly', () => {
    const expected = hex(`
      0003
      00000001 00000005   # offset 2^32 + 5
      ffffffff
      0000                # metadata ""
      00000000 00000000   # commitTimestamp 0
    `)
    expect(encodeOffsetValue({ offset: 2 ** 32 + 5, metadata: '', commitTimestamp: 0 }).equals(expected)).toBe(true)
  })

  it('round-trips through decodeOffsetValue', () => {
    const value = { offset: Number.MAX_SAFE_INTEGER, metadata: 'ünïcode ✓', commitTimestamp: T }
    expect(decodeOffsetValue(encodeOffsetValue(value))).toEqual(value)
  })
})

describe('decodeOffsetValue reads every version Kafka wrote', () => {
  const want = { offset: 42, metadata: 'm', commitTimestamp: T }

  it('v0: offset, metadata, commitTimestamp', () => {
    expect(decodeOffsetValue(hex(`0000 00000000 0000002a 0001 6d ${T_HEX}`))).toEqual(want)
  })

  it('v1: adds expireTimestamp after commitTimestamp (ignored)', () => {
    expect(decodeOffsetValue(hex(`0001 00000000 0000002a 0001 6d ${T_HEX} 0000018c 00000000`))).toEqual(want)
    // Kafka writes -1 when the commit has no explicit expiry.
    expect(decodeOffsetValue(hex(`0001 00000000 0000002a 0001 6d ${T_HEX} ffffffff ffffffff`))).toEqual(want)
  })

  it('v2: the v0 layout', () => {
    expect(decodeOffsetValue(hex(`0002 00000000 0000002a 0001 6d ${T_HEX}`))).toEqual(want)
  })

  it('v3: adds leaderEpoch after offset (ignored)', () => {
    expect(decodeOffsetValue(hex(`0003 00000000 0000002a 00000007 0001 6d ${T_HEX}`))).toEqual(want)
  })

  it('v4 (flexible): compact metadata string, then tagged fields, which are skipped', () => {
    // Compact string length is the unsigned varint length + 1: "m" is 02 6d. An empty tag section is 00.
    expect(decodeOffsetCommitValue(hex(`0004 00000000 0000002a 00000007 02 6d ${T_HEX} 00`))).toEqual({
      ...want,
      version: 4,
      leaderEpoch: 7,
      expireTimestamp: null,
    })
    // Two tagged fields no schema defines yet (tag 0, 3 bytes; tag 5, 0 bytes) are skipped whole.
    expect(decodeOffsetValue(hex(`0004 00000000 0000002a ffffffff 02 6d ${T_HEX} 02 00 03 aabbcc 05 00`))).toEqual(want)
    // A 130-byte metadata string takes a two-byte varint: 131 = 0x83 0x01.
    const long = 'x'.repeat(130)
    const bytes = hex(`0004 00000000 0000002a ffffffff 8301 ${Buffer.from(long).toString('hex')} ${T_HEX} 00`)
    expect(decodeOffsetValue(bytes)).toEqual({ ...want, metadata: long })
  })

  it('v4 cut anywhere is truncated-record, never a misread value', () => {
    const v4 = hex(`0004 00000000 0000002a ffffffff 02 6d ${T_HEX} 01 00 02 aabb`)
    for (let length = 2; length < v4.length; length++) {
      const error = catchError(() => decodeOffsetValue(v4.subarray(0, length)))
      expect((error as CorruptRecordError).reason, `cut at ${length}`).toBe('truncated-record')
    }
  })

  it('a version no schema defines is unknown-version at byte 0, not truncation', () => {
    for (const bytes of [hex(`0005 00000000 0000002a 0001 6d ${T_HEX}`), hex(`ffff 00000000 0000002a 0001 6d ${T_HEX}`), hex('7fff')]) {
      const error = catchError(() => decodeOffsetValue(bytes))
      expect(error).toBeInstanceOf(CorruptRecordError)
      expect((error as CorruptRecordError).code).toBe('CORRUPT_RECORD')
      expect((error as CorruptRecordError).reason).toBe('unknown-version')
      expect((error as CorruptRecordError).position).toBe(0)
    }
  })
})

describe('truncated and garbled input', () => {
  it('every truncation of a valid key or value is a CorruptRecordError at the cut', () => {
    const key = encodeOffsetKey({ group: 'group', topic: 'topic', partition: 5 })
    const value = encodeOffsetValue({ offset: 123456789, metadata: 'note', commitTimestamp: T })
    for (let length = 0; length < key.length; length++) {
      const error = catchError(() => decodeOffsetKey(key.subarray(0, length)))
      expect(error, `key cut at ${length}`).toBeInstanceOf(CorruptRecordError)
      expect((error as CorruptRecordError).reason).toBe('truncated-record')
      expect((error as CorruptRecordError).position).toBeLessThanOrEqual(length)
    }
    for (let length = 0; length < value.length; length++) {
      const error = catchError(() => decodeOffsetValue(value.subarray(0, length)))
      expect(error, `value cut at ${length}`).toBeInstanceOf(CorruptRecordError)
      expect((error as CorruptRecordError).reason).toBe('truncated-record')
    }
  })

  it('a negative string length or an offset beyond 2^53 is a CorruptRecordError', () => {
    const negative = catchError(() => decodeOffsetKey(hex('0001 ffff 67 0001 74 00000000')))
    expect(negative).toBeInstanceOf(CorruptRecordError)
    expect((negative as CorruptRecordError).position).toBe(2)
    const huge = catchError(() => decodeOffsetValue(hex(`0003 7fffffff ffffffff ffffffff 0000 ${T_HEX}`)))
    expect(huge).toBeInstanceOf(CorruptRecordError)
    expect((huge as CorruptRecordError).reason).toBe('unsafe-int64')
    expect((huge as CorruptRecordError).position).toBe(2)
  })

  it('fuzz: random and mutated bytes give a result or a CorruptRecordError, never a RangeError', () => {
    const seed = (Math.random() * 0x1_0000_0000) >>> 0
    const random = prng(seed)
    const corpus = [
      encodeOffsetKey({ group: 'g', topic: 'orders', partition: 2 }),
      encodeOffsetValue({ offset: 99, metadata: 'meta', commitTimestamp: T }),
      hex(`0001 00000000 0000002a 0001 6d ${T_HEX} ffffffff ffffffff`),
      hex(`0000 00000000 0000002a 0000 ${T_HEX}`),
      hex(`0004 00000000 0000002a ffffffff 02 6d ${T_HEX} 01 00 02 aabb`),
    ]
    let corrupt = 0
    for (let round = 0; round < 20_000; round++) {
      let input: Buffer
      if (round % 4 === 0) {
        input = Buffer.alloc(Math.floor(random() * 40))
        for (let at = 0; at < input.length; at++) input[at] = Math.floor(random() * 256)
      } else {
        const base = corpus[round % corpus.length]!
        input = Buffer.from(base.subarray(0, Math.max(0, base.length - (random() < 0.3 ? Math.floor(random() * base.length) : 0))))
        const flips = 1 + Math.floor(random() * 4)
        for (let flip = 0; flip < flips && input.length > 0; flip++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256)
      }
      for (const decode of [decodeOffsetKey, decodeOffsetValue]) {
        try {
          decode(input)
        } catch (error) {
          if (!(error instanceof CorruptRecordError) || !(error instanceof SeglogError) || error.code !== 'CORRUPT_RECORD') {
            throw new Error(`seed ${seed}, round ${round}, input ${input.toString('hex')}: ${String(error)}`)
          }
          corrupt++
        }
      }
    }
    expect(corrupt).toBeGreaterThan(1000)
  })
})

function catchError(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

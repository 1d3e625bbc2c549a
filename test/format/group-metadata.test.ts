import { describe, expect, it } from 'vitest'
import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  GROUP_METADATA_KEY_VERSION,
  GROUP_METADATA_VALUE_VERSION,
  type GroupMetadata,
} from '../../src/format/group-metadata.js'
import { decodeConsumerAssignment, decodeConsumerSubscription } from '../../src/format/consumer-protocol.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { prng } from '../consumer/helpers.js'

/**
 * Group-metadata records of the offsets log: Kafka's GroupMetadataKey (version 2) and
 * GroupMetadataValue (versions 0-4), byte for byte. The expected bytes were laid out by hand from
 * Kafka's GroupMetadataValue.json (classic strings: int16 length; bytes and arrays: int32 length;
 * version 4: unsigned varint length + 1 and a tag section after each struct), not produced by the
 * encoder under test.
 */

function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').replace(/\s+/g, ''))
    .join('')
  return Buffer.from(digits, 'hex')
}

const T = 1_700_000_000_000
const T_HEX = '0000018b cfe56800'

const METADATA: GroupMetadata = {
  protocolType: 'consumer',
  generation: 5,
  protocol: 'range',
  leader: 'm1',
  currentStateTimestamp: T,
  members: [
    {
      memberId: 'm1',
      groupInstanceId: 'i1',
      clientId: 'c',
      clientHost: '/h',
      rebalanceTimeoutMs: 30_000,
      sessionTimeoutMs: 10_000,
      subscription: Buffer.from([0xaa]),
      assignment: Buffer.from([0xbb, 0xcc]),
    },
  ],
}

// Version 3 of METADATA, field by field.
const V3 = `
  0003                  # version 3
  0008 636f6e73756d6572 # protocolType "consumer"
  00000005              # generation 5
  0005 72616e6765       # protocol "range"
  0002 6d31             # leader "m1"
  ${T_HEX}              # currentStateTimestamp
  00000001              # 1 member
  0002 6d31             #   memberId "m1"
  0002 6931             #   groupInstanceId "i1"
  0001 63               #   clientId "c"
  0002 2f68             #   clientHost "/h"
  00007530              #   rebalanceTimeout 30000
  00002710              #   sessionTimeout 10000
  00000001 aa           #   subscription
  00000002 bbcc         #   assignment
`

describe('GroupMetadataKey', () => {
  it('is version 2 and the group id', () => {
    expect(GROUP_METADATA_KEY_VERSION).toBe(2)
    expect(encodeGroupMetadataKey('billing').equals(hex('0002 0007 62696c6c696e67'))).toBe(true)
    expect(decodeGroupMetadataKey(hex('0002 0007 62696c6c696e67'))).toBe('billing')
  })

  it('refuses a key of another type', () => {
    const error = catchError(() => decodeGroupMetadataKey(hex('0001 0001 67 0001 74 00000000')))
    expect((error as CorruptRecordError).reason).toBe('unknown-version')
  })
})

describe('GroupMetadataValue', () => {
  it('is written as version 3, as Kafka brokers write it', () => {
    expect(GROUP_METADATA_VALUE_VERSION).toBe(3)
    expect(encodeGroupMetadataValue(METADATA).toString('hex')).toBe(hex(V3).toString('hex'))
    expect(decodeGroupMetadataValue(hex(V3))).toEqual({ ...METADATA, version: 3 })
  })

  it('writes an empty group: null protocol and leader as length -1, no members', () => {
    const empty = { protocolType: 'consumer', generation: 6, protocol: null, leader: null, currentStateTimestamp: T, members: [] }
    const expected = hex(`0003 0008 636f6e73756d6572 00000006 ffff ffff ${T_HEX} 00000000`)
    expect(encodeGroupMetadataValue(empty).equals(expected)).toBe(true)
    expect(decodeGroupMetadataValue(expected)).toEqual({ ...empty, version: 3 })
  })

  it('reads version 0: no currentStateTimestamp, no groupInstanceId, no rebalanceTimeout (the session timeout stands in)', () => {
    const v0 = hex(`
      0000 0008 636f6e73756d6572 00000005 0005 72616e6765 0002 6d31
      00000001 0002 6d31 0001 63 0002 2f68 00002710 00000001 aa 00000002 bbcc
    `)
    expect(decodeGroupMetadataValue(v0)).toEqual({
      ...METADATA,
      version: 0,
      currentStateTimestamp: -1,
      members: [{ ...METADATA.members[0]!, groupInstanceId: null, rebalanceTimeoutMs: 10_000 }],
    })
  })

  it('reads version 1 (adds rebalanceTimeout) and version 2 (adds currentStateTimestamp)', () => {
    const member = '0002 6d31 0001 63 0002 2f68 00007530 00002710 00000001 aa 00000002 bbcc'
    const v1 = hex(`0001 0008 636f6e73756d6572 00000005 0005 72616e6765 0002 6d31 00000001 ${member}`)
    const v2 = hex(`0002 0008 636f6e73756d6572 00000005 0005 72616e6765 0002 6d31 ${T_HEX} 00000001 ${member}`)
    const dynamic = [{ ...METADATA.members[0]!, groupInstanceId: null }]
    expect(decodeGroupMetadataValue(v1)).toEqual({ ...METADATA, version: 1, currentStateTimestamp: -1, members: dynamic })
    expect(decodeGroupMetadataValue(v2)).toEqual({ ...METADATA, version: 2, members: dynamic })
  })

  it('reads version 4 (flexible): compact strings, bytes and arrays, tag sections skipped', () => {
    const v4 = hex(`
      0004                  # version 4
      09 636f6e73756d6572   # protocolType: length 8 + 1
      00000005
      06 72616e6765         # protocol "range"
      03 6d31               # leader "m1"
      ${T_HEX}
      02                    # 1 member: count + 1
      03 6d31               #   memberId
      00                    #   groupInstanceId null (length 0 = null)
      02 63                 #   clientId "c"
      03 2f68               #   clientHost "/h"
      00007530 00002710
      02 aa                 #   subscription: 1 byte
      03 bbcc               #   assignment: 2 bytes
      01 07 02 0102         #   member tags: one field, tag 7, 2 bytes (skipped)
      00                    # group tags: none
    `)
    expect(decodeGroupMetadataValue(v4)).toEqual({ ...METADATA, version: 4, members: [{ ...METADATA.members[0]!, groupInstanceId: null }] })
  })

  it('a version no schema defines is unknown-version at byte 0; a cut value is truncated-record', () => {
    for (const version of ['0005', 'ffff']) {
      const error = catchError(() => decodeGroupMetadataValue(hex(`${version} ${V3.replace(/^\s*0003/, '')}`)))
      expect((error as CorruptRecordError).reason).toBe('unknown-version')
      expect((error as CorruptRecordError).position).toBe(0)
    }
    const bytes = hex(V3)
    for (let length = 2; length < bytes.length; length++) {
      const error = catchError(() => decodeGroupMetadataValue(bytes.subarray(0, length)))
      expect(error, `cut at ${length}`).toBeInstanceOf(CorruptRecordError)
      expect(['truncated-record', 'bad-length']).toContain((error as CorruptRecordError).reason)
    }
  })

  it('fuzz: mutated values decode or throw CorruptRecordError, never anything else', () => {
    const seed = (Math.random() * 0x1_0000_0000) >>> 0
    const random = prng(seed)
    const base = hex(V3)
    for (let round = 0; round < 5000; round++) {
      const input = Buffer.from(base)
      for (let flip = 0; flip < 1 + Math.floor(random() * 4); flip++)
        input[Math.floor(random() * input.length)] = Math.floor(random() * 256)
      if (round % 2 === 0) input.writeInt16BE(4, 0)
      try {
        decodeGroupMetadataValue(input)
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw new Error(`seed ${seed}, input ${input.toString('hex')}: ${String(error)}`)
      }
    }
  })
})

describe('consumer protocol bytes inside group metadata', () => {
  it('decodes a version 3 subscription and assignment as Kafka serializes them', () => {
    // ConsumerProtocol.serializeSubscription(["foo"], no user data, owned foo-0, generation 0, rack "rack").
    const subscription = hex('0003 00000001 0003 666f6f ffffffff 00000001 0003 666f6f 00000001 00000000 00000000 0004 7261636b')
    expect(decodeConsumerSubscription(subscription)).toEqual({
      version: 3,
      topics: ['foo'],
      userData: null,
      ownedPartitions: [{ topic: 'foo', partitions: [0] }],
      generationId: 0,
      rackId: 'rack',
    })
    const assignment = hex('0003 00000001 0003 666f6f 00000001 00000000 ffffffff')
    expect(decodeConsumerAssignment(assignment)).toEqual({
      version: 3,
      assignedPartitions: [{ topic: 'foo', partitions: [0] }],
      userData: null,
    })
  })

  it('a version 0 subscription has topics and user data only; bytes that are no subscription give null', () => {
    expect(decodeConsumerSubscription(hex('0000 00000001 0001 74 00000000'))).toEqual({
      version: 0,
      topics: ['t'],
      userData: Buffer.alloc(0),
      ownedPartitions: null,
      generationId: null,
      rackId: undefined,
    })
    expect(decodeConsumerSubscription(Buffer.from('Subscription'))).toBeNull()
    expect(decodeConsumerAssignment(Buffer.from('Assignment'))).toBeNull()
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

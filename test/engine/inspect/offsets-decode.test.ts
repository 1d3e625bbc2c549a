import { describe, expect, it } from 'vitest'
import { encodeOffsetKey, encodeOffsetValue } from '../../../src/format/offset-commit.js'
import { encodeGroupMetadataKey, encodeGroupMetadataValue } from '../../../src/format/group-metadata.js'
import { decodeOffsetsRecord, offsetsJson, offsetsKeyText, offsetsPayloadText } from '../../../src/engine/inspect/offsets-decode.js'

const KEY = { group: 'billing', topic: 'orders', partition: 2 }
const T = 1_700_000_000_000

/** An OffsetCommitValue of version 0, 1 or 2, laid out by hand (seglog writes version 3 only). */
function legacyValue(version: 0 | 1 | 2, offset: number, metadata: string, commitTimestamp: number, expireTimestamp?: number): Buffer {
  const text = Buffer.from(metadata)
  const buf = Buffer.alloc(2 + 8 + 2 + text.length + 8 + (version === 1 ? 8 : 0))
  buf.writeInt16BE(version, 0)
  buf.writeBigInt64BE(BigInt(offset), 2)
  buf.writeInt16BE(text.length, 10)
  text.copy(buf, 12)
  buf.writeBigInt64BE(BigInt(commitTimestamp), 12 + text.length)
  if (version === 1) buf.writeBigInt64BE(BigInt(expireTimestamp ?? -1), 20 + text.length)
  return buf
}

function texts(key: Buffer | null, value: Buffer | null, offset = 7): { key: string; payload: string | null } {
  const record = decodeOffsetsRecord(key, value)
  return { key: offsetsKeyText(record, offset), payload: offsetsPayloadText(record) }
}

describe("offsets-decode: Kafka's OffsetsMessageParser shapes", () => {
  it('prints a version 3 commit with the fields of its schema, in schema order', () => {
    expect(texts(encodeOffsetKey(KEY), encodeOffsetValue({ offset: 1234, metadata: 'ok', commitTimestamp: T }))).toEqual({
      key: '{"type":"1","data":{"group":"billing","topic":"orders","partition":2}}',
      payload: `{"version":"3","data":{"offset":1234,"leaderEpoch":-1,"metadata":"ok","commitTimestamp":${T}}}`,
    })
  })

  it('prints older value versions as their schemas have them: no leaderEpoch, expireTimestamp in version 1 only', () => {
    expect(texts(encodeOffsetKey(KEY), legacyValue(0, 5, '', T)).payload).toBe(
      `{"version":"0","data":{"offset":5,"metadata":"","commitTimestamp":${T}}}`,
    )
    expect(texts(encodeOffsetKey(KEY), legacyValue(1, 5, 'm', T, T + 60_000)).payload).toBe(
      `{"version":"1","data":{"offset":5,"metadata":"m","commitTimestamp":${T},"expireTimestamp":${T + 60_000}}}`,
    )
    expect(texts(encodeOffsetKey(KEY), legacyValue(2, 5, '', T)).payload).toBe(
      `{"version":"2","data":{"offset":5,"metadata":"","commitTimestamp":${T}}}`,
    )
  })

  it('prints the key version as the type, key version 0 included', () => {
    const key = encodeOffsetKey(KEY)
    key.writeInt16BE(0, 0)
    expect(texts(key, null)).toEqual({ key: '{"type":"0","data":{"group":"billing","topic":"orders","partition":2}}', payload: '<DELETE>' })
  })

  it("puts a message in the key's place, and no payload, for what does not decode", () => {
    const laterType = encodeOffsetKey(KEY)
    laterType.writeInt16BE(9, 0)
    expect(texts(laterType, Buffer.from('anything'))).toEqual({ key: 'Unknown record type 9 at offset 7, skipping.', payload: null })
    // A value version no schema defines, in Kafka's words (record type 1: offset commit).
    const v9 = encodeOffsetValue({ offset: 1, metadata: '', commitTimestamp: T })
    v9.writeInt16BE(9, 0)
    expect(texts(encodeOffsetKey(KEY), v9)).toEqual({
      key: 'Error at offset 7, skipping. Found an unknown record version 9 for 1 type',
      payload: null,
    })
    expect(texts(null, Buffer.from('v'))).toEqual({ key: 'Error at offset 7, skipping. the record has no key', payload: null })
    expect(texts(Buffer.from([0x00]), null).key).toMatch(
      /^Error at offset 7, skipping\. the key does not decode \(truncated-record at byte 0: /,
    )
    expect(texts(encodeOffsetKey(KEY).subarray(0, 10), null).key).toMatch(
      /^Error at offset 7, skipping\. the key does not decode \(truncated-record at byte \d+: /,
    )
    // Version 1 without its expireTimestamp, and a commit cut short.
    expect(texts(encodeOffsetKey(KEY), legacyValue(1, 5, '', T).subarray(0, 22)).key).toMatch(
      /^Error at offset 7, skipping\. the value does not decode \(truncated-record at byte 20: /,
    )
    expect(texts(encodeOffsetKey(KEY), encodeOffsetValue({ offset: 1, metadata: '', commitTimestamp: T }).subarray(0, 12)).key).toMatch(
      /the value does not decode/,
    )
  })

  it('gives --json the key, the commit (null for a tombstone) and the error', () => {
    const value = { offset: 9, metadata: 'm', commitTimestamp: T }
    expect(offsetsJson(decodeOffsetsRecord(encodeOffsetKey(KEY), encodeOffsetValue(value)), 3)).toEqual({
      offsetKey: KEY,
      offsetCommit: { ...KEY, ...value },
      groupMetadata: null,
      offsetsError: null,
    })
    expect(offsetsJson(decodeOffsetsRecord(encodeOffsetKey(KEY), null), 3)).toEqual({
      offsetKey: KEY,
      offsetCommit: null,
      groupMetadata: null,
      offsetsError: null,
    })
    expect(offsetsJson(decodeOffsetsRecord(encodeGroupMetadataKey('g'), null), 3)).toEqual({
      offsetKey: null,
      offsetCommit: null,
      groupMetadata: { group: 'g', value: null },
      offsetsError: null,
    })
    expect(offsetsJson(decodeOffsetsRecord(encodeOffsetKey(KEY), Buffer.from([0, 3, 0])), 3)).toEqual({
      offsetKey: KEY,
      offsetCommit: null,
      groupMetadata: null,
      offsetsError: expect.stringMatching(/^Error at offset 3, skipping\. the value does not decode/),
    })
  })
})

/** Kafka's compact (flexible) string or bytes: unsigned varint length + 1 (lengths below 127 here), then the bytes. */
function compact(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  return Buffer.concat([Buffer.from([body.length + 1]), body])
}

function int32(value: number): Buffer {
  const buf = Buffer.alloc(4)
  buf.writeInt32BE(value)
  return buf
}

/** GroupMetadataValue version 4 with one member, laid out field by field from Kafka's schema. */
function groupValueV4(subscription: Buffer, assignment: Buffer): Buffer {
  const timestamp = Buffer.alloc(8)
  timestamp.writeBigInt64BE(-1n)
  return Buffer.concat([
    Buffer.from([0, 4]),
    compact('consumer'),
    int32(10),
    compact('range'),
    compact('member'),
    timestamp,
    Buffer.from([2]), // one member
    compact('member'),
    compact('instance'),
    compact('client'),
    compact('host'),
    int32(1000),
    int32(100),
    compact(subscription),
    compact(assignment),
    Buffer.from([0]), // member tags
    Buffer.from([0]), // group tags
  ])
}

describe('offsets-decode: group metadata as Kafka prints it', () => {
  // The expectations are the strings of Kafka's DumpLogSegmentsTest.testOffsetsMessageParser.
  it('prints key type 2 and a version 4 value with the consumer protocol decoded', () => {
    const subscription = Buffer.from('0003000000010003666f6fffffffff000000010003666f6f0000000100000000000000000004726163', 'hex')
    const withRack = Buffer.concat([subscription, Buffer.from('k')])
    const assignment = Buffer.from('0003000000010003666f6f0000000100000000ffffffff', 'hex')
    expect(texts(encodeGroupMetadataKey('group'), groupValueV4(withRack, assignment))).toEqual({
      key: '{"type":"2","data":{"group":"group"}}',
      payload:
        '{"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range",' +
        '"leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member",' +
        '"groupInstanceId":"instance","clientId":"client","clientHost":"host",' +
        '"rebalanceTimeout":1000,"sessionTimeout":100,"subscription":{"topics":["foo"],' +
        '"userData":null,"ownedPartitions":[{"topic":"foo","partitions":[0]}],' +
        '"generationId":0,"rackId":"rack"},"assignment":{"assignedPartitions":' +
        '[{"topic":"foo","partitions":[0]}],"userData":null}}]}}',
    })
  })

  it('prints subscription and assignment as base64 when they are not the consumer protocol', () => {
    expect(texts(encodeGroupMetadataKey('group'), groupValueV4(Buffer.from('Subscription'), Buffer.from('Assignment'))).payload).toBe(
      '{"version":"4","data":{"protocolType":"consumer","generation":10,"protocol":"range",' +
        '"leader":"member","currentStateTimestamp":-1,"members":[{"memberId":"member",' +
        '"groupInstanceId":"instance","clientId":"client","clientHost":"host",' +
        '"rebalanceTimeout":1000,"sessionTimeout":100,"subscription":"U3Vic2NyaXB0aW9u",' +
        '"assignment":"QXNzaWdubWVudA=="}]}}',
    )
  })

  it('prints the version 3 value seglog writes, an empty group, and a tombstone', () => {
    const value = encodeGroupMetadataValue({
      protocolType: 'consumer',
      generation: 2,
      protocol: null,
      leader: null,
      currentStateTimestamp: T,
      members: [],
    })
    expect(texts(encodeGroupMetadataKey('g'), value)).toEqual({
      key: '{"type":"2","data":{"group":"g"}}',
      payload: `{"version":"3","data":{"protocolType":"consumer","generation":2,"protocol":null,"leader":null,"currentStateTimestamp":${T},"members":[]}}`,
    })
    expect(texts(encodeGroupMetadataKey('g'), null)).toEqual({ key: '{"type":"2","data":{"group":"g"}}', payload: '<DELETE>' })
    const unknown = Buffer.from(value)
    unknown.writeInt16BE(5, 0)
    expect(texts(encodeGroupMetadataKey('g'), unknown).key).toBe(
      'Error at offset 7, skipping. Found an unknown record version 5 for 2 type',
    )
  })
})

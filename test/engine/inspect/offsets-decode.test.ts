import { describe, expect, it } from 'vitest'
import { encodeOffsetKey, encodeOffsetValue } from '../../../src/format/offset-commit.js'
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
    const groupMetadata = encodeOffsetKey(KEY)
    groupMetadata.writeInt16BE(2, 0)
    expect(texts(groupMetadata, Buffer.from('anything'))).toEqual({ key: 'Unknown record type 2 at offset 7, skipping.', payload: null })
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
      offsetsError: null,
    })
    expect(offsetsJson(decodeOffsetsRecord(encodeOffsetKey(KEY), null), 3)).toEqual({
      offsetKey: KEY,
      offsetCommit: null,
      offsetsError: null,
    })
    expect(offsetsJson(decodeOffsetsRecord(encodeOffsetKey(KEY), Buffer.from([0, 9])), 3)).toEqual({
      offsetKey: KEY,
      offsetCommit: null,
      offsetsError: expect.stringMatching(/^Error at offset 3, skipping\. the value does not decode/),
    })
  })
})

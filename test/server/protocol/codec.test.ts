import { describe, expect, it } from 'vitest'
import { SeglogError } from '../../../src/index.js'
import {
  APIS,
  apiByName,
  decodeMessage,
  decodeRequest,
  decodeResponse,
  encodeMessage,
  encodeRequest,
  encodeResponse,
  PASSTHROUGH_MIN_BYTES,
  ProtocolDecodeError,
  ProtocolEncodeError,
  requestHeaderVersion,
  responseHeaderVersion,
  UNKNOWN_TAGGED_FIELDS,
} from '../../../src/server/protocol/index.js'
import { FrameReader, sizeOfUvarint, writeUvarint } from '../../../src/server/protocol/primitives.js'

function decodeError(run: () => unknown): ProtocolDecodeError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolDecodeError)
    expect(error).toBeInstanceOf(SeglogError)
    return error as ProtocolDecodeError
  }
  throw new Error('expected a ProtocolDecodeError')
}

function encodeError(run: () => unknown): ProtocolEncodeError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolEncodeError)
    return error as ProtocolEncodeError
  }
  throw new Error('expected a ProtocolEncodeError')
}

/** A request frame without its size prefix. */
function requestFrame(...args: Parameters<typeof encodeRequest>): Buffer {
  return Buffer.concat(encodeRequest(...args)).subarray(4)
}

describe('unsigned varints', () => {
  it('round-trips the edges of every length', () => {
    const values = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, 0xffff_ffff]
    const sizes = [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    values.forEach((value, slot) => {
      const buf = Buffer.alloc(5)
      const end = writeUvarint(buf, value, 0)
      expect(end).toBe(sizes[slot])
      expect(sizeOfUvarint(value)).toBe(sizes[slot])
      expect(new FrameReader(buf, 0, end).readUvarint()).toBe(value)
    })
  })

  it('rejects a sixth byte and bits above 2^32 as invalid-varint at the varint start', () => {
    const tooLong = Buffer.from([0xaa, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    expect(decodeError(() => new FrameReader(tooLong, 1).readUvarint())).toMatchObject({
      code: 'CORRUPT_MESSAGE',
      reason: 'invalid-varint',
      position: 1,
    })
    const overflow = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10])
    expect(decodeError(() => new FrameReader(overflow).readUvarint())).toMatchObject({ reason: 'invalid-varint', position: 0 })
  })

  it('reports a varint cut by the end of the frame as truncated where the frame ends', () => {
    expect(decodeError(() => new FrameReader(Buffer.from([0x80, 0x80])).readUvarint())).toMatchObject({ reason: 'truncated', position: 2 })
  })
})

describe('request frames', () => {
  it('names a frame too short for its header as truncated', () => {
    expect(decodeError(() => decodeRequest(Buffer.from([0, 3, 0]))).reason).toBe('truncated')
  })

  it('rejects an unknown api key with INVALID_REQUEST and keeps the correlation id', () => {
    const frame = Buffer.from('00070000000000420000', 'hex')
    expect(decodeError(() => decodeRequest(frame))).toMatchObject({
      code: 'INVALID_REQUEST',
      reason: 'unknown-api-key',
      position: 0,
      apiKey: 7,
      apiVersion: 0,
      correlationId: 0x42,
    })
  })

  it('rejects a version outside the definition, keeping what the server needs to answer', () => {
    // ApiVersions v9 from a newer client: the server answers it with a v0 UNSUPPORTED_VERSION response.
    const frame = Buffer.from('0012000900000063000000', 'hex')
    expect(decodeError(() => decodeRequest(frame))).toMatchObject({
      code: 'INVALID_REQUEST',
      reason: 'unsupported-version',
      position: 2,
      apiKey: 18,
      apiVersion: 9,
      correlationId: 99,
    })
  })

  it('uses header v2 in flexible versions, v1 otherwise, and keeps ClientId an int16-length string in v2', () => {
    const fetch = apiByName('Fetch')!
    expect(requestHeaderVersion(fetch, 11)).toBe(1)
    expect(requestHeaderVersion(fetch, 12)).toBe(2)
    const frame = requestFrame(
      'ApiVersions',
      3,
      { correlationId: 1, clientId: 'ab' },
      { clientSoftwareName: 'x', clientSoftwareVersion: 'y' },
    )
    // key 18, version 3, correlation 1, client id int16 2 "ab", header tags 0, then the compact body.
    expect(frame.toString('hex')).toBe('0012000300000001' + '00026162' + '00' + '0278' + '0279' + '00')
  })

  it('decodes a null client id', () => {
    const frame = requestFrame('Heartbeat', 0, { correlationId: 5, clientId: null }, { groupId: 'g', generationId: 1, memberId: 'm' })
    expect(decodeRequest(frame).header.clientId).toBeNull()
  })

  it('gives a string length past the end as length-past-end at the length prefix, with the field path', () => {
    const frame = requestFrame(
      'Produce',
      3,
      { correlationId: 1, clientId: 'c' },
      { acks: 1, timeoutMs: 10, topicData: [{ name: 'orders', partitionData: [] }] },
    )
    // header: 8 + 2 + 1 = 11; transactionalId (null, 2), acks (2), timeout (4), array count (4): topic name length at 23.
    frame.writeInt16BE(0x7000, 23)
    expect(decodeError(() => decodeRequest(frame))).toMatchObject({
      code: 'CORRUPT_MESSAGE',
      reason: 'length-past-end',
      position: 23,
      field: 'topicData[0].name',
      correlationId: 1,
    })
  })

  it('rejects a negative length other than -1, and null where the version has no null', () => {
    const frame = requestFrame(
      'Produce',
      3,
      { correlationId: 1, clientId: 'c' },
      { acks: 1, timeoutMs: 10, topicData: [{ name: 'orders', partitionData: [] }] },
    )
    frame.writeInt16BE(-2, 23)
    expect(decodeError(() => decodeRequest(Buffer.from(frame)))).toMatchObject({ reason: 'negative-length', position: 23 })
    frame.writeInt16BE(-1, 23)
    expect(decodeError(() => decodeRequest(frame))).toMatchObject({ reason: 'unexpected-null', position: 23, field: 'topicData[0].name' })
  })

  it('refuses an array count the frame cannot hold before allocating anything', () => {
    const frame = requestFrame('Produce', 3, { correlationId: 1, clientId: 'c' }, { acks: 1, timeoutMs: 10, topicData: [] })
    frame.writeInt32BE(0x7fff_ffff, 19)
    expect(decodeError(() => decodeRequest(frame))).toMatchObject({ reason: 'length-past-end', position: 19, field: 'topicData' })
  })

  it('rejects bytes left after the body', () => {
    const frame = requestFrame('Heartbeat', 0, { correlationId: 1, clientId: 'c' }, { groupId: 'g', generationId: 1, memberId: 'm' })
    const padded = Buffer.concat([frame, Buffer.from([0])])
    expect(decodeError(() => decodeRequest(padded))).toMatchObject({ reason: 'trailing-bytes', position: frame.length })
  })

  it('rejects an int64 beyond 2^53 rather than rounding it', () => {
    const frame = requestFrame(
      'DeleteRecords',
      1,
      { correlationId: 1, clientId: null },
      { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 1 }] }], timeoutMs: 1 },
    )
    const offsetAt = frame.length - 4 - 8
    frame.writeBigInt64BE(2n ** 60n, offsetAt)
    expect(decodeError(() => decodeRequest(frame))).toMatchObject({
      code: 'INVALID_REQUEST',
      reason: 'unsafe-int64',
      position: offsetAt,
      field: 'topics[0].partitions[0].offset',
    })
  })

  it('gives fields a version lacks their defaults, null where the default is null', () => {
    const decoded = decodeRequest(
      requestFrame('Produce', 2, { correlationId: 1, clientId: 'c' }, { acks: 1, timeoutMs: 10, topicData: [] }),
    )
    expect(decoded.apiName === 'Produce' && decoded.body.transactionalId).toBeNull()
    const fetch = decodeRequest(requestFrame('Fetch', 0, { correlationId: 1, clientId: 'c' }, { maxWaitMs: 1, minBytes: 1, topics: [] }))
    expect(fetch.body).toMatchObject({
      maxBytes: 0x7fff_ffff,
      isolationLevel: 0,
      sessionEpoch: -1,
      rackId: '',
      replicaState: { replicaId: -1, replicaEpoch: -1 },
    })
  })
})

describe('response frames', () => {
  it('uses header v1 in flexible versions, except ApiVersions which always uses v0', () => {
    expect(responseHeaderVersion(apiByName('Fetch')!, 12)).toBe(1)
    expect(responseHeaderVersion(apiByName('Fetch')!, 11)).toBe(0)
    expect(responseHeaderVersion(apiByName('ApiVersions')!, 3)).toBe(0)
    const apiVersions = Buffer.concat(encodeResponse('ApiVersions', 3, 7, { errorCode: 35, apiKeys: [] }))
    // size, correlation id, then straight into the body: error code 35, empty compact array, throttle, no tags.
    expect(apiVersions.toString('hex')).toBe('0000000c' + '00000007' + '0023' + '01' + '00000000' + '00')
    const heartbeat = Buffer.concat(encodeResponse('Heartbeat', 4, 7, { errorCode: 0 }))
    expect(heartbeat.toString('hex')).toBe('0000000c' + '00000007' + '00' + '00000000' + '0000' + '00')
  })
})

describe('tagged fields', () => {
  it('writes a tagged field only when it differs from its default, and reads it back', () => {
    const plain = Buffer.concat(encodeMessage(APIS.ApiVersions.response, 3, { apiKeys: [] }))
    expect(plain.toString('hex')).toBe('0000' + '01' + '00000000' + '00')
    const tagged = Buffer.concat(
      encodeMessage(APIS.ApiVersions.response, 3, { apiKeys: [], finalizedFeaturesEpoch: 7, zkMigrationReady: true }),
    )
    // two tags: 1 (int64, 8 bytes) and 3 (bool, 1 byte), ascending.
    expect(tagged.subarray(7).toString('hex')).toBe('02' + '0108' + '0000000000000007' + '0301' + '01')
    expect(decodeMessage(APIS.ApiVersions.response, 3, tagged)).toMatchObject({
      finalizedFeaturesEpoch: 7,
      zkMigrationReady: true,
      supportedFeatures: [],
    })
  })

  it('keeps unknown tags and writes them back in tag order', () => {
    // three tags: 1 (known, int64), 5 and 9 (unknown to v3)
    const withUnknown = Buffer.from(
      '0000' + '01' + '00000000' + '03' + '0108' + '0000000000000007' + '0501' + 'ee' + '0902' + 'abcd',
      'hex',
    )
    const decoded = decodeMessage(APIS.ApiVersions.response, 3, withUnknown) as Record<string, unknown>
    expect(decoded.finalizedFeaturesEpoch).toBe(7)
    expect(decoded[UNKNOWN_TAGGED_FIELDS]).toEqual([
      { tag: 5, data: Buffer.from('ee', 'hex') },
      { tag: 9, data: Buffer.from('abcd', 'hex') },
    ])
    expect(Buffer.concat(encodeMessage(APIS.ApiVersions.response, 3, decoded as never)).toString('hex')).toBe(withUnknown.toString('hex'))
  })

  it('rejects a tagged value that does not fill its declared size', () => {
    // tag 3 (bool) declared as 2 bytes
    const bad = Buffer.from('0000' + '01' + '00000000' + '01' + '0302' + '0100', 'hex')
    expect(decodeError(() => decodeMessage(APIS.ApiVersions.response, 3, bad))).toMatchObject({
      reason: 'tagged-field-size',
      position: 10,
      field: 'zkMigrationReady',
    })
  })

  it('writes a nullable tagged field with a null default only when it holds a value', () => {
    const body = { maxWaitMs: 1, minBytes: 1, topics: [] }
    const without = Buffer.concat(encodeMessage(APIS.Fetch.request, 12, { ...body, clusterId: null }))
    const withId = Buffer.concat(encodeMessage(APIS.Fetch.request, 12, { ...body, clusterId: 'c' }))
    expect(without.subarray(-1).toString('hex')).toBe('00')
    // the last section: one tag, tag 0, size 2, compact string "c"
    expect(withId.subarray(-5).toString('hex')).toBe('01' + '00' + '02' + '0263')
    expect(decodeMessage(APIS.Fetch.request, 12, withId).clusterId).toBe('c')
    expect(decodeMessage(APIS.Fetch.request, 12, without).clusterId).toBeNull()
  })
})

describe('encoding rules', () => {
  it('refuses a non-default value in a field the version lacks unless Kafka marks it ignorable', () => {
    expect(encodeError(() => encodeResponse('Fetch', 6, 1, { sessionId: 77, responses: [] }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      reason: 'non-default-in-version',
      field: 'sessionId',
    })
    const ignorable = Buffer.concat(
      encodeRequest('Fetch', 3, { correlationId: 1, clientId: 'c' }, { maxWaitMs: 1, minBytes: 1, isolationLevel: 1, topics: [] }),
    )
    expect(decodeRequest(ignorable.subarray(4)).body).toMatchObject({ isolationLevel: 0 })
  })

  it('refuses null where the version has none, and values of the wrong type or range, naming the field', () => {
    expect(
      encodeError(() => encodeResponse('Metadata', 0, 1, { brokers: [{ nodeId: 1, host: null as never, port: 1 }], topics: [] })),
    ).toMatchObject({ reason: 'null-not-allowed', field: 'brokers[0].host' })
    expect(encodeError(() => encodeResponse('Heartbeat', 0, 1, { errorCode: 40_000 }))).toMatchObject({
      reason: 'bad-value',
      field: 'errorCode',
    })
    expect(encodeError(() => encodeResponse('Heartbeat', 0, 1, { errorCode: '0' as never }))).toMatchObject({
      reason: 'bad-value',
      field: 'errorCode',
    })
    expect(encodeError(() => encodeResponse('Metadata', 10, 1, { topics: [{ name: 't', topicId: 'not-a-uuid' }] }))).toMatchObject({
      reason: 'bad-value',
      field: 'topics[0].topicId',
    })
    expect(encodeError(() => encodeResponse('Heartbeat', 9, 1, {}))).toMatchObject({ reason: 'unsupported-version' })
  })

  it('passes large record sets through as their own chunks and copies small ones', () => {
    const large = Buffer.alloc(PASSTHROUGH_MIN_BYTES, 1)
    const second = Buffer.alloc(PASSTHROUGH_MIN_BYTES, 2)
    const small = Buffer.alloc(10, 3)
    const chunks = encodeResponse('Fetch', 11, 1, {
      responses: [
        {
          topic: 'orders',
          partitions: [
            { partitionIndex: 0, records: [large, second] },
            { partitionIndex: 1, records: small },
          ],
        },
      ],
    })
    expect(chunks[1]).toBe(large)
    expect(chunks[2]).toBe(second)
    expect(chunks).not.toContain(small)
    expect(chunks).toHaveLength(4)
    const frame = Buffer.concat(chunks)
    const decoded = decodeResponse(frame.subarray(4), 'Fetch', 11)
    const partitions = decoded.body.responses[0]!.partitions
    expect(partitions[0]!.records).toEqual(Buffer.concat([large, second]))
    expect(partitions[1]!.records).toEqual(small)
    // decoded records are views into the frame, not copies
    expect(partitions[0]!.records!.buffer).toBe(frame.buffer)
  })

  it('writes everything but passed-through records into one allocation', () => {
    const records = Buffer.alloc(4096)
    // v12: the partition's tagged-field section and more follow the record set
    const chunks = encodeResponse('Fetch', 12, 1, { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records }] }] })
    expect(chunks).toHaveLength(3)
    expect(chunks[0]!.buffer).toBe(chunks[2]!.buffer)
    expect(chunks[0]!.byteOffset + chunks[0]!.length).toBe(chunks[2]!.byteOffset)
  })
})

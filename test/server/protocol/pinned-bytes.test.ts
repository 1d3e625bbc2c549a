import { describe, expect, it } from 'vitest'
import { allApis, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/server/protocol/index.js'
import { PINNED_REQUESTS } from './pinned-requests.data.js'
import { PINNED_RESPONSES } from './pinned-responses.data.js'

/**
 * Exact bytes, pinned. Requests come from encoders we did not write: KafkaJS 2.2.4 for every API and
 * version it has, @platformatic/kafka 2.12.1 for the APIs KafkaJS lacks and for flexible versions
 * (compact forms, tagged fields, request header v2). Responses are ours, pinned after the named
 * client decoded them to the fields we wrote. Each frame must decode to the pinned value and the
 * value must encode to exactly the pinned bytes.
 */

const CORRELATION_ID = 0x1234_5678

describe('pinned request frames', () => {
  for (const pinned of PINNED_REQUESTS) {
    it(`${pinned.api} v${pinned.version} (${pinned.source})`, () => {
      const frame = Buffer.from(pinned.hex, 'hex')
      const decoded = decodeRequest(frame.subarray(4))
      expect(decoded.header).toEqual(pinned.header)
      expect(decoded.body).toEqual(pinned.body)
      const encoded = Buffer.concat(
        encodeRequest(
          pinned.api,
          pinned.version,
          { correlationId: pinned.header.correlationId, clientId: pinned.header.clientId },
          pinned.body as never,
        ),
      )
      expect(encoded.toString('hex')).toBe(pinned.hex)
    })
  }
})

describe('pinned response frames', () => {
  for (const pinned of PINNED_RESPONSES) {
    it(`${pinned.api} v${pinned.version} (${pinned.source})`, () => {
      const encoded = Buffer.concat(encodeResponse(pinned.api, pinned.version, CORRELATION_ID, pinned.body as never))
      expect(encoded.toString('hex')).toBe(pinned.hex)
      const decoded = decodeResponse(Buffer.from(pinned.hex, 'hex').subarray(4), pinned.api, pinned.version)
      expect(decoded.correlationId).toBe(CORRELATION_ID)
      expect(decoded.body).toMatchObject(pinned.body)
    })
  }
})

it('pins at least one request and one response for every API', () => {
  for (const api of allApis()) {
    expect(
      PINNED_REQUESTS.some((pinned) => pinned.api === api.name),
      `request of ${api.name}`,
    ).toBe(true)
    expect(
      PINNED_RESPONSES.some((pinned) => pinned.api === api.name),
      `response of ${api.name}`,
    ).toBe(true)
  }
})

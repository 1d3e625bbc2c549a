import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allApis,
  decodeMessage,
  decodeRequest,
  decodeResponse,
  encodeMessage,
  encodeRequest,
  encodeResponse,
  RequestHeader,
  ResponseHeader,
  type ApiDefinition,
  type MessageDef,
} from '../../../src/server/protocol/index.js'
import { planFor } from '../../../src/server/protocol/plan.js'
import { expectedDecode, structValue } from './arbitraries.js'

/**
 * Every message, every valid version: a generated value encodes, decodes to the same value (plus
 * defaults for what the version lacks), and encodes again to the same bytes.
 */

const RUNS = 25

function versionsOf(range: { lowest: number; highest: number }): number[] {
  const versions: number[] = []
  for (let version = range.lowest; version <= range.highest; version++) versions.push(version)
  return versions
}

function checkMessage(message: MessageDef, version: number): void {
  const plan = planFor(message, version)
  fc.assert(
    fc.property(structValue(plan), (value) => {
      const chunks = encodeMessage(message, version, value as never)
      const bytes = Buffer.concat(chunks)
      const decoded = decodeMessage(message, version, bytes)
      expect(decoded).toEqual(expectedDecode(plan, value))
      expect(Buffer.concat(encodeMessage(message, version, decoded as never))).toEqual(bytes)
    }),
    { numRuns: RUNS },
  )
}

describe('round trip of every message at every version', () => {
  for (const api of allApis()) {
    describe(`${api.name} (key ${api.apiKey})`, () => {
      for (const version of versionsOf(api.validVersions)) {
        it(`request v${version}`, () => checkMessage(api.request, version))
        it(`response v${version}`, () => checkMessage(api.response, version))
      }
    })
  }
  for (const header of [RequestHeader, ResponseHeader]) {
    for (const version of versionsOf({ lowest: 0, highest: header === RequestHeader ? 2 : 1 })) {
      it(`${header.name} v${version}`, () => checkMessage(header, version))
    }
  }
})

function checkFrames(api: ApiDefinition, version: number): void {
  const request = planFor(api.request, version)
  const response = planFor(api.response, version)
  fc.assert(
    fc.property(
      structValue(request),
      structValue(response),
      fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
      fc.option(fc.string({ maxLength: 10 })),
      (requestBody, responseBody, correlationId, clientId) => {
        const requestFrame = Buffer.concat(encodeRequest(api.name, version, { correlationId, clientId }, requestBody as never))
        expect(requestFrame.readInt32BE(0)).toBe(requestFrame.length - 4)
        const decoded = decodeRequest(requestFrame.subarray(4))
        expect(decoded.apiName).toBe(api.name)
        expect(decoded.apiVersion).toBe(version)
        expect(decoded.header).toEqual({ requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId })
        expect(decoded.body).toEqual(expectedDecode(request, requestBody))

        const responseFrame = Buffer.concat(encodeResponse(api.name, version, correlationId, responseBody as never))
        expect(responseFrame.readInt32BE(0)).toBe(responseFrame.length - 4)
        const answer = decodeResponse(responseFrame.subarray(4), api.name, version)
        expect(answer.correlationId).toBe(correlationId)
        expect(answer.body).toEqual(expectedDecode(response, responseBody))
      },
    ),
    { numRuns: 5 },
  )
}

describe('round trip of whole frames (size prefix, header, body)', () => {
  for (const api of allApis()) {
    it(`${api.name} at every version`, () => {
      for (const version of versionsOf(api.validVersions)) checkFrames(api, version)
    })
  }
})

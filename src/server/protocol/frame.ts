import {
  APIS,
  apiByKey,
  apiByName,
  type ApiDefinition,
  type ApiKeyOf,
  type ApiName,
  type RequestInputOf,
  type RequestOf,
  type ResponseInputOf,
  type ResponseOf,
} from './apis.js'
import { RequestHeader, ResponseHeader } from './definitions/headers.js'
import { ProtocolDecodeError, ProtocolEncodeError, type FrameContext } from './errors.js'
import { planFor } from './plan.js'
import { FrameReader } from './primitives.js'
import { readStruct } from './reader.js'
import { inVersions, parseVersions, type MessageDef } from './schema.js'
import type { MessageInput, MessageValue } from './types.js'
import { encodeParts } from './writer.js'

/**
 * Whole frames. On the wire every request and response is `int32 size` then `size` bytes; the
 * decoders here take those bytes (the frame without its size prefix, so error positions count from
 * the request header's first byte) and the encoders return the frame with its prefix, as a list of
 * chunks for one `writev`.
 *
 * Header versions: a request uses header v2 in its API's flexible versions and v1 otherwise (v0, with
 * no client id, is only for ControlledShutdown v0, which the codec does not define). A response uses
 * header v1 in flexible versions and v0 otherwise, except ApiVersions, whose response always uses v0:
 * a client that has not yet learnt the broker's versions must be able to read it.
 */

export type RequestHeaderValue = MessageValue<typeof RequestHeader>
export type RequestHeaderInput = MessageInput<typeof RequestHeader>

/** A decoded request; switch on `apiName` (or `apiKey`) to get the body's type. */
export type DecodedRequest = {
  [N in ApiName]: { apiName: N; apiKey: ApiKeyOf<N>; apiVersion: number; header: RequestHeaderValue; body: RequestOf<N> }
}[ApiName]

/** Bytes every request header starts with, whatever its version: api key, api version, correlation id. */
export const REQUEST_HEADER_PREFIX_SIZE = 8

const API_VERSIONS_KEY = APIS.ApiVersions.apiKey

export function requestHeaderVersion(api: ApiDefinition, apiVersion: number): number {
  return inVersions(api.flexibleVersions, apiVersion) ? 2 : 1
}

export function responseHeaderVersion(api: ApiDefinition, apiVersion: number): number {
  if (api.apiKey === API_VERSIONS_KEY) return 0
  return inVersions(api.flexibleVersions, apiVersion) ? 1 : 0
}

/**
 * Decodes a request frame. An api key without a definition or a version outside its range is an
 * INVALID_REQUEST error carrying the frame's api key, version and correlation id, so the server can
 * still answer (an ApiVersions request of a newer version gets an UNSUPPORTED_VERSION reply).
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const context = peekContext(frame)
  const reader = new FrameReader(frame)
  try {
    const apiKey = reader.readInt16()
    const apiVersion = reader.readInt16()
    const api = apiByKey(apiKey)
    if (api === undefined) throw new ProtocolDecodeError('unknown-api-key', 0, `no definition for api key ${apiKey}`)
    if (!inVersions(api.validVersions, apiVersion)) {
      throw new ProtocolDecodeError(
        'unsupported-version',
        2,
        `${api.name} defines versions ${api.request.validVersions}, not ${apiVersion}`,
      )
    }
    reader.position = 0
    const header = readStruct(planFor(RequestHeader, requestHeaderVersion(api, apiVersion)), reader) as RequestHeaderValue
    const body = readStruct(planFor(api.request, apiVersion), reader)
    expectEnd(reader)
    return { apiName: api.name, apiKey, apiVersion, header, body } as DecodedRequest
  } catch (error) {
    throw error instanceof ProtocolDecodeError ? error.withContext(context) : error
  }
}

/** Encodes a request frame (size prefix, header, body), as a client would send it. */
export function encodeRequest<N extends ApiName>(
  apiName: N,
  apiVersion: number,
  header: Omit<RequestHeaderInput, 'requestApiKey' | 'requestApiVersion'>,
  body: RequestInputOf<N>,
): Buffer[] {
  const api = apiFor(apiName, apiVersion)
  const headerValue = { ...header, requestApiKey: api.apiKey, requestApiVersion: apiVersion }
  return encodeParts(
    [
      { plan: planFor(RequestHeader, requestHeaderVersion(api, apiVersion)), value: headerValue },
      { plan: planFor(api.request, apiVersion), value: body as Record<string, unknown> },
    ],
    true,
  )
}

/** Encodes a response frame (size prefix, header, body). Record sets in the body are passed through. */
export function encodeResponse<N extends ApiName>(
  apiName: N,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputOf<N>,
): Buffer[] {
  const api = apiFor(apiName, apiVersion)
  return encodeParts(
    [
      { plan: planFor(ResponseHeader, responseHeaderVersion(api, apiVersion)), value: { correlationId } },
      { plan: planFor(api.response, apiVersion), value: body as Record<string, unknown> },
    ],
    true,
  )
}

/** Decodes a response frame; the caller knows from the correlation id which request it answers. */
export function decodeResponse<N extends ApiName>(
  frame: Buffer,
  apiName: N,
  apiVersion: number,
): { correlationId: number; body: ResponseOf<N> } {
  const known = apiByName(apiName)
  const context: FrameContext = { apiKey: known?.apiKey ?? -1, apiVersion, correlationId: frame.length >= 4 ? frame.readInt32BE(0) : -1 }
  if (known === undefined) throw new ProtocolDecodeError('unknown-api-key', 0, `no definition for api ${String(apiName)}`, '', context)
  if (!inVersions(known.validVersions, apiVersion)) {
    throw new ProtocolDecodeError(
      'unsupported-version',
      0,
      `${known.name} defines versions ${known.response.validVersions}, not ${apiVersion}`,
      '',
      context,
    )
  }
  const reader = new FrameReader(frame)
  try {
    const header = readStruct(planFor(ResponseHeader, responseHeaderVersion(known, apiVersion)), reader)
    const body = readStruct(planFor(known.response, apiVersion), reader) as ResponseOf<N>
    expectEnd(reader)
    return { correlationId: header.correlationId as number, body }
  } catch (error) {
    throw error instanceof ProtocolDecodeError ? error.withContext(context) : error
  }
}

/** Decodes one message (no header) of any definition at `version`, filling exactly `buf`. */
export function decodeMessage<M extends MessageDef>(message: M, version: number, buf: Buffer): MessageValue<M> {
  if (!inVersions(parseVersions(message.validVersions), version)) {
    throw new ProtocolDecodeError('unsupported-version', 0, `${message.name} defines versions ${message.validVersions}, not ${version}`)
  }
  const reader = new FrameReader(buf)
  const value = readStruct(planFor(message, version), reader)
  expectEnd(reader)
  return value as MessageValue<M>
}

/** Encodes one message (no header, no size prefix) of any definition at `version`, as chunks. */
export function encodeMessage<M extends MessageDef>(message: M, version: number, value: MessageInput<M>): Buffer[] {
  if (!inVersions(parseVersions(message.validVersions), version)) {
    throw new ProtocolEncodeError('unsupported-version', `${message.name} defines versions ${message.validVersions}, not ${version}`)
  }
  return encodeParts([{ plan: planFor(message, version), value: value as Record<string, unknown> }], false)
}

function apiFor(apiName: ApiName, apiVersion: number): ApiDefinition {
  const api = apiByName(apiName)
  if (api === undefined) throw new ProtocolEncodeError('unknown-api-key', `no definition for api ${String(apiName)}`)
  if (!inVersions(api.validVersions, apiVersion)) {
    throw new ProtocolEncodeError('unsupported-version', `${api.name} defines versions ${api.request.validVersions}, not ${apiVersion}`)
  }
  return api
}

function expectEnd(reader: FrameReader): void {
  if (reader.remaining > 0) throw new ProtocolDecodeError('trailing-bytes', reader.position, `${reader.remaining} bytes after the message`)
}

function peekContext(frame: Buffer): FrameContext {
  return {
    apiKey: frame.length >= 2 ? frame.readInt16BE(0) : -1,
    apiVersion: frame.length >= 4 ? frame.readInt16BE(2) : -1,
    correlationId: frame.length >= REQUEST_HEADER_PREFIX_SIZE ? frame.readInt32BE(4) : -1,
  }
}

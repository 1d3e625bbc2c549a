import { createRequire } from 'node:module'

/**
 * KafkaJS's protocol modules, loaded the way its own connection uses them: `requests/<api>/index.js`
 * gives, per version, a request (whose `encode()` yields the body) and a response decoder taking the
 * bytes after the v0 response header. `protocol/request.js` frames a body with size and header v1.
 */

const require = createRequire(import.meta.url)

interface KafkaEncoder {
  readonly buffer: Buffer
}

interface KafkaRequest {
  apiKey: number
  apiVersion: number
  encode(): Promise<KafkaEncoder>
}

interface KafkaResponse {
  decode(payload: Buffer): Promise<Record<string, unknown>>
}

interface KafkaApi {
  versions: string[]
  protocol(options: { version: number }): (args: unknown) => { request: KafkaRequest; response: KafkaResponse }
}

const frameRequest = require('kafkajs/src/protocol/request.js') as (options: {
  correlationId: number
  clientId: string
  request: KafkaRequest
}) => Promise<KafkaEncoder>

export const CORRELATION_ID = 0x1234_5678
export const CLIENT_ID = 'compat-client'

export function kafkajsApi(directory: string): KafkaApi {
  return require(`kafkajs/src/protocol/requests/${directory}/index.js`) as KafkaApi
}

export function kafkajsVersions(directory: string): number[] {
  return kafkajsApi(directory)
    .versions.map(Number)
    .sort((a, b) => a - b)
}

/** A whole request frame (size prefix included) as KafkaJS sends it. */
export async function kafkajsRequestFrame(directory: string, version: number, args: unknown): Promise<Buffer> {
  const { request } = kafkajsApi(directory).protocol({ version })(args)
  return Buffer.from((await frameRequest({ correlationId: CORRELATION_ID, clientId: CLIENT_ID, request })).buffer)
}

/** KafkaJS's decode of a response body (the bytes after the correlation id). */
export async function kafkajsDecodeResponse(directory: string, version: number, body: Buffer): Promise<Record<string, unknown>> {
  const module = require(`kafkajs/src/protocol/requests/${directory}/v${version}/response.js`) as
    KafkaResponse | ((options: unknown) => KafkaResponse)
  // DeleteRecords builds its response decoder from the request's topics.
  const response = typeof module === 'function' ? module({ topics: [] }) : module
  return response.decode(body)
}

/** KafkaJS reports the broker's throttle time as `throttleTime`, `clientSideThrottleTime` or `throttleTimeMs`, by API and version. */
export function throttleOf(decoded: Record<string, unknown>): unknown {
  return decoded.throttleTimeMs ?? decoded.clientSideThrottleTime ?? decoded.throttleTime
}

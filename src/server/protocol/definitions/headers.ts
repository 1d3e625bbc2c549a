import type { MessageDef } from '../schema.js'

/**
 * Request header v0-v2 and response header v0-v1. Which version an API version uses is decided in
 * ../headers.ts. ClientId keeps its int16-length form even in header v2, where the rest is flexible.
 * Checked field by field against apache/kafka clients/src/main/resources/common/message/*.json.
 */

export const RequestHeader = {
  name: 'RequestHeader',
  type: 'header',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'RequestApiKey', type: 'int16', versions: '0+' },
    { name: 'RequestApiVersion', type: 'int16', versions: '0+' },
    { name: 'CorrelationId', type: 'int32', versions: '0+' },
    { name: 'ClientId', type: 'string', versions: '1+', nullableVersions: '1+', flexibleVersions: 'none', ignorable: true },
  ],
} as const satisfies MessageDef

export const ResponseHeader = {
  name: 'ResponseHeader',
  type: 'header',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [{ name: 'CorrelationId', type: 'int32', versions: '0+' }],
} as const satisfies MessageDef

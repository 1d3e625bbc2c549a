/**
 * The Kafka wire-protocol codec: message definitions as data, one generic reader and one generic
 * writer, and whole-frame helpers. Pure: no sockets, no files, nothing from seglog but its error base.
 * docs/protocol.md describes the definitions, the header rules and the error codes.
 */
export {
  APIS,
  apiByKey,
  apiByName,
  allApis,
  type ApiDefinition,
  type ApiName,
  type ApiKeyOf,
  type RequestOf,
  type RequestInputOf,
  type ResponseOf,
  type ResponseInputOf,
} from './apis.js'
export {
  decodeRequest,
  encodeRequest,
  encodeResponse,
  decodeResponse,
  decodeMessage,
  encodeMessage,
  requestHeaderVersion,
  responseHeaderVersion,
  REQUEST_HEADER_PREFIX_SIZE,
  type DecodedRequest,
  type RequestHeaderValue,
  type RequestHeaderInput,
} from './frame.js'
export { RequestHeader, ResponseHeader } from './definitions/headers.js'
export {
  ProtocolDecodeError,
  ProtocolEncodeError,
  type ProtocolDecodeReason,
  type ProtocolDecodeCode,
  type ProtocolEncodeReason,
  type FrameContext,
} from './errors.js'
export { PASSTHROUGH_MIN_BYTES, type RecordsInput } from './writer.js'
export { UNKNOWN_TAGGED_FIELDS, type UnknownTaggedField } from './reader.js'
export { ZERO_UUID } from './plan.js'
export { parseVersions, inVersions, type MessageDef, type FieldDef, type StructDef, type VersionRange } from './schema.js'
export type { MessageValue, MessageInput } from './types.js'

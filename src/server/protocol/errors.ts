import { SeglogError, type ErrorCode } from '../../index.js'

/**
 * Why a frame could not be decoded. Stable strings: the server and tests branch on them.
 *   CORRUPT_MESSAGE: the bytes are not a well-formed message (truncated, a length past the end, a
 *     negative length, null where the version allows none, an over-long varint, a tagged field whose
 *     size disagrees with its content, bytes left over after the message).
 *   INVALID_REQUEST: well-formed bytes naming something the codec does not speak (an api key it has no
 *     definition for, a version outside the definition's range) or a value it cannot represent (an
 *     int64 beyond 2^53).
 */
export type ProtocolDecodeReason =
  | 'truncated'
  | 'length-past-end'
  | 'negative-length'
  | 'unexpected-null'
  | 'invalid-varint'
  | 'tagged-field-size'
  | 'trailing-bytes'
  | 'unknown-api-key'
  | 'unsupported-version'
  | 'unsafe-int64'

export type ProtocolDecodeCode = 'CORRUPT_MESSAGE' | 'INVALID_REQUEST'

const INVALID_REQUEST_REASONS: ReadonlySet<ProtocolDecodeReason> = new Set(['unknown-api-key', 'unsupported-version', 'unsafe-int64'])

/** What the frame said about itself before decoding failed: the server needs it to answer. */
export interface FrameContext {
  readonly apiKey: number
  readonly apiVersion: number
  /** -1 when the frame was too short to carry one. */
  readonly correlationId: number
}

const NO_CONTEXT: FrameContext = { apiKey: -1, apiVersion: -1, correlationId: -1 }

/**
 * Bytes that do not decode. `position` is the byte in the frame (the buffer handed to the decoder)
 * where the problem is; `field` is the path of the field being read, e.g. `topics[0].partitions[2].records`.
 */
export class ProtocolDecodeError extends SeglogError {
  readonly reason: ProtocolDecodeReason
  readonly position: number
  readonly field: string
  readonly detail: string
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number

  constructor(reason: ProtocolDecodeReason, position: number, detail: string, field = '', context: FrameContext = NO_CONTEXT) {
    const code: ProtocolDecodeCode = INVALID_REQUEST_REASONS.has(reason) ? 'INVALID_REQUEST' : 'CORRUPT_MESSAGE'
    const where = field === '' ? '' : ` in ${field}`
    // The codes are the protocol layer's own; src/errors.ts does not list them.
    super(code as string as ErrorCode, `frame byte ${position}${where}: ${reason} (${detail})`)
    this.reason = reason
    this.position = position
    this.field = field
    this.detail = detail
    this.apiKey = context.apiKey
    this.apiVersion = context.apiVersion
    this.correlationId = context.correlationId
  }

  /** The same error, one level further out: `partitions[2].records` becomes `topics[0].partitions[2].records`. */
  inField(outer: string): ProtocolDecodeError {
    const field = this.field === '' ? outer : this.field.startsWith('[') ? `${outer}${this.field}` : `${outer}.${this.field}`
    return new ProtocolDecodeError(this.reason, this.position, this.detail, field, this)
  }

  /** The same error with the frame's api key, version and correlation id attached. */
  withContext(context: FrameContext): ProtocolDecodeError {
    return new ProtocolDecodeError(this.reason, this.position, this.detail, this.field, context)
  }
}

/** Why a value could not be encoded in the version asked for. */
export type ProtocolEncodeReason = 'non-default-in-version' | 'null-not-allowed' | 'bad-value' | 'unknown-api-key' | 'unsupported-version'

/**
 * A message value that cannot be written in the version asked for: a non-ignorable field set to a
 * non-default value the version lacks (Kafka's UnsupportedVersionException), null where the version
 * has no null, or a value of the wrong type or range. Code INVALID_ARGUMENT: the caller built it.
 */
export class ProtocolEncodeError extends SeglogError {
  readonly reason: ProtocolEncodeReason
  readonly field: string
  readonly detail: string

  constructor(reason: ProtocolEncodeReason, detail: string, field = '') {
    super('INVALID_ARGUMENT', `${field === '' ? 'message' : field}: ${reason} (${detail})`)
    this.reason = reason
    this.field = field
    this.detail = detail
  }

  inField(outer: string): ProtocolEncodeError {
    const field = this.field === '' ? outer : this.field.startsWith('[') ? `${outer}${this.field}` : `${outer}.${this.field}`
    return new ProtocolEncodeError(this.reason, this.detail, field)
  }
}

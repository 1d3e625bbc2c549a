import { SeglogError } from '../errors.js'
import type { CompressionName } from './codec.js'

/**
 * A compressed records area that its codec cannot read: a bad frame header, a failed checksum, a
 * truncated block, or output that would exceed the caller's `maxOutputBytes`. `position` is the byte
 * inside the compressed input where the problem was found (best effort; 0 when the underlying
 * library does not say). The record layer re-anchors it to the batch.
 */
export class CorruptCompressionError extends SeglogError {
  readonly codec: CompressionName
  readonly position: number
  readonly detail: string

  constructor(codec: CompressionName, position: number, detail: string, options?: ErrorOptions) {
    super('CORRUPT_RECORD', `${codec} payload at byte ${position}: ${detail}`, options)
    this.codec = codec
    this.position = position
    this.detail = detail
  }
}

/**
 * A compression codec seglog cannot use: an id or name Kafka does not define, or a known codec whose
 * native package failed to load. In the second case `packageName` says what to install.
 */
export class UnsupportedCompressionError extends SeglogError {
  /** The id (from a batch's attributes) or the name (from an option) that was asked for. */
  readonly codec: number | string
  readonly packageName: string | undefined

  constructor(codec: number | string, packageName?: string, options?: ErrorOptions) {
    super('UNSUPPORTED_COMPRESSION', describe(codec, packageName), options)
    this.codec = codec
    this.packageName = packageName
  }
}

function describe(codec: number | string, packageName: string | undefined): string {
  const subject = typeof codec === 'number' ? `compression id ${codec}` : `compression '${codec}'`
  if (packageName === undefined) return `${subject} is not supported`
  return `${subject} needs the npm package '${packageName}', which failed to load; install it with \`npm install ${packageName}\``
}

import { SeglogError } from '../errors.js'

/** Why a batch or record was rejected. Stable strings: tests and callers branch on them. */
export type CorruptReason =
  | 'bad-crc'
  | 'bad-length'
  | 'bad-magic'
  | 'bad-offset'
  | 'truncated-record'
  | 'varint-overflow'
  | 'unsafe-int64'
  | 'bad-compression-frame'
  | 'unsupported-compression'
  /** A record of a version its schema does not define (an offsets-log key or value from a newer Kafka). */
  | 'unknown-version'

/**
 * Bytes that are not a valid record batch. The pure codec only knows positions inside the buffer it
 * was given; the I/O layer re-anchors the error to a file with `inFile` once.
 */
export class CorruptRecordError extends SeglogError {
  readonly reason: CorruptReason
  readonly position: number
  readonly detail: string
  readonly file: string | undefined

  constructor(reason: CorruptReason, position: number, detail: string, file?: string, options?: ErrorOptions) {
    super('CORRUPT_RECORD', `${file ?? 'buffer'} at byte ${position}: ${reason} (${detail})`, options)
    this.reason = reason
    this.position = position
    this.detail = detail
    this.file = file
  }

  /** The same error, positioned in `file` where the buffer started at `filePosition`. */
  inFile(file: string, filePosition: number): CorruptRecordError {
    return new CorruptRecordError(this.reason, filePosition + this.position, this.detail, file, { cause: this.cause })
  }

  /** Shifts a buffer-relative position by `delta` (a record area inside a batch, a batch inside a chunk). */
  shifted(delta: number): CorruptRecordError {
    return new CorruptRecordError(this.reason, this.position + delta, this.detail, this.file, { cause: this.cause })
  }
}

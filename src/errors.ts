/**
 * Every error seglog throws on purpose is a SeglogError with a stable `code`, so callers can branch
 * on the code rather than on message text. Bugs in seglog itself go through node:assert instead.
 */
export type ErrorCode =
  | 'CORRUPT_RECORD'
  | 'CORRUPT_INDEX'
  | 'OFFSET_OUT_OF_RANGE'
  | 'LOG_LOCKED'
  | 'LOG_CLOSED'
  | 'UNSUPPORTED_COMPRESSION'
  | 'INVALID_ARGUMENT'
  | 'RECORD_TOO_LARGE'
  | 'OUT_OF_ORDER_SEQUENCE'
  | 'INVALID_PRODUCER_EPOCH'
  | 'PRODUCER_CLOSED'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'CORRUPT_METADATA'
  | 'IO_FAILED'
  /** A Kafka-protocol frame that is not a well-formed message (from the server's codec). */
  | 'CORRUPT_MESSAGE'
  /** A well-formed Kafka-protocol frame naming an API, version or value the server does not speak. */
  | 'INVALID_REQUEST'
  /** A record a topic refuses by its settings (a keyless record on a compacted topic): Kafka's INVALID_RECORD. */
  | 'INVALID_RECORD'

export class SeglogError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A caller passed something seglog cannot use: a bad option, topic name or argument. */
export class InvalidArgumentError extends SeglogError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/**
 * One record of a call is malformed (INVALID_ARGUMENT). `field` names the part, as in
 * `records[3].headers[0].key`; `recordIndex` is the record's index in the list it was passed in.
 */
export class InvalidRecordError extends InvalidArgumentError {
  readonly field: string
  readonly recordIndex: number

  constructor(field: string, recordIndex: number, message: string) {
    super(message)
    this.field = field
    this.recordIndex = recordIndex
  }
}

/**
 * The topic (or one of its partitions) does not exist: it was never created, or it was deleted,
 * possibly while it was being read. Kafka's UNKNOWN_TOPIC_OR_PARTITION.
 */
export class UnknownTopicOrPartitionError extends SeglogError {
  readonly topic: string
  /** The partition asked for; null when the topic itself is unknown. */
  readonly partition: number | null
  /** The topic existed on this engine and was deleted. */
  readonly isDeleted: boolean

  constructor(topic: string, partition: number | null, isDeleted: boolean, detail?: string) {
    const what = partition === null ? `topic '${topic}'` : `partition ${partition} of topic '${topic}'`
    super('UNKNOWN_TOPIC_OR_PARTITION', detail ?? (isDeleted ? `${what} was deleted` : `${what} does not exist`))
    this.topic = topic
    this.partition = partition
    this.isDeleted = isDeleted
  }
}

/**
 * A metadata file of a data directory (topics.json, a checkpoint file) cannot be read as its
 * format says: not JSON, an unknown version, a malformed line. `line` (counting from 1) is set for
 * the text checkpoint formats, `position` (a byte) where the parser knows it; null otherwise.
 */
export class CorruptMetadataError extends SeglogError {
  readonly file: string
  readonly line: number | null
  readonly position: number | null
  readonly detail: string

  constructor(file: string, detail: string, where: { line?: number; position?: number } = {}) {
    const at = where.line !== undefined ? ` line ${where.line}` : where.position !== undefined ? ` at byte ${where.position}` : ''
    super('CORRUPT_METADATA', `${file}${at}: ${detail}`)
    this.file = file
    this.line = where.line ?? null
    this.position = where.position ?? null
    this.detail = detail
  }
}

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
  | 'VERIFICATION_FAILED'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'IO_FAILED'

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

import { SeglogError } from '../index.js'
import { KafkaErrorCode } from './error-codes.js'

/**
 * The Kafka error code for an error the engine raised while serving a request. Codes are matched
 * as strings so that codes the engine adds later (such as UNKNOWN_TOPIC_OR_PARTITION) map too.
 * Returns UNKNOWN_SERVER_ERROR for anything unexpected; the caller logs those.
 */
export function kafkaCodeFor(error: unknown): number {
  if (!(error instanceof SeglogError)) return KafkaErrorCode.UNKNOWN_SERVER_ERROR
  switch (error.code as string) {
    case 'CORRUPT_RECORD':
      return KafkaErrorCode.CORRUPT_MESSAGE
    case 'OFFSET_OUT_OF_RANGE':
      return KafkaErrorCode.OFFSET_OUT_OF_RANGE
    case 'OUT_OF_ORDER_SEQUENCE':
      return KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    case 'INVALID_PRODUCER_EPOCH':
      return KafkaErrorCode.INVALID_PRODUCER_EPOCH
    case 'RECORD_TOO_LARGE':
      return KafkaErrorCode.MESSAGE_TOO_LARGE
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      return KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    case 'UNSUPPORTED_COMPRESSION':
      return KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE
    case 'IO_FAILED':
      return KafkaErrorCode.KAFKA_STORAGE_ERROR
    case 'LOG_CLOSED':
      // With a cause the partition stopped after an I/O failure; without one it was closed under
      // the request (its topic deleted, the server stopping): clients refresh metadata and retry.
      return error.cause === undefined ? KafkaErrorCode.NOT_LEADER_OR_FOLLOWER : KafkaErrorCode.KAFKA_STORAGE_ERROR
    case 'INVALID_ARGUMENT':
      return KafkaErrorCode.INVALID_REQUEST
    case 'INVALID_RECORD':
      return KafkaErrorCode.INVALID_RECORD
    default:
      return KafkaErrorCode.UNKNOWN_SERVER_ERROR
  }
}

/** Whether an error code means "the server did something wrong", worth a log line. */
export function isUnexpected(code: number): boolean {
  return code === KafkaErrorCode.UNKNOWN_SERVER_ERROR || code === KafkaErrorCode.KAFKA_STORAGE_ERROR
}

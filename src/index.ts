/**
 * seglog's public API: the only import path users need. Everything exported here is documented in
 * docs/ (embedding.md for the engine, producer and consumer; format/ for the bytes).
 */
export { SeglogError, InvalidArgumentError, InvalidRecordError, UnknownTopicOrPartitionError, type ErrorCode } from './errors.js'

// Engine: a data directory with its topics and partitions.
export { LogEngine, type LogEngineOptions, type TopicDescription } from './engine/log-engine.js'
export { LogLockedError } from './engine/dir-lock.js'
export { DEFAULT_TOPIC_CONFIG, validateTopicName, type TopicConfig } from './engine/topic-config.js'
export { RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT } from './engine/checkpoint-file.js'

// Partition logs.
export {
  PartitionLog,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type AppendInfo,
  type ReadOptions,
  type ReadRawResult,
  type RecoveryEvent,
  type RetentionResult,
  type TimestampLookup,
} from './log/partition-log.js'
export { type FlushPolicy, type FlushMode } from './log/flush-policy.js'
export { OffsetOutOfRangeError, CorruptIndexError, LogClosedError, IoError } from './log/errors.js'
export { OutOfOrderSequenceError, InvalidProducerEpochError } from './log/producer-state.js'

// Producer.
export {
  Producer,
  RecordTooLargeError,
  ProducerClosedError,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
  type ProducerMetrics,
} from './producer/producer.js'
export { murmur2, partitionForKey } from './producer/partitioner.js'

// Record batches: Kafka's bytes.
export {
  RecordBatch,
  encodeBatch,
  assignBaseOffset,
  type EncodeBatchOptions,
  type TimestampType,
} from './record/record-batch.js'
export { BatchScanner } from './record/batch-scanner.js'
export { CorruptRecordError, type CorruptReason } from './record/errors.js'
export type { DecodedRecord, RecordHeader, RecordInput } from './record/record.js'
export { normalizeRecord, type BytesLike, type RecordLike } from './record/record-input.js'
export { readControlRecord, type ControlRecord } from './record/control-record.js'
export { crc32c } from './record/crc32c.js'

// Compression.
export { codecForId, codecForName } from './compression/registry.js'
export { COMPRESSION_IDS, type Codec, type CompressionName } from './compression/codec.js'
export { CorruptCompressionError, UnsupportedCompressionError } from './compression/errors.js'

// Consumer-offset store and consumer.
export { OffsetStore, OFFSETS_TOPIC, type OffsetCommit, type PartitionLag, type ResetTarget, type OffsetStoreOptions } from './consumer/offset-store.js'
export { Consumer, type ConsumerOptions, type ConsumerRecord, type StartPosition } from './consumer/consumer.js'
export { type CommittedOffset } from './consumer/offset-record.js'

/**
 * seglog's public API: the only import path users need. Everything exported here is documented in
 * docs/ (embedding.md for the engine, producer and consumer; format/ for the bytes).
 */
import type { LogEngine as Engine, LogEngineOptions as EngineOptions } from './engine/log-engine.js'

export {
  SeglogError,
  InvalidArgumentError,
  InvalidRecordError,
  UnknownTopicOrPartitionError,
  CorruptMetadataError,
  type ErrorCode,
} from './errors.js'

// Engine: a data directory with its topics and partitions.
export { LogEngine, type LogEngineOptions, type TopicDescription, type TopicConfigChanges } from './engine/log-engine.js'
export { LogLockedError } from './engine/dir-lock.js'
export { DEFAULT_TOPIC_CONFIG, resolveTopicConfig, validateTopicName, type TopicConfig } from './engine/topic-config.js'
export { RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT } from './engine/checkpoint-file.js'
export {
  inspectDirectory,
  type InspectDirectoryOptions,
  type InspectReport,
  type DataDirReport,
  type PartitionDirReport,
  type PartitionReport,
  type SegmentReport,
  type TopicReport,
  type GroupReport,
  type CodecReport,
} from './engine/inspect-directory.js'
export {
  verifyDirectory,
  verifyFiles,
  type VerifyDirectoryOptions,
  type VerifyReport,
  type VerifyProblem,
} from './engine/verify-directory.js'
export {
  repairDirectory,
  type RepairOptions,
  type RepairReport,
  type PartitionRepair,
  type QuarantineMove,
  type RecoveryCut,
} from './engine/repair-directory.js'

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
export { systemClock, type Clock } from './log/clock.js'
export { nodeFileSystem, type LogFileSystem, type SegmentFile } from './log/file-system.js'
export { OffsetOutOfRangeError, CorruptIndexError, LogClosedError, IoError } from './log/errors.js'
export { OutOfOrderSequenceError, InvalidProducerEpochError } from './log/producer-state.js'

// Log compaction and lookup by key (docs/compaction.md).
export {
  type CleanupPolicy,
  type CompactionSettings,
  DEFAULT_COMPACTION_SETTINGS,
  compactionSettings,
} from './log/cleaner/compaction-config.js'
export type { CompactionResult } from './log/cleaner/compaction-pass.js'
export { RecordWithoutKeyError } from './log/cleaner/keyed-records.js'
export { LogCleaner, type LogCleanerOptions, type CleanNowOptions, type CleanableLog } from './engine/log-cleaner.js'
export type { KeyLookupOptions } from './log/key-lookup.js'
export { lookupKeyInTopic, type KeyedRecord } from './engine/key-lookup.js'

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
export { RecordBatch, type TimestampType } from './record/record-batch.js'
export { encodeBatch, assignBaseOffset, stampLogAppendTime, type EncodeBatchOptions } from './record/batch-encoder.js'
export { BatchScanner } from './record/batch-scanner.js'
export { visitRecords, RecordView, type RecordVisitor } from './record/batch-visitor.js'
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
export {
  OffsetStore,
  OFFSETS_TOPIC,
  type OffsetCommit,
  type PartitionLag,
  type ResetTarget,
  type OffsetStoreOptions,
} from './consumer/offset-store.js'
export { Consumer, type ConsumerOptions, type ConsumerRecord, type StartPosition } from './consumer/consumer.js'
export type { PendingTransaction, TransactionResult } from './consumer/transactional-offsets.js'

// Delayed delivery, consumer.run with retries and dead letters (docs/delayed-delivery.md).
export type { SendOptions } from './producer/delayed-send.js'
export {
  HEADER_ATTEMPT,
  HEADER_ERROR_CLASS,
  HEADER_ERROR_MESSAGE,
  HEADER_ORIGINAL_OFFSET,
  HEADER_ORIGINAL_PARTITION,
  HEADER_ORIGINAL_TIMESTAMP,
  HEADER_ORIGINAL_TOPIC,
  deadLetterTopicOf,
  retryTopicOf,
  type HandlerContext,
  type RecordHandler,
  type RetryOptions,
  type RunMetrics,
  type RunOptions,
} from './consumer/record-runner.js'
export { DELAY_TOPIC, HEADER_DELAY_ID, HEADER_DELIVER_AT } from './engine/delay/delay-records.js'
export { TRACE_TOPIC, type TraceEvent, type TraceOutcome, type TraceQuery } from './engine/delay/consumption-trace.js'
export type { DelayScheduler, DelayStats, DelayedMetadata } from './engine/delay/delay-scheduler.js'
export { type CommittedOffset } from './format/offset-commit.js'
export { type GroupMetadata, type GroupMetadataMember } from './format/group-metadata.js'
export {
  decodeConsumerSubscription,
  decodeConsumerAssignment,
  type ConsumerSubscription,
  type ConsumerAssignment,
  type TopicPartitions,
} from './format/consumer-protocol.js'

// The Kafka-protocol server (docs/server.md). src/server/ is built on this file's API and imports
// nothing else, so this file must not import it statically (that would close a circle): it is
// loaded on the first call, and embedders that never serve never load it.
/** The Kafka server's own settings (not the engine's), with Kafka's broker config names beside them. */
export interface KafkaServerSettings {
  /** Interface to listen on (`listeners`); 127.0.0.1 unless told otherwise. */
  host: string
  /** Port to listen on; 0 lets the OS choose (the server's `address` says which). */
  port: number
  /** Host clients are told to connect to (`advertised.listeners`); the listen host by default. */
  advertisedHost: string | null
  /** Port clients are told to connect to; the port actually bound by default. */
  advertisedPort: number | null
  /** `node.id` (or `broker.id`): this broker's id in metadata. */
  nodeId: number
  /** The cluster id in metadata; derived from the data directory's path when null. */
  clusterId: string | null
  /** `auto.create.topics.enable`: Metadata requests for unknown topics create them. */
  autoCreateTopics: boolean
  /** `num.partitions`: partitions of topics created without a count. */
  defaultPartitions: number
  /** `socket.request.max.bytes`: a larger request frame closes its connection. */
  maxRequestBytes: number
  /** `connections.max.idle.ms`: a connection with nothing in flight for this long is closed. */
  idleTimeoutMs: number
  /** `fetch.max.bytes`: the broker's cap on one fetch response's records. */
  fetchMaxBytes: number
  /**
   * While a connection's responses not yet taken by its client exceed this, the server stops
   * reading its requests (a slow reader cannot make the server buffer without bound).
   */
  maxUnsentBytes: number
  /** Requests of one connection being handled at once; more wait in the socket. */
  maxInFlightRequests: number
  /** How long close() lets in-flight requests finish before closing their connections anyway. */
  shutdownTimeoutMs: number
  /** `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits for more members. */
  groupInitialRebalanceDelayMs: number
  /** `group.min.session.timeout.ms`: the shortest session timeout a group member may ask for. */
  groupMinSessionTimeoutMs: number
  /** `group.max.session.timeout.ms`: the longest session timeout a group member may ask for. */
  groupMaxSessionTimeoutMs: number
}

export interface KafkaServerOptions extends Partial<KafkaServerSettings> {
  /** The engine to serve. The server does not close it: its owner does, after `close()`. */
  engine?: Engine
  /**
   * For test suites: open an engine on a new temporary directory (flush mode `os`, unless
   * `engineOptions` say otherwise), listen on port 0 unless a port is given, and remove the
   * directory at `close()`.
   */
  ephemeral?: boolean
  /** Options for the engine an ephemeral server opens (not `dir`). */
  engineOptions?: Omit<EngineOptions, 'dir'>
  /** Receives one line per notable event (a malformed frame, a topic created); console.warn by default. */
  onLog?: (message: string) => void
  /**
   * The SASL users file (`seglog users add` writes it; docs/format/users-file.md). When set, the
   * listener asks for SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): a connection may only send
   * ApiVersions and SASL requests until it has authenticated. Edits are picked up while serving.
   */
  usersFile?: string
  /** Serve over TLS (the SSL and SASL_SSL listeners) with this certificate and key. */
  tls?: KafkaServerTlsOptions
  /** The ACL file (docs/format/acl-file.md). Without one, every request is allowed. */
  aclFile?: string
  /** Principals (`User:admin`) allowed everything, whatever the ACLs say (Kafka's `super.users`). */
  superUsers?: readonly string[]
  /** How failed authentications are slowed down and refused, per client address (docs/server.md). */
  failedAuthLimits?: Partial<FailedAuthLimits>
}

export interface KafkaServerTlsOptions {
  /** The server's certificate chain and private key, PEM. */
  cert: string | Buffer
  key: string | Buffer
  /** CA certificates (PEM) that client certificates are checked against. */
  ca?: string | Buffer
  /** Ask clients for a certificate: `none` (default), `requested` (checked if sent), `required`. */
  clientAuth?: 'none' | 'requested' | 'required'
}

export interface FailedAuthLimits {
  /** How long the answer to a failed authentication is held back (100). */
  delayMs: number
  /** Failed authentications from one address within windowMs that get it refused (10). */
  maxFailures: number
  /** (60000) */
  windowMs: number
  /** How long a refused address stays refused (60000). */
  blockMs: number
}

export interface KafkaServer {
  /** Where the server listens: the port is the one bound (useful with port 0). */
  readonly address: { host: string; port: number }
  readonly engine: Engine
  /** Connections open now. */
  readonly connectionCount: number
  /** The listener's security protocol as Kafka names it: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  readonly securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
  /**
   * Stops accepting connections, answers what is in flight (long-polling fetches at once), closes
   * every connection and, for an ephemeral server, closes the engine and removes its directory.
   */
  close(): Promise<void>
}

/**
 * Serves a seglog engine over the Kafka protocol, so Kafka clients and tools can produce to it,
 * fetch from it and administer its topics. Resolves once the server is listening.
 *
 * ```ts
 * const engine = await LogEngine.open({ dir: './data' })
 * const server = await createKafkaServer({ engine, port: 9092 })
 * // ... until it is time to stop:
 * await server.close()
 * await engine.close()
 * ```
 */
export async function createKafkaServer(options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const server = await import('./server/kafka-server.js')
  return server.createKafkaServer(options)
}

// Transactions and leader epochs (the storage side of KIP-98 and KIP-101).
export type { AbortedTxn } from './format/txn-index.js'
export type { EpochEntry } from './format/leader-epoch-checkpoint.js'
export type { OpenTransaction } from './log/ongoing-transactions.js'
export type { IsolationLevel } from './log/transactions.js'
export { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, type EpochEndOffset } from './log/leader-epoch-cache.js'
export {
  TransactionalProducer,
  ProducerFencedError,
  TransactionStateError,
  type TransactionalProducerOptions,
  type TransactionOffset,
} from './producer/transactional-producer.js'
export { openTransactionalProducer } from './engine/transactional-ids.js'

import type { MessageDef } from '../schema.js'

/**
 * Transactions (KIP-98): AddPartitionsToTxn (24), AddOffsetsToTxn (25), EndTxn (26),
 * TxnOffsetCommit (28), and the two records of the `__transaction_state` log, TransactionLogKey and
 * TransactionLogValue (Kafka's transaction-coordinator module). Checked field by field against
 * apache/kafka clients/src/main/resources/common/message/*.json and
 * transaction-coordinator/src/main/resources/common/message/TransactionLog{Key,Value}.json.
 */

const ADD_PARTITIONS_TOPIC = {
  name: 'AddPartitionsToTxnTopic',
  versions: '0+',
  fields: [
    { name: 'Name', type: 'string', versions: '0+', mapKey: true },
    { name: 'Partitions', type: '[]int32', versions: '0+' },
  ],
} as const

export const AddPartitionsToTxnRequest = {
  name: 'AddPartitionsToTxnRequest',
  type: 'request',
  apiKey: 24,
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    // v4+ is the brokers' batched form (one request for many transactional ids).
    {
      name: 'Transactions',
      type: '[]AddPartitionsToTxnTransaction',
      versions: '4+',
      fields: [
        { name: 'TransactionalId', type: 'string', versions: '4+', mapKey: true },
        { name: 'ProducerId', type: 'int64', versions: '4+' },
        { name: 'ProducerEpoch', type: 'int16', versions: '4+' },
        { name: 'VerifyOnly', type: 'bool', versions: '4+', default: false },
        { name: 'Topics', type: '[]AddPartitionsToTxnTopic', versions: '4+' },
      ],
    },
    { name: 'V3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'V3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'V3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    { name: 'V3AndBelowTopics', type: '[]AddPartitionsToTxnTopic', versions: '0-3' },
  ],
  commonStructs: [ADD_PARTITIONS_TOPIC],
} as const satisfies MessageDef

export const AddPartitionsToTxnResponse = {
  name: 'AddPartitionsToTxnResponse',
  type: 'response',
  apiKey: 24,
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '4+', ignorable: true },
    {
      name: 'ResultsByTransaction',
      type: '[]AddPartitionsToTxnResult',
      versions: '4+',
      fields: [
        { name: 'TransactionalId', type: 'string', versions: '4+', mapKey: true },
        { name: 'TopicResults', type: '[]AddPartitionsToTxnTopicResult', versions: '4+' },
      ],
    },
    { name: 'ResultsByTopicV3AndBelow', type: '[]AddPartitionsToTxnTopicResult', versions: '0-3' },
  ],
  commonStructs: [
    {
      name: 'AddPartitionsToTxnTopicResult',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+', mapKey: true },
        { name: 'ResultsByPartition', type: '[]AddPartitionsToTxnPartitionResult', versions: '0+' },
      ],
    },
    {
      name: 'AddPartitionsToTxnPartitionResult',
      versions: '0+',
      fields: [
        { name: 'PartitionIndex', type: 'int32', versions: '0+', mapKey: true },
        { name: 'PartitionErrorCode', type: 'int16', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageDef

export const AddOffsetsToTxnRequest = {
  name: 'AddOffsetsToTxnRequest',
  type: 'request',
  apiKey: 25,
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '0+' },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
    { name: 'GroupId', type: 'string', versions: '0+' },
  ],
} as const satisfies MessageDef

export const AddOffsetsToTxnResponse = {
  name: 'AddOffsetsToTxnResponse',
  type: 'response',
  apiKey: 25,
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageDef

export const EndTxnRequest = {
  name: 'EndTxnRequest',
  type: 'request',
  apiKey: 26,
  validVersions: '0-5',
  flexibleVersions: '3+',
  latestVersionUnstable: true,
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '0+' },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
    { name: 'Committed', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageDef

export const EndTxnResponse = {
  name: 'EndTxnResponse',
  type: 'response',
  apiKey: 26,
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    { name: 'ErrorCode', type: 'int16', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '5+', default: -1, ignorable: true },
    { name: 'ProducerEpoch', type: 'int16', versions: '5+', default: -1, ignorable: true },
  ],
} as const satisfies MessageDef

export const TxnOffsetCommitRequest = {
  name: 'TxnOffsetCommitRequest',
  type: 'request',
  apiKey: 28,
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'TransactionalId', type: 'string', versions: '0+' },
    { name: 'GroupId', type: 'string', versions: '0+' },
    { name: 'ProducerId', type: 'int64', versions: '0+' },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
    { name: 'GenerationId', type: 'int32', versions: '3+', default: -1 },
    { name: 'MemberId', type: 'string', versions: '3+', default: '' },
    { name: 'GroupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    {
      name: 'Topics',
      type: '[]TxnOffsetCommitRequestTopic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]TxnOffsetCommitRequestPartition',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'CommittedOffset', type: 'int64', versions: '0+' },
            { name: 'CommittedLeaderEpoch', type: 'int32', versions: '2+', default: -1, ignorable: true },
            { name: 'CommittedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageDef

export const TxnOffsetCommitResponse = {
  name: 'TxnOffsetCommitResponse',
  type: 'response',
  apiKey: 28,
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'ThrottleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'Topics',
      type: '[]TxnOffsetCommitResponseTopic',
      versions: '0+',
      fields: [
        { name: 'Name', type: 'string', versions: '0+' },
        {
          name: 'Partitions',
          type: '[]TxnOffsetCommitResponsePartition',
          versions: '0+',
          fields: [
            { name: 'PartitionIndex', type: 'int32', versions: '0+' },
            { name: 'ErrorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageDef

/** The key of a `__transaction_state` record (after its int16 version prefix). */
export const TransactionLogKey = {
  name: 'TransactionLogKey',
  type: 'data',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [{ name: 'TransactionalId', type: 'string', versions: '0' }],
} as const satisfies MessageDef

/** The value of a `__transaction_state` record (after its int16 version prefix); null is a tombstone. */
export const TransactionLogValue = {
  name: 'TransactionLogValue',
  type: 'data',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'ProducerId', type: 'int64', versions: '0+' },
    { name: 'PreviousProducerId', type: 'int64', versions: '1+', taggedVersions: '1+', tag: 0, default: -1 },
    { name: 'NextProducerId', type: 'int64', versions: '1+', taggedVersions: '1+', tag: 1, default: -1 },
    { name: 'ProducerEpoch', type: 'int16', versions: '0+' },
    { name: 'TransactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'TransactionStatus', type: 'int8', versions: '0+' },
    {
      name: 'TransactionPartitions',
      type: '[]PartitionsSchema',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'Topic', type: 'string', versions: '0+' },
        { name: 'PartitionIds', type: '[]int32', versions: '0+' },
      ],
    },
    { name: 'TransactionLastUpdateTimestampMs', type: 'int64', versions: '0+' },
    { name: 'TransactionStartTimestampMs', type: 'int64', versions: '0+' },
    { name: 'ClientTransactionVersion', type: 'int16', versions: '1+', taggedVersions: '1+', tag: 2, default: 0 },
  ],
} as const satisfies MessageDef

import { BatchScanner, CorruptRecordError, stampLogAppendTime, type AppendInfo, type PartitionLog, type RecordBatch } from '../../index.js'
import { CLOSE_CONNECTION, type ApiHandler, type RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { isUnexpected, kafkaCodeFor } from '../error-mapping.js'
import { findPartition, isInternalTopic } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'

/**
 * Produce (record batch v2 only). Each partition's batch is checked (one batch, magic 2, the
 * topic's max.message.bytes, not a control batch; a transactional batch only in a request naming
 * its transactional id, from the id's current producer, to a partition added to its open
 * transaction: the transaction coordinator says), stamped with LogAppendTime when
 * the topic asks for it, and appended as it came with `appendBatch`, which checks its CRC, assigns
 * offsets in place and deduplicates idempotent retries. Every append is issued before the handler
 * first waits, so pipelined produce requests reach each partition in the order they arrived.
 *
 * acks=1 answers once the appends resolved (under the `sync` flush mode that includes the fsync);
 * acks=-1 also waits for an fsync under `interval` (under `os` the topic leaves durability to the
 * page cache); acks=0 gets no response, and an error closes the connection, as Kafka does.
 */

type ProduceRequest = RequestOf<'Produce'>
type ProduceResponse = ResponseInputOf<'Produce'>

interface PartitionResult {
  index: number
  errorCode: number
  baseOffset: number
  logAppendTimeMs: number
  logStartOffset: number
  errorMessage: string | null
}

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage }
}

/** The one batch of a partition's records, or the error to answer with. */
function checkBatch(
  records: Buffer | null,
  maxBatchBytes: number,
  apiVersion: number,
  transactionalId: string | null,
): RecordBatch | { errorCode: number; errorMessage: string } {
  if (records === null || records.length === 0)
    return { errorCode: KafkaErrorCode.INVALID_RECORD, errorMessage: 'a produce request must carry one record batch per partition' }
  let batch: RecordBatch | null
  const scanner = new BatchScanner(records)
  try {
    batch = scanner.next()
    if (batch !== null && scanner.next() !== null)
      return { errorCode: KafkaErrorCode.INVALID_RECORD, errorMessage: 'produce requests v3+ carry exactly one record batch per partition' }
  } catch (error) {
    if (error instanceof CorruptRecordError && error.reason === 'bad-magic') {
      // v0-2 may carry the old message formats, which seglog does not store (Kafka 4 refuses them too).
      if (apiVersion < 3)
        return { errorCode: KafkaErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, errorMessage: 'only record batches of magic 2 are stored' }
      return { errorCode: KafkaErrorCode.INVALID_RECORD, errorMessage: 'produce requests v3+ carry record batches of magic 2 only' }
    }
    return { errorCode: KafkaErrorCode.CORRUPT_MESSAGE, errorMessage: (error as Error).message }
  }
  if (batch === null || scanner.trailingBytes > 0)
    return { errorCode: KafkaErrorCode.CORRUPT_MESSAGE, errorMessage: `the records end ${scanner.trailingBytes} bytes into a batch` }
  if (batch.sizeInBytes > maxBatchBytes)
    return {
      errorCode: KafkaErrorCode.MESSAGE_TOO_LARGE,
      errorMessage: `batch of ${batch.sizeInBytes} bytes exceeds max.message.bytes ${maxBatchBytes}`,
    }
  if (batch.isControl) return { errorCode: KafkaErrorCode.INVALID_RECORD, errorMessage: 'clients cannot produce control batches' }
  if (batch.isTransactional !== (transactionalId !== null))
    return {
      errorCode: KafkaErrorCode.INVALID_TXN_STATE,
      errorMessage:
        transactionalId === null
          ? 'a transactional batch needs the transactional id in its request'
          : 'a transactional request carries transactional batches',
    }
  return batch
}

/** Issues one partition's append now; the promise settles with its result. */
function appendPartition(
  context: RequestContext,
  topic: string,
  index: number,
  records: Buffer | null,
  acks: number,
  nowMs: number,
  transactionalId: string | null,
): Promise<PartitionResult> | PartitionResult {
  const engine = context.broker.engine
  const log = findPartition(engine, topic, index)
  if (log === null) return failed(index, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (isInternalTopic(topic)) return failed(index, KafkaErrorCode.INVALID_TOPIC_EXCEPTION, `'${topic}' is internal`)
  const config = engine.topicConfig(topic)
  const checked = checkBatch(records, config.maxBatchBytes, context.apiVersion, transactionalId)
  if (!('buffer' in checked)) return failed(index, checked.errorCode, checked.errorMessage)
  if (transactionalId !== null) {
    const code = context.broker.transactions.produceError(transactionalId, checked.producerId, checked.producerEpoch, topic, index)
    if (code !== KafkaErrorCode.NONE) return failed(index, code)
  }
  let logAppendTimeMs = -1
  if (config.timestampType === 'LogAppendTime') {
    try {
      // Checked before stamping: the stamp writes a fresh CRC over whatever the bytes are.
      checked.ensureValid()
    } catch (error) {
      return failed(index, KafkaErrorCode.CORRUPT_MESSAGE, (error as Error).message)
    }
    stampLogAppendTime(checked.buffer, nowMs)
    logAppendTimeMs = nowMs
  }
  return log
    .appendBatch(checked.buffer)
    .then((info) =>
      acks === -1 && log.flushPolicy.mode === 'interval'
        ? log.waitDurable(info.lastOffset + 1).then(() => appended(index, info, log, logAppendTimeMs))
        : appended(index, info, log, logAppendTimeMs),
    )
    .catch((error: unknown) => {
      const errorCode = kafkaCodeFor(error)
      if (isUnexpected(errorCode)) context.broker.log(`produce to ${topic}-${index} failed: ${(error as Error).message}`)
      return failed(index, errorCode, (error as Error).message)
    })
}

function appended(index: number, info: AppendInfo, log: PartitionLog, logAppendTimeMs: number): PartitionResult {
  // A retry answered from the producer state: the original batch's offset, as Kafka answers it.
  return {
    index,
    errorCode: KafkaErrorCode.NONE,
    baseOffset: info.baseOffset,
    logAppendTimeMs,
    logStartOffset: log.logStartOffset,
    errorMessage: null,
  }
}

async function handleProduce(request: ProduceRequest, context: RequestContext): Promise<ProduceResponse | null | typeof CLOSE_CONNECTION> {
  const acks = request.acks
  if (acks !== 0 && acks !== 1 && acks !== -1) return errorResponse(request, KafkaErrorCode.INVALID_REQUIRED_ACKS)
  const nowMs = Date.now()
  const pending = request.topicData.map((topic) =>
    topic.partitionData.map((partition) =>
      appendPartition(context, topic.name, partition.index, partition.records, acks, nowMs, request.transactionalId),
    ),
  )
  const responses = await Promise.all(
    pending.map(async (partitions, slot) => ({ name: request.topicData[slot]!.name, partitionResponses: await Promise.all(partitions) })),
  )
  if (acks === 0) {
    const failure = responses.some((topic) => topic.partitionResponses.some((partition) => partition.errorCode !== KafkaErrorCode.NONE))
    return failure ? CLOSE_CONNECTION : null
  }
  return { responses }
}

function errorResponse(request: ProduceRequest, errorCode: number): ProduceResponse {
  return {
    responses: request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((partition) => failed(partition.index, errorCode)),
    })),
  }
}

export const produceHandler: ApiHandler<'Produce'> = {
  apiName: 'Produce',
  // v0-2 are served for record batches of magic 2 only: clients use the newest version both sides
  // speak, but librdkafka enables gzip, snappy and lz4 only if the broker also lists Produce v0.
  // v10+ add leader discovery.
  minVersion: 0,
  maxVersion: 9,
  isExclusive: false,
  handle: handleProduce,
  errorResponse: (request, errorCode) => errorResponse(request, errorCode),
}

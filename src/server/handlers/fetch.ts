import type { PartitionLog, ReadRawResult } from '../../index.js'
import type { ApiHandler, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import { isUnexpected, kafkaCodeFor } from '../error-mapping.js'
import { findPartition } from '../partitions.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'
import { AppendWatcher } from './append-watcher.js'
import { fetchBuffers } from './fetch-buffers.js'

/**
 * Fetch (v4-12). Record sets are whole stored batches from `readRaw`, passed to the socket without
 * being copied or re-encoded; a batch holding the fetch offset is sent whole, as Kafka sends it.
 * They are read into buffers lent by `fetchBuffers` for partition budgets up to its buffer size,
 * and given back once the response has been written (fetch-buffers.ts).
 *
 * Size limits follow KIP-74: partitions are read in request order within the response's max_bytes
 * (capped by the broker's fetch.max.bytes) and each partition's partition_max_bytes; the first
 * batch of the first partition that has data is sent even if it is larger, later ones only if they
 * fit. When fewer than min_bytes are ready, the request waits up to max_wait_ms and reads again
 * whenever one of its partitions appends (the log's 'append' event).
 *
 * read_committed (isolation level 1) reads up to the partition's last stable offset and lists the
 * aborted transactions the records overlap, which the client drops. A current_leader_epoch (v9+)
 * other than -1 is checked against the partition's latest leader epoch: older is
 * FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, as Kafka answers. Fetch sessions (KIP-227, v7+) are not kept: a request to create one
 * gets session id 0, which tells the client to go on with full fetch requests.
 */

type FetchRequest = RequestOf<'Fetch'>
type FetchResponse = ResponseInputOf<'Fetch'>
type PartitionData = NonNullable<FetchResponse['responses']>[number]['partitions'] extends readonly (infer P)[] | undefined ? P : never

const READ_COMMITTED = 1
const NO_RECORDS = Buffer.alloc(0)

interface Target {
  topic: string
  partition: number
  fetchOffset: number
  currentLeaderEpoch: number
  partitionMaxBytes: number
  log: PartitionLog | null
}

interface ReadResult {
  response: FetchResponse
  bytes: number
  hasError: boolean
  /** Buffers from `fetchBuffers` the response's record sets point into. */
  lent: Buffer[]
}

async function handleFetch(request: FetchRequest, context: RequestContext): Promise<FetchResponse> {
  if (context.apiVersion >= 7) {
    // Incremental fetches name a session: none exists here, so the client starts over with a full one.
    if (request.sessionId !== 0) return topLevelError(KafkaErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    if (request.sessionEpoch > 0) return topLevelError(KafkaErrorCode.INVALID_FETCH_SESSION_EPOCH)
  }
  const engine = context.broker.engine
  const targets: Target[] = []
  for (const topic of request.topics) {
    for (const partition of topic.partitions) {
      targets.push({
        topic: topic.topic,
        partition: partition.partition,
        fetchOffset: partition.fetchOffset,
        currentLeaderEpoch: partition.currentLeaderEpoch,
        partitionMaxBytes: partition.partitionMaxBytes,
        log: findPartition(engine, topic.topic, partition.partition),
      })
    }
  }
  const maxBytes = Math.min(request.maxBytes, context.broker.settings.fetchMaxBytes)
  const isReadCommitted = request.isolationLevel === READ_COMMITTED
  if (request.maxWaitMs <= 0) return untilWritten(await readAll(targets, maxBytes, isReadCommitted, context), context)
  // Armed before the first read, so an append that lands while it runs still wakes the wait.
  const watcher = new AppendWatcher(targets.map((target) => target.log).filter((log): log is PartitionLog => log !== null))
  try {
    const deadlineMs = Date.now() + request.maxWaitMs
    for (;;) {
      watcher.reset()
      const result = await readAll(targets, maxBytes, isReadCommitted, context)
      if (result.bytes >= request.minBytes || result.hasError) return untilWritten(result, context)
      if (!(await watcher.wait(deadlineMs, context.signal))) return untilWritten(result, context)
      // Read again: nothing holds this attempt's bytes.
      fetchBuffers.giveBack(result.lent)
    }
  } finally {
    watcher.close()
  }
}

/** The response, its lent buffers given back once the connection has written it. */
function untilWritten(result: ReadResult, context: RequestContext): FetchResponse {
  if (result.lent.length > 0) context.afterResponse!(() => fetchBuffers.giveBack(result.lent))
  return result.response
}

async function readAll(
  targets: readonly Target[],
  maxBytes: number,
  isReadCommitted: boolean,
  context: RequestContext,
): Promise<ReadResult> {
  const topics: { topic: string; partitions: PartitionData[] }[] = []
  let remaining = maxBytes
  let bytes = 0
  let hasError = false
  const lent: Buffer[] = []
  for (const target of targets) {
    const data = await readPartition(target, remaining, bytes === 0, isReadCommitted, context, lent)
    const size = (data.records as Buffer).length
    remaining -= size
    bytes += size
    if (data.errorCode !== KafkaErrorCode.NONE) hasError = true
    const last = topics[topics.length - 1]
    if (last !== undefined && last.topic === target.topic) last.partitions.push(data)
    else topics.push({ topic: target.topic, partitions: [data] })
  }
  return { response: { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, sessionId: 0, responses: topics }, bytes, hasError, lent }
}

async function readPartition(
  target: Target,
  remaining: number,
  isFirstWithData: boolean,
  isReadCommitted: boolean,
  context: RequestContext,
  /** Where a buffer lent for this read goes when the records it returns point into it. */
  lent: Buffer[],
): Promise<PartitionData> {
  const log = target.log
  if (log === null) return partitionError(target.partition, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  try {
    const epochError = leaderEpochError(log, target.currentLeaderEpoch)
    if (epochError !== KafkaErrorCode.NONE) return partitionError(target.partition, epochError)
    const logStartOffset = log.logStartOffset
    const highWatermark = log.highWatermark
    const lastStableOffset = log.lastStableOffset
    // Kafka answers OFFSET_OUT_OF_RANGE past the log end; between the high watermark and the log
    // end (appended, not yet visible) the fetch just finds nothing yet.
    if (target.fetchOffset < logStartOffset || target.fetchOffset > log.logEndOffset) {
      return {
        ...partitionError(target.partition, KafkaErrorCode.OFFSET_OUT_OF_RANGE),
        highWatermark,
        lastStableOffset,
        logStartOffset,
      }
    }
    const budget = Math.min(target.partitionMaxBytes, remaining)
    let records: Buffer = NO_RECORDS
    let aborted: { producerId: number; firstOffset: number }[] = []
    if (budget > 0) {
      const isolation = isReadCommitted ? 'read_committed' : 'read_uncommitted'
      // Lent only where the connection says when the response is written (afterResponse).
      const buffer = context.afterResponse !== undefined && budget <= fetchBuffers.bufferBytes ? fetchBuffers.take() : undefined
      let raw: ReadRawResult
      try {
        raw = await log.readRaw(target.fetchOffset, { maxBytes: budget, maxOffset: highWatermark, isolation, buffer })
      } catch (error) {
        if (buffer !== undefined) fetchBuffers.giveBack([buffer])
        throw error
      }
      if (raw.bytes.length <= budget || isFirstWithData) records = raw.bytes
      if (buffer !== undefined) {
        // A first batch larger than the buffer was read into a fresh one: the lent one holds nothing sent.
        if (records.length > 0 && records.buffer === buffer.buffer) lent.push(buffer)
        else fetchBuffers.giveBack([buffer])
      }
      if (records.length > 0) aborted = (raw.abortedTransactions ?? []).map(({ producerId, firstOffset }) => ({ producerId, firstOffset }))
    }
    return {
      partitionIndex: target.partition,
      errorCode: KafkaErrorCode.NONE,
      highWatermark,
      lastStableOffset,
      logStartOffset: log.logStartOffset,
      abortedTransactions: isReadCommitted ? aborted : null,
      preferredReadReplica: -1,
      records,
    }
  } catch (error) {
    const errorCode = kafkaCodeFor(error)
    if (isUnexpected(errorCode) || errorCode === KafkaErrorCode.CORRUPT_MESSAGE)
      context.broker.log(`fetch from ${target.topic}-${target.partition} at ${target.fetchOffset} failed: ${(error as Error).message}`)
    return partitionError(target.partition, errorCode)
  }
}

/** Kafka's check of a fetcher's current_leader_epoch against the partition's (-1: not checked). */
export function leaderEpochError(log: PartitionLog, currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0) return KafkaErrorCode.NONE
  const latest = log.leaderEpochs().at(-1)?.epoch ?? -1
  if (currentLeaderEpoch < latest) return KafkaErrorCode.FENCED_LEADER_EPOCH
  if (currentLeaderEpoch > latest) return KafkaErrorCode.UNKNOWN_LEADER_EPOCH
  return KafkaErrorCode.NONE
}

function partitionError(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: NO_RECORDS,
  }
}

function topLevelError(errorCode: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] }
}

function errorResponse(request: FetchRequest, errorCode: number): FetchResponse {
  // Every partition carries the error (before v7 there is no top-level error code to carry it).
  return {
    ...topLevelError(errorCode),
    responses: request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((partition) => partitionError(partition.partition, errorCode)),
    })),
  }
}

export const fetchHandler: ApiHandler<'Fetch'> = {
  apiName: 'Fetch',
  // v0-3 expect the old message formats; v13+ name topics by id, which seglog does not keep.
  minVersion: 4,
  maxVersion: 12,
  isExclusive: false,
  handle: handleFetch,
  errorResponse,
}

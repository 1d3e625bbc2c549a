import type { PartitionLog } from '../log/partition-log.js'

/**
 * Partitions closed at once. A close is mostly fsyncs (segment, indexes, producer snapshot, the
 * directory), which run in libuv's thread pool: a few dozen in flight keep its threads busy
 * without queueing thousands of requests (and their buffers) behind them.
 */
const CLOSE_CONCURRENCY = 32

/** Closes every log, at most CLOSE_CONCURRENCY at a time; rejects with the first failure once all have ended. */
export async function closeConcurrently(logs: readonly PartitionLog[]): Promise<void> {
  let next = 0
  const failures: unknown[] = []
  const worker = async (): Promise<void> => {
    while (next < logs.length) {
      const log = logs[next++]!
      await log.close().catch((error: unknown) => failures.push(error))
    }
  }
  await Promise.all(Array.from({ length: Math.min(CLOSE_CONCURRENCY, logs.length) }, worker))
  if (failures.length > 0) throw failures[0]
}

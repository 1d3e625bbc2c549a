import { InvalidArgumentError } from '../errors.js'
import { OffsetOutOfRangeError } from '../log/errors.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type PartitionLog } from '../log/partition-log.js'

/** Where `reset` moves a group: the log start, the log end, a timestamp or an explicit offset. */
export type ResetTarget = 'earliest' | 'latest' | { timestamp: number } | { offset: number }

/** The offset a reset target means in one partition. */
export async function resolveTarget(log: PartitionLog, to: ResetTarget): Promise<number> {
  if (to === 'earliest') return log.logStartOffset
  if (to === 'latest') return log.highWatermark
  if (typeof to === 'object' && to !== null && 'offset' in to) {
    if (!Number.isSafeInteger(to.offset) || to.offset < log.logStartOffset || to.offset > log.logEndOffset) {
      throw new OffsetOutOfRangeError(to.offset, log.logStartOffset, log.logEndOffset, `cannot reset ${log.topic}-${log.partition}`)
    }
    return to.offset
  }
  if (typeof to === 'object' && to !== null && 'timestamp' in to) {
    if (to.timestamp === EARLIEST_TIMESTAMP) return log.logStartOffset
    if (to.timestamp === LATEST_TIMESTAMP) return log.highWatermark
    const found = await log.offsetForTimestamp(to.timestamp)
    return found === null ? log.highWatermark : found.offset
  }
  throw new InvalidArgumentError(`reset target must be 'earliest', 'latest', { timestamp } or { offset }, got ${JSON.stringify(to)}`)
}

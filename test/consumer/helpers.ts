import type { PartitionLog } from '../../src/log/partition-log.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { assertDistBuilt, DIST_INDEX } from '../helpers/paths.js'
export { seededRandom as prng } from '../../src/seeded-random.js'

/** Shared pieces of the consumer tests: a seeded PRNG, the build check, and batch counters. */

/** Child processes import dist/index.js: fail clearly when it is missing, warn when it looks older than src/. */
export function assertBuilt(): void {
  assertDistBuilt(DIST_INDEX, ['consumer', 'engine', 'log'])
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Appends `count` records with values `${prefix}${n}` to one partition, in batches of `perBatch`. */
export async function fill(
  log: PartitionLog,
  count: number,
  options: { perBatch?: number; timestamp?: (n: number) => number; prefix?: string } = {},
): Promise<void> {
  const perBatch = options.perBatch ?? 100
  const start = log.logEndOffset
  for (let done = 0; done < count; done += perBatch) {
    const records = []
    for (let n = done; n < Math.min(count, done + perBatch); n++) {
      records.push({
        key: null,
        value: Buffer.from(`${options.prefix ?? 'v'}${start + n}`),
        timestamp: options.timestamp?.(start + n) ?? Date.now(),
      })
    }
    await log.appendRecords(records)
  }
}

/** Every batch of a partition as (baseOffset, record count), read straight from the log. */
export async function batchesOf(log: PartitionLog): Promise<{ baseOffset: number; count: number }[]> {
  const batches: { baseOffset: number; count: number }[] = []
  for await (const batch of log.batches({ from: log.logStartOffset, to: log.logEndOffset })) {
    batches.push({ baseOffset: batch.baseOffset, count: batch.lastOffset - batch.baseOffset + 1 })
  }
  return batches
}

/** Raw batch count of a buffer (for logs read with readRaw). */
export function countBatches(bytes: Buffer): number {
  const scanner = new BatchScanner(bytes)
  let count = 0
  while (scanner.next() !== null) count++
  return count
}

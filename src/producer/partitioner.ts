/**
 * Kafka's default partitioning, as pure functions: keyed records go to
 * `(murmur2(key) & 0x7fffffff) % partitions`; records without a key stick to one partition until
 * about a batch worth of bytes went there, then move to another at random (KIP-794's uniform
 * sticky partitioner, without the broker-load weighting a single process has no use for).
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's murmur2 (a MurmurHash2 variant): a signed 32-bit hash of the key bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const wholeWords = length & ~3
  for (let i = 0; i < wholeWords; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  const tail = length & 3
  if (tail === 3) h ^= data[wholeWords + 2]! << 16
  if (tail >= 2) h ^= data[wholeWords + 1]! << 8
  if (tail >= 1) {
    h ^= data[wholeWords]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition Kafka's producer picks for a keyed record. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount
}

/**
 * State of the sticky choice for keyless records of one topic. `bytesSinceSwitch` counts what went
 * to the current partition; past `batchBytes` the next keyless record picks a new partition.
 */
export class StickyPartitioner {
  private current = -1
  private bytesSinceSwitch = 0
  private readonly random: () => number

  constructor(random: () => number = Math.random) {
    this.random = random
  }

  partition(recordBytes: number, partitionCount: number, batchBytes: number): number {
    if (this.current < 0 || this.current >= partitionCount || this.bytesSinceSwitch >= batchBytes) {
      this.current = this.pickOther(partitionCount)
      this.bytesSinceSwitch = 0
    }
    this.bytesSinceSwitch += recordBytes
    return this.current
  }

  private pickOther(partitionCount: number): number {
    if (partitionCount === 1) return 0
    const previous = this.current
    let next = Math.floor(this.random() * partitionCount)
    if (next === previous) next = (next + 1) % partitionCount
    return next
  }
}

import type { KeyIndexColumns } from '../format/key-index.js'

const NONE = -1
const INITIAL_CAPACITY = 64

/**
 * The entries of one segment's key index in memory: the file's three columns (key hash, relative
 * offset, relative base offset of the batch), in offset order, plus a chained hash table over them
 * in two Int32Arrays: `buckets[hash & mask]` holds the newest slot of a bucket and `previous[slot]`
 * the next older slot of the same bucket. A lookup walks one chain, newest first, comparing
 * hashes; nothing per entry is an object, so a partition's worth of indexes is a few typed arrays
 * per segment, which the garbage collector never walks, and loading a file is one pass.
 *
 * Memory: 16 bytes per entry plus 4 per bucket (one to four buckets per entry, a power of two);
 * the arrays grow by doubling while a segment is active.
 */
export class KeyIndexTable {
  hashes: Uint32Array
  relativeOffsets: Uint32Array
  batchRelativeOffsets: Uint32Array
  private previous: Int32Array
  private buckets: Int32Array
  private mask: number
  count = 0

  constructor(columns?: KeyIndexColumns) {
    const count = columns?.count ?? 0
    this.hashes = columns?.hashes ?? new Uint32Array(INITIAL_CAPACITY)
    this.relativeOffsets = columns?.relativeOffsets ?? new Uint32Array(INITIAL_CAPACITY)
    this.batchRelativeOffsets = columns?.batchRelativeOffsets ?? new Uint32Array(INITIAL_CAPACITY)
    this.previous = new Int32Array(Math.max(this.hashes.length, INITIAL_CAPACITY))
    this.buckets = new Int32Array(0)
    this.mask = 0
    this.rehash(bucketCountFor(count))
    for (let slot = 0; slot < count; slot++) this.link(slot)
    this.count = count
  }

  /** Adds an entry; relative offsets must ascend. */
  add(hash: number, relativeOffset: number, batchRelativeOffset: number): void {
    const slot = this.count
    if (slot === this.hashes.length) this.grow()
    this.hashes[slot] = hash
    this.relativeOffsets[slot] = relativeOffset
    this.batchRelativeOffsets[slot] = batchRelativeOffset
    this.count = slot + 1
    // Four times as many buckets once there are more entries than buckets: each entry is relinked
    // about a third of a time in all, and chains stay about one entry long.
    if (this.count > this.buckets.length) this.rehash(this.buckets.length * 4)
    else this.link(slot)
  }

  /** The newest slot whose hash is `hash`, or -1. */
  newestSlot(hash: number): number {
    return this.sameHash(this.buckets[hash & this.mask]!, hash)
  }

  /** The next older slot after `slot` whose hash is the same, or -1. */
  olderSlot(slot: number): number {
    return this.sameHash(this.previous[slot]!, this.hashes[slot]!)
  }

  /** The columns as written to the file (views of the first `count` cells). */
  columns(): KeyIndexColumns {
    const count = this.count
    return {
      hashes: this.hashes.subarray(0, count),
      relativeOffsets: this.relativeOffsets.subarray(0, count),
      batchRelativeOffsets: this.batchRelativeOffsets.subarray(0, count),
      count,
    }
  }

  private sameHash(start: number, hash: number): number {
    let slot = start
    while (slot !== NONE && this.hashes[slot] !== hash) slot = this.previous[slot]!
    return slot
  }

  private link(slot: number): void {
    const bucket = this.hashes[slot]! & this.mask
    this.previous[slot] = this.buckets[bucket]!
    this.buckets[bucket] = slot
  }

  private rehash(bucketCount: number): void {
    this.buckets = new Int32Array(bucketCount).fill(NONE)
    this.mask = bucketCount - 1
    for (let slot = 0; slot < this.count; slot++) this.link(slot)
  }

  private grow(): void {
    const capacity = this.hashes.length * 2 || INITIAL_CAPACITY
    this.hashes = copyInto(new Uint32Array(capacity), this.hashes)
    this.relativeOffsets = copyInto(new Uint32Array(capacity), this.relativeOffsets)
    this.batchRelativeOffsets = copyInto(new Uint32Array(capacity), this.batchRelativeOffsets)
    const previous = new Int32Array(capacity)
    previous.set(this.previous.subarray(0, Math.min(this.previous.length, capacity)))
    this.previous = previous
  }
}

function copyInto(target: Uint32Array, source: Uint32Array): Uint32Array {
  target.set(source)
  return target
}

/** A power of two at least `count` (and at least 16). */
function bucketCountFor(count: number): number {
  let buckets = 16
  while (buckets < count) buckets *= 2
  return buckets
}

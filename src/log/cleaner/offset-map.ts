import { hash } from 'node:crypto'

/** Bytes of one slot: the key's 16-byte MD5, then the offset as a float64 (offsets are safe integers). */
const HASH_SIZE = 16
const SLOT_SIZE = HASH_SIZE + 8
/** Slots filled at most to this fraction, so linear probing stays short (Kafka's dedupe load factor). */
const LOAD_FACTOR = 0.9

/**
 * The cleaner's map of key → offset of the key's last record in the dirty section, in one buffer
 * of fixed size (Kafka's SkimpyOffsetMap): open addressing with linear probing over 24-byte slots,
 * so its memory is exactly the budget given, whatever the keys.
 *
 * Keys are stored as their MD5 digest, not their bytes. Two different keys with the same digest
 * would make the cleaner drop the older one's records; MD5's 128 bits make that chance about
 * n²/2^129 for n keys (below 10^-20 for a billion keys), the trade Kafka makes too. A deliberately
 * built MD5 collision could do it: topics whose keys an adversary picks should not be compacted.
 */
export class OffsetMap {
  readonly capacity: number
  private readonly slots: Buffer
  private readonly maxEntries: number
  private entries = 0
  /** Per slot: 1 when it holds an entry, 0 when empty. */
  private readonly used: Uint8Array
  private readonly digest = Buffer.alloc(HASH_SIZE)

  /** A map filling at most `memoryBytes` (at least one slot). */
  constructor(memoryBytes: number) {
    this.capacity = Math.max(2, Math.floor(memoryBytes / (SLOT_SIZE + 1)))
    this.slots = Buffer.alloc(this.capacity * SLOT_SIZE)
    this.used = new Uint8Array(this.capacity)
    this.maxEntries = Math.max(1, Math.floor(this.capacity * LOAD_FACTOR))
  }

  get size(): number {
    return this.entries
  }

  /** Bytes the map holds (its budget). */
  get memoryBytes(): number {
    return this.slots.length + this.used.length
  }

  /** How many more keys fit. */
  get room(): number {
    return this.maxEntries - this.entries
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries
  }

  /** Sets the key's offset (later offsets replace earlier). False when a new key does not fit. */
  put(key: Buffer, offset: number): boolean {
    const slot = this.findSlot(key)
    if (this.used[slot] === 0) {
      if (this.isFull) return false
      this.used[slot] = 1
      this.digest.copy(this.slots, slot * SLOT_SIZE)
      this.entries++
    }
    this.slots.writeDoubleBE(offset, slot * SLOT_SIZE + HASH_SIZE)
    return true
  }

  /** The offset stored for the key, or -1. */
  get(key: Buffer): number {
    const slot = this.findSlot(key)
    return this.used[slot] === 0 ? -1 : this.slots.readDoubleBE(slot * SLOT_SIZE + HASH_SIZE)
  }

  /** Whether the key is in the map, or there is room for it. */
  canPut(key: Buffer): boolean {
    return !this.isFull || this.used[this.findSlot(key)] === 1
  }

  clear(): void {
    this.used.fill(0)
    this.entries = 0
  }

  /** The slot holding the key's digest, or the empty slot where it would go; leaves the digest in `this.digest`. */
  private findSlot(key: Buffer): number {
    // The one-shot form: half the cost of createHash().update().digest() per key.
    hash('md5', key, 'buffer').copy(this.digest)
    let slot = this.digest.readUInt32BE(0) % this.capacity
    for (;;) {
      if (this.used[slot] === 0) return slot
      if (this.slots.compare(this.digest, 0, HASH_SIZE, slot * SLOT_SIZE, slot * SLOT_SIZE + HASH_SIZE) === 0) return slot
      slot = slot + 1 === this.capacity ? 0 : slot + 1
    }
  }
}

/**
 * Read buffers for Fetch responses. A Fetch reads each partition's batches into a buffer lent from
 * here (readRaw's `buffer` option) instead of a fresh allocation per read, and the response hands
 * that buffer's bytes to the socket without copying them; so a buffer comes back only once the
 * response holding it has been written, or will never be (the connection's `afterResponse`), or at
 * once when its bytes went nowhere (a long poll that reads again, a partition left out of the
 * response). Nothing is ever lent twice at a time.
 *
 * At most `maxBuffers` exist, lent or idle: once all are lent a read allocates exactly what it
 * reads, as without the pool, so a fetch of many partitions (or many fetches at once) never holds
 * more than `maxBuffers` × `bufferBytes` here. A loan that never comes back (a handler that failed
 * half way) is left to the garbage collector and lowers the bound by one.
 */
export class FetchBufferPool {
  /** Size of every buffer lent: reads of larger budgets allocate, as without the pool. */
  readonly bufferBytes: number
  private readonly maxBuffers: number
  private readonly idle: Buffer[] = []
  private lent = 0

  constructor(bufferBytes: number, maxBuffers: number) {
    this.bufferBytes = bufferBytes
    this.maxBuffers = maxBuffers
  }

  /** A buffer of `bufferBytes` that nobody else holds until it is given back; undefined when all are lent. */
  take(): Buffer | undefined {
    const buffer = this.idle.pop() ?? (this.lent < this.maxBuffers ? Buffer.allocUnsafe(this.bufferBytes) : undefined)
    if (buffer !== undefined) this.lent++
    return buffer
  }

  /** Gives back buffers taken here; the caller must not touch them (or bytes read into them) after. */
  giveBack(buffers: readonly Buffer[]): void {
    for (const buffer of buffers) {
      this.lent--
      this.idle.push(buffer)
    }
  }

  /** Buffers waiting to be lent (for tests). */
  get idleCount(): number {
    return this.idle.length
  }

  /** Buffers lent and not given back yet (for tests). */
  get lentCount(): number {
    return this.lent
  }
}

/**
 * The pool every Fetch of this process shares. 1 MiB is the usual per-partition budget of Kafka
 * clients (KafkaJS's maxBytesPerPartition, the Java consumer's max.partition.fetch.bytes); at most
 * 32 buffers (32 MiB).
 */
export const fetchBuffers = new FetchBufferPool(1024 * 1024, 32)

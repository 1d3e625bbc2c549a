/**
 * Read buffers for Fetch responses. A Fetch reads each partition's batches into a buffer lent from
 * here (readRaw's `buffer` option) instead of a fresh allocation per read, and the response hands
 * that buffer's bytes to the socket without copying them; so a buffer comes back only once the
 * response holding it has been written (the connection's `afterResponse`), or at once when its
 * bytes went nowhere (a long poll that reads again, a partition left out of the response). One
 * that never comes back (a connection that went away first) is simply left to the garbage
 * collector: nothing is ever lent twice at a time.
 */
export class FetchBufferPool {
  /** Size of every buffer lent: reads of larger budgets allocate, as without the pool. */
  readonly bufferBytes: number
  private readonly maxIdle: number
  private readonly idle: Buffer[] = []

  constructor(bufferBytes: number, maxIdle: number) {
    this.bufferBytes = bufferBytes
    this.maxIdle = maxIdle
  }

  /** A buffer of `bufferBytes` that nobody else holds, until it is given back. */
  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafe(this.bufferBytes)
  }

  /** Gives back buffers taken here; the caller must not touch them (or bytes read into them) after. */
  giveBack(buffers: readonly Buffer[]): void {
    for (const buffer of buffers) if (this.idle.length < this.maxIdle) this.idle.push(buffer)
  }

  /** Buffers waiting to be lent (for tests). */
  get idleCount(): number {
    return this.idle.length
  }
}

/**
 * The pool every Fetch of this process shares. 1 MiB is the usual per-partition budget of Kafka
 * clients (KafkaJS's maxBytesPerPartition, the Java consumer's max.partition.fetch.bytes); at most
 * 16 MiB wait idle.
 */
export const fetchBuffers = new FetchBufferPool(1024 * 1024, 16)

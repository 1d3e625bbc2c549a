import { InvalidArgumentError } from '../errors.js'

/** Scratch buffers up to this size are kept between calls; bigger ones are used once and dropped. */
export const SCRATCH_RETAIN_BYTES = 2 * 1024 * 1024

/**
 * One codec's reusable work area: compress into it, then copy the exact result out. Codecs are
 * synchronous and never re-entered, so one scratch per codec instance is safe. Whatever `take`
 * returns is only valid until the next `take`; `detach` turns it into a buffer the caller may keep.
 */
export class ScratchBuffer {
  private buffer: Buffer

  constructor() {
    this.buffer = Buffer.alloc(0)
  }

  /** A buffer of at least `size` bytes, reused when it is small enough to keep around. */
  take(size: number): Buffer {
    if (size <= this.buffer.length) return this.buffer
    const buffer = Buffer.allocUnsafeSlow(size)
    if (size <= SCRATCH_RETAIN_BYTES) this.buffer = buffer
    return buffer
  }

  /**
   * The first `size` bytes of a buffer from `take`, as a buffer the caller owns. The kept scratch is
   * always copied out. A one-off buffer is returned as a view when little of it would be wasted,
   * otherwise copied, so a small result never pins a large allocation.
   */
  detach(buffer: Buffer, size: number): Buffer {
    if (buffer !== this.buffer && size >= buffer.length - (buffer.length >>> 2)) return buffer.subarray(0, size)
    const result = Buffer.allocUnsafe(size)
    buffer.copy(result, 0, 0, size)
    return result
  }
}

/** `maxOutputBytes` comes from our own callers; a bad one is a programming error, not bad data. */
export function checkOutputLimit(maxOutputBytes: number): void {
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
    throw new InvalidArgumentError(`maxOutputBytes must be a non-negative safe integer, got ${maxOutputBytes}`)
  }
}

import { createRequire } from 'node:module'
import CRC32C from 'crc-32/crc32c.js'

/**
 * CRC-32C (Castagnoli), the checksum of record batch v2 and of producer snapshots.
 *
 * Two implementations: `@node-rs/crc32` (SSE4.2/ARM CRC instructions, a prebuilt binary shipped in
 * the npm package) and `crc-32` (table-driven JavaScript). A native call costs a fixed ~100 ns, so
 * below NATIVE_MIN_BYTES the JavaScript table wins; above it the native one runs 2–4× faster
 * (measured by `npm run bench:micro -- crc`). When the native package does not load on this
 * platform, or fails the check value at load, everything uses the JavaScript one.
 */
export const NATIVE_MIN_BYTES = 512

/** CRC-32C of the ASCII bytes "123456789", the algorithm's standard check value. */
const CHECK_INPUT = Buffer.from('123456789', 'latin1')
const CHECK_VALUE = 0xe3069283

type NativeCrc = (input: Buffer, initialState?: number) => number

function loadNative(): NativeCrc | null {
  if (process.env.SEGLOG_CRC32C === 'js') return null
  try {
    const require = createRequire(import.meta.url)
    const native = (require('@node-rs/crc32') as { crc32c?: NativeCrc }).crc32c
    if (typeof native !== 'function' || native(CHECK_INPUT) >>> 0 !== CHECK_VALUE) return null
    return native
  } catch {
    return null
  }
}

const native = loadNative()

/** Which implementation serves large inputs: 'native' or 'js'. */
export const crc32cImplementation: 'native' | 'js' = native === null ? 'js' : 'native'

/** CRC-32C as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  if (native !== null && data.byteLength >= NATIVE_MIN_BYTES) {
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    return native(buffer) >>> 0
  }
  return CRC32C.buf(data) >>> 0
}

/** The JavaScript implementation alone, for benchmarks and cross-checks. */
export function crc32cJs(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0
}

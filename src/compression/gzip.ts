import { constants as bufferConstants } from 'node:buffer'
import { gunzipSync, gzipSync } from 'node:zlib'
import { COMPRESSION_IDS, type Codec } from './codec.js'
import { CorruptCompressionError } from './errors.js'
import { checkOutputLimit } from './output-buffer.js'

/**
 * Compression id 1: an RFC 1952 gzip member (`1F 8B 08 ...`), zlib's default level 6 (Kafka's
 * default too). See docs/format/compression.md.
 *
 * Reading accepts any header flags and concatenated members, like the JDK's GZIPInputStream. Unlike
 * the JDK, bytes after the last member that do not start another member are an error: zlib rejects
 * them and no Kafka writer produces them.
 */
export class GzipCodec implements Codec {
  readonly id = COMPRESSION_IDS.gzip
  readonly name = 'gzip'

  compress(input: Buffer): Buffer {
    return gzipSync(input)
  }

  decompress(input: Buffer, maxOutputBytes: number): Buffer {
    checkOutputLimit(maxOutputBytes)
    // zlib refuses a limit of 0 and anything over Buffer's maximum; the check below covers the gap.
    const maxOutputLength = Math.min(Math.max(maxOutputBytes, 1), bufferConstants.MAX_LENGTH)
    let output: Buffer
    try {
      output = gunzipSync(input, { maxOutputLength })
    } catch (error) {
      throw new CorruptCompressionError('gzip', 0, describeZlibError(error, maxOutputBytes), { cause: error })
    }
    if (output.length > maxOutputBytes) {
      throw new CorruptCompressionError('gzip', 0, `output exceeds maxOutputBytes (${maxOutputBytes})`)
    }
    return output
  }
}

export const gzipCodec: Codec = new GzipCodec()

function describeZlibError(error: unknown, maxOutputBytes: number): string {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ERR_BUFFER_TOO_LARGE') return `output exceeds maxOutputBytes (${maxOutputBytes})`
  const message = error instanceof Error ? error.message : String(error)
  return typeof code === 'string' ? `${code}: ${message}` : message
}

import { COMPRESSION_IDS, type Codec } from './codec.js'
import { CorruptCompressionError } from './errors.js'
import { checkOutputLimit } from './output-buffer.js'

/**
 * Compression id 0: the records area is stored as is. Both directions return the input itself, not
 * a copy; callers that keep the result past the life of the input must copy it.
 */
export class NoneCodec implements Codec {
  readonly id = COMPRESSION_IDS.none
  readonly name = 'none'

  compress(input: Buffer): Buffer {
    return input
  }

  decompress(input: Buffer, maxOutputBytes: number): Buffer {
    checkOutputLimit(maxOutputBytes)
    if (input.length > maxOutputBytes) {
      throw new CorruptCompressionError('none', maxOutputBytes, `${input.length} bytes exceed maxOutputBytes (${maxOutputBytes})`)
    }
    return input
  }
}

export const noneCodec: Codec = new NoneCodec()

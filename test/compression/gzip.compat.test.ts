import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { gzipCodec } from '../../src/compression/index.js'
import { compressibleBytes, KIB, MIB, randomBytes } from './helpers.js'

/** KafkaJS's gzip codec: compress takes its Encoder (anything with `.buffer`), both return promises. */
interface KafkaJsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

const require = createRequire(import.meta.url)
const kafkajs = require('kafkajs') as { CompressionTypes: { GZIP: number }; CompressionCodecs: Record<number, () => KafkaJsCodec> }
const kafkaGzip = kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP]!()

describe('gzip against KafkaJS', () => {
  const inputs = [Buffer.alloc(0), Buffer.from('x'), compressibleBytes(100 * KIB, 1), randomBytes(70 * KIB, 2)]

  it('is the codec KafkaJS ships in src/protocol/message/compression/gzip', () => {
    const direct = require('kafkajs/src/protocol/message/compression/gzip') as KafkaJsCodec
    expect(Object.keys(direct).sort()).toEqual(['compress', 'decompress'])
  })

  it('decompresses what KafkaJS compresses', async () => {
    for (const input of inputs) {
      const compressed = await kafkaGzip.compress({ buffer: input })
      expect(gzipCodec.decompress(compressed, MIB).equals(input)).toBe(true)
    }
  })

  it('compresses what KafkaJS decompresses', async () => {
    for (const input of inputs) {
      const decompressed = await kafkaGzip.decompress(gzipCodec.compress(input))
      expect(decompressed.equals(input)).toBe(true)
    }
  })
})

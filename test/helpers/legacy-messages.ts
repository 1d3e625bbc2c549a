import { createRequire } from 'node:module'
import zlib from 'node:zlib'
import { codecForName } from '../../src/compression/registry.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'

/**
 * Legacy entries (magic 0 and 1) written with KafkaJS's own message encoders, so the reader is
 * checked against bytes another implementation produced. Compressed wrappers are put together the
 * way Kafka's producer did: the inner entries (offsets 0..n-1 for magic 1, absolute for magic 0)
 * compressed into the value of one wrapper message whose offset is the last inner one's.
 */

const require = createRequire(import.meta.url)
interface KafkaJsEncoder {
  buffer: Buffer
}
type MessageEncoder = (message: { compression?: number; timestamp?: number; key: Buffer | null; value: Buffer | null }) => KafkaJsEncoder
const messageEncoders: Record<0 | 1, MessageEncoder> = {
  0: require('kafkajs/src/protocol/message/v0') as MessageEncoder,
  1: require('kafkajs/src/protocol/message/v1') as MessageEncoder,
}

export interface LegacyInput {
  key: Buffer | null
  value: Buffer | null
  timestamp?: number
}

export const LEGACY_CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3 } as const
export type LegacyCodec = keyof typeof LEGACY_CODEC_IDS

/** One entry: offset, size and a message, as a magic-0 or magic-1 message set holds it. */
export function legacyEntry(magic: 0 | 1, offset: number, message: LegacyInput, compression = 0, logAppendTime = false): Buffer {
  const encoded = messageEncoders[magic]({ compression, timestamp: message.timestamp ?? 0, key: message.key, value: message.value }).buffer
  if (logAppendTime) {
    // KafkaJS's encoder keeps only the codec bits: set the timestamp-type bit and redo the CRC.
    encoded[5] = encoded[5]! | 0x08
    encoded.writeUInt32BE(zlib.crc32(encoded.subarray(4)), 0)
  }
  const head = Buffer.alloc(12)
  head.writeBigInt64BE(BigInt(offset), 0)
  head.writeInt32BE(encoded.length, 8)
  return Buffer.concat([head, encoded])
}

/**
 * A compressed wrapper holding `messages`, the first at absolute offset `firstOffset`. A magic-0
 * lz4 frame gets the header checksum Kafka's old KafkaLZ4BlockOutputStream wrote (over the frame
 * magic too: 0x1A for the standard header) instead of the correct 0x82.
 */
export function legacyWrapper(
  magic: 0 | 1,
  firstOffset: number,
  messages: LegacyInput[],
  codec: Exclude<LegacyCodec, 'none'>,
  logAppendTime = false,
): Buffer {
  const inner = Buffer.concat(messages.map((message, slot) => legacyEntry(magic, magic === 1 ? slot : firstOffset + slot, message)))
  let value: Buffer
  if (codec === 'gzip') value = zlib.gzipSync(inner)
  else value = Buffer.from(codecForName(codec).compress(inner))
  if (codec === 'lz4' && magic === 0) value[6] = 0x1a
  const maxTimestamp = Math.max(...messages.map((message) => message.timestamp ?? 0))
  const wrapperTimestamp = logAppendTime ? 1_700_000_999_000 : maxTimestamp
  return legacyEntry(
    magic,
    firstOffset + messages.length - 1,
    { key: null, value, timestamp: wrapperTimestamp },
    LEGACY_CODEC_IDS[codec],
    logAppendTime,
  )
}

/** `count` records with keys `k<n>`, values `v<n>` and timestamps from 1.7e12 on. */
export function legacyInputs(count: number, from = 0): LegacyInput[] {
  const inputs: LegacyInput[] = []
  for (let n = from; n < from + count; n++) {
    inputs.push({ key: n % 3 === 0 ? null : Buffer.from(`k${n}`), value: Buffer.from(`v${n}`), timestamp: 1_700_000_000_000 + n })
  }
  return inputs
}

/**
 * A segment as a broker upgraded from 0.8/0.10 leaves it: magic-0 and magic-1 entries (plain and
 * compressed wrappers, the magic-0 lz4 frame with its broken header checksum), then v2 batches.
 */
export function upgradedSegment(): { bytes: Buffer; values: string[] } {
  const parts = [
    legacyWrapper(0, 0, legacyInputs(3, 0), 'gzip'),
    legacyWrapper(0, 3, legacyInputs(2, 3), 'lz4'),
    legacyEntry(0, 5, legacyInputs(1, 5)[0]!),
    legacyWrapper(1, 6, legacyInputs(4, 6), 'snappy'),
    legacyEntry(1, 10, legacyInputs(1, 10)[0]!),
    legacyWrapper(1, 11, legacyInputs(3, 11), 'lz4'),
    encodeBatch(
      legacyInputs(2, 14).map((input) => ({ key: input.key, value: input.value, timestamp: input.timestamp })),
      { baseOffset: 14, partitionLeaderEpoch: 0 },
    ),
  ]
  const values = Array.from({ length: 16 }, (_, n) => `v${n}`)
  return { bytes: Buffer.concat(parts), values }
}

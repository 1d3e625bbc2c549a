import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { murmur2, partitionForKey, StickyPartitioner } from '../../src/producer/partitioner.js'
import { seededRandom } from '../../src/seeded-random.js'

/**
 * Kafka's partitioning as pure functions: murmur2 against known vectors of Kafka's
 * Utils.murmur2 and against KafkaJS 2.2.4's Java-compatible murmur2 and DefaultPartitioner on random keys;
 * the sticky partitioner for keyless records against the rules of KIP-794.
 */

const require = createRequire(import.meta.url)

type KafkaMurmur2 = (key: Buffer | string) => number
interface KafkaPartitionMetadata {
  partitionId: number
  leader: number
}
type KafkaPartitioner = (args: {
  topic: string
  partitionMetadata: KafkaPartitionMetadata[]
  message: { key?: Buffer | string | null; partition?: number }
}) => number

const kafkaMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as KafkaMurmur2
const { Partitioners } = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => KafkaPartitioner } }

const PARTITION_COUNTS = [1, 2, 3, 7, 12, 64, 1000] as const

function metadataFor(count: number): KafkaPartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0 }))
}

/** Keys as a producer may get them: random bytes, or strings (sent as UTF-8) of any code points. */
const keyArbitrary = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', minLength: 0, maxLength: 100 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 100 }),
)

/** Seeded, so a failure names keys that fail again on the next run. */
const KEYS_SEED = 20_240_601
const RANDOM_KEYS: readonly (Buffer | string)[] = fc.sample(keyArbitrary, { numRuns: 4000, seed: KEYS_SEED })

function keyBytes(key: Buffer | string): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key
}

describe('murmur2', () => {
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['abc', 479470107],
  ])('hashes %j to the spec vector %d', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected)
  })

  it('hashes every tail length (0-3 trailing bytes) and the empty key', () => {
    // The spec vectors cover tails of 2, 2, 0, 2 and 3 bytes; pin 0 and 1 against KafkaJS too.
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'abcde']) {
      expect(murmur2(Buffer.from(key))).toBe(kafkaMurmur2(Buffer.from(key)))
    }
  })

  it('returns a signed 32-bit integer equal to KafkaJS murmur2 on random keys', () => {
    const mismatches: { key: Buffer | string; ours: number; theirs: number }[] = []
    for (const key of RANDOM_KEYS) {
      const ours = murmur2(keyBytes(key))
      const theirs = kafkaMurmur2(key)
      if (ours !== theirs || ours !== (ours | 0)) mismatches.push({ key, ours, theirs })
    }
    expect(mismatches).toEqual([])
  })

  it('accepts any Uint8Array view, not only a whole Buffer', () => {
    const backing = Buffer.from('xxfoobarxx')
    expect(murmur2(backing.subarray(2, 8))).toBe(-790332482)
    expect(murmur2(new Uint8Array(backing.buffer, backing.byteOffset + 2, 6))).toBe(-790332482)
  })
})

describe('partitionForKey', () => {
  it('picks the partition KafkaJS DefaultPartitioner picks, for every partition count', () => {
    const kafkaPartitioner = Partitioners.DefaultPartitioner()
    const mismatches: { key: Buffer | string; count: number; ours: number; theirs: number }[] = []
    for (const count of PARTITION_COUNTS) {
      const partitionMetadata = metadataFor(count)
      for (const key of RANDOM_KEYS) {
        const ours = partitionForKey(keyBytes(key), count)
        const theirs = kafkaPartitioner({ topic: 'orders', partitionMetadata, message: { key } })
        if (ours !== theirs || !(ours >= 0 && ours < count)) mismatches.push({ key, count, ours, theirs })
      }
    }
    expect(mismatches).toEqual([])
  })

  it('masks with 0x7fffffff rather than taking the absolute value', () => {
    // "foobar" hashes negative: & 0x7fffffff and Math.abs give different partitions for it.
    const hash = murmur2(Buffer.from('foobar'))
    expect(hash).toBeLessThan(0)
    expect(partitionForKey(Buffer.from('foobar'), 1000)).toBe((hash & 0x7fffffff) % 1000)
    expect((hash & 0x7fffffff) % 1000).not.toBe(Math.abs(hash) % 1000)
  })

  it('sends the same key to the same partition every time', () => {
    const key = Buffer.from('customer-42')
    const first = partitionForKey(key, 12)
    for (let round = 0; round < 100; round++) expect(partitionForKey(Buffer.from('customer-42'), 12)).toBe(first)
  })
})

describe('StickyPartitioner', () => {
  it('stays on one partition until batchBytes went there, then switches to a different one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 300 }),
        fc.integer(),
        (partitionCount, batchBytes, sizes, seed) => {
          const sticky = new StickyPartitioner(seededRandom(seed))
          let current = -1
          let bytesOnCurrent = 0
          for (const size of sizes) {
            const partition = sticky.partition(size, partitionCount, batchBytes)
            if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) return false
            // Below a batch worth of bytes it stays; once a batch worth went there it moves on.
            if (current >= 0 && bytesOnCurrent < batchBytes !== (partition === current)) return false
            if (partition !== current) bytesOnCurrent = 0
            current = partition
            bytesOnCurrent += size
          }
          return true
        },
      ),
      { numRuns: 300 },
    )
  })

  it('spreads keyless records over every partition over time', () => {
    const sticky = new StickyPartitioner(seededRandom(7))
    const seen = new Set<number>()
    for (let record = 0; record < 2000; record++) seen.add(sticky.partition(100, 8, 1000))
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })

  it('always returns 0 for a single partition', () => {
    const sticky = new StickyPartitioner(seededRandom(1))
    for (let record = 0; record < 100; record++) expect(sticky.partition(500, 1, 1000)).toBe(0)
  })

  it('never returns a partition out of range, even when the partition count shrinks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 200 }),
        fc.integer(),
        (steps, seed) => {
          const sticky = new StickyPartitioner(seededRandom(seed))
          for (const [count, size] of steps) {
            const partition = sticky.partition(size, count, 4096)
            if (!Number.isInteger(partition) || partition < 0 || partition >= count) return false
          }
          return true
        },
      ),
      { numRuns: 300 },
    )
  })

  it('stays in range when Math.random returns its extremes', () => {
    for (const value of [0, 0.999999999]) {
      const sticky = new StickyPartitioner(() => value)
      for (let record = 0; record < 50; record++) {
        const partition = sticky.partition(1000, 5, 1000)
        expect(partition).toBeGreaterThanOrEqual(0)
        expect(partition).toBeLessThan(5)
      }
    }
  })
})

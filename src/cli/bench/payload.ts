import fs from 'node:fs'
import { seededRandom } from '../../seeded-random.js'
export { seededRandom }

export type PayloadKind = 'random' | 'json' | { file: string }

/**
 * A pool of distinct payloads of one size that the producers cycle through (seeded, so every run
 * writes the same bytes).
 */
export interface PayloadPool {
  values: Buffer[]
}

const POOL_SIZE = 1024
const WORDS = [
  'order',
  'user',
  'item',
  'price',
  'status',
  'shipped',
  'pending',
  'warehouse',
  'amount',
  'currency',
  'EUR',
  'USD',
  'customer',
  'region',
  'north',
  'south',
]

export function makePayloadPool(kind: PayloadKind, recordBytes: number, seed = 42): PayloadPool {
  const random = seededRandom(seed)
  const values: Buffer[] = []
  if (typeof kind === 'object') {
    const source = fs.readFileSync(kind.file)
    if (source.length === 0) throw new Error(`payload file ${kind.file} is empty`)
    for (let slot = 0; slot < POOL_SIZE; slot++) {
      const start = source.length <= recordBytes ? 0 : Math.floor(random() * (source.length - recordBytes))
      const value = Buffer.alloc(recordBytes)
      for (let at = 0; at < recordBytes; at += source.length - start) source.copy(value, at, start)
      values.push(value)
    }
  } else {
    for (let slot = 0; slot < POOL_SIZE; slot++)
      values.push(kind === 'random' ? randomBytes(random, recordBytes) : jsonBytes(random, recordBytes, slot))
  }
  return { values }
}

function randomBytes(random: () => number, size: number): Buffer {
  const value = Buffer.allocUnsafe(size)
  for (let at = 0; at < size; at++) value[at] = Math.floor(random() * 256)
  return value
}

/** JSON-looking text of exactly `size` bytes (padded or cut), like typical event payloads. */
function jsonBytes(random: () => number, size: number, slot: number): Buffer {
  const fields: string[] = [`"id":${slot * 7919}`]
  while (fields.join(',').length < size) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!
    fields.push(random() < 0.5 ? `"${word}":${Math.floor(random() * 100000)}` : `"${word}":"${WORDS[Math.floor(random() * WORDS.length)]}"`)
  }
  const text = `{${fields.join(',')}}`
  return Buffer.from(text.length >= size ? text.slice(0, size) : text.padEnd(size, ' '))
}

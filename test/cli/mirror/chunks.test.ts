import { describe, expect, it } from 'vitest'
import { encodeBatch } from '../../../src/record/batch-encoder.js'
import { nextChunkSize, recordBytesBound } from '../../../src/cli/mirror/chunks.js'

describe('mirror chunks', () => {
  const records = Array.from({ length: 50 }, (_, n) => ({
    key: n % 4 === 0 ? null : Buffer.from(`key-${n}`),
    value: Buffer.alloc(100 + n * 37, n),
    headers: n % 3 === 0 ? [{ key: 'h', value: Buffer.from(String(n)) }] : [],
    timestamp: 1_700_000_000_000 + n * 1000,
  }))

  it('bounds the encoded size of every record and of every chunk it cuts', () => {
    for (const record of records) expect(encodeBatch([record]).length).toBeLessThanOrEqual(61 + recordBytesBound(record))
    for (const maxBatchBytes of [500, 2000, 10_000]) {
      for (let from = 0; from < records.length;) {
        const size = nextChunkSize(records, from, 1000, maxBatchBytes)
        expect(size).toBeGreaterThan(0)
        if (size > 1) expect(encodeBatch(records.slice(from, from + size)).length).toBeLessThanOrEqual(maxBatchBytes)
        from += size
      }
    }
  })

  it('stops at the record count and never returns an empty chunk for one large record', () => {
    expect(nextChunkSize(records, 0, 7, 1 << 30)).toBe(7)
    expect(nextChunkSize(records, 49, 7, 10)).toBe(1)
    expect(nextChunkSize(records, 50, 7, 1 << 30)).toBe(0)
  })
})

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { verifyFiles } from '../../src/engine/verify-directory.js'
import { FileBatchReader } from '../../src/log/file-batch-reader.js'
import { REPO_ROOT } from '../helpers/paths.js'

/**
 * Segment files real Kafka brokers wrote (test/fixtures/kafka/README.md names their sources):
 * every batch seglog reads must be the batch KafkaJS's decoder reads, record for record, and
 * verify must find nothing wrong with the logs.
 */

const require = createRequire(import.meta.url)
interface KafkaDecodedRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
}
const decodeKafkaBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: KafkaDecodedRecord[] }>
const KafkaDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'kafka')

function logFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...logFiles(full))
    else if (entry.name.endsWith('.log') && statSync(full).size > 0) out.push(full)
  }
  return out.sort()
}

const files = logFiles(FIXTURES)

describe('segments written by Kafka brokers', () => {
  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(10)
  })

  for (const file of files) {
    it(`reads ${path.relative(FIXTURES, file)} as KafkaJS does`, async () => {
      const reader = FileBatchReader.openSync(file)
      const ours: [number, number, string | null, string | null][] = []
      const batchBytes: Buffer[] = []
      try {
        for (let batch = reader.next(); batch !== null; batch = reader.next()) {
          expect(batch.isValid()).toBe(true)
          batchBytes.push(Buffer.from(batch.buffer))
          for (const record of batch.records()) {
            ours.push([record.offset, record.timestamp, record.key?.toString('hex') ?? null, record.value?.toString('hex') ?? null])
          }
        }
        expect(reader.trailingBytes).toBe(0)
      } finally {
        reader.close()
      }
      const theirs: typeof ours = []
      for (const bytes of batchBytes) {
        const decoded = await decodeKafkaBatch(new KafkaDecoder(bytes))
        for (const record of decoded.records) {
          theirs.push([
            Number(record.offset),
            Number(record.timestamp),
            record.key?.toString('hex') ?? null,
            record.value?.toString('hex') ?? null,
          ])
        }
      }
      expect(ours).toEqual(theirs)
      expect(ours.length).toBeGreaterThan(0)
      // The whole file is batches end to end.
      expect(batchBytes.reduce((sum, bytes) => sum + bytes.length, 0)).toBe(readFileSync(file).length)
    })
  }

  it('verify finds no damage in any fixture log', async () => {
    const report = await verifyFiles(files, { isDeep: true })
    expect(report.problems).toEqual([])
    expect(report.segments).toBe(files.length)
  })
})

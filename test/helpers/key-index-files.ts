import fs from 'node:fs'
import { decodeKeyIndex, keyHash } from '../../src/format/key-index.js'
import type { PartitionLog } from '../../src/log/partition-log.js'

/** A `.keyindex` file's covered end (relative) and entries as [hash, relative offset, relative batch base]. */
export function keyIndexFileEntries(file: string): { covered: number; entries: number[][] } {
  const { header, columns } = decodeKeyIndex(fs.readFileSync(file))
  const entries: number[][] = []
  for (let slot = 0; slot < columns.count; slot++)
    entries.push([columns.hashes[slot]!, columns.relativeOffsets[slot]!, columns.batchRelativeOffsets[slot]!])
  return { covered: header.coveredRelativeOffset, entries }
}

/** The entries a scan of the segment [baseOffset, nextOffset) gives, as a `.keyindex` file stores them. */
export async function scannedKeyIndexEntries(log: PartitionLog, baseOffset: number, nextOffset: number): Promise<number[][]> {
  const entries: number[][] = []
  for await (const batch of log.batches({ from: baseOffset, to: nextOffset })) {
    if (batch.baseOffset >= nextOffset || batch.isControl) continue
    for (const record of batch.records())
      if (record.key !== null) entries.push([keyHash(record.key), record.offset - baseOffset, batch.baseOffset - baseOffset])
  }
  return entries
}

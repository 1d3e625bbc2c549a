import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { decodeKeyIndex } from '../../format/key-index.js'
import { wrapIo } from '../../log/errors.js'
import { parseOffsetFileName } from '../../log/segment-files.js'
import { CorruptRecordError } from '../../record/errors.js'
import { describeOpenFailure, type FileDumper } from './dump-log.js'

/**
 * `seglog dump` for seglog's key index (`<base offset>.keyindex`, docs/format/key-index.md): a
 * header line (what part of the segment it covers, the last batch it indexed, its entry and
 * distinct-hash counts), then one line per key hash with the offsets of the records whose key has
 * that hash, in offset order. Offsets are absolute (the segment's base offset, from the file
 * name, plus the stored relative offsets). Decoded by src/format/key-index.ts, the one parser.
 */

export const dumpKeyIndexFile: FileDumper = async (file, options, out) => {
  if (options.json) out.line(JSON.stringify({ type: 'file', file }))
  else out.line(`Dumping ${file}`)
  let decoded: ReturnType<typeof decodeKeyIndex>
  try {
    decoded = decodeKeyIndex(wrapIo('read', file, () => fs.readFileSync(file)))
  } catch (error) {
    if (error instanceof CorruptRecordError) {
      out.problem(`${error.inFile(file, 0).message}: not a readable key index`)
      return 'problems'
    }
    if (!(error instanceof SeglogError)) throw error
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  const baseOffset = parseOffsetFileName(path.basename(file))?.offset ?? 0
  const { header, columns } = decoded
  // Hash → offsets, hashes in the order their first record comes.
  const byHash = new Map<number, number[]>()
  for (let slot = 0; slot < columns.count; slot++) {
    const hash = columns.hashes[slot]!
    const offsets = byHash.get(hash) ?? []
    if (offsets.length === 0) byHash.set(hash, offsets)
    offsets.push(baseOffset + columns.relativeOffsets[slot]!)
  }
  const lastBatchOffset = header.lastBatchRelativeOffset < 0 ? -1 : baseOffset + header.lastBatchRelativeOffset
  const summary = {
    version: 0,
    baseOffset,
    coveredUpTo: baseOffset + header.coveredRelativeOffset,
    lastBatchOffset,
    lastBatchCrc: header.lastBatchCrc,
    entries: columns.count,
    hashes: byHash.size,
  }
  if (options.json) out.line(JSON.stringify({ type: 'key-index', ...summary }))
  else
    out.line(
      `version: ${summary.version} baseOffset: ${baseOffset} coveredUpTo: ${summary.coveredUpTo} lastBatchOffset: ${lastBatchOffset}` +
        ` lastBatchCrc: ${header.lastBatchCrc} entries: ${columns.count} hashes: ${byHash.size}`,
    )
  for (const [hash, offsets] of byHash) {
    const hex = hash.toString(16).padStart(8, '0')
    out.line(options.json ? JSON.stringify({ type: 'key-hash', keyHash: hex, offsets }) : `keyHash: 0x${hex} offsets: ${offsets.join(',')}`)
    if (out.isFull) await out.flush()
  }
  return 'clean'
}

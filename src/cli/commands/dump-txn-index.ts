import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../../errors.js'
import { decodeTxnIndex, TXN_INDEX_ENTRY_SIZE, type AbortedTxn } from '../../format/txn-index.js'
import { wrapIo } from '../../log/errors.js'
import { parseOffsetFileName } from '../../log/segment-files.js'
import { CorruptRecordError } from '../../record/errors.js'
import { describeOpenFailure, type FileDumper } from './dump-log.js'

/**
 * `seglog dump` for aborted-transaction indexes (`<base offset>.txnindex`): one line per aborted
 * transaction in the shape of Kafka's DumpLogSegments (dumpTxnIndex). The bytes are decoded by
 * src/format/txn-index.ts, which the log layer reads them with too. A trailing partial entry,
 * which the engine ignores (as Kafka's loader does), is reported here: it is a torn write.
 */

export const dumpTxnIndexFile: FileDumper = async (file, options, out) => {
  if (options.json) out.line(JSON.stringify({ type: 'file', file }))
  else out.line(`Dumping ${file}`)
  let bytes: Buffer
  try {
    bytes = wrapIo('read', file, () => fs.readFileSync(file))
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  // Kafka names the segment by the file: the entries' markers must lie at or above its base.
  const baseOffset = parseOffsetFileName(path.basename(file))?.offset ?? 0
  let entries: AbortedTxn[]
  try {
    entries = decodeTxnIndex(bytes, baseOffset)
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
    out.problem(`${error.inFile(file, 0).message}: not a readable transaction index`)
    return 'problems'
  }
  for (const entry of entries) {
    out.line(options.json ? JSON.stringify({ type: 'aborted-txn', version: 0, ...entry }) : txnLine(entry))
    if (out.isFull) await out.flush()
  }
  const partial = bytes.length % TXN_INDEX_ENTRY_SIZE
  if (partial !== 0) {
    const position = bytes.length - partial
    out.problem(`${file} at byte ${position}: a partial entry of ${partial} bytes (entries are ${TXN_INDEX_ENTRY_SIZE}); a torn write`)
    return 'problems'
  }
  return 'clean'
}

/** Kafka's line for one aborted transaction. */
function txnLine(entry: AbortedTxn): string {
  return (
    `version: 0 producerId: ${entry.producerId} firstOffset: ${entry.firstOffset} ` +
    `lastOffset: ${entry.lastOffset} lastStableOffset: ${entry.lastStableOffset}`
  )
}

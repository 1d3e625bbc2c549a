import fs from 'node:fs'
import { SeglogError } from '../../errors.js'
import { wrapIo } from '../../log/errors.js'
import { CorruptRecordError } from '../../record/errors.js'
import { decodeProducerSnapshot, type SnapshotEntry } from '../../format/producer-snapshot.js'
import { describeOpenFailure, type FileDumper } from './dump-log.js'

/**
 * `seglog dump` for producer-state snapshots (`<offset>.snapshot`), one line per producer in the
 * shape of Kafka's DumpLogSegments (dumpProducerIdSnapshot). The bytes are decoded by
 * src/format/producer-snapshot.ts, which the log layer reads them with too.
 */

export const dumpSnapshotFile: FileDumper = async (file, options, out) => {
  if (options.json) out.line(JSON.stringify({ type: 'file', file }))
  else out.line(`Dumping ${file}`)
  let entries: SnapshotEntry[]
  try {
    entries = decodeProducerSnapshot(wrapIo('read', file, () => fs.readFileSync(file)))
  } catch (error) {
    if (error instanceof CorruptRecordError) {
      out.problem(`${error.inFile(file, 0).message}: not a readable producer snapshot`)
      return 'problems'
    }
    if (!(error instanceof SeglogError)) throw error
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  for (const entry of entries) {
    out.line(options.json ? snapshotJson(entry) : snapshotLine(entry))
    if (out.isFull) await out.flush()
  }
  return 'clean'
}

/** Kafka's line: the producer fields, then the last batch's when there is one (note the space). */
function snapshotLine(entry: SnapshotEntry): string {
  const txn = entry.currentTxnFirstOffset === null ? 'OptionalLong.empty' : `OptionalLong[${entry.currentTxnFirstOffset}]`
  let line =
    `producerId: ${entry.producerId} producerEpoch: ${entry.producerEpoch} coordinatorEpoch: ${entry.coordinatorEpoch}` +
    ` currentTxnFirstOffset: ${txn} lastTimestamp: ${entry.lastTimestamp} `
  const batch = entry.batch
  if (batch !== null) {
    line +=
      `firstSequence: ${batch.firstSequence} lastSequence: ${batch.lastSequence} lastOffset: ${batch.lastOffset}` +
      ` offsetDelta: ${batch.offsetDelta} timestamp: ${batch.timestamp}`
  }
  return line
}

function snapshotJson(entry: SnapshotEntry): string {
  return JSON.stringify({
    type: 'producer',
    producerId: entry.producerId,
    producerEpoch: entry.producerEpoch,
    coordinatorEpoch: entry.coordinatorEpoch,
    currentTxnFirstOffset: entry.currentTxnFirstOffset,
    lastTimestamp: entry.lastTimestamp,
    firstSequence: entry.batch?.firstSequence ?? null,
    lastSequence: entry.batch?.lastSequence ?? null,
    lastOffset: entry.batch?.lastOffset ?? null,
    offsetDelta: entry.batch?.offsetDelta ?? null,
    timestamp: entry.batch?.timestamp ?? null,
  })
}

import fs from 'node:fs'
import { CorruptMetadataError, SeglogError } from '../../errors.js'
import { LEADER_EPOCH_CHECKPOINT_VERSION, parseLeaderEpochCheckpoint, type EpochEntry } from '../../format/leader-epoch-checkpoint.js'
import { wrapIo } from '../../log/errors.js'
import { describeOpenFailure, type FileDumper } from './dump-log.js'

/**
 * `seglog dump` for a partition's `leader-epoch-checkpoint`: its version, its entry count, and
 * one `epoch: E startOffset: S` line per entry (the first offset written in each leader epoch).
 * Parsed by src/format/leader-epoch-checkpoint.ts, as the engine parses it.
 */

export const dumpLeaderEpochFile: FileDumper = async (file, options, out) => {
  if (options.json) out.line(JSON.stringify({ type: 'file', file }))
  else out.line(`Dumping ${file}`)
  let text: string
  let entries: EpochEntry[]
  try {
    text = wrapIo('read', file, () => fs.readFileSync(file, 'utf8'))
  } catch (error) {
    if (!(error instanceof SeglogError)) throw error
    out.problem(describeOpenFailure(file, error))
    return 'problems'
  }
  try {
    entries = parseLeaderEpochCheckpoint(text, file)
  } catch (error) {
    if (!(error instanceof CorruptMetadataError)) throw error
    const position = error.line === null ? 0 : lineStart(text, error.line)
    out.problem(`${file} at byte ${position} (line ${error.line ?? 1}): ${error.detail}; not a readable leader-epoch-checkpoint`)
    return 'problems'
  }
  if (options.json) {
    out.line(JSON.stringify({ type: 'leader-epochs', version: LEADER_EPOCH_CHECKPOINT_VERSION, count: entries.length }))
    for (const entry of entries) out.line(JSON.stringify({ type: 'leader-epoch', epoch: entry.epoch, startOffset: entry.startOffset }))
  } else {
    out.line(`version: ${LEADER_EPOCH_CHECKPOINT_VERSION} count: ${entries.length}`)
    for (const entry of entries) out.line(`epoch: ${entry.epoch} startOffset: ${entry.startOffset}`)
  }
  return 'clean'
}

/** Byte position where line `line` (1-based) of `text` starts. */
function lineStart(text: string, line: number): number {
  let position = 0
  const lines = text.split('\n')
  for (let slot = 0; slot < line - 1 && slot < lines.length; slot++) position += Buffer.byteLength(lines[slot]!) + 1
  return position
}

import fs from 'node:fs'
import { SeglogError } from '../errors.js'
import { IoError } from '../log/errors.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'

/**
 * Kafka's text checkpoint format, used for `recovery-point-offset-checkpoint` and
 * `log-start-offset-checkpoint`:
 *
 *     0                 version, always 0
 *     2                 number of entries
 *     orders 0 1200     topic partition offset, one per line
 *     orders 1 977
 *
 * Topic names cannot contain spaces, so the single-space separator is unambiguous. The file is
 * replaced atomically (temp file, fsync, rename, directory fsync). See docs/format/checkpoints.md.
 */
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint'
const CHECKPOINT_VERSION = 0

/** Key of a partition in a checkpoint map: `topic partition`. */
export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`
}

export function formatCheckpoint(entries: ReadonlyMap<string, number>): string {
  const lines = [String(CHECKPOINT_VERSION), String(entries.size)]
  for (const [key, offset] of entries) lines.push(`${key} ${offset}`)
  return lines.join('\n') + '\n'
}

/** Parses a checkpoint; a malformed one is an error naming the file and line. */
export function parseCheckpoint(text: string, file: string): Map<string, number> {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const fail = (line: number, detail: string): never => {
    throw new SeglogError('IO_FAILED', `${file} line ${line}: ${detail}`)
  }
  if (lines[0] !== String(CHECKPOINT_VERSION)) fail(1, `unsupported checkpoint version '${lines[0] ?? ''}'`)
  const count = Number(lines[1])
  if (!Number.isSafeInteger(count) || count < 0) fail(2, `bad entry count '${lines[1] ?? ''}'`)
  if (lines.length - 2 !== count) fail(2, `declares ${count} entries but has ${lines.length - 2}`)
  const entries = new Map<string, number>()
  for (let slot = 2; slot < lines.length; slot++) {
    const fields = lines[slot]!.trim().split(/\s+/)
    const offset = Number(fields[2])
    if (fields.length !== 3 || !/^\d+$/.test(fields[1]!) || !Number.isSafeInteger(offset) || offset < 0) {
      fail(slot + 1, `expected 'topic partition offset', got '${lines[slot]}'`)
    }
    entries.set(`${fields[0]} ${fields[1]}`, offset)
  }
  return entries
}

/** Reads a checkpoint file; a missing file is an empty map (every partition defaults to 0). */
export function readCheckpointFile(file: string): Map<string, number> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw new IoError('read', file, error)
  }
  return parseCheckpoint(text, file)
}

export function writeCheckpointFile(file: string, entries: ReadonlyMap<string, number>): void {
  writeFileAtomicSync(file, formatCheckpoint(entries))
}

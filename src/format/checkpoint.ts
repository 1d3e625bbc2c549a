import { CorruptMetadataError } from '../errors.js'

/**
 * Kafka's text checkpoint format, used for `recovery-point-offset-checkpoint` and
 * `log-start-offset-checkpoint` (see docs/format/checkpoints.md). One line each, `\n`-terminated:
 *
 * | line | content                  | meaning                               |
 * |-----:|--------------------------|---------------------------------------|
 * |    1 | `0`                      | version, always 0                     |
 * |    2 | `N`                      | number of entries that follow         |
 * |  3.. | `orders 0 1200`          | topic, partition, offset (one space)  |
 *
 * Topic names cannot contain spaces, so the single-space separator is unambiguous. There is no
 * CRC: the file is replaced atomically, and a damaged one fails the count or a line's shape.
 * Pure: the engine's shell (src/engine/checkpoint-file.ts) and the CLI read the text themselves.
 */
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint'
export const CHECKPOINT_VERSION = 0
/** Line (counting from 1) of the first entry. */
export const CHECKPOINT_FIRST_ENTRY_LINE = 3

/** Key of a partition in a checkpoint map: `topic partition`. */
export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`
}

export function formatCheckpoint(entries: ReadonlyMap<string, number>): string {
  const lines = [String(CHECKPOINT_VERSION), String(entries.size)]
  for (const [key, offset] of entries) lines.push(`${key} ${offset}`)
  return lines.join('\n') + '\n'
}

/** Parses a checkpoint; a malformed one is a CorruptMetadataError naming the file and line. */
export function parseCheckpoint(text: string, file: string): Map<string, number> {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const fail = (line: number, detail: string): never => {
    throw new CorruptMetadataError(file, detail, { line })
  }
  if (lines[0] !== String(CHECKPOINT_VERSION)) fail(1, `unsupported checkpoint version '${lines[0] ?? ''}'`)
  const count = Number(lines[1])
  if (!Number.isSafeInteger(count) || count < 0) fail(2, `bad entry count '${lines[1] ?? ''}'`)
  const firstEntry = CHECKPOINT_FIRST_ENTRY_LINE - 1
  if (lines.length - firstEntry !== count) fail(2, `declares ${count} entries but has ${lines.length - firstEntry}`)
  const entries = new Map<string, number>()
  for (let slot = firstEntry; slot < lines.length; slot++) {
    const fields = lines[slot]!.trim().split(/\s+/)
    const offset = Number(fields[2])
    if (fields.length !== 3 || !/^\d+$/.test(fields[1]!) || !Number.isSafeInteger(offset) || offset < 0) {
      fail(slot + 1, `expected 'topic partition offset', got '${lines[slot]}'`)
    }
    entries.set(`${fields[0]} ${fields[1]}`, offset)
  }
  return entries
}

/** The line (counting from 1) of entry `key` in a file that parsed to `entries`; 0 if absent. */
export function checkpointEntryLine(entries: ReadonlyMap<string, number>, key: string): number {
  let line = CHECKPOINT_FIRST_ENTRY_LINE
  for (const entryKey of entries.keys()) {
    if (entryKey === key) return line
    line++
  }
  return 0
}

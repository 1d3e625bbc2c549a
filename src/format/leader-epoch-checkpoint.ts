import { CorruptMetadataError } from '../errors.js'

/**
 * Kafka's `leader-epoch-checkpoint` (one per partition directory, docs/format/leader-epoch-checkpoint.md):
 * the text checkpoint format with `epoch startOffset` entries. One line each, `\n`-terminated:
 *
 * | line | content | meaning                                            |
 * |-----:|---------|----------------------------------------------------|
 * |    1 | `0`     | version, always 0                                  |
 * |    2 | `N`     | number of entries that follow                      |
 * |  3.. | `3 150` | leader epoch, offset of its first batch (one space) |
 *
 * Entries ascend in both epoch and start offset. No CRC: the file is replaced atomically, and a
 * damaged one fails the count or a line's shape. Pure: src/log/leader-epoch-cache.ts does the I/O.
 */
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint'
export const LEADER_EPOCH_CHECKPOINT_VERSION = 0

export interface EpochEntry {
  epoch: number
  startOffset: number
}

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  const lines = [String(LEADER_EPOCH_CHECKPOINT_VERSION), String(entries.length)]
  for (const { epoch, startOffset } of entries) lines.push(`${epoch} ${startOffset}`)
  return lines.join('\n') + '\n'
}

/** Parses the file; a malformed one is a CorruptMetadataError naming the file and line. */
export function parseLeaderEpochCheckpoint(text: string, file: string): EpochEntry[] {
  // An empty file holds no entries: Kafka brokers leave such files (its reader returns none too).
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const fail = (line: number, detail: string): never => {
    throw new CorruptMetadataError(file, detail, { line })
  }
  if (lines[0] !== String(LEADER_EPOCH_CHECKPOINT_VERSION)) fail(1, `unsupported leader-epoch-checkpoint version '${lines[0] ?? ''}'`)
  const count = Number(lines[1])
  if (!/^\d+$/.test(lines[1] ?? '') || !Number.isSafeInteger(count)) fail(2, `bad entry count '${lines[1] ?? ''}'`)
  if (lines.length - 2 !== count) fail(2, `declares ${count} entries but has ${lines.length - 2}`)
  const entries: EpochEntry[] = []
  for (let slot = 2; slot < lines.length; slot++) {
    const fields = lines[slot]!.trim().split(/\s+/)
    const epoch = Number(fields[0])
    const startOffset = Number(fields[1])
    if (
      fields.length !== 2 ||
      !/^\d+$/.test(fields[0]!) ||
      !/^\d+$/.test(fields[1]!) ||
      epoch > 0x7fffffff ||
      !Number.isSafeInteger(startOffset)
    )
      fail(slot + 1, `expected 'epoch startOffset', got '${lines[slot]}'`)
    const previous = entries[entries.length - 1]
    if (previous !== undefined && (epoch <= previous.epoch || startOffset < previous.startOffset))
      fail(slot + 1, `entry '${lines[slot]}' does not follow '${previous.epoch} ${previous.startOffset}'`)
    entries.push({ epoch, startOffset })
  }
  return entries
}

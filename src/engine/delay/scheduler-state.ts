import { randomInt } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { CorruptMetadataError } from '../../errors.js'
import { writeFileAtomicSync } from '../../log/atomic-file.js'

/**
 * The scheduler's durable state, `scheduler.json` in the due index directory, replaced atomically:
 *
 * - `producerId`, `producerEpoch`: the stable idempotent producer identity of every delivery, so
 *   a delivery repeated after a crash is recognised by the target partition and not written twice;
 * - `sequences`: the next sequence number per target partition ("topic/partition");
 * - `indexedUpTo`: every delay log record below this offset has its entry in the due index;
 * - `cursor`: in the bucket being delivered, every entry up to (dueMs, offset) is delivered;
 * - `chunk`: a delivery in progress: the entries after the cursor up to this one, delivered as
 *   one batch per target partition. After a crash exactly that chunk is delivered again, so each
 *   batch repeats with the same sequences and the target drops it as a duplicate if it landed.
 */
export interface Position {
  dueMs: number
  offset: number
}

export interface SchedulerState {
  version: 1
  producerId: number
  producerEpoch: number
  indexedUpTo: number
  cursor: { bucket: string; at: Position } | null
  chunk: { bucket: string; from: Position | null; to: Position } | null
  sequences: Record<string, number>
}

export const STATE_FILE = 'scheduler.json'

export function readSchedulerState(dir: string): SchedulerState {
  const file = path.join(dir, STATE_FILE)
  if (!fs.existsSync(file)) {
    return { version: 1, producerId: randomInt(2 ** 47), producerEpoch: 0, indexedUpTo: 0, cursor: null, chunk: null, sequences: {} }
  }
  let state: SchedulerState
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8')) as SchedulerState
  } catch (error) {
    throw new CorruptMetadataError(file, `not readable as JSON: ${(error as Error).message}`)
  }
  if (state?.version !== 1 || !Number.isSafeInteger(state.producerId) || !Number.isSafeInteger(state.indexedUpTo))
    throw new CorruptMetadataError(file, 'not a version 1 scheduler state')
  return state
}

/**
 * Replaces the state file: with `durable`, fsynced (temp file, rename, directory) so a power cut
 * leaves the old or the new state; without, renamed only, which a process crash cannot tear either
 * (the page cache survives it) — for delay logs whose flush mode does not promise more.
 */
export function writeSchedulerState(dir: string, state: SchedulerState, durable: boolean): void {
  const file = path.join(dir, STATE_FILE)
  const text = JSON.stringify(state) + '\n'
  if (durable) return writeFileAtomicSync(file, text)
  fs.writeFileSync(`${file}.tmp`, text)
  fs.renameSync(`${file}.tmp`, file)
}

/** (dueMs, offset) order: the order entries of a bucket are delivered in. */
export function comparePositions(a: Position, b: Position): number {
  return a.dueMs - b.dueMs || a.offset - b.offset
}

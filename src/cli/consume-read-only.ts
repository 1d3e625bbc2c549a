import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ConsumerRecord } from '../index.js'
import { UsageError } from './errors.js'
import { LivePartitionReader } from './live-reader.js'
import type { Output } from './output.js'

/**
 * `seglog consume` on a directory another process owns (a running engine, `seglog serve`): the
 * partitions' files are read without the lock and nothing is written, no commit, no checkpoint, no
 * index (see LivePartitionReader). Records appear as the owner writes them, found by polling.
 */

/** How often a caught-up reader looks for growth: Kafka's console consumer waits about as long. */
export const POLL_MS = 100

export interface ConsumeSettings {
  topic: string
  /** The --group, or null for a throwaway group that commits nothing. */
  group: string | null
  from: 'earliest' | 'latest'
  partition: number | undefined
  offset: number | undefined
  timestamp: number | undefined
  max: number
  follow: boolean
  format: (record: ConsumerRecord) => string
}

export async function consumeReadOnly(
  dir: string,
  settings: ConsumeSettings,
  partitionCount: number,
  interrupt: AbortSignal,
  out: Output,
): Promise<void> {
  const { topic } = settings
  const partitions =
    settings.partition !== undefined ? [settings.partition] : Array.from({ length: partitionCount }, (_, partition) => partition)
  const readers = partitions.map(
    (partition) =>
      new LivePartitionReader({
        topic,
        partition,
        dir: path.join(dir, `${topic}-${partition}`),
        warn: (message) => out.problem(message),
      }),
  )
  for (const reader of readers) seekStart(reader, settings)
  // Without --follow, read up to the end as it is now.
  const ends = settings.follow ? null : readers.map((reader) => reader.scanEnd())
  const isDone = (slot: number): boolean => ends !== null && readers[slot]!.hasReached(ends[slot]!)
  let count = 0
  while (!interrupt.aborted) {
    let hasRead = false
    for (let slot = 0; slot < readers.length && !interrupt.aborted; slot++) {
      if (isDone(slot)) continue
      const records = readers[slot]!.poll()
      if (records.length > 0) hasRead = true
      for (const record of records) {
        out.line(settings.format(record))
        if (++count >= settings.max) {
          await out.flush(interrupt)
          return
        }
        if (out.isFull) await out.flush(interrupt)
      }
    }
    if (hasRead) await out.flush(interrupt)
    if (ends !== null && readers.every((_, slot) => isDone(slot))) return
    if (!hasRead) await pause(POLL_MS, interrupt)
  }
}

function seekStart(reader: LivePartitionReader, settings: ConsumeSettings): void {
  const { offset, timestamp } = settings
  if (offset !== undefined) {
    const { startOffset, endOffset } = reader.range()
    if (offset < startOffset || offset > endOffset) {
      const held = endOffset > startOffset ? `it holds offsets ${startOffset} to ${endOffset - 1}` : 'it holds no records'
      throw new UsageError(`--offset ${offset} is outside ${reader.topic}-${reader.partition}: ${held} (log end ${endOffset})`, 'consume')
    }
    reader.seekOffset(offset)
  } else if (timestamp !== undefined) {
    reader.seekTimestamp(timestamp)
  } else if (settings.from === 'latest') {
    reader.seekLatest()
  } else {
    reader.seekEarliest()
  }
}

/** Waits `ms`, or less if `signal` aborts: no busy loop, and Ctrl-C is not kept waiting. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error
  }
}

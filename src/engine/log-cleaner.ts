import path from 'node:path'
import { CLEANER_OFFSET_CHECKPOINT } from '../format/cleaner-checkpoint.js'
import { checkpointKey } from '../format/checkpoint.js'
import { compactionSettings, isCompacted, type CompactionSettings } from '../log/cleaner/compaction-config.js'
import { DEFAULT_DEDUPE_BUFFER_BYTES, type CompactionResult } from '../log/cleaner/compaction-pass.js'
import { cleanableEnd, dirtyBytes, safeLargestTimestamp } from '../log/cleaner/dirty-range.js'
import type { SwapStep } from '../log/cleaner/segment-swap.js'
import { LogClosedError } from '../log/errors.js'
import { systemClock, type Clock } from '../log/clock.js'
import type { PartitionLog } from '../log/partition-log.js'
import { isActiveSegmentOverdue } from '../log/compaction-lag.js'
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js'
import type { TopicConfig } from './topic-config.js'

export interface LogCleanerOptions {
  /** Whether the background task runs cleaning passes (true by default); `cleanNow` works either way. */
  enabled?: boolean
  /** Memory for one pass's key → offset map (Kafka's log.cleaner.dedupe.buffer.size); 128 MiB by default. */
  dedupeBufferBytes?: number
  /** Limit on the bytes a pass reads and writes per second (Kafka's log.cleaner.io.max.bytes.per.second); none by default. */
  ioMaxBytesPerSecond?: number
  /** After finding nothing to clean, the background task looks again this much later (Kafka's log.cleaner.backoff.ms, 15 s). */
  backoffMs?: number
  /** For crash tests: called at each step of a swap (see SwapStep). */
  onSwapStep?: (step: SwapStep) => void
}

export interface CleanNowOptions {
  /** Only this topic's partitions. */
  topic?: string
  /** Clean every compacted partition with dirty bytes, whatever its dirty ratio. */
  ignoreDirtyRatio?: boolean
  /** The time the dirty ratio and lags are judged at; the engine's clock by default. */
  nowMs?: number
  /** This pass's map budget instead of the engine's. */
  dedupeBufferBytes?: number
}

/** A compacted partition's state as the cleaner sees it. */
export interface CleanableLog {
  log: PartitionLog
  settings: CompactionSettings
  firstDirtyOffset: number
  cleanableEnd: number
  cleanBytes: number
  dirtyBytes: number
  dirtyRatio: number
  /** Its oldest dirty segment is older than maxCompactionLagMs: cleaned whatever the ratio. */
  isOverdue: boolean
}

/** The engine's side of log compaction: which partition to clean, when, and the checkpoint. */
export class LogCleaner {
  private readonly dir: string
  private readonly logs: () => { log: PartitionLog; config: TopicConfig }[]
  private readonly options: LogCleanerOptions
  private readonly warn: (message: string) => void
  private readonly clock: Clock
  private readonly checkpoints: Map<string, number>
  private running: Promise<unknown> | null = null
  private nextTryMs = 0
  private stopped = false

  constructor(
    dir: string,
    logs: () => { log: PartitionLog; config: TopicConfig }[],
    options: LogCleanerOptions = {},
    warn: (message: string) => void = () => undefined,
    clock: Clock = systemClock,
  ) {
    this.clock = clock
    this.dir = dir
    this.logs = logs
    this.options = options
    this.warn = warn
    let checkpoints = new Map<string, number>()
    try {
      checkpoints = readCheckpointFile(path.join(dir, CLEANER_OFFSET_CHECKPOINT))
    } catch (error) {
      warn(`${CLEANER_OFFSET_CHECKPOINT} is unreadable (${(error as Error).message}); the next passes clean from each log start`)
    }
    this.checkpoints = checkpoints
  }

  /** The compacted partitions, dirtiest first, with what the cleaner would do with them. */
  cleanableLogs(nowMs: number): CleanableLog[] {
    const found: CleanableLog[] = []
    for (const { log, config } of this.logs()) {
      if (!isCompacted(config)) continue
      const settings = compactionSettings(config)
      const segments = log.segmentList
      const first = segments[0]!.baseOffset
      const stored = this.checkpoints.get(checkpointKey(log.topic, log.partition)) ?? first
      // A truncation below the checkpoint makes it stale: start over from the first segment.
      const firstDirtyOffset = stored > log.logEndOffset || stored < first ? first : stored
      const end = cleanableEnd(segments, log.highWatermark, nowMs, settings.minCompactionLagMs)
      const bytes = dirtyBytes(segments, firstDirtyOffset, end)
      const total = bytes.clean + bytes.dirty
      const firstDirtySegment =
        segments[
          Math.max(
            0,
            segments.findIndex((segment) => segment.nextOffset > firstDirtyOffset),
          )
        ]!
      const isOverdue =
        bytes.dirty > 0 &&
        settings.maxCompactionLagMs < Number.MAX_SAFE_INTEGER &&
        safeLargestTimestamp(firstDirtySegment) < nowMs - settings.maxCompactionLagMs
      found.push({
        log,
        settings,
        firstDirtyOffset,
        cleanableEnd: end,
        cleanBytes: bytes.clean,
        dirtyBytes: bytes.dirty,
        dirtyRatio: total === 0 ? 0 : bytes.dirty / total,
        isOverdue,
      })
    }
    return found.sort((a, b) => Number(b.isOverdue) - Number(a.isOverdue) || b.dirtyRatio - a.dirtyRatio)
  }

  /**
   * Cleans every compacted partition due for it now (its dirty ratio reached, or overdue), or
   * every one with dirty bytes with `ignoreDirtyRatio`; one pass each, dirtiest first.
   */
  async cleanNow(options: CleanNowOptions = {}): Promise<CompactionResult[]> {
    await this.running
    const run = this.cleanDue(options)
    this.running = run.catch(() => undefined)
    return run
  }

  /** From the background task: starts one pass on the dirtiest due partition, unless one runs. */
  kick(nowMs: number): void {
    if (this.options.enabled === false || this.running !== null || this.stopped || nowMs < this.nextTryMs) return
    this.running = this.cleanDue({ nowMs, limit: 1 })
      .then((results) => {
        if (results.length === 0) this.nextTryMs = nowMs + (this.options.backoffMs ?? 15_000)
      })
      .catch((error: unknown) => this.warn(`log cleaner failed: ${(error as Error).message}`))
      .finally(() => {
        this.running = null
      })
  }

  /** Waits for the pass running (the engine closes the logs first, which ends it early). */
  async stop(): Promise<void> {
    this.stopped = true
    await this.running
  }

  private async cleanDue(options: CleanNowOptions & { limit?: number }): Promise<CompactionResult[]> {
    const nowMs = options.nowMs ?? this.clock.nowMs()
    await this.rollOverdue(nowMs, options.topic)
    const due = this.cleanableLogs(nowMs).filter(
      (candidate) =>
        (options.topic === undefined || candidate.log.topic === options.topic) &&
        candidate.dirtyBytes > 0 &&
        (options.ignoreDirtyRatio === true || candidate.isOverdue || candidate.dirtyRatio >= candidate.settings.minCleanableDirtyRatio),
    )
    const results: CompactionResult[] = []
    for (const candidate of due.slice(0, options.limit ?? due.length)) {
      if (this.stopped) break
      const result = await this.cleanOne(candidate, options.dedupeBufferBytes)
      if (result !== null) results.push(result)
    }
    return results
  }

  /**
   * maxCompactionLagMs: an active segment whose first batch is older than the lag is rolled, so
   * its records become cleanable (the partition is then overdue, cleaned whatever its dirty ratio)
   * even when no append comes to roll it.
   */
  private async rollOverdue(nowMs: number, topic: string | undefined): Promise<void> {
    for (const { log, config } of this.logs()) {
      if (!isCompacted(config) || (topic !== undefined && log.topic !== topic)) continue
      if (!isActiveSegmentOverdue(log.segmentList, nowMs, compactionSettings(config).maxCompactionLagMs)) continue
      try {
        await log.rollNow()
      } catch (error) {
        // Deleted, closing or failed meanwhile: nothing to roll.
        if (!(error instanceof LogClosedError)) throw error
      }
    }
  }

  private async cleanOne(candidate: CleanableLog, dedupeBufferBytes?: number): Promise<CompactionResult | null> {
    const { log, settings } = candidate
    let result: CompactionResult
    try {
      result = await log.compact({
        firstDirtyOffset: candidate.firstDirtyOffset,
        dedupeBufferBytes: dedupeBufferBytes ?? this.options.dedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES,
        ioMaxBytesPerSecond: this.options.ioMaxBytesPerSecond,
        deleteRetentionMs: settings.deleteRetentionMs,
        minCompactionLagMs: settings.minCompactionLagMs,
        onSwapStep: this.options.onSwapStep,
      })
    } catch (error) {
      // The topic was deleted, or the engine is closing: nothing to record.
      if (error instanceof LogClosedError) return null
      throw error
    }
    this.checkpoints.set(checkpointKey(log.topic, log.partition), result.firstDirtyOffset)
    this.writeCheckpoint()
    return result
  }

  /** Writes the entries of the partitions that exist now. */
  private writeCheckpoint(): void {
    const live = new Set(this.logs().map(({ log }) => checkpointKey(log.topic, log.partition)))
    for (const key of this.checkpoints.keys()) if (!live.has(key)) this.checkpoints.delete(key)
    writeCheckpointFile(path.join(this.dir, CLEANER_OFFSET_CHECKPOINT), this.checkpoints)
  }
}

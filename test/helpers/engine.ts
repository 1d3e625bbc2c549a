import { LogEngine, type LogEngineOptions } from '../../src/engine/log-engine.js'
import type { PartitionLog, RecoveryEvent } from '../../src/log/partition-log.js'

/** Engine openers for tests. They differ in what happens to warnings and to fsync per append. */

export type EngineOptions = Partial<Omit<LogEngineOptions, 'dir'>>

export interface WatchedEngine {
  engine: LogEngine
  /** Every warning the engine gave, in order. */
  warnings: string[]
  /** The recovery events that came with warnings (truncations, quarantines, rebuilt indexes). */
  events: RecoveryEvent[]
}

/**
 * Opens an engine that collects its warnings instead of printing them, for tests that assert on
 * what recovery reported. Everything else, fsync per append included, is the engine's default
 * unless `options` says otherwise.
 */
export async function openWatchedEngine(dir: string, options: EngineOptions = {}): Promise<WatchedEngine> {
  const warnings: string[] = []
  const events: RecoveryEvent[] = []
  const engine = await LogEngine.open({
    ...options,
    dir,
    onWarning: (message, detail) => {
      warnings.push(message)
      if (detail !== undefined) events.push(detail)
    },
  })
  return { engine, warnings, events }
}

/**
 * Opens an engine that drops its warnings and does not fsync per append (`flush: 'os'`), for tests
 * about behaviour rather than durability. `options` override both.
 */
export function openQuietEngine(dir: string, options: EngineOptions = {}): Promise<LogEngine> {
  return LogEngine.open({ flush: 'os', onWarning: () => undefined, ...options, dir })
}

/**
 * A quiet engine that also stays idle: no background checkpoint, retention or flush writes, so the
 * files on disk change only when the test changes them.
 */
export function openIdleEngine(dir: string): Promise<LogEngine> {
  return openQuietEngine(dir, { checkpointIntervalMs: 3_600_000, retentionCheckIntervalMs: 3_600_000, tickMs: 60_000 })
}

/**
 * For compaction models: a quiet engine on `clock` with the cleaner off (the test compacts when it
 * chooses) and the one-partition compacted topic `kv` (created on first open), small segments so
 * there is something to clean; returns the engine and the partition.
 */
export async function openCompactedKv(
  dir: string,
  clock: LogEngineOptions['clock'],
  topic: { segmentBytes: number; deleteRetentionMs: number },
): Promise<{ engine: LogEngine; log: PartitionLog }> {
  const engine = await openQuietEngine(dir, { clock, tickMs: 60_000, cleaner: { enabled: false } })
  if (!engine.hasTopic('kv'))
    await engine.createTopic('kv', { partitions: 1, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.01, ...topic })
  return { engine, log: engine.partition('kv', 0) }
}

import type { Clock } from './clock.js'
import type { LogFileSystem } from './file-system.js'
import type { GroupCommit } from './group-commit.js'
import type { SegmentRetention } from './log-retention.js'
import { takeSnapshot, writeSnapshot, type ProducerState } from './producer-state.js'
import type { SegmentList } from './segment-list.js'
import { writeKeyIndexesOnClose } from './key-index.js'

export interface ClosingLog {
  readonly list: SegmentList
  readonly dir: string
  readonly clock: Clock
  readonly fileSystem: LogFileSystem
  readonly producerState: ProducerState
  readonly groupCommit: GroupCommit
  readonly retention: SegmentRetention
}

/**
 * PartitionLog.close, in the log's queue once no new fsync round may start: waits for the round
 * running, then seals the log (unless a failure latched: after a failed fsync nothing is fsynced
 * again, and reopening recovers what is really on disk). Every file is closed whatever happened,
 * since a leaked descriptor keeps the file system busy (a file a read still holds is closed when
 * that read ends), and every wait still pending is refused.
 */
export async function closeLog(log: ClosingLog, closedError: () => Error): Promise<void> {
  const { groupCommit } = log
  try {
    await groupCommit.idle()
    if (groupCommit.failure === null) await sealLog(log)
  } catch (error) {
    // Closing failed part way (a final fsync or write): the log must not count as cleanly closed.
    groupCommit.fail(error as Error)
    throw error
  } finally {
    for (const segment of log.list.all) segment.closeQuietly()
    log.retention.closeQuietly()
    groupCommit.rejectAll(groupCommit.failure === null ? closedError() : groupCommit.failedError())
  }
}

/** Everything fsynced, the producer snapshot written, deleted segments unlinked, the files closed. */
async function sealLog(log: ClosingLog): Promise<void> {
  const { list } = log
  await log.groupCommit.flushForClose()
  await writeKeyIndexesOnClose(list.all, log.fileSystem)
  // Written even when empty (as Kafka does at shutdown): without a snapshot at the log end the
  // next open replays, and CRC-checks, the whole log to rebuild producer state. Its fsyncs go
  // through the thread pool, so an engine closing many partitions at once overlaps them.
  await writeSnapshot(log.dir, list.logEndOffset, takeSnapshot(log.producerState, log.clock.nowMs()), log.fileSystem)
  log.retention.removeDue(Infinity)
  for (const segment of list.all) segment.close()
}

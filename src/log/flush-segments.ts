import type { Segment } from './segment.js'

/**
 * Segments a round fsyncs at once. Their fsyncs are independent (different files) and each one
 * mostly waits on the disk, so running several lets the disk (and a journaling file system's
 * commits) serve them together instead of one wait per file. The bound keeps what one partition's
 * backlog queues in the thread pool (four threads by default; a segment asks for up to three
 * fsyncs) short, so reads and other partitions' fsyncs queued after it wait behind a few fsyncs,
 * not thousands.
 */
export const SEGMENT_FLUSH_CONCURRENCY = 8

/**
 * fsyncs `segments` (each one's log, and its index files once sealed), at most `limit` at a time.
 * Resolves once every one is durable. On a failure no further flush starts, the ones already
 * started are waited for (so no fsync of this call still runs when it settles), and the first
 * error is thrown: the caller must not move the recovery point over any of them then.
 */
export async function flushSegments(segments: readonly Segment[], limit = SEGMENT_FLUSH_CONCURRENCY): Promise<void> {
  if (segments.length === 1) return segments[0]!.flush()
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async (): Promise<void> => {
    while (failure === null && next < segments.length) {
      const segment = segments[next++]!
      try {
        await segment.flush()
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  const workers: Promise<void>[] = []
  for (let count = 0; count < Math.min(limit, segments.length); count++) workers.push(worker())
  await Promise.all(workers)
  if (failure !== null) throw (failure as { error: unknown }).error
}

import { afterEach, describe, expect, it, vi } from 'vitest'
import { Segment } from '../../src/log/segment.js'
import { buildPartition, simpleBatches } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * A truncation removes segment files one at a time, and a crash can stop it after any of them. The
 * files left must then still be a log with no hole: a prefix of the segments, newest removed first.
 * Removed oldest first, a crash leaves the newer segments behind a gap, so records the truncation
 * was removing come back and records nothing deleted disappear under the new log start.
 */
afterEach(async () => {
  vi.restoreAllMocks()
  await removeTmpDirs()
})

/** Base offsets in the order truncateTo removes them. */
function recordDeletions(): number[] {
  const order: number[] = []
  const original = Segment.prototype.deleteFiles
  vi.spyOn(Segment.prototype, 'deleteFiles').mockImplementation(function (this: Segment) {
    order.push(this.baseOffset)
    original.call(this)
  })
  return order
}

/** Whether every state a crash could leave (after each removal) keeps a prefix of `bases`. */
function everyCrashStateIsAPrefix(bases: readonly number[], removed: readonly number[]): boolean {
  for (let done = 0; done <= removed.length; done++) {
    const left = bases.filter((base) => !removed.slice(0, done).includes(base))
    if (left.some((base, slot) => base !== bases[slot])) return false
  }
  return true
}

describe('truncateTo removes segments newest first', () => {
  it('when the target lies in a middle segment', async () => {
    const { log } = await buildPartition({ segmentBytes: 600, batches: simpleBatches(30) })
    const bases = log.segmentList.map((segment) => segment.baseOffset)
    expect(bases.length).toBeGreaterThan(4)
    const removed = recordDeletions()
    await log.truncateTo(bases[1]! + 1)
    expect(removed.length).toBeGreaterThan(2)
    expect(everyCrashStateIsAPrefix(bases, removed)).toBe(true)
    await log.close()
  })

  it("when the target is the first segment's base: the others go, newest first, and the first is emptied, never removed", async () => {
    // A directory left without segments by a crash would reopen at the checkpointed log start, which
    // has no entry while the log start is the first base: offsets below it would be given again.
    const { log } = await buildPartition({ segmentBytes: 600, batches: simpleBatches(30) })
    const bases = log.segmentList.map((segment) => segment.baseOffset)
    const removed = recordDeletions()
    await log.truncateTo(0)
    expect(removed).toHaveLength(bases.length - 1)
    expect(everyCrashStateIsAPrefix(bases, removed)).toBe(true)
    expect(log.segmentList.map((segment) => [segment.baseOffset, segment.size])).toEqual([[0, 0]])
    expect(log.logEndOffset).toBe(0)
    await log.close()
  })
})

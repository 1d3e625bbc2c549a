import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FlushPolicy } from '../../src/log/flush-policy.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { buildPartition, simpleBatches } from '../helpers/build-log.js'
import { errnoError, failNth, FSYNC_CALLS, spyFileSystem, type FileSystemSpy } from '../helpers/file-system-spy.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * The group commit owns every flush trigger (a `sync` append, `messages`, `ms` through
 * flushIfDue, flush(), a roll) and the failure latch. A roll's fsyncs run in the background, off
 * the append path, without weakening what a `sync` append promises.
 */

afterEach(removeTmpDirs)

/** Lets queued callbacks and I/O run a few turns. */
async function settle(turns = 20): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve))
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 5_000 && !condition(); turn++) await new Promise((resolve) => setTimeout(resolve, 1))
  if (!condition()) throw new Error(`timed out waiting until ${what}`)
}

/** Holds the fsync calls `matches` picks until `release()`. */
function holdFsyncs(spy: FileSystemSpy, matches: (file: string) => boolean): { held: () => number; release: () => void } {
  const waiting: (() => void)[] = []
  let holding = true
  const unhook = spy.hook((info) => {
    if (!holding || !FSYNC_CALLS.includes(info.call) || !matches(info.file)) return
    if (info.call.endsWith('Sync')) throw new Error(`a synchronous fsync of ${info.file} on a path that must not block`)
    return new Promise<void>((resolve) => waiting.push(resolve))
  })
  return {
    held: () => waiting.length,
    release: () => {
      holding = false
      unhook()
      for (const resume of waiting.splice(0)) resume()
    },
  }
}

/**
 * Holds asynchronous fsyncs, and lets them go by file: `release(matches)` resumes the held calls on
 * the files `matches` picks and lets every later call on them through. `fail` picks files whose
 * fsync fails (EIO) instead.
 */
function holdByFile(spy: FileSystemSpy, fail: (file: string) => boolean = () => false) {
  const waiting: { file: string; resume: () => void }[] = []
  let isHeld = (file: string): boolean => !fail(file)
  spy.hook((info) => {
    if (info.call !== 'datasync' && info.call !== 'sync') return
    if (fail(info.file)) throw errnoError('EIO')
    if (!isHeld(info.file)) return
    return new Promise<void>((resolve) => waiting.push({ file: info.file, resume: resolve }))
  })
  return {
    heldFiles: (): string[] => waiting.map((call) => call.file),
    release(matches: (file: string) => boolean): void {
      const wasHeld = isHeld
      isHeld = (file) => wasHeld(file) && !matches(file)
      for (const call of waiting.filter((held) => matches(held.file))) {
        waiting.splice(waiting.indexOf(call), 1)
        call.resume()
      }
    },
  }
}

async function partition(flush: FlushPolicy, clock?: ManualClock): Promise<{ log: PartitionLog; dir: string; spy: FileSystemSpy }> {
  const spy = spyFileSystem()
  const { log, dir } = await buildPartition({
    segmentBytes: 2048,
    batches: simpleBatches(5),
    logOptions: { fileSystem: spy.fileSystem, ...(clock && { clock }) },
  })
  log.flushPolicy = flush
  await log.flush()
  return { log, dir, spy }
}

const big = (text: string): { value: Buffer; timestamp: number }[] => [{ value: Buffer.alloc(900, text), timestamp: 5_000 }]

describe('a roll', () => {
  it("under 'os': the append that rolls resolves while the roll's fsyncs are still held; the recovery point moves once they complete", async () => {
    const { log, dir, spy } = await partition({ mode: 'os' })
    const before = log.recoveryPoint
    const fsyncs = holdFsyncs(spy, () => true)
    while (log.segmentCount < 2) await log.appendRecords(big('a'))
    const newBase = log.segmentList.at(-1)!.baseOffset
    await settle()
    expect(fsyncs.held()).toBeGreaterThan(0)
    expect(log.recoveryPoint).toBe(before)
    fsyncs.release()
    await waitUntil(() => log.recoveryPoint === newBase, 'the background fsync of the rolled segment')
    // The sealed segment (log and indexes) and the directory were fsynced, not the active one.
    const sealed = log.segmentList[0]!
    expect(spy.count(FSYNC_CALLS, sealed.paths.log)).toBeGreaterThan(0)
    expect(spy.count(FSYNC_CALLS, sealed.paths.index)).toBe(1)
    expect(spy.count(FSYNC_CALLS, sealed.paths.timeIndex)).toBe(1)
    expect(spy.count(FSYNC_CALLS, dir)).toBeGreaterThan(0)
    expect(spy.count(FSYNC_CALLS, log.segmentList.at(-1)!.paths.log)).toBe(0)
    await log.close()
  })

  it("under 'sync': the append in the new segment resolves only once the new segment's directory entry is fsynced", async () => {
    const { log, dir, spy } = await partition({ mode: 'sync' })
    // Filled so far that the next big append rolls.
    await log.appendRecords(big('a'))
    expect(log.segmentCount).toBe(1)
    const directory = holdFsyncs(spy, (file) => file === dir)
    let resolved = false
    const appending = log.appendRecords(big('b')).then((info) => {
      resolved = true
      return info
    })
    await waitUntil(() => log.segmentCount === 2, 'the roll')
    const newSegment = log.segmentList.at(-1)!
    await waitUntil(() => log.logEndOffset > newSegment.baseOffset && directory.held() > 0, 'the write and the directory fsync')
    await settle()
    // The new segment's data waits for its directory entry: not fsynced, not acknowledged.
    expect(spy.count(FSYNC_CALLS, newSegment.paths.log)).toBe(0)
    expect(resolved).toBe(false)
    expect(log.highWatermark).toBe(newSegment.baseOffset)
    directory.release()
    const info = await appending
    expect(info.baseOffset).toBe(log.segmentList.at(-1)!.baseOffset)
    expect(log.recoveryPoint).toBeGreaterThan(info.lastOffset)
    await log.close()
  })

  it('writes the producer snapshot taken at the roll in the background, and a truncation below it drops it', async () => {
    const { log, dir, spy } = await partition({ mode: 'os' })
    const idempotent = { producerId: 7, producerEpoch: 0 }
    await log.appendRecords(big('p'), { ...idempotent, baseSequence: 0 })
    const fsyncs = holdFsyncs(spy, () => true)
    while (log.segmentCount < 2) await log.appendRecords(big('q'))
    const snapshot = path.join(dir, `${String(log.segmentList.at(-1)!.baseOffset).padStart(20, '0')}.snapshot`)
    expect(fs.existsSync(snapshot)).toBe(false)
    fsyncs.release()
    await waitUntil(() => fs.existsSync(snapshot), 'the snapshot write')

    const second = holdFsyncs(spy, () => true)
    while (log.segmentCount < 3) await log.appendRecords(big('r'))
    const dropped = path.join(dir, `${String(log.segmentList.at(-1)!.baseOffset).padStart(20, '0')}.snapshot`)
    const truncation = log.truncateTo(log.segmentList.at(-1)!.baseOffset - 1)
    await settle()
    second.release()
    await truncation
    await settle()
    expect(fs.existsSync(dropped)).toBe(false)
    await log.close()
  })
  it('after many rolls in one round, writes only the producer snapshots that are kept', async () => {
    const { log, dir, spy } = await partition({ mode: 'os' })
    const fsyncs = holdFsyncs(spy, () => true)
    let sequence = 0
    while (log.segmentCount < 7) await log.appendRecords(big('s'), { producerId: 9, producerEpoch: 0, baseSequence: sequence++ })
    fsyncs.release()
    await log.flush()
    const bases = log.segmentList.slice(1).map((segment) => segment.baseOffset)
    const snapshots = fs.readdirSync(dir).filter((name) => name.endsWith('.snapshot'))
    expect(snapshots.map((name) => Number.parseInt(name, 10))).toEqual(bases.slice(-3))
    // Six rolls, three snapshots written: the three older ones would have been removed at once.
    expect(spy.count('openSync', path.join(dir, `${String(bases[5]).padStart(20, '0')}.snapshot.tmp`))).toBe(1)
    expect(spy.count('openSync', path.join(dir, `${String(bases[0]).padStart(20, '0')}.snapshot.tmp`))).toBe(0)
    await log.close()
  })
})

describe('flush triggers', () => {
  it("'ms' follows the injected clock through flushIfDue: nothing before the interval, everything at it", async () => {
    const clock = new ManualClock()
    const { log, spy } = await partition({ mode: 'interval', ms: 1_000 }, clock)
    const start = log.lastFlushMs
    await log.appendRecords(big('m'))
    const fsyncs = spy.count(FSYNC_CALLS)
    await log.flushIfDue(clock.advance(999))
    expect(spy.count(FSYNC_CALLS)).toBe(fsyncs)
    expect(log.recoveryPoint).toBeLessThan(log.logEndOffset)
    await log.flushIfDue(clock.advance(1))
    expect(log.recoveryPoint).toBe(log.logEndOffset)
    expect(log.lastFlushMs).toBe(start + 1_000)
    // Nothing written since: the next one is due a whole interval later, without an fsync.
    const idle = spy.count(FSYNC_CALLS)
    await log.flushIfDue(clock.advance(1_000))
    expect(spy.count(FSYNC_CALLS)).toBe(idle)
    expect(log.lastFlushMs).toBe(start + 2_000)
    await log.close()
    // A closed log is left alone.
    await log.flushIfDue(clock.advance(5_000))
  })

  it("'messages' starts an fsync from the append that reaches the count, not before", async () => {
    const { log, spy } = await partition({ mode: 'interval', messages: 4 })
    const fsyncs = spy.count(FSYNC_CALLS)
    for (let n = 0; n < 3; n++) await log.appendRecords([{ value: Buffer.from(`${n}`), timestamp: 5_000 }])
    await settle()
    expect(spy.count(FSYNC_CALLS)).toBe(fsyncs)
    const end = log.logEndOffset + 1
    await log.appendRecords([{ value: Buffer.from('3'), timestamp: 5_000 }])
    expect(spy.count(FSYNC_CALLS)).toBeGreaterThan(fsyncs)
    await waitUntil(() => log.recoveryPoint === end, 'the fsync after four appends')
    await log.close()
  })
})

describe('the failure latch', () => {
  it('a failed fsync fails the waiting append and every later write with LOG_CLOSED; close fsyncs nothing more', async () => {
    const { log, spy } = await partition({ mode: 'sync' })
    spy.hook(failNth('datasync', 1))
    await expect(log.appendRecords(big('x'))).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    expect(log.hasFailed).toBe(true)
    await expect(log.appendRecords(big('y'))).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    await expect(log.flush()).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    const fsyncs = spy.count(FSYNC_CALLS)
    await log.close()
    expect(spy.count(FSYNC_CALLS)).toBe(fsyncs)
  })

  it("a failed fsync of a roll's background round latches too", async () => {
    const { log, spy } = await partition({ mode: 'os' })
    spy.hook(failNth('sync', 1))
    while (log.segmentCount < 2) await log.appendRecords(big('z'))
    await waitUntil(() => log.hasFailed, 'the failed directory fsync')
    await expect(log.appendRecords(big('z'))).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    await log.close()
  })
})

describe('a round after many rolls', () => {
  /** Rolls until segments 1-4 are sealed and 5 is active; the first round is held on segment 0. */
  async function rollMany(hold: (spy: FileSystemSpy) => ReturnType<typeof holdByFile>) {
    const { log, dir, spy } = await partition({ mode: 'os' })
    const fsyncs = hold(spy)
    const order: string[] = []
    spy.hook((info) => void (FSYNC_CALLS.includes(info.call) && order.push(info.file)))
    while (log.segmentCount < 6) await log.appendRecords(big('n'))
    const [first, ...sealed] = log.segmentList.slice(0, 5).map((segment) => segment.paths)
    const files = (paths: typeof first) => [paths!.log, paths!.index, paths!.timeIndex]
    // The first round covers segment 0 (it started at the first roll) and the directory.
    fsyncs.release((file) => file === dir || files(first).includes(file))
    return { log, dir, spy, fsyncs, order, first: first!, sealed, files }
  }

  it('fsyncs the sealed segments side by side and moves the recovery point only after the last one, then the directory', async () => {
    const { log, dir, fsyncs, order, sealed, files } = await rollMany((spy) => holdByFile(spy))
    const base = (paths: (typeof sealed)[number]) => Number(path.basename(paths.log, '.log'))
    // The next round takes segments 1-4 at once: all four logs are fsynced together.
    await waitUntil(() => fsyncs.heldFiles().length === 4, 'four fsyncs held at once')
    expect(fsyncs.heldFiles().sort()).toEqual(sealed.map((paths) => paths.log).sort())
    expect(log.recoveryPoint).toBe(base(sealed[0]!))

    // All but segment 2 complete, indexes included: the recovery point still waits for it.
    const late = files(sealed[1]!)
    fsyncs.release((file) => !late.includes(file))
    await waitUntil(() => [sealed[0]!, sealed[2]!, sealed[3]!].every((paths) => order.includes(paths.timeIndex)), 'the other segments')
    await settle()
    expect(fsyncs.heldFiles()).toEqual([late[0]])
    expect(log.recoveryPoint).toBe(base(sealed[0]!))
    const directoryFsyncs = order.filter((file) => file === dir).length

    fsyncs.release(() => true)
    const activeBase = log.segmentList[5]!.baseOffset
    await waitUntil(() => log.recoveryPoint === activeBase, 'the round over segments 1-4')
    // One directory fsync for the four rolls, after every index file of them was written.
    expect(order.filter((file) => file === dir).length).toBe(directoryFsyncs + 1)
    const lastDirectoryFsync = order.lastIndexOf(dir)
    for (const paths of sealed) for (const file of files(paths)) expect(order.indexOf(file)).toBeLessThan(lastDirectoryFsync)
    await log.close()
  })

  it('a failed fsync of one of them latches only once the others ended, and moves no recovery point', async () => {
    let failing = ''
    const { log, fsyncs, sealed } = await rollMany((spy) => holdByFile(spy, (file) => file === failing))
    await waitUntil(() => fsyncs.heldFiles().length === 4, 'four fsyncs held at once')
    const before = log.recoveryPoint
    // Segment 2's log fsync goes through; the fsync of its offset index then fails.
    failing = sealed[1]!.index
    fsyncs.release((file) => file === sealed[1]!.log)
    await settle()
    // The failure waits for the fsyncs still running: no round runs on after it.
    expect(fsyncs.heldFiles().length).toBe(3)
    expect(log.hasFailed).toBe(false)
    fsyncs.release(() => true)
    await waitUntil(() => log.hasFailed, 'the failed fsync')
    expect(log.recoveryPoint).toBe(before)
    await expect(log.appendRecords(big('n'))).rejects.toMatchObject({ code: 'LOG_CLOSED' })
    await log.close()
  })
})

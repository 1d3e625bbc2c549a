import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CLEAN_SHUTDOWN_FILE, LogEngine } from '../../engine/log-engine.js'
import { formatNumber, formatSpread, formatTable, spread, type Spread } from './stats.js'

export interface ScaleSuiteParams {
  /** Partition counts measured, one topic of that many partitions each. */
  partitionCounts: readonly number[]
  /** Segments of the one-partition log measured (one small batch each); 0 skips it. */
  segments: number
  /** Measured runs per figure; figures are medians with min and max. */
  runs: number
  dir?: string
}

export interface PartitionScaleFigures {
  partitions: number
  createSeconds: Spread
  closeSeconds: Spread
  openCleanSeconds: Spread
  openUncleanSeconds: Spread
  /** Descriptors the engine holds after a clean open (null where /proc/self/fd is missing). */
  openFds: number | null
  /** Heap and external memory after a clean open, divided by the partitions. */
  bytesPerPartition: number
}

export interface SegmentScaleFigures {
  segments: number
  writeSeconds: Spread
  /** Closing right after the writes: waits for the background fsyncs of the rolled segments. */
  closeAfterWriteSeconds: Spread
  openCleanSeconds: Spread
  openFds: number | null
  /** Descriptors after reading one batch from every segment, oldest first. */
  fdsAfterReadingAll: number | null
  readAllSeconds: Spread
}

export interface ScaleSuiteResult {
  partitions: PartitionScaleFigures[]
  segments: SegmentScaleFigures | null
  maxOpenSegmentFiles: number
}

const RECORD = { value: Buffer.alloc(100, 0x61) }
/** The engine's default bound on open segment files (the figures show it holding). */
const MAX_OPEN_SEGMENT_FILES = 256
const quiet = { flush: 'os' as const, onWarning: () => undefined, maxOpenSegmentFiles: MAX_OPEN_SEGMENT_FILES }

/**
 * Many partitions and many segments: how long creating, opening (clean and unclean) and closing
 * take, and the descriptors and memory they hold. The unclean open recovers from each partition's
 * recovery point, which the clean close before it left at the log end, so it shows the fixed cost
 * of an unclean open per partition.
 */
export async function runScaleSuite(params: ScaleSuiteParams): Promise<ScaleSuiteResult> {
  const root = params.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-scale-'))
  fs.mkdirSync(root, { recursive: true })
  try {
    const partitions: PartitionScaleFigures[] = []
    for (const count of params.partitionCounts) partitions.push(await measurePartitions(root, count, params.runs))
    const segments = params.segments > 0 ? await measureSegments(root, params.segments, params.runs) : null
    return { partitions, segments, maxOpenSegmentFiles: MAX_OPEN_SEGMENT_FILES }
  } finally {
    if (params.dir === undefined) fs.rmSync(root, { recursive: true, force: true })
  }
}

async function measurePartitions(root: string, count: number, runs: number): Promise<PartitionScaleFigures> {
  const create: number[] = []
  const close: number[] = []
  const openClean: number[] = []
  const openUnclean: number[] = []
  let openFds: number | null = null
  let bytesPerPartition = 0
  for (let run = 0; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(root, `partitions-${count}-`))
    try {
      let engine = await LogEngine.open({ dir, ...quiet })
      create.push(await seconds(() => engine.createTopic('s', { partitions: count })))
      for (const log of engine.partitions('s')) await log.appendRecords([RECORD])
      close.push(await seconds(() => engine.close()))
      const fdsBefore = countFds()
      const memoryBefore = memoryInUse()
      openClean.push(await seconds(async () => void (engine = await LogEngine.open({ dir, ...quiet }))))
      const fds = countFds()
      openFds = fds === null || fdsBefore === null ? null : fds - fdsBefore
      bytesPerPartition = Math.max(0, memoryInUse() - memoryBefore) / count
      await engine.close()
      fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE))
      openUnclean.push(await seconds(async () => void (engine = await LogEngine.open({ dir, ...quiet }))))
      await engine.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  return {
    partitions: count,
    createSeconds: spread(create),
    closeSeconds: spread(close),
    openCleanSeconds: spread(openClean),
    openUncleanSeconds: spread(openUnclean),
    openFds,
    bytesPerPartition,
  }
}

async function measureSegments(root: string, count: number, runs: number): Promise<SegmentScaleFigures> {
  const write: number[] = []
  const closeAfterWrite: number[] = []
  const openClean: number[] = []
  const readAll: number[] = []
  let openFds: number | null = null
  let fdsAfterReadingAll: number | null = null
  for (let run = 0; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(root, `segments-${count}-`))
    try {
      let engine = await LogEngine.open({ dir, ...quiet })
      // One record per segment: every append after the first rolls.
      await engine.createTopic('s', { partitions: 1, segmentBytes: 100 })
      const writer = engine.partition('s', 0)
      write.push(await seconds(async () => await appendEach(writer, count)))
      closeAfterWrite.push(await seconds(() => engine.close()))
      const fdsBefore = countFds()
      openClean.push(await seconds(async () => void (engine = await LogEngine.open({ dir, ...quiet }))))
      openFds = difference(countFds(), fdsBefore)
      const log = engine.partition('s', 0)
      if (log.segmentCount < count) throw new Error(`the log has ${log.segmentCount} segments, expected ${count}`)
      readAll.push(await seconds(async () => await readEach(log, count)))
      fdsAfterReadingAll = difference(countFds(), fdsBefore)
      await engine.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  return {
    segments: count,
    writeSeconds: spread(write),
    closeAfterWriteSeconds: spread(closeAfterWrite),
    openCleanSeconds: spread(openClean),
    openFds,
    fdsAfterReadingAll,
    readAllSeconds: spread(readAll),
  }
}

async function appendEach(log: ReturnType<LogEngine['partition']>, count: number): Promise<void> {
  for (let offset = 0; offset < count; offset++) await log.appendRecords([RECORD])
}

async function readEach(log: ReturnType<LogEngine['partition']>, count: number): Promise<void> {
  for (let offset = 0; offset < count; offset++) {
    const { bytes } = await log.readRaw(offset, { maxBytes: 1 })
    if (bytes.length === 0) throw new Error(`offset ${offset} read nothing`)
  }
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await work()
  return (performance.now() - start) / 1000
}

/** Open descriptors of this process, or null where the count is not available (not Linux). */
function countFds(): number | null {
  try {
    return fs.readdirSync('/proc/self/fd').length
  } catch {
    return null
  }
}

function difference(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before
}

let collectGarbage: (() => void) | null = null

/** Heap and external bytes in use after a full collection (exposed at run time, so no flag is needed). */
function memoryInUse(): number {
  if (collectGarbage === null) {
    v8.setFlagsFromString('--expose-gc')
    collectGarbage = runInNewContext('gc') as () => void
  }
  collectGarbage()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

/** The text tables of `seglog bench --suite scale`. */
export function formatScaleSuite(result: ScaleSuiteResult): string {
  const fds = (value: number | null): string => (value === null ? '-' : formatNumber(value))
  const lines = [
    formatTable(
      ['partitions', 'create s', 'close s', 'open clean s', 'open unclean s', 'fds open', 'KB per partition'],
      result.partitions.map((row) => [
        formatNumber(row.partitions),
        formatSpread(row.createSeconds, 2),
        formatSpread(row.closeSeconds, 2),
        formatSpread(row.openCleanSeconds, 3),
        formatSpread(row.openUncleanSeconds, 3),
        fds(row.openFds),
        formatNumber(row.bytesPerPartition / 1024, 1),
      ]),
    ),
  ]
  const segments = result.segments
  if (segments !== null) {
    lines.push(
      '',
      formatTable(
        [`one partition, ${formatNumber(segments.segments)} segments`, 'figure'],
        [
          ['write s (one 100-byte record per segment)', formatSpread(segments.writeSeconds, 2)],
          ['close after writing s', formatSpread(segments.closeAfterWriteSeconds, 2)],
          ['open clean s', formatSpread(segments.openCleanSeconds, 3)],
          ['fds after open', fds(segments.openFds)],
          ['read one batch from every segment s', formatSpread(segments.readAllSeconds, 2)],
          [`fds after reading all (bound ${result.maxOpenSegmentFiles})`, fds(segments.fdsAfterReadingAll)],
        ],
      ),
    )
  }
  return lines.join('\n')
}

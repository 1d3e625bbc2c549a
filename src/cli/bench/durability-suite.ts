import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LogEngine } from '../../engine/log-engine.js'
import { CLEAN_SHUTDOWN_FILE } from '../../engine/log-engine.js'
import type { FlushPolicy } from '../../log/flush-policy.js'
import { crc32c } from '../../record/crc32c.js'

export interface DurabilitySuiteParams {
  /** Appends per measurement (each append is one record of `recordSize` bytes). */
  appends: number
  recordSize: number
  concurrency: readonly number[]
  /** Size of the unclean segment recovered (0 skips the recovery figure). */
  recoveryBytes: number
  dir?: string
}

export interface FlushFigure {
  mode: string
  appenders: number
  appendsPerSec: number
  fsyncsPerSec: number
  appendsPerFsync: number
}

export interface DurabilitySuiteResult {
  flush: FlushFigure[]
  recovery: { bytes: number; seconds: number; mbPerSec: number; crcMbPerSec: number } | null
}

/** Each flush measurement is preceded by appends / WARMUP_SHARE unmeasured ones on the same partition. */
const WARMUP_SHARE = 4

/**
 * Flush modes under concurrency (group commit shows as appends per fsync growing with the
 * number of appenders) and the cost of recovering an unclean segment, next to the CRC-32C rate
 * that bounds it.
 */
export async function runDurabilitySuite(params: DurabilitySuiteParams): Promise<DurabilitySuiteResult> {
  const root = params.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-durability-'))
  // A given --dir may not exist yet (the other suites create theirs through LogEngine.open).
  fs.mkdirSync(root, { recursive: true })
  try {
    const value = Buffer.alloc(params.recordSize, 0x61)
    const flush: FlushFigure[] = []
    const modes: { name: string; policy: FlushPolicy }[] = [
      { name: 'sync', policy: { mode: 'sync' } },
      { name: 'interval 1000 ms', policy: { mode: 'interval', ms: 1000 } },
      { name: 'os', policy: { mode: 'os' } },
    ]
    for (const { name, policy } of modes) {
      for (const appenders of params.concurrency) {
        const dir = fs.mkdtempSync(path.join(root, 'flush-'))
        const engine = await LogEngine.open({ dir, flush: policy, onWarning: () => undefined })
        try {
          await engine.createTopic('d', { partitions: 1 })
          const log = engine.partition('d', 0)
          const appendConcurrently = async (count: number): Promise<void> => {
            let issued = 0
            await Promise.all(
              Array.from({ length: appenders }, async () => {
                while (issued < count) {
                  issued++
                  await log.appendRecords([{ value }])
                }
              }),
            )
          }
          // Unmeasured first, so the figure is the compiled steady state (as the log suite's).
          await appendConcurrently(Math.ceil(params.appends / WARMUP_SHARE))
          const start = performance.now()
          const startFlushes = log.flushCount
          await appendConcurrently(params.appends)
          const seconds = (performance.now() - start) / 1000
          const fsyncs = log.flushCount - startFlushes
          flush.push({
            mode: name,
            appenders,
            appendsPerSec: params.appends / seconds,
            fsyncsPerSec: fsyncs / seconds,
            appendsPerFsync: fsyncs === 0 ? params.appends : params.appends / fsyncs,
          })
        } finally {
          await engine.close()
          fs.rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    const recovery = params.recoveryBytes > 0 ? await measureRecovery(root, params.recoveryBytes) : null
    return { flush, recovery }
  } finally {
    if (params.dir === undefined) fs.rmSync(root, { recursive: true, force: true })
  }
}

/** Writes one segment of about `bytes`, makes the shutdown unclean, and times the reopen. */
async function measureRecovery(root: string, bytes: number): Promise<DurabilitySuiteResult['recovery']> {
  const dir = fs.mkdtempSync(path.join(root, 'recovery-'))
  try {
    let engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
    await engine.createTopic('r', { partitions: 1, segmentBytes: 0x7fffffff })
    const log = engine.partition('r', 0)
    const value = Buffer.alloc(1000)
    for (let at = 0; at < value.length; at++) value[at] = (at * 131) & 0xff
    const records = Array.from({ length: 1000 }, () => ({ value }))
    while (log.sizeInBytes < bytes) await log.appendRecords(records)
    const size = log.sizeInBytes
    await engine.close()
    // Unclean: no marker, and a recovery point of 0 so the whole segment is scanned.
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE), { force: true })
    fs.writeFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), '0\n0\n')
    const start = performance.now()
    engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
    const seconds = (performance.now() - start) / 1000
    await engine.close()
    const sample = Buffer.alloc(64 * 1024 * 1024, 7)
    const crcStart = performance.now()
    crc32c(sample)
    const crcMbPerSec = sample.length / 1e6 / ((performance.now() - crcStart) / 1000)
    return { bytes: size, seconds, mbPerSec: size / 1e6 / seconds, crcMbPerSec }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

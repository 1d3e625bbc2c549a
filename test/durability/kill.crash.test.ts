import { afterAll, beforeAll, describe, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import {
  assertEngineBuilt,
  pickSeed,
  prng,
  randomInt,
  sleep,
  startWriter,
  verifyPartition,
  type AckedValue,
  type CrashCycleModel,
  type WriterConfig,
} from './helpers.js'

/**
 * docs/testing.md T1: a child process appends random batches (1 B - 64 KiB values, none /
 * lz4 / gzip, 1-8 appends in flight, a roll every 64 KiB) and reports each acknowledged offset over
 * IPC. The parent SIGKILLs it after a random 20-300 ms, reopens the directory in-process and checks
 * it, then lets the next child continue in the same directory, so every recovery runs on top of
 * the earlier ones. kill -9 does not lose the page cache, so in EVERY mode every acknowledged
 * append must survive (P2; under 'sync' the acks are also durable, P1), and so must everything
 * below the last completed flush().
 *
 * SEGLOG_CRASH_CYCLES sets the total number of cycles (split over the three modes; default 102),
 * SEGLOG_CRASH_SEED replays a run. The seed is printed with every failure.
 */

const MODES = ['sync', 'os', 'interval'] as const
const TOTAL_CYCLES = Number(process.env.SEGLOG_CRASH_CYCLES ?? 102)
const CYCLES_PER_MODE = Math.max(1, Math.ceil(TOTAL_CYCLES / MODES.length))
const SEED = pickSeed()
const TOPIC = 't'

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

async function createTopic(dir: string): Promise<void> {
  const engine = await LogEngine.open({ dir, onWarning: () => {} })
  // Retention keeps the log around 1 MiB, so verifying the whole log every cycle stays cheap.
  await engine.createTopic(TOPIC, { segmentBytes: 64 * 1024, retentionBytes: 1024 * 1024 })
  await engine.close()
}

describe.concurrent('kill -9 during appends (T1)', () => {
  for (const [slot, mode] of MODES.entries()) {
    it(
      `${mode}: ${CYCLES_PER_MODE} kill cycles lose no acknowledged record and serve nothing corrupt`,
      async () => {
        const random = prng(SEED + slot * 0x9e3779b9)
        const dir = await makeTmpDir(`seglog-kill-${mode}-`)
        await createTopic(dir)
        const model: CrashCycleModel = { logStart: 0, verifiedEnd: 0, values: new Map() }
        const stats = { acks: 0, records: 0, cuts: 0, flushes: 0 }
        for (let cycle = 1; cycle <= CYCLES_PER_MODE; cycle++) {
          const context = `mode ${mode}, cycle ${cycle}, seed ${SEED} (rerun with SEGLOG_CRASH_SEED=${SEED}; SEGLOG_KEEP_TMP=1 keeps ${dir})`
          const acks = new Map<number, AckedValue>()
          let ackedEnd = 0
          let flushedUpTo = 0
          const config: WriterConfig = {
            dir,
            topic: TOPIC,
            mode,
            seed: (random() * 0x100000000) >>> 0,
            cycle,
            startSeq: model.verifiedEnd,
            concurrency: randomInt(random, 1, 8),
            flushEvery: mode === 'sync' ? 0 : randomInt(random, 2, 16),
          }
          const delayMs = randomInt(random, 20, 300)
          const run = startWriter(config, (message) => {
            if (message.t === 'ack') {
              message.hashes.forEach((hash, index) => acks.set(message.base + index, { cycle, hash }))
              ackedEnd = Math.max(ackedEnd, message.base + message.hashes.length)
            } else if (message.t === 'flushed') {
              flushedUpTo = Math.max(flushedUpTo, message.upTo)
              stats.flushes++
            }
          })
          try {
            await run.ready
            await sleep(delayMs)
          } finally {
            run.child.kill('SIGKILL')
          }
          const exit = await run.gone
          if (run.fatal() !== null) throw new Error(`${context}: the writer failed: ${run.fatal()}`)
          if (exit.signal !== 'SIGKILL') throw new Error(`${context}: the writer stopped by itself (code ${exit.code}): ${run.stderr()}`)

          const warnings: string[] = []
          let engine: LogEngine
          try {
            engine = await LogEngine.open({ dir, flush: 'sync', onWarning: (message) => warnings.push(message) })
          } catch (error) {
            throw new Error(`${context}: reopening after the kill failed (it must need no manual action): ${(error as Error).stack}`)
          }
          try {
            const log = engine.partition(TOPIC, 0)
            const result = await verifyPartition(log, model, { cycle, acks, mustHaveBelow: Math.max(ackedEnd, flushedUpTo) }).catch(
              (error: Error) => {
                throw new Error(
                  `${context}, killed after ${delayMs} ms with ${acks.size} acknowledged records:\n${error.message}\nwarnings: ${warnings.join('\n')}`,
                )
              },
            )
            stats.acks += acks.size
            stats.records += result.records
            stats.cuts += warnings.filter((warning) => warning.startsWith('recovery cut')).length
            await engine.applyRetention()
            const values = new Map<number, AckedValue>()
            for (const [offset, value] of result.values) if (offset >= log.logStartOffset) values.set(offset, value)
            model.logStart = log.logStartOffset
            model.verifiedEnd = result.logEnd
            model.values = values
          } finally {
            await engine.close()
          }
        }
        console.log(
          `kill -9 ${mode}: ${CYCLES_PER_MODE} cycles, ${stats.acks} acknowledged records checked, ${stats.flushes} flushes, ${stats.cuts} recovered tails, log end ${model.verifiedEnd}, seed ${SEED}`,
        )
      },
      Math.max(120_000, CYCLES_PER_MODE * 3_000),
    )
  }
})

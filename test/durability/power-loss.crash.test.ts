import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { RECOVERY_POINT_CHECKPOINT, readCheckpointFile } from '../../src/engine/checkpoint-file.js'
import { LogEngine } from '../../src/engine/log-engine.js'
import type { RecoveryEvent } from '../../src/log/partition-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import {
  assertEngineBuilt,
  pickSeed,
  prng,
  quarantineFiles,
  randomInt,
  scanSegment,
  segmentLogs,
  sleep,
  startWriter,
  verifyPartition,
  type AckedValue,
  type CrashCycleModel,
  type WriterConfig,
} from './helpers.js'

/**
 * Simulated power loss, cross-process (docs/testing.md T2). The writer child reports,
 * at every flush() call, the sizes of the .log files, and when that flush resolves, that it
 * completed. After SIGKILL the parent turns the directory into one a power cut could have left:
 *
 * - the durable point D is the largest of: the last completed flush, the last 'sync' ack, the
 *   recovery-point checkpoint on disk (the engine writes it only after an fsync) and the end of
 *   the previous cycle (closed cleanly);
 * - each .log file keeps at least its synced length (its size at the last completed flush, and
 *   every batch holding an offset below D) and is cut to a random length between that and its
 *   current length; bytes after the synced length may be garbled (a torn write), and zeros or
 *   garbage may be appended (a size update whose data never landed);
 * - trailing segment files created after the last sync may vanish (with or without their indexes),
 *   and index files of the changed segments may be truncated or removed (they are derived data).
 *
 * Then it predicts, with its own scanner, where recovery must cut, reopens the engine and checks:
 * every offset below D is present and identical, the log is a gap-free prefix with valid values,
 * the cut is reported through onWarning with the right file, position and size, and each
 * quarantine file holds exactly the bytes that were cut.
 *
 * Bytes 0-7 of a batch (its baseOffset) are never garbled: the batch CRC does not cover them (as
 * in Kafka's format), so a changed baseOffset inside an intact batch cannot be detected by any
 * reader of this format.
 *
 * SEGLOG_POWER_CYCLES sets the number of cycles (default 45, split over the three flush modes).
 */

const MODES = ['sync', 'os', 'interval'] as const
const TOTAL_CYCLES = Number(process.env.SEGLOG_POWER_CYCLES ?? 45)
const CYCLES_PER_MODE = Math.max(1, Math.ceil(TOTAL_CYCLES / MODES.length))
const SEED = pickSeed()
const TOPIC = 't'
const CHECKPOINT_KEY = `${TOPIC} 0`

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

interface Snapshot {
  upTo: number
  sizes: Record<string, number>
}

interface ExpectedCut {
  name: string
  position: number
  content: Buffer
}

describe.concurrent('simulated power loss (T2, cross-process)', () => {
  for (const [slot, mode] of MODES.entries()) {
    it(
      `${mode}: ${CYCLES_PER_MODE} power cuts keep every durable record and quarantine exactly what was cut`,
      async () => {
        const random = prng(SEED + 0x51f15eed + slot * 0x9e3779b9)
        const dir = await makeTmpDir(`seglog-power-${mode}-`)
        const partitionDir = path.join(dir, `${TOPIC}-0`)
        const setup = await LogEngine.open({ dir, onWarning: () => {} })
        await setup.createTopic(TOPIC, { segmentBytes: 64 * 1024, retentionBytes: 1024 * 1024 })
        await setup.close()
        const model: CrashCycleModel = { logStart: 0, verifiedEnd: 0, values: new Map() }
        const stats = { durable: 0, cuts: 0, wholeSegments: 0, vanished: 0 }

        for (let cycle = 1; cycle <= CYCLES_PER_MODE; cycle++) {
          const context = `mode ${mode}, cycle ${cycle}, seed ${SEED} (rerun with SEGLOG_CRASH_SEED=${SEED}; SEGLOG_KEEP_TMP=1 keeps ${dir})`
          const namesAtStart = new Set(segmentLogs(partitionDir).map((segment) => segment.name))
          const acks = new Map<number, AckedValue>()
          let syncAckEnd = 0
          const pending = new Map<number, Snapshot>()
          let synced: Snapshot | null = null
          const config: WriterConfig = {
            dir,
            topic: TOPIC,
            mode,
            seed: (random() * 0x100000000) >>> 0,
            cycle,
            startSeq: model.verifiedEnd,
            concurrency: randomInt(random, 1, 6),
            flushEvery: randomInt(random, 2, 12),
            snapshots: true,
          }
          const delayMs = randomInt(random, 20, 300)
          const run = startWriter(config, (message) => {
            if (message.t === 'ack') {
              message.hashes.forEach((hash, index) => acks.set(message.base + index, { cycle, hash }))
              if (message.mode === 'sync') syncAckEnd = Math.max(syncAckEnd, message.base + message.hashes.length)
            } else if (message.t === 'flushing') {
              pending.set(message.id, { upTo: message.upTo, sizes: message.sizes })
            } else if (message.t === 'flushed') {
              const snapshot = pending.get(message.id)
              if (snapshot !== undefined && (synced === null || snapshot.upTo >= synced.upTo)) synced = snapshot
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

          // --- The durable point and the synced length of every file.
          const lastSync = synced as Snapshot | null
          const checkpointed = readCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT)).get(CHECKPOINT_KEY) ?? 0
          const durableEnd = Math.max(model.verifiedEnd, checkpointed, syncAckEnd, lastSync?.upTo ?? 0)
          const durableNames = new Set([...namesAtStart, ...Object.keys(lastSync?.sizes ?? {})])
          const segments = segmentLogs(partitionDir).map((segment) => {
            const bytes = fs.readFileSync(segment.file)
            const scan = scanSegment(bytes, segment.base)
            let cover = 0
            for (const batch of scan.batches) if (batch.baseOffset < durableEnd) cover = batch.position + batch.size
            const syncedLength = Math.min(bytes.length, Math.max(cover, lastSync?.sizes[segment.name] ?? 0))
            return { ...segment, bytes, scan, syncedLength }
          })

          // --- Files created after the last sync may vanish (a trailing run of them).
          let keep = segments.length
          while (keep > 1 && !durableNames.has(segments[keep - 1]!.name) && segments[keep - 1]!.base >= durableEnd) keep--
          if (keep < segments.length && random() < 0.4) {
            const from = randomInt(random, keep, segments.length - 1)
            for (const segment of segments.splice(from)) {
              fs.rmSync(segment.file)
              stats.vanished++
              if (random() < 0.5) {
                // The whole segment vanished; otherwise its indexes stay behind as orphans.
                fs.rmSync(segment.file.replace(/\.log$/, '.index'), { force: true })
                fs.rmSync(segment.file.replace(/\.log$/, '.timeindex'), { force: true })
              }
            }
          }

          // --- Cut, tear and extend what was not synced.
          segments.forEach((segment, index) => {
            const isLast = index === segments.length - 1
            let bytes = segment.bytes
            if (bytes.length > segment.syncedLength && random() < 0.85) {
              bytes = Buffer.from(bytes.subarray(0, randomInt(random, segment.syncedLength, bytes.length)))
              if (bytes.length > segment.syncedLength && random() < 0.3) {
                const batchStarts = segment.scan.batches.map((batch) => batch.position)
                for (let flips = randomInt(random, 1, 8); flips > 0; flips--) {
                  const position = randomInt(random, segment.syncedLength, bytes.length - 1)
                  if (batchStarts.some((start) => position >= start && position < start + 8)) continue
                  bytes[position] = bytes[position]! ^ randomInt(random, 1, 255)
                }
              }
            }
            if ((bytes.length > segment.syncedLength || isLast) && random() < 0.3) {
              const extra = randomInt(random, 1, 8192)
              const tail =
                random() < 0.5 ? Buffer.alloc(extra) : Buffer.from(Array.from({ length: extra }, () => randomInt(random, 0, 255)))
              bytes = Buffer.concat([bytes, tail])
            }
            if (bytes !== segment.bytes) {
              fs.writeFileSync(segment.file, bytes)
              segment.bytes = bytes
              const indexFile = segment.file.replace(/\.log$/, random() < 0.5 ? '.index' : '.timeindex')
              const indexRoll = random()
              if (indexRoll < 0.15) fs.rmSync(indexFile, { force: true })
              else if (indexRoll < 0.3 && fs.existsSync(indexFile))
                fs.truncateSync(indexFile, Math.floor(fs.statSync(indexFile).size / 2) + 1)
            }
          })

          // --- Where recovery must cut: from the segment holding the checkpointed recovery point.
          let first = 0
          while (first < segments.length - 1 && segments[first + 1]!.base <= checkpointed) first++
          const expected: ExpectedCut[] = []
          for (let index = first; index < segments.length; index++) {
            const segment = segments[index]!
            const scan = scanSegment(segment.bytes, segment.base)
            // A segment whose last whole batches were lost ends short of the next base offset: a
            // torn tail without a bad byte, so only the later segments go (the log stays a prefix).
            const end = (scan.batches.at(-1)?.lastOffset ?? segment.base - 1) + 1
            const next = segments[index + 1]
            const isShort = scan.stop === null && scan.batches.length > 0 && next !== undefined && end < next.base && end >= checkpointed
            if (scan.stop === null && !isShort) continue
            if (scan.stop !== null)
              expected.push({ name: segment.name, position: scan.validEnd, content: segment.bytes.subarray(scan.validEnd) })
            for (const later of segments.slice(index + 1)) expected.push({ name: later.name, position: 0, content: later.bytes })
            break
          }

          // --- Reopen and check.
          const events: RecoveryEvent[] = []
          let engine: LogEngine
          try {
            engine = await LogEngine.open({
              dir,
              flush: 'sync',
              onWarning: (_message, detail) => detail !== undefined && events.push(detail),
            })
          } catch (error) {
            throw new Error(
              `${context}: reopening after the power cut failed (durable end ${durableEnd}, checkpoint ${checkpointed}): ${(error as Error).stack}`,
            )
          }
          try {
            const problems: string[] = []
            const seen = events.map((event) => `${path.basename(event.file)}@${event.position}+${event.bytes}`)
            const wanted = expected.map((cut) => `${cut.name}@${cut.position}+${cut.content.length}`)
            if (seen.join(' ') !== wanted.join(' ')) problems.push(`recovery reported [${seen.join(' ')}], expected [${wanted.join(' ')}]`)
            for (const [index, event] of events.entries()) {
              const cut = expected[index]
              if (cut === undefined) break
              if (event.quarantineFile === null) {
                problems.push(`${cut.name}: recovery kept no quarantine copy`)
                continue
              }
              const base = path.basename(event.quarantineFile)
              if (!base.startsWith(`${cut.name}.${cut.position}`) || !base.endsWith('.quarantine'))
                problems.push(`quarantine file ${base} is not named after ${cut.name} and byte ${cut.position}`)
              if (!fs.readFileSync(event.quarantineFile).equals(cut.content))
                problems.push(`${base} does not hold exactly the ${cut.content.length} cut bytes`)
            }
            if (problems.length > 0) throw new Error(problems.join('\n'))
            const log = engine.partition(TOPIC, 0)
            const result = await verifyPartition(log, model, { cycle, acks, mustHaveBelow: durableEnd })
            stats.durable += durableEnd - model.verifiedEnd
            stats.cuts += expected.filter((cut) => cut.position > 0).length
            stats.wholeSegments += expected.filter((cut) => cut.position === 0).length
            for (const name of quarantineFiles(partitionDir)) fs.rmSync(path.join(partitionDir, name))
            await engine.applyRetention()
            const values = new Map<number, AckedValue>()
            for (const [offset, value] of result.values) if (offset >= log.logStartOffset) values.set(offset, value)
            model.logStart = log.logStartOffset
            model.verifiedEnd = result.logEnd
            model.values = values
          } catch (error) {
            throw new Error(
              `${context}, cut after ${delayMs} ms (durable end ${durableEnd}, checkpoint ${checkpointed}, ${acks.size} acks):\n${(error as Error).message}`,
            )
          } finally {
            await engine.close()
          }
        }
        console.log(
          `power loss ${mode}: ${CYCLES_PER_MODE} cycles, ${stats.durable} durable records checked, ${stats.cuts} tails cut, ${stats.wholeSegments} segments quarantined whole, ${stats.vanished} segment files vanished, seed ${SEED}`,
        )
      },
      Math.max(120_000, CYCLES_PER_MODE * 4_000),
    )
  }
})

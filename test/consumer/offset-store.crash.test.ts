import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { assertBuilt, prng } from './helpers.js'
import { openWatchedEngine } from '../helpers/engine.js'

/**
 * T12 / P11 with real kill -9: a child process (offset-committer-child.mjs, the BUILT engine)
 * commits increasing offsets for a few groups and partitions under flush 'sync', with a tiny
 * compactMinBytes so the offsets log compacts every few dozen commits, and reports each resolved
 * commit over IPC. Half the cycles are killed by the parent at a random moment; the other half kill
 * themselves at a chosen point of a compaction (before the roll, after it, after the live values
 * are appended, after they are fsynced, after the old segments are deleted). After every kill the
 * directory is reopened in-process and, for every key:
 *   - the stored offset >= the last acknowledged commit (no acknowledged commit lost under 'sync');
 *   - the stored offset <= the largest offset the child ever attempted (no garbage);
 *   - the stored offset >= what the previous reopen found (offsets never go backwards).
 * Each cycle continues in the same directory, so recoveries pile up on one another.
 *
 * SEGLOG_CRASH_CYCLES sets the number of cycles (default 30); SEGLOG_CRASH_SEED replays a run.
 */

const CHILD = fileURLToPath(new URL('./offset-committer-child.mjs', import.meta.url))
const CYCLES = Math.max(2, Number(process.env.SEGLOG_CRASH_CYCLES ?? 30))
const SEED = process.env.SEGLOG_CRASH_SEED ? Number(process.env.SEGLOG_CRASH_SEED) >>> 0 : (Math.random() * 0x1_0000_0000) >>> 0
const TOPIC = 't'
const GROUPS = 4
const PARTITIONS = 6
const RECORDS_PER_PARTITION = 200_000
const PHASES = ['before-roll', 'after-roll', 'after-append', 'after-flush', 'after-delete'] as const

type ChildMessage =
  | { t: 'ready'; compactions: number }
  | { t: 'ack'; entries: [string, number][] }
  | { t: 'compaction'; phase: string; count: number }
  | { t: 'fatal'; message: string }

interface ChildConfig {
  dir: string
  topic: string
  groups: number
  partitions: number
  seed: number
  workers: number
  compactMinBytes: number
  compactMinRatio: number
  attemptsFile: string
  killAt: { compaction: number; phase: (typeof PHASES)[number] } | null
}

beforeAll(() => assertBuilt())
afterAll(removeTmpDirs)

/** Runs one child until it is killed (by us after `killAfterMs`, or by itself); resolves once it is gone. */
async function runChild(
  config: ChildConfig,
  killAfterMs: number | null,
  onMessage: (message: ChildMessage) => void,
): Promise<{ signal: NodeJS.Signals | null; code: number | null; fatal: string | null; stderr: string }> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child: ChildProcess = fork(CHILD, [JSON.stringify(config)], { execArgv: [], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  let fatal: string | null = null
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString()
  })
  let timer: NodeJS.Timeout | null = null
  child.on('message', (message: ChildMessage) => {
    if (message.t === 'fatal') fatal = message.message
    if (message.t === 'ready' && killAfterMs !== null) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    onMessage(message)
  })
  // A self-kill that never comes (the compaction was not reached) must not hang the test.
  const backstop = setTimeout(() => child.kill('SIGKILL'), 15_000)
  // 'exit' may come before the last IPC messages are delivered: wait for the channel and stdio too.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const disconnected = new Promise<void>((resolve) => child.once('disconnect', () => resolve()))
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const [exit] = await Promise.all([exited, disconnected, closed])
  await new Promise((resolve) => setImmediate(resolve))
  clearTimeout(backstop)
  if (timer !== null) clearTimeout(timer)
  return { ...exit, fatal, stderr }
}

/** The largest attempted offset per key, from the child's side file (written before each commit). */
function readAttempts(file: string, into: Map<string, number>): void {
  if (!fs.existsSync(file)) return
  const text = fs.readFileSync(file, 'utf8')
  for (const line of text.split('\n')) {
    const match = /^(g\d+\/\d+) (\d+)$/.exec(line)
    if (match === null) continue
    const offset = Number(match[2])
    into.set(match[1]!, Math.max(into.get(match[1]!) ?? 0, offset))
  }
}

describe('kill -9 during offset commits and compaction (T12)', () => {
  it(
    `${CYCLES} kill cycles: no acknowledged commit lost, no garbage, no offset going backwards`,
    async () => {
      const random = prng(SEED)
      const root = await makeTmpDir('seglog-offsets-crash-')
      const dir = path.join(root, 'data')
      const setup = await LogEngine.open({ dir, flush: 'os', onWarning: () => {} })
      await setup.createTopic(TOPIC, { partitions: PARTITIONS })
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const log = setup.partition(TOPIC, partition)
        for (let done = 0; done < RECORDS_PER_PARTITION; done += 20_000) {
          await log.appendRecords(Array.from({ length: 20_000 }, () => ({ key: null, value: null, timestamp: 0 })))
        }
      }
      await setup.close()

      const acked = new Map<string, number>()
      const attempted = new Map<string, number>()
      const stored = new Map<string, number>()
      const stats = { acks: 0, compactions: 0, killedInCompaction: 0, selfKills: 0, cuts: 0 }
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        // Even cycles die inside a compaction, going round the phases so each gets its share.
        const killAt = cycle % 2 === 0 ? { compaction: 1 + Math.floor(random() * 3), phase: PHASES[(cycle / 2) % PHASES.length]! } : null
        const killAfterMs = killAt === null ? 20 + Math.floor(random() * 300) : null
        const context = `cycle ${cycle}, ${killAt === null ? `killed after ${killAfterMs} ms` : `self-kill in compaction ${killAt.compaction} at ${killAt.phase}`}, seed ${SEED} (rerun with SEGLOG_CRASH_SEED=${SEED}; SEGLOG_KEEP_TMP=1 keeps ${root})`
        const attemptsFile = path.join(root, `attempts-${cycle}.log`)
        let phase: string | null = null
        const config: ChildConfig = {
          dir,
          topic: TOPIC,
          groups: GROUPS,
          partitions: PARTITIONS,
          seed: (random() * 0x1_0000_0000) >>> 0,
          workers: 1 + Math.floor(random() * 4),
          compactMinBytes: 2048,
          compactMinRatio: 2,
          attemptsFile,
          killAt,
        }
        const exit = await runChild(config, killAfterMs, (message) => {
          if (message.t === 'ack') {
            for (const [key, offset] of message.entries) acked.set(key, Math.max(acked.get(key) ?? 0, offset))
            stats.acks += message.entries.length
          } else if (message.t === 'compaction') {
            phase = message.phase === 'after-delete' ? null : message.phase
            if (message.phase === 'after-delete') stats.compactions++
          }
        })
        if (exit.fatal !== null) throw new Error(`${context}: the child failed: ${exit.fatal}`)
        if (exit.signal !== 'SIGKILL') throw new Error(`${context}: the child stopped by itself (code ${exit.code}): ${exit.stderr}`)
        if (phase !== null) stats.killedInCompaction++
        if (killAt !== null) stats.selfKills++
        readAttempts(attemptsFile, attempted)

        let reopened: Awaited<ReturnType<typeof openWatchedEngine>>
        try {
          reopened = await openWatchedEngine(dir, { flush: 'sync' })
        } catch (error) {
          throw new Error(`${context}: reopening after the kill failed (it must need no manual action): ${(error as Error).stack}`)
        }
        const { engine, warnings } = reopened
        try {
          stats.cuts += warnings.filter((warning) => warning.startsWith('recovery cut')).length
          const problems: string[] = []
          for (let group = 0; group < GROUPS; group++) {
            for (let partition = 0; partition < PARTITIONS; partition++) {
              const key = `g${group}/${partition}`
              const offset = engine.offsets.fetch(`g${group}`, TOPIC, partition)?.offset ?? null
              const ack = acked.get(key)
              const max = attempted.get(key)
              const before = stored.get(key)
              if (ack !== undefined && (offset === null || offset < ack))
                problems.push(`${key}: stored ${offset}, but ${ack} was acknowledged`)
              if (offset !== null && (max === undefined || offset > max))
                problems.push(`${key}: stored ${offset}, but the largest attempt was ${max}`)
              if (before !== undefined && (offset === null || offset < before))
                problems.push(`${key}: stored ${offset}, but the previous reopen found ${before}`)
              if (offset !== null) stored.set(key, offset)
            }
          }
          if (problems.length > 0) throw new Error(`${context}:\n${problems.join('\n')}\nwarnings: ${warnings.join('\n')}`)
          expect(engine.offsets.listGroups().every((group) => /^g\d+$/.test(group))).toBe(true)
        } finally {
          await engine.close()
        }
      }
      console.log(
        `offset store kill -9: ${CYCLES} cycles (${stats.selfKills} inside a compaction by plan, ${stats.killedInCompaction} mid-compaction in all), ${stats.acks} acknowledged commits checked, ${stats.compactions} compactions completed, ${stats.cuts} recovered tails, ${stored.size} keys, seed ${SEED}`,
      )
      expect(stats.compactions).toBeGreaterThan(0)
      expect(stored.size).toBe(GROUPS * PARTITIONS)
    },
    Math.max(90_000, CYCLES * 4_000),
  )
})

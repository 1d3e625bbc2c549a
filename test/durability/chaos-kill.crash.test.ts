import { fork } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { ChaosModel, isBenignWarning } from './chaos-model.js'
import { assertEngineBuilt, pickSeed, prng, randomInt } from './helpers.js'

/**
 * The whole engine under kill -9 (docs/testing.md T19: T1 and T12 with metadata churn and
 * offset edges). Each cycle a child process (chaos-child.mjs, the BUILT engine) opens the same
 * data directory with flush 'sync', segments of 0.5-4 KiB, retention on two of its four topics
 * (retentionMs 100-400 ms or retentionBytes 2-8 KiB, checked every 10-100 ms), an offset store that
 * compacts every few KiB, and a file delete delay that is often 0. It runs a seeded random mix of
 * producer sends (keys, values, headers, strings, explicit and engine timestamps, every codec,
 * idempotent or not), appendRecords, offset commits, truncateTo (inside batches, at the log start,
 * below it, past the end), deleteRecordsBefore, topic deletion and re-creation, flush and
 * retention, with 0-2 readers racing them. It journals every operation before it starts and every
 * acknowledgement after its promise resolved. The parent SIGKILLs it at a random moment (sometimes
 * while it is still opening), sometimes SIGKILLs a second child in the middle of its recovery too,
 * and then reopens the directory in-process and checks it against the model (chaos-model.ts):
 *   - the open needs no manual action;
 *   - for every partition logStart <= highWatermark <= logEnd, and the log start and end are where
 *     the acknowledged operations put them (with retention the start may only have moved up);
 *   - every acknowledged record not deliberately deleted is readable byte for byte (key, value,
 *     headers, timestamp) at its acknowledged offset, offsets are contiguous, and every other
 *     record is one that was written and not acknowledged, at most once;
 *   - deleted topics stay deleted and leave no directories; created topics exist;
 *   - acknowledged offset commits are back (never lower, unless the topic was deleted or the
 *     partition truncated) and no stored offset was never committed.
 * Some cycles skip the check when nothing was in flight, so the next child recovers on its own.
 *
 * SEGLOG_CRASH_CYCLES sets the number of cycles (default 24; the long run is 1,000), and
 * SEGLOG_CRASH_SEED replays the same random choices (kill timing still depends on the machine).
 */

const CHILD = fileURLToPath(new URL('./chaos-child.mjs', import.meta.url))
const CYCLES = Math.max(1, Number(process.env.SEGLOG_CRASH_CYCLES ?? 24))
const SEED = pickSeed()
const TOPIC_NAMES = ['keep-a', 'keep-b', 'ret-time', 'ret-size'] as const
/** A child that does not die by our SIGKILL within this long is reported as hung. */
const CHILD_DEADLINE_MS = 20_000

interface ChildConfig {
  dir: string
  journal: string
  role: 'work' | 'recover'
  seed: number
  cycle: number
  engine: {
    checkpointIntervalMs: number
    retentionCheckIntervalMs: number
    fileDeleteDelayMs: number
    compactMinBytes: number
    compactMinRatio: number
  }
  readers: number
  pauseChance: number
}

interface ChildRun {
  /** How the child ended (null signal: it exited by itself). */
  signal: NodeJS.Signals | null
  code: number | null
  stderr: string
  /** Whether it reported ready before it died. */
  wasReady: boolean
}

/**
 * Forks a child and SIGKILLs it `killAfterMs` after it reported ready, or after it was spawned
 * when `fromSpawn` is set (then it may still be opening, i.e. recovering).
 */
async function runChild(config: ChildConfig, killAfterMs: number, fromSpawn: boolean): Promise<ChildRun> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = fork(CHILD, [JSON.stringify(config)], { execArgv: [], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString()
  })
  let wasReady = false
  let timer: NodeJS.Timeout | null = null
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  if (fromSpawn) timer = setTimeout(kill, killAfterMs)
  child.on('message', (message: { t: string }) => {
    if (message.t !== 'ready') return
    wasReady = true
    if (!fromSpawn) timer = setTimeout(kill, killAfterMs)
  })
  const backstop = setTimeout(kill, CHILD_DEADLINE_MS)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const [exit] = await Promise.all([exited, closed])
  clearTimeout(backstop)
  if (timer !== null) clearTimeout(timer)
  return { ...exit, stderr, wasReady }
}

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

describe('kill -9 during a random mix of every engine operation', () => {
  it(
    `${CYCLES} kill cycles: no acknowledged record or commit lost or hidden, no half-made state, every open unattended`,
    async () => {
      const random = prng(SEED)
      const root = await makeTmpDir('seglog-chaos-')
      const dir = path.join(root, 'data')
      const model = new ChaosModel(TOPIC_NAMES)
      const stats = { intents: 0, acks: 0, records: 0, checks: 0, skipped: 0, recoveryKills: 0, killedOpening: 0, inFlight: 0 }
      const startedMs = Date.now()
      /** Wrong reads and warnings, by kind: the run goes on (the model still holds) and fails at the end. */
      const findings = new Map<string, { count: number; first: string }>()
      const note = (context: string, found: string[]): void => {
        for (const finding of found) {
          const kind = finding
            .replace(/^cycle \d+ [a-z ]+(\[[^\]]*\])?: /, '')
            .replace(/^read of \S+ from \d+/, 'read')
            .replace(/\/[^ ]*\/[^ ]*/g, 'FILE')
            .replace(/\d+/g, 'N')
            .split('\n')[0]!
            .slice(0, 160)
          const entry = findings.get(kind)
          if (entry !== undefined) entry.count++
          else findings.set(kind, { count: 1, first: `${context}: ${finding.split('\n').slice(0, 6).join('\n    ')}` })
        }
      }
      const fail = (context: string, problems: string[]): never => {
        let shown = problems.slice(0, 20).join('\n  ') + (problems.length > 20 ? `\n  … ${problems.length - 20} more` : '')
        const earlier = [...findings.values()].map(({ count, first }) => `${count}x, first in ${first.split('\n')[0]}`)
        if (earlier.length > 0 && !context.includes('wrong reads or warnings'))
          shown += `\n\nearlier cycles also saw wrong reads or warnings:\n  ${earlier.join('\n  ')}`
        throw new Error(`${context}, seed ${SEED} (rerun with SEGLOG_CRASH_SEED=${SEED}; SEGLOG_KEEP_TMP=1 keeps ${root}):\n  ${shown}`)
      }

      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const engineOptions = {
          checkpointIntervalMs: [25, 100, 500, 5000][randomInt(random, 0, 3)]!,
          retentionCheckIntervalMs: [10, 30, 100][randomInt(random, 0, 2)]!,
          fileDeleteDelayMs: [0, 0, 5, 100][randomInt(random, 0, 3)]!,
          compactMinBytes: [1024, 4096, 16384][randomInt(random, 0, 2)]!,
          compactMinRatio: randomInt(random, 1, 2),
        }
        const journal = path.join(root, `journal-${cycle}.ndjson`)
        const config: ChildConfig = {
          dir,
          journal,
          role: 'work',
          seed: (random() * 0x1_0000_0000) >>> 0,
          cycle,
          engine: engineOptions,
          readers: randomInt(random, 0, 2),
          pauseChance: [0, 0.05, 0.2][randomInt(random, 0, 2)]!,
        }
        const fromSpawn = random() < 0.15
        const killAfterMs = fromSpawn ? randomInt(random, 0, 300) : randomInt(random, 0, 500)
        let context = `cycle ${cycle} (killed ${killAfterMs} ms after ${fromSpawn ? 'spawn' : 'ready'}; journal ${journal})`
        const run = await runChild(config, killAfterMs, fromSpawn)
        const journalText = fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8') : ''
        const outcome = model.applyJournal(journalText, `cycle ${cycle} child`)
        if (outcome.inFlightOps.length > 0) context += ` with ${outcome.inFlightOps.join(', ')} in flight`
        if (run.signal !== 'SIGKILL')
          outcome.problems.unshift(`the child ended by itself (code ${run.code}, signal ${run.signal}): ${run.stderr}`)
        note(context, outcome.findings)
        if (outcome.problems.length > 0) fail(context, outcome.problems)
        stats.intents += outcome.counts.intents
        stats.acks += outcome.counts.acks
        if (outcome.inFlight) stats.inFlight++
        if (!run.wasReady) stats.killedOpening++

        // A second kill in the middle of the recovery the first one made necessary.
        if (random() < 0.25) {
          const recoverJournal = path.join(root, `journal-${cycle}-recover.ndjson`)
          const recoverRun = await runChild(
            { ...config, journal: recoverJournal, role: 'recover', seed: (random() * 0x1_0000_0000) >>> 0 },
            randomInt(random, 0, 250),
            true,
          )
          const recoverOutcome = model.applyJournal(
            fs.existsSync(recoverJournal) ? fs.readFileSync(recoverJournal, 'utf8') : '',
            `cycle ${cycle} recovery child`,
          )
          note(`${context}, then a recovery child`, recoverOutcome.findings)
          if (recoverRun.signal !== 'SIGKILL')
            recoverOutcome.problems.unshift(`the recovery child ended by itself (code ${recoverRun.code}): ${recoverRun.stderr}`)
          if (recoverOutcome.problems.length > 0) fail(`${context}, then a recovery child`, recoverOutcome.problems)
          stats.recoveryKills++
          if (process.env.SEGLOG_KEEP_TMP !== '1') fs.rmSync(recoverJournal, { force: true })
        }

        // With nothing in flight the model is exact, so the next child may recover on its own.
        if (!model.hasOpenOutcomes && cycle < CYCLES && random() < 0.3) {
          stats.skipped++
          if (process.env.SEGLOG_KEEP_TMP !== '1') fs.rmSync(journal, { force: true })
          continue
        }

        const warnings: string[] = []
        let engine: LogEngine
        try {
          engine = await LogEngine.open({ dir, flush: 'sync', onWarning: (message) => warnings.push(message) })
        } catch (error) {
          return fail(context, [
            `reopening after the kill failed (it must need no manual action): ${(error as { code?: string }).code ?? ''} ${(error as Error).stack}`,
          ])
        }
        try {
          const { problems, records } = await model.check(engine)
          for (const warning of warnings) if (!isBenignWarning(warning)) problems.push(`reopening warned: ${warning}`)
          if (problems.length > 0) fail(`${context}: the reopened directory does not match the acknowledged operations`, problems)
          stats.records += records
          stats.checks++
        } finally {
          await engine.close()
        }
        if (process.env.SEGLOG_KEEP_TMP !== '1') fs.rmSync(journal, { force: true })
      }
      const seconds = ((Date.now() - startedMs) / 1000).toFixed(1)
      console.log(
        `chaos kill -9: ${CYCLES} cycles in ${seconds} s, ${stats.intents} operations (${stats.acks} acknowledgements), ${stats.inFlight} kills with an operation in flight, ` +
          `${stats.killedOpening} during open, ${stats.recoveryKills} during a second recovery, ${stats.checks} checks (${stats.records} records compared), ${stats.skipped} skipped, seed ${SEED}`,
      )
      if (findings.size > 0) {
        const list = [...findings.values()].map(({ count, first }) => `${count}x, first in ${first}`)
        fail(
          `${CYCLES} cycles kept every acknowledged record, but ${findings.size} kind${findings.size === 1 ? '' : 's'} of wrong reads or warnings were seen`,
          list,
        )
      }
    },
    Math.max(120_000, CYCLES * 3_000),
  )
})

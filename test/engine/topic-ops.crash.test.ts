import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOG_START_OFFSET_CHECKPOINT, readCheckpointFile, RECOVERY_POINT_CHECKPOINT } from '../../src/engine/checkpoint-file.js'
import { LogEngine, TOPICS_FILE } from '../../src/engine/log-engine.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openWatchedEngine } from '../helpers/engine.js'
import { assertEngineBuilt } from '../durability/helpers.js'

/**
 * Topic metadata churn under kill -9 (docs/testing.md T22). A child process (topic-ops-child.mjs,
 * the BUILT engine) changes topics and is SIGKILLed; this process then opens the directory and
 * checks it:
 *
 * - delete a topic, create it again, append 20 records under flush 'sync', kill before any
 *   background checkpoint: all 20 acknowledged records are there from offset 0, also when the
 *   crash left a torn batch at the end of the log (the old topic's checkpoint entries, log start
 *   50 and recovery point 100, must not apply to the new topic);
 * - kill just before every step of deleteTopic and of createTopic (every mkdir, open for
 *   writing, rename, removal and file write they make): the topic is there whole or not at all,
 *   nothing is left that the next createTopic would trip over, and the checkpoints name only
 *   topics that exist.
 */

const CHILD = fileURLToPath(new URL('./topic-ops-child.mjs', import.meta.url))
const T = 1_700_000_000_000

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

type ChildMessage = { t: 'ack'; offset: number } | { t: 'steps'; count: number } | { t: 'done' } | { t: 'fatal'; message: string }

interface ChildRun {
  messages: ChildMessage[]
  signal: NodeJS.Signals | null
  code: number | null
  stderr: string
}

/** Runs the child until it kills itself, or until it reports 'done' (then it is killed here). */
function runChild(config: { dir: string; scenario: 'recreate' | 'delete' | 'create'; killAt: number | null }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    const child = spawn(process.execPath, [CHILD, JSON.stringify(config)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const messages: ChildMessage[] = []
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      for (let newline = stdout.indexOf('\n'); newline >= 0; newline = stdout.indexOf('\n')) {
        const message = JSON.parse(stdout.slice(0, newline)) as ChildMessage
        stdout = stdout.slice(newline + 1)
        messages.push(message)
        if (message.t === 'done') child.kill('SIGKILL')
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ messages, signal, code, stderr })
    })
  })
}

function fatalOf(run: ChildRun): string | null {
  const fatal = run.messages.find((message) => message.t === 'fatal')
  if (fatal !== undefined) return (fatal as { message: string }).message
  if (run.signal !== 'SIGKILL') return `child exited with code ${run.code}: ${run.stderr}`
  return null
}

async function values(engine: LogEngine, topic: string, partition: number): Promise<string[]> {
  const log = engine.partition(topic, partition)
  const found: string[] = []
  for await (const record of log.records({ from: log.logStartOffset })) found.push(`${record.offset}:${record.value!.toString()}`)
  return found
}

const expected = (count: number, tag: string): string[] => Array.from({ length: count }, (_, offset) => `${offset}:${tag}-${offset}`)

/** Checkpoint entries (both files) of a topic, as `file partition offset`. */
function checkpointEntries(dir: string, topic: string): string[] {
  const entries: string[] = []
  for (const file of [RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT]) {
    for (const [key, offset] of readCheckpointFile(path.join(dir, file)))
      if (key.startsWith(`${topic} `)) entries.push(`${file} ${key.slice(topic.length + 1)} ${offset}`)
  }
  return entries
}

/** Names in the data dir that belong to topic t: its partition directories, live or being deleted. */
function topicDirs(dir: string, topic: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(`${topic}-`))
    .sort()
}

describe('delete a topic, create it again, kill -9 before the next checkpoint', () => {
  for (const tornTail of [false, true]) {
    it(`every acknowledged record of the new topic is back from offset 0${tornTail ? ', with a torn batch after them' : ''}`, async () => {
      const dir = await makeTmpDir('seglog-recreate-crash-')
      const run = await runChild({ dir, scenario: 'recreate', killAt: null })
      expect(fatalOf(run)).toBeNull()
      expect(run.messages.filter((message) => message.t === 'ack').map((message) => (message as { offset: number }).offset)).toEqual(
        Array.from({ length: 20 }, (_, slot) => slot),
      )
      const segment = path.join(dir, 't-0', '00000000000000000000.log')
      if (tornTail) {
        // What a write cut short by the crash leaves: the start of one more batch.
        const batch = encodeBatch([{ value: Buffer.alloc(200, 7), timestamp: T }], { baseOffset: 20 })
        fs.appendFileSync(segment, batch.subarray(0, 100))
      }
      const { engine } = await openWatchedEngine(dir, { flush: 'os' })
      try {
        const log = engine.partition('t', 0)
        expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 20])
        expect(await values(engine, 't', 0)).toEqual(expected(20, 'new'))
      } finally {
        await engine.close()
      }
    })
  }
})

/**
 * Runs `scenario` once through to count its steps, then once per step with a kill just before
 * it (and once after the last), checking each directory with `check`. Returns whether the topic
 * existed after each kill, in step order.
 */
async function killAtEveryStep(
  scenario: 'delete' | 'create',
  check: (dir: string, killAt: number) => Promise<boolean>,
): Promise<boolean[]> {
  const probeDir = await makeTmpDir(`seglog-${scenario}-steps-`)
  const probe = await runChild({ dir: probeDir, scenario, killAt: null })
  expect(fatalOf(probe)).toBeNull()
  const count = (probe.messages.find((message) => message.t === 'steps') as { count: number } | undefined)?.count ?? 0
  expect(count).toBeGreaterThan(3)
  const exists: boolean[] = []
  // Two children at a time; each directory is checked in this process once its child is gone.
  let next = 1
  const worker = async (): Promise<void> => {
    for (let killAt = next++; killAt <= count + 1; killAt = next++) {
      const dir = await makeTmpDir(`seglog-${scenario}-kill-`)
      const run = await runChild({ dir, scenario, killAt })
      expect(fatalOf(run), `kill at step ${killAt}`).toBeNull()
      exists[killAt - 1] = await check(dir, killAt)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  await Promise.all([worker(), worker()])
  return exists
}

describe('kill -9 at every step of a topic operation', () => {
  it('deleteTopic: the topic is whole or gone, and its name can be created again', async () => {
    const exists = await killAtEveryStep('delete', async (dir, killAt) => {
      const { engine, warnings } = await openWatchedEngine(dir, { flush: 'os' })
      const where = `kill at step ${killAt}`
      try {
        expect(
          warnings.filter((warning) => warning.includes('not a partition of any known topic')),
          where,
        ).toEqual([])
        expect(await values(engine, 'keep', 0), where).toEqual(expected(20, 'keep'))
        const isThere = engine.hasTopic('t')
        if (isThere) {
          for (let partition = 0; partition < 2; partition++)
            expect(await values(engine, 't', partition), where).toEqual(expected(20, `t${partition}`))
          await engine.deleteTopic('t')
        } else {
          expect(topicDirs(dir, 't'), where).toEqual([])
          expect(checkpointEntries(dir, 't'), where).toEqual([])
        }
        await engine.createTopic('t', { partitions: 2 })
        await engine.partition('t', 1).appendRecords([{ value: Buffer.from('again'), timestamp: T }])
        expect(await values(engine, 't', 1), where).toEqual(['0:again'])
        return isThere
      } finally {
        await engine.close()
      }
    })
    // One point of no return: once a kill finds the topic gone, every later kill does too.
    expect(exists[0]).toBe(true)
    expect(exists.at(-1)).toBe(false)
    expect(
      exists.slice(exists.indexOf(false)).every((isThere) => !isThere),
      `present after a kill before step 1, 2, ...: ${exists.join(',')}`,
    ).toBe(true)
  })

  it('createTopic: the topic is there whole and empty or not at all, and old checkpoint entries never apply', async () => {
    const exists = await killAtEveryStep('create', async (dir, killAt) => {
      const { engine, warnings } = await openWatchedEngine(dir, { flush: 'os' })
      const where = `kill at step ${killAt}`
      try {
        expect(
          warnings.filter((warning) => warning.includes('not a partition of any known topic')),
          where,
        ).toEqual([])
        expect(await values(engine, 'keep', 0), where).toEqual(expected(20, 'keep'))
        const isThere = engine.hasTopic('t')
        if (isThere) {
          expect(engine.partitions('t'), where).toHaveLength(2)
          for (const log of engine.partitions('t')) expect([log.logStartOffset, log.logEndOffset], where).toEqual([0, 0])
          for (const entry of checkpointEntries(dir, 't')) expect(entry, where).toMatch(/ 0$/)
        } else {
          expect(topicDirs(dir, 't'), where).toEqual([])
          expect(checkpointEntries(dir, 't'), where).toEqual([])
          expect(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, TOPICS_FILE), 'utf8')).topics), where).not.toContain('t')
          await engine.createTopic('t', { partitions: 2 })
        }
        await engine.partition('t', 1).appendRecords([{ value: Buffer.from('new-0'), timestamp: T }])
        expect(await values(engine, 't', 1), where).toEqual(['0:new-0'])
        return isThere
      } finally {
        await engine.close()
      }
    })
    // One point of no return: once a kill finds the topic there, every later kill does too.
    expect(exists[0]).toBe(false)
    expect(exists.at(-1)).toBe(true)
    expect(exists.slice(exists.indexOf(true)).every(Boolean), `present after a kill before step 1, 2, ...: ${exists.join(',')}`).toBe(true)
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { openTransactionalProducer } from '../../src/engine/transactional-ids.js'
import { spawnJsonChild } from '../helpers/json-child.js'
import { DIST_INDEX, assertDistBuilt } from '../helpers/paths.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { fill, prng } from '../consumer/helpers.js'

/**
 * Exactly once across crashes: a child runs a transactional consume-transform-produce loop
 * (send + sendOffsets + commit) and is SIGKILLed at random moments around its commits, several
 * times. After each kill, once a producer with the same transactional id has been opened (which
 * finishes or aborts what the crash left), every input record below the committed offset has
 * exactly one committed output and no record above it has any. At the end every input has one.
 * SEGLOG_CRASH_CYCLES sets the number of kills (default 8); SEGLOG_TXN_LOOP_DIST runs the child
 * against another build (to see the test fail on one without transactional offsets).
 */

afterEach(removeTmpDirs)

const INPUT_PARTITIONS = 2
const INPUTS = 120
const CYCLES = Number(process.env.SEGLOG_CRASH_CYCLES ?? 8)
const CHILD = new URL('./transactional-loop-child.mjs', import.meta.url).pathname
const DIST = process.env.SEGLOG_TXN_LOOP_DIST ?? DIST_INDEX

type Message = { t: 'committing' } | { t: 'done' } | { t: 'fatal'; message: string }

/** Runs the loop until killed after `kills` commits (plus a random delay), or until it is done. */
async function runChild(dir: string, seed: number, killAfter: number | null, delayMs: number): Promise<'killed' | 'done'> {
  let commits = 0
  let done = false
  let fatal: string | null = null
  const { exited } = spawnJsonChild<Message>(CHILD, { dir, seed, dist: DIST }, (message, child) => {
    if (message.t === 'done') done = true
    if (message.t === 'fatal') fatal = message.message
    if (message.t === 'committing' && killAfter !== null && ++commits === killAfter) setTimeout(() => child.kill('SIGKILL'), delayMs)
  })
  const { code, signal, stderr } = await exited
  expect(fatal, stderr).toBeNull()
  if (signal === 'SIGKILL') return 'killed'
  expect({ code, done }, stderr).toEqual({ code: 0, done: true })
  return 'done'
}

/** Recovers as a restarted loop would, then checks outputs against the committed offsets. */
async function checkExactlyOnce(dir: string, seed: number): Promise<number[]> {
  const engine = await LogEngine.open({ dir, onWarning: () => {} })
  try {
    const producer = await openTransactionalProducer(engine, { transactionalId: 'loop' })
    await producer.close()
    const seen = new Map<string, number>()
    for (const log of engine.partitions('out'))
      for await (const record of log.records({ from: 0, isolation: 'read_committed' })) {
        const key = record.value!.toString()
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }
    const committed: number[] = []
    for (let partition = 0; partition < INPUT_PARTITIONS; partition++) {
      const offset = engine.offsets.fetch('loop-group', 'in', partition)?.offset ?? 0
      committed.push(offset)
      for (let n = 0; n < INPUTS; n++) {
        const key = `${partition}:${n}`
        expect(seen.get(key) ?? 0, `${key} with committed offset ${offset} (SEGLOG_CRASH_SEED=${seed})`).toBe(n < offset ? 1 : 0)
      }
    }
    return committed
  } finally {
    await engine.close()
  }
}

describe('transactional consume-transform-produce under SIGKILL', () => {
  it('every input record has exactly one committed output, given the committed offsets', async () => {
    assertDistBuilt(DIST_INDEX, ['consumer', 'producer', 'engine', 'log'])
    const dir = await makeTmpDir('seglog-txn-loop-')
    const setup = await LogEngine.open({ dir, onWarning: () => {} })
    await setup.createTopic('in', { partitions: INPUT_PARTITIONS })
    await setup.createTopic('out', { partitions: 2 })
    for (const log of setup.partitions('in')) await fill(log, INPUTS)
    await setup.close()
    const seed = Number(process.env.SEGLOG_CRASH_SEED ?? Date.now() % 100_000)
    const random = prng(seed)
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const outcome = await runChild(dir, seed + cycle, 1 + Math.floor(random() * 4), Math.floor(random() * 4))
      await checkExactlyOnce(dir, seed)
      if (outcome === 'done') break
    }
    await runChild(dir, 1000, null, 0)
    expect(await checkExactlyOnce(dir, seed)).toEqual([INPUTS, INPUTS])
  }, 240_000)
})

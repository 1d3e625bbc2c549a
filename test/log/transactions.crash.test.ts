import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { assertEngineBuilt, pickSeed, prng, randomInt, sleep } from '../durability/helpers.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * kill -9 in the middle of transactions: a child (txn-writer-child.mjs) runs interleaved
 * transactions of three producers and is SIGKILLed at a random moment, several cycles on one
 * directory. After each kill the parent reopens the directory and checks: transactions whose
 * COMMIT was acknowledged are visible to read_committed readers in full, acknowledged ABORTs never;
 * transactions the kill left open hold the last stable offset back at their first offset until
 * the caller aborts them, after which read_committed readers never see their records.
 * SEGLOG_TXN_CRASH_CYCLES sets the cycles (default 6); SEGLOG_CRASH_SEED replays a run.
 */

const CYCLES = Number(process.env.SEGLOG_TXN_CRASH_CYCLES ?? 6)
const SEED = pickSeed()
const CHILD = fileURLToPath(new URL('./txn-writer-child.mjs', import.meta.url))

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

interface TxnModel {
  producerId: number
  values: string[]
  /** The marker the child was writing or wrote: null before. */
  result: 'commit' | 'abort' | null
  isMarked: boolean
}

type ChildMessage =
  | { t: 'ready' }
  | { t: 'appending'; txn: string; producerId: number }
  | { t: 'sent'; txn: string; producerId: number; values: string[] }
  | { t: 'marking'; txn: string; producerId: number; result: 'commit' | 'abort' }
  | { t: 'marked'; txn: string }

async function runChild(dir: string, seed: number, cycle: number, killAfterMs: number, txns: Map<string, TxnModel>): Promise<void> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = fork(CHILD, [JSON.stringify({ dir, topic: 't', seed, cycle })], {
    execArgv: [],
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: ChildMessage) => {
      if (message.t === 'ready') resolve()
      else if (message.t === 'appending') {
        // Known before its first append lands: a kill between the append and its 'sent' leaves it open.
        if (!txns.has(message.txn)) txns.set(message.txn, { producerId: message.producerId, values: [], result: null, isMarked: false })
      } else if (message.t === 'sent') {
        const txn = txns.get(message.txn) ?? { producerId: message.producerId, values: [], result: null, isMarked: false }
        txn.values.push(...message.values)
        txns.set(message.txn, txn)
      } else if (message.t === 'marking') {
        const txn = txns.get(message.txn) ?? { producerId: message.producerId, values: [], result: null, isMarked: false }
        txn.result = message.result
        txns.set(message.txn, txn)
      } else {
        txns.get(message.txn)!.isMarked = true
      }
    })
    void exited.then(() => reject(new Error(`child exited before ready: ${stderr}`)))
  })
  await ready
  await sleep(killAfterMs)
  child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')
}

describe('kill -9 mid-transaction', () => {
  it(`${CYCLES} cycles: committed transactions visible, aborted and interrupted ones never (seed ${SEED})`, async () => {
    const random = prng(SEED)
    const dir = await makeTmpDir('seglog-txn-kill-')
    const setup = await LogEngine.open({ dir, onWarning: () => {} })
    await setup.createTopic('t', { segmentBytes: 16 * 1024 })
    await setup.close()
    const txns = new Map<string, TxnModel>()
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      await runChild(dir, (random() * 0x100000000) >>> 0, cycle, randomInt(random, 50, 250), txns)
      const engine = await LogEngine.open({ dir, onWarning: () => {} })
      const log = engine.partition('t', 0)
      const open = log.openTransactions()
      // Each transaction the kill interrupted is either still open (its marker never landed) or decided.
      for (const { producerId, firstOffset } of open) {
        expect(firstOffset).toBeGreaterThanOrEqual(log.logStartOffset)
        expect(log.lastStableOffset).toBeLessThanOrEqual(firstOffset)
        const txn = [...txns.values()].find((candidate) => candidate.producerId === producerId && !candidate.isMarked)
        expect(txn, `open producer ${producerId} is one the child had not finished`).toBeDefined()
      }
      // The caller resolves what the crash left open: abort.
      for (const { producerId, producerEpoch } of open) await log.writeTxnMarker(producerId, producerEpoch, 'abort', cycle)
      const openIds = new Set(open.map((txn) => txn.producerId))
      for (const txn of txns.values()) {
        if (txn.isMarked) continue
        // Unfinished: aborted now if it was open; if its marker landed, it ended as the child meant.
        if (openIds.has(txn.producerId) || txn.result === null) txn.result = 'abort'
        txn.isMarked = true
      }
      expect(log.lastStableOffset).toBe(log.highWatermark)
      const visible = new Set<string>()
      for await (const record of log.records({ from: log.logStartOffset, isolation: 'read_committed' }))
        visible.add(record.value!.toString())
      const committed = new Set<string>()
      for (const [name, txn] of txns) {
        for (const value of txn.values)
          expect(visible.has(value), `${value} of ${name} (${txn.result}), seed ${SEED}`).toBe(txn.result === 'commit')
        if (txn.result === 'commit') for (const value of txn.values) committed.add(value)
      }
      // Nothing else: a record whose append was never acknowledged belonged to a transaction aborted above.
      for (const value of visible) expect(committed.has(value), `${value} visible, seed ${SEED}`).toBe(true)
      await engine.close()
    }
  }, 120_000)
})

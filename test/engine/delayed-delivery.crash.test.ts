import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEADER_DELAY_ID } from '../../src/engine/delay/delay-records.js'
import { assertDistBuilt, DIST_INDEX } from '../helpers/paths.js'
import { openQuietEngine } from '../helpers/engine.js'
import { spawnJsonChild } from '../helpers/json-child.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * Delayed delivery is exactly once across kill -9 (docs/delayed-delivery.md): a child sends
 * delayed records while its scheduler delivers the due ones, and is SIGKILLed at a random moment,
 * cycle after cycle (each reopen recovers, re-indexes and resumes). At the end every acknowledged
 * record has arrived exactly once, and no record arrived twice.
 *
 * SEGLOG_DELAY_CYCLES sets the number of kill cycles (default 12).
 */

const CHILD = fileURLToPath(new URL('./delay-child.mjs', import.meta.url))
const CYCLES = Number(process.env.SEGLOG_DELAY_CYCLES ?? 12)

beforeAll(() => assertDistBuilt(DIST_INDEX, ['engine', 'producer']))
afterAll(removeTmpDirs)

async function runChild(config: object, killAfterMs: number): Promise<{ acked: string[]; fatal: string | null }> {
  const acked: string[] = []
  let fatal: string | null = null
  const { exited } = spawnJsonChild<{ t: string; ids?: string[]; message?: string }>(CHILD, config, (message, child) => {
    if (message.t === 'ack') acked.push(...message.ids!)
    if (message.t === 'fatal') fatal = message.message!
    // The kill clock starts once the engine is open (opening takes long on a loaded machine).
    if (message.t === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  })
  await exited
  return { acked, fatal }
}

describe('delayed delivery across kill -9', () => {
  it(`${CYCLES} kill cycles: every acknowledged record delivered exactly once, none twice`, async () => {
    const dir = await makeTmpDir('seglog-delay-crash-')
    const acked = new Set<string>()
    let seed = 0x5eed
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      seed = (seed * 1103515245 + 12345) >>> 0
      const result = await runChild({ dir, cycle, seed, count: 400, spreadMs: 600 }, 150 + (seed % 900))
      if (result.fatal !== null) throw new Error(`cycle ${cycle}: the child failed: ${result.fatal}`)
      for (const id of result.acked) acked.add(id)
    }
    const engine = await openQuietEngine(dir)
    const scheduler = await engine.delayed()
    const deadline = Date.now() + 15_000
    while (scheduler.stats().pending > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(scheduler.stats().pending).toBe(0)
    const seen = new Map<string, number>()
    for (const log of engine.partitions('t')) {
      for await (const record of log.records({ from: log.logStartOffset })) {
        const id = record.value!.toString()
        seen.set(id, (seen.get(id) ?? 0) + 1)
        expect(record.headers.some((h) => h.key === HEADER_DELAY_ID)).toBe(true)
      }
    }
    const twice = [...seen].filter(([, count]) => count > 1).map(([id]) => id)
    const lost = [...acked].filter((id) => !seen.has(id))
    expect({ twice: twice.slice(0, 10), lost: lost.slice(0, 10) }).toEqual({ twice: [], lost: [] })
    expect(acked.size).toBeGreaterThan(CYCLES * 5)
    console.log(`delayed delivery: ${CYCLES} kill cycles, ${acked.size} acknowledged, ${seen.size} delivered, none twice`)
    await engine.close()
  }, 240_000)
})

import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEADER_ATTEMPT, HEADER_ERROR_MESSAGE } from '../../src/consumer/record-runner.js'
import { assertDistBuilt, DIST_INDEX } from '../helpers/paths.js'
import { openQuietEngine } from '../helpers/engine.js'
import { spawnJsonChild } from '../helpers/json-child.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * consumer.run is at least once across kill -9 (docs/delayed-delivery.md): a child runs a group
 * whose handler fails some records once and some always, and is SIGKILLed at random moments,
 * cycle after cycle; then the run is finished in this process. Every record that can succeed has
 * succeeded (on an attempt that matches the rule), every record that cannot is a dead letter
 * after exactly three attempts, and the duplicates at-least-once allows are counted.
 *
 * SEGLOG_RUN_CYCLES sets the number of kill cycles (default 10).
 */

const CHILD = fileURLToPath(new URL('./run-child.mjs', import.meta.url))
const CYCLES = Number(process.env.SEGLOG_RUN_CYCLES ?? 10)
const RECORDS = 300

beforeAll(() => assertDistBuilt(DIST_INDEX, ['engine', 'consumer']))
afterAll(removeTmpDirs)

interface Call {
  value: string
  attempt: number
  ok: boolean
}

async function runChild(dir: string, killAfterMs: number): Promise<{ calls: Call[]; fatal: string | null }> {
  const calls: Call[] = []
  let fatal: string | null = null
  const { exited } = spawnJsonChild<Call & { t: string; message?: string }>(CHILD, { dir }, (message, child) => {
    if (message.t === 'call') calls.push({ value: message.value, attempt: message.attempt, ok: message.ok })
    if (message.t === 'fatal') fatal = message.message!
    if (message.t === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  })
  await exited
  return { calls, fatal }
}

describe('consumer.run across kill -9', () => {
  it(`${CYCLES} kill cycles: every record handled or dead-lettered with the right attempts, at least once`, async () => {
    const dir = await makeTmpDir('seglog-run-crash-')
    const setup = await openQuietEngine(dir)
    await setup.createTopic('jobs', { partitions: 2 })
    await setup.producer().send(
      'jobs',
      Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `j${i}` })),
    )
    await setup.close()
    const calls: Call[] = []
    let seed = 0x77
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      seed = (seed * 1103515245 + 12345) >>> 0
      const result = await runChild(dir, 30 + (seed % 400))
      if (result.fatal !== null) throw new Error(`cycle ${cycle}: the child failed: ${result.fatal}`)
      calls.push(...result.calls)
    }
    // Finish the run here, with the same rule.
    const engine = await openQuietEngine(dir)
    const succeeded = new Set(calls.filter((call) => call.ok).map((call) => call.value))
    const wanted = Array.from({ length: RECORDS }, (_, i) => i).filter((i) => i % 50 !== 0)
    const consumer = await engine.consumer({ group: 'g', topics: ['jobs'] })
    const dlqCount = (): number => (engine.hasTopic('jobs.DLQ') ? engine.partitions('jobs.DLQ')[0]!.highWatermark : 0)
    const deadValues = async (): Promise<Set<string>> => {
      const values = new Set<string>()
      if (engine.hasTopic('jobs.DLQ'))
        for await (const record of engine.partitions('jobs.DLQ')[0]!.records({ from: 0 })) values.add(record.value!.toString())
      return values
    }
    const running = consumer.run(
      async (record, { attempt }) => {
        const value = record.value!.toString()
        const i = Number(value.slice(1))
        const ok = !(i % 50 === 0 || (i % 7 === 0 && attempt < 2))
        calls.push({ value, attempt, ok })
        if (!ok) throw new Error(`refused ${value}`)
        succeeded.add(value)
      },
      { retry: { maxAttempts: 3, backoffMs: 20 } },
    )
    const deadline = Date.now() + 30_000
    while ((wanted.some((i) => !succeeded.has(`j${i}`)) || (await deadValues()).size < RECORDS / 50) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    await consumer.close()
    await running
    expect(wanted.filter((i) => !succeeded.has(`j${i}`))).toEqual([])
    // The rule's attempts: a success of a record failing once came on attempt 2 or later.
    for (const call of calls.filter((c) => c.ok && Number(c.value.slice(1)) % 7 === 0)) expect(call.attempt).toBeGreaterThanOrEqual(2)
    const dead = new Map<string, string>()
    for await (const record of engine.partitions('jobs.DLQ')[0]!.records({ from: 0 })) {
      expect(record.headers.find((h) => h.key === HEADER_ATTEMPT)?.value?.toString()).toBe('3')
      dead.set(record.value!.toString(), record.headers.find((h) => h.key === HEADER_ERROR_MESSAGE)!.value!.toString())
    }
    expect([...dead.keys()].sort()).toEqual(Array.from({ length: RECORDS / 50 }, (_, n) => `j${n * 50}`).sort())
    const successes = calls.filter((call) => call.ok).length
    console.log(
      `consumer.run: ${CYCLES} kill cycles, ${calls.length} handler calls, ${successes - wanted.length} duplicate successes, ${dlqCount() - dead.size} duplicate dead letters`,
    )
    await engine.close()
  }, 180_000)
})

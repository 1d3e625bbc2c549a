import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertEngineBuilt } from '../../durability/helpers.js'
import { openQuietEngine } from '../../helpers/engine.js'
import { spawnJsonChild } from '../../helpers/json-child.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'

/**
 * A cleaning pass killed with SIGKILL before every rename it makes (docs/compaction.md, "Crash
 * safety"): while `.cleaned` files are written, between the `.cleaned` -> `.swap` renames, between
 * writing the `.swap` files and renaming the old segments `.deleted`, between those and dropping
 * the `.swap` suffix, and before the checkpoint. The child (compaction-child.mjs, the BUILT
 * engine) writes a fixed workload and cleans; this process reopens the directory and checks:
 * no leftover temporary file, offsets increasing, every record as written, the latest record of
 * every key there, and a full pass afterwards leaves one record per key below its clean point.
 */

const CHILD = fileURLToPath(new URL('./compaction-child.mjs', import.meta.url))

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

type ChildMessage = { t: 'steps'; count: number } | { t: 'done' } | { t: 'fatal'; message: string }

function runChild(config: { dir: string; killAt: number | null }): Promise<{ messages: ChildMessage[]; signal: NodeJS.Signals | null }> {
  const messages: ChildMessage[] = []
  let fatal: string | null = null
  const { child, exited } = spawnJsonChild<ChildMessage>(CHILD, config, (message, running) => {
    messages.push(message)
    if (message.t === 'done') running.kill('SIGKILL')
    if (message.t === 'fatal') fatal = message.message
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  return exited.then(({ signal, stderr }) => {
    clearTimeout(timer)
    if (fatal !== null) throw new Error(fatal + stderr)
    return { messages, signal }
  })
}

/** The child's workload (compaction-child.mjs), by offset. */
function workload(): { offset: number; key: string; value: string | null; timestamp: number }[] {
  return Array.from({ length: 400 }, (_, slot) => ({
    offset: slot,
    // Every 25th key is written once, so losing any segment loses a live key.
    key: slot % 25 === 0 ? `u${slot}` : `k${(slot * 7) % 12}`,
    value: slot % 7 === 3 ? null : `v${slot}`,
    timestamp: 1_700_000_000_000 + slot,
  }))
}

async function checkDirectory(dir: string): Promise<void> {
  const engine = await openQuietEngine(dir, { tickMs: 60_000, cleaner: { enabled: false } })
  try {
    const partitionDir = path.join(dir, 'kv-0')
    expect(fs.readdirSync(partitionDir).filter((name) => /\.(cleaned|swap|deleted)$/.test(name))).toEqual([])
    const log = engine.partition('kv', 0)
    const expected = workload()
    const read = async (): Promise<{ offset: number; key: string; value: string | null; timestamp: number }[]> => {
      const records = []
      for await (const record of log.records({ from: log.logStartOffset })) {
        records.push({
          offset: record.offset,
          key: record.key!.toString(),
          value: record.value?.toString() ?? null,
          timestamp: record.timestamp,
        })
      }
      return records
    }
    const stored = await read()
    for (let slot = 0; slot < stored.length; slot++) {
      if (slot > 0) expect(stored[slot]!.offset).toBeGreaterThan(stored[slot - 1]!.offset)
      expect(stored[slot]).toEqual(expected[stored[slot]!.offset])
    }
    const latest = new Map(expected.map((record) => [record.key, record.offset]))
    for (const offset of latest.values()) expect(stored.some((record) => record.offset === offset)).toBe(true)
    expect(log.logEndOffset).toBe(400)
    // The directory cleans on: one record per key below the clean point afterwards.
    const [result] = await engine.cleaner.cleanNow({ ignoreDirtyRatio: true })
    const after = await read()
    const cleanPoint = result?.firstDirtyOffset ?? 0
    const keysBelow = after.filter((record) => record.offset < cleanPoint).map((record) => record.key)
    expect(new Set(keysBelow).size).toBe(keysBelow.length)
  } finally {
    await engine.close()
  }
}

describe('compaction under kill -9', () => {
  it('opens to a consistent log wherever the pass was killed', async () => {
    const full = await runChild({ dir: await makeTmpDir(), killAt: null })
    const steps = full.messages.find((message) => message.t === 'steps') as { count: number } | undefined
    expect(steps?.count).toBeGreaterThan(8)
    const stride = Math.max(1, Math.floor(steps!.count / 8))
    for (let killAt = 1; killAt <= steps!.count; killAt += killAt < 10 ? 1 : stride) {
      const dir = await makeTmpDir()
      const run = await runChild({ dir, killAt })
      expect(run.signal, `kill at rename ${killAt}`).toBe('SIGKILL')
      expect(run.messages.some((message) => message.t === 'done')).toBe(false)
      await checkDirectory(dir)
    }
  }, 180_000)
})

import { fork } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DecodedRecord } from '../../src/record/record.js'
import { assertEngineBuilt, pickSeed, prng, randomInt, sleep } from '../durability/helpers.js'
import { openQuietEngine } from '../helpers/engine.js'
import { keyIndexFileEntries, scannedKeyIndexEntries } from '../helpers/key-index-files.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * kill -9 while keyed records are appended (the index follows the appends and each roll writes a
 * `.keyindex` in the background) and, every other cycle, looked up through the key index (child
 * key-index-child.mjs), several cycles on one directory. After each kill the parent reopens the
 * directory (recovery) and checks, before any lookup, that every `.keyindex` of a closed segment
 * holds exactly what a scan of that segment gives (a file the kill cut short was rebuilt or
 * removed); then that lookups of every key equal a brute-force scan of what survived, and that no
 * `.keyindex` file is left without its `.log`. SEGLOG_CRASH_SEED replays a run.
 */

const CYCLES = 6
const SEED = pickSeed()
const CHILD = fileURLToPath(new URL('./key-index-child.mjs', import.meta.url))
const KEYS = Array.from({ length: 12 }, (_, slot) => Buffer.from(`k-${slot}`))

beforeAll(() => assertEngineBuilt())
afterAll(removeTmpDirs)

async function runAndKill(dir: string, seed: number, lookups: boolean, killAfterMs: number): Promise<void> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = fork(CHILD, [JSON.stringify({ dir, seed, lookups })], { execArgv: [], env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { t: string }) => message.t === 'ready' && resolve())
    child.once('exit', () => reject(new Error(`child exited before ready: ${stderr}`)))
  })
  await sleep(killAfterMs)
  child.kill('SIGKILL')
  expect(await exited, stderr).toBe('SIGKILL')
}

describe('key index under kill -9', () => {
  it(`lookups equal brute force after every crash (seed ${SEED})`, async () => {
    const random = prng(SEED)
    const dir = await makeTmpDir()
    let filesLeftByChild = 0
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await runAndKill(dir, SEED + cycle, cycle % 2 === 1, randomInt(random, 150, 600))
      filesLeftByChild += fs.readdirSync(path.join(dir, 't-0')).filter((file) => file.endsWith('.keyindex')).length
      const engine = await openQuietEngine(dir)
      try {
        const log = engine.partition('t', 0)
        const segments = log.segmentList
        for (let slot = 0; slot < segments.length - 1; slot++) {
          const base = segments[slot]!.baseOffset
          const file = path.join(dir, 't-0', `${String(base).padStart(20, '0')}.keyindex`)
          if (!fs.existsSync(file)) continue
          const { covered, entries } = keyIndexFileEntries(file)
          expect(covered, `cycle ${cycle} ${file}`).toBe(segments[slot + 1]!.baseOffset - base)
          expect(entries, `cycle ${cycle} ${file}`).toEqual(await scannedKeyIndexEntries(log, base, segments[slot + 1]!.baseOffset))
        }
        const all: DecodedRecord[] = []
        for await (const record of log.records({ from: log.logStartOffset })) all.push(record)
        expect(all.length).toBeGreaterThan(0)
        for (const key of KEYS) {
          const expected = all
            .filter((record) => record.key!.equals(key))
            .map((record) => record.offset)
            .reverse()
          expect(
            (await log.lookupKey(key)).map((record) => record.offset),
            `cycle ${cycle} key ${key}`,
          ).toEqual(expected)
        }
        const names = fs.readdirSync(path.join(dir, 't-0'))
        for (const name of names.filter((file) => file.endsWith('.keyindex'))) expect(names).toContain(name.replace('.keyindex', '.log'))
      } finally {
        await engine.close()
      }
    }
    // The recovered directories held key index files the child wrote: they were read, checked, used.
    expect(filesLeftByChild).toBeGreaterThan(0)
  })
})

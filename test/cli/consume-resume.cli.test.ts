import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, CLI_PATH, outputLines, runCli, runShell } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { sleep, spawnCli, waitUntil, wholeLines, type CliChild } from './cli-child.js'

/**
 * `seglog consume --group` stopped in every way but its natural end (SIGKILL, a reader that
 * closes the pipe) and run again: at-least-once delivery, so the second run starts at or before
 * the first record the first run had not written to stdout, and never skips one. Each value is
 * its offset, zero-padded, so a line says where it came from.
 */

beforeAll(assertCliBuilt)
const children: CliChild[] = []
afterEach(async () => {
  for (const child of children.splice(0)) child.process.kill('SIGKILL')
  await removeTmpDirs()
})

/** Far more output than a pipe and the stream buffers hold (~60 KiB each). */
const RECORDS = 60_000

function valueOf(offset: number): string {
  return String(offset).padStart(8, '0') + '.'.repeat(92)
}

/** A data directory with topic `big`: one partition, RECORDS records of 100 bytes. */
async function bigTopic(): Promise<string> {
  const dir = path.join(await makeTmpDir('seglog-cli-resume-'), 'data')
  const engine = await openQuietEngine(dir)
  try {
    await engine.createTopic('big', { partitions: 1 })
    const log = engine.partition('big', 0)
    for (let first = 0; first < RECORDS; first += 1000) {
      await log.appendRecords(
        Array.from({ length: 1000 }, (_, slot) => ({ value: Buffer.from(valueOf(first + slot)) })),
        { compression: 'lz4' },
      )
    }
  } finally {
    await engine.close()
  }
  return dir
}

const ALL = Array.from({ length: RECORDS }, (_, offset) => valueOf(offset))

/** Runs `consume --group g` to its end and returns the offset it started at and what it printed. */
async function resume(dir: string): Promise<{ start: number; lines: string[] }> {
  const result = await runCli(['consume', dir, '--topic', 'big', '--group', 'g'], { timeoutMs: 60_000 })
  expect(result.code, result.stderr).toBe(0)
  const lines = outputLines(result.stdout)
  return { start: lines.length === 0 ? RECORDS : Number(lines[0]!.slice(0, 8)), lines }
}

describe('seglog consume --group, stopped early and run again', () => {
  it('killed with SIGKILL while its reader is slow: the next run starts at or before the first record not delivered', async () => {
    const dir = await bigTopic()
    const child = spawnCli(['consume', dir, '--topic', 'big', '--group', 'g'])
    children.push(child)
    await waitUntil(() => wholeLines(child.stdout()).length >= 2000, '2000 lines from the first run')
    // The reader stops reading: the pipe fills and the child waits to write. Meanwhile it must
    // still commit, each second, what stdout did write.
    child.process.stdout.pause()
    await sleep(2500)
    child.process.kill('SIGKILL')
    child.process.stdout.resume()
    await child.exited
    // Everything the first run wrote, including what was still in the pipe when it died.
    const first = wholeLines(child.stdout())
    expect(first).toEqual(ALL.slice(0, first.length))
    expect(first.length).toBeLessThan(RECORDS)

    const second = await resume(dir)
    expect(second.start).toBeGreaterThan(0) // it committed while it ran
    expect(second.start).toBeLessThanOrEqual(first.length) // and nothing it had not written
    expect(second.lines).toEqual(ALL.slice(second.start))
  })

  it('killed with SIGKILL right after its first lines, before any commit: the next run delivers everything after what it printed', async () => {
    const dir = await bigTopic()
    const child = spawnCli(['consume', dir, '--topic', 'big', '--group', 'g'])
    children.push(child)
    await waitUntil(() => child.stdout().length > 0, 'the first output')
    child.process.kill('SIGKILL')
    await child.exited
    const first = wholeLines(child.stdout())
    expect(first).toEqual(ALL.slice(0, first.length))
    const second = await resume(dir)
    expect(second.start).toBeLessThanOrEqual(first.length)
    expect(second.lines).toEqual(ALL.slice(second.start))
  })

  it('whose reader closes the pipe: exits 0, commits what was written, and closes the directory cleanly', async () => {
    const dir = await bigTopic()
    // A reader that takes 300,000 bytes (about 3,000 lines) and goes away.
    const reader = 'let n = 0; process.stdin.on("data", (chunk) => { n += chunk.length; if (n >= 300000) process.exit(0) })'
    const script = `{ "${process.execPath}" "${CLI_PATH}" consume "${dir}" --topic big --group g; echo "seglog exit $?" >&2; } | "${process.execPath}" -e '${reader}'`
    const result = await runShell(script, { timeoutMs: 60_000 })
    expect(result.stderr).toBe('seglog exit 0\n')
    const engine = await openQuietEngine(dir)
    try {
      expect(engine.wasCleanShutdown).toBe(true)
    } finally {
      await engine.close()
    }
    const second = await resume(dir)
    expect(second.start).toBeGreaterThan(0)
    expect(second.start).toBeLessThan(RECORDS)
    expect(second.lines).toEqual(ALL.slice(second.start))
  })

  it('a group with no commit, and a run without --group, start at the earliest offset', async () => {
    const dir = await bigTopic()
    const plain = await runCli(['consume', dir, '--topic', 'big', '--max', '3'])
    expect(outputLines(plain.stdout)).toEqual(ALL.slice(0, 3))
    const second = await resume(dir)
    expect(second.start).toBe(0)
    expect(second.lines).toEqual(ALL)
  })
})

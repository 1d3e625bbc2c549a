import { spawn, type ChildProcessByStdio } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeBatch, LogEngine } from '../../src/index.js'
import { assertCliBuilt, fileStates, outputLines, REPO_ROOT, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { sleep, spawnCli, waitUntil, wholeLines, type CliChild } from './cli-child.js'

/**
 * `seglog consume` on a data directory another process owns: the owner is a child process running
 * an engine (live-owner-child.mjs) that appends while consume runs as another child. Records are
 * `v<offset>`, so every line says where it came from.
 */

beforeAll(assertCliBuilt)
const children: { kill: (signal: NodeJS.Signals) => void }[] = []
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await removeTmpDirs()
})

const TOPIC = 'live'
/** About eight one-record batches a segment: every few appends roll. */
const SEGMENT_BYTES = 600

interface Owner {
  pid: number
  /** Sends one command and waits for its answer line (`appended 40`). */
  send(command: string): Promise<string>
  exited: Promise<number | null>
}

async function startOwner(dir: string): Promise<Owner> {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'test/cli/live-owner-child.mjs'), JSON.stringify({ dir, topic: TOPIC, segmentBytes: SEGMENT_BYTES })],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  children.push({ kill: (signal) => child.kill(signal) })
  const lines: string[] = []
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop()!
    lines.push(...parts)
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  await waitUntil(() => lines.includes('ready'), 'the owner to open the engine')
  lines.length = 0
  return {
    pid: child.pid!,
    exited,
    async send(command) {
      const before = lines.length
      child.stdin.write(command + '\n')
      await waitUntil(() => lines.length > before, `the owner to answer '${command}'`)
      return lines[before]!
    },
  }
}

function values(from: number, to: number, prefix = 'v'): string[] {
  return Array.from({ length: to - from }, (_, step) => `${prefix}${from + step}`)
}

function follow(dir: string, args: readonly string[] = []): CliChild {
  const child = spawnCli(['consume', dir, '--topic', TOPIC, '--follow', ...args])
  children.push({ kill: (signal) => child.process.kill(signal) })
  return child
}

async function stopped(child: CliChild): Promise<number | null> {
  child.process.kill('SIGINT')
  return (await child.exited).code
}

function segmentCount(dir: string): number {
  return fs.readdirSync(path.join(dir, `${TOPIC}-0`)).filter((name) => name.endsWith('.log')).length
}

describe('seglog consume on a directory another process owns', () => {
  it("follows the owner's appends across segment rolls: every record once, in order, and one line saying it reads read-only", async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    const owner = await startOwner(dir)
    await owner.send('append 20')
    const reader = follow(dir)
    await waitUntil(() => wholeLines(reader.stdout()).length >= 20, 'the first records')
    expect(await owner.send('stream 150 2')).toBe('streaming')
    await waitUntil(() => wholeLines(reader.stdout()).length >= 170, 'the streamed records')
    await sleep(300)
    expect(wholeLines(reader.stdout())).toEqual(values(0, 170))
    expect(segmentCount(dir)).toBeGreaterThan(15)
    expect(await stopped(reader)).toBe(0)
    expect(outputLines(reader.stderr())).toEqual([expect.stringMatching(new RegExp(`\\b${owner.pid}\\b.*read-only`))])
  })

  it('continues at the earliest segment still there when retention deletes segments under it, with one warning line', async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    const owner = await startOwner(dir)
    await owner.send('append 40')
    const reader = follow(dir)
    await waitUntil(() => wholeLines(reader.stdout()).length >= 40, 'the first records')
    // Held still while the owner appends and deletes the segments it is in and after.
    reader.process.kill('SIGSTOP')
    await owner.send('append 40')
    const start = Number((await owner.send('drop 70')).split(' ')[1])
    expect(start).toBe(70)
    const earliest = Math.min(
      ...fs
        .readdirSync(path.join(dir, `${TOPIC}-0`))
        .filter((name) => name.endsWith('.log'))
        .map((name) => Number(name.slice(0, 20))),
    )
    expect(earliest).toBeGreaterThan(40)
    reader.process.kill('SIGCONT')
    await waitUntil(() => wholeLines(reader.stdout()).at(-1) === 'v79', 'the records after the deleted ones')
    await owner.send('append 5')
    await waitUntil(() => wholeLines(reader.stdout()).at(-1) === 'v84', 'records appended after the reset')
    expect(wholeLines(reader.stdout())).toEqual([...values(0, 40), ...values(earliest, 85)])
    expect(await stopped(reader)).toBe(0)
    const stderr = outputLines(reader.stderr())
    expect(stderr).toHaveLength(2)
    expect(stderr[1]).toMatch(new RegExp(`\\b40\\.\\.${earliest - 1}\\b`))
  })

  it('exits 1 with one line when the topic is deleted while it follows', async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    const owner = await startOwner(dir)
    await owner.send('append 12')
    const reader = follow(dir)
    await waitUntil(() => wholeLines(reader.stdout()).length >= 12, 'the records')
    await owner.send('delete')
    const { code } = await reader.exited
    expect(code).toBe(1)
    expect(wholeLines(reader.stdout())).toEqual(values(0, 12))
    const stderr = outputLines(reader.stderr())
    expect(stderr).toHaveLength(2)
    expect(stderr[1]).toMatch(/^seglog: .*live-0/)
    expect(reader.stderr()).not.toMatch(/\n\s+at /)
  })

  it('refuses --group with exit 2: commits need the owner', async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    const owner = await startOwner(dir)
    await owner.send('append 3')
    const result = await runCli(['consume', dir, '--topic', TOPIC, '--group', 'billing'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(outputLines(result.stderr)[0]).toMatch(/seglog serve.*billing/)
    expect(result.stderr).not.toMatch(/read-only/)
  })

  it('starts at --offset, --timestamp, --from latest; stops at the end without --follow and after --max', async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    const owner = await startOwner(dir)
    await owner.send('append 30')
    const lines = async (args: string[]): Promise<string[]> => {
      const result = await runCli(['consume', dir, '--topic', TOPIC, ...args])
      expect(result.code, result.stderr).toBe(0)
      return outputLines(result.stdout)
    }
    expect(await lines([])).toEqual(values(0, 30))
    expect(await lines(['--partition', '0', '--offset', '25'])).toEqual(values(25, 30))
    expect(await lines(['--timestamp', String(1_700_000_000_000 + 17)])).toEqual(values(17, 30))
    expect(await lines(['--max', '4', '--offset', '9', '--partition', '0'])).toEqual(values(9, 13))
    expect(await lines(['--from', 'latest'])).toEqual([])
    const outside = await runCli(['consume', dir, '--topic', TOPIC, '--partition', '0', '--offset', '31'])
    expect(outside.code).toBe(2)

    const latest = follow(dir, ['--from', 'latest'])
    await waitUntil(() => latest.stderr().includes('read-only'), 'the reader to start')
    await sleep(300)
    await owner.send('append 3 w')
    await waitUntil(() => wholeLines(latest.stdout()).length >= 3, 'the new records')
    expect(await stopped(latest)).toBe(0)
    expect(wholeLines(latest.stdout())).toEqual(values(30, 33, 'w'))
  })

  it('creates, changes and removes no file of the directory', async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    const owner = await startOwner(dir)
    await owner.send('append 30')
    // The owner goes idle (no interval flushes or checkpoints within the test) once the background
    // flushes of the segments its appends rolled have ended: wait for the files to settle.
    let before = fileStates(dir)
    for (let settled = 0; settled < 3;) {
      await sleep(150)
      const now = fileStates(dir)
      settled = JSON.stringify(now) === JSON.stringify(before) ? settled + 1 : 0
      before = now
    }
    expect(outputLines((await runCli(['consume', dir, '--topic', TOPIC])).stdout)).toHaveLength(30)
    const reader = follow(dir, ['--timestamp', '0'])
    await waitUntil(() => wholeLines(reader.stdout()).length >= 30, 'the records')
    await sleep(400)
    expect(await stopped(reader)).toBe(0)
    expect(fileStates(dir)).toEqual(before)
    void owner
  })
})

describe('a write in progress', () => {
  it('never prints a partial batch at the end of the active segment nor calls it damage; prints it once whole', async () => {
    const dir = path.join(await makeTmpDir(), 'data')
    // The owner is this process: it holds the lock while the test writes a batch in two halves.
    const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined })
    try {
      await engine.createTopic(TOPIC, { partitions: 1, retentionMs: -1 })
      await engine.partition(TOPIC, 0).appendRecords([{ value: Buffer.from('v0') }])
      const reader = follow(dir)
      await waitUntil(() => wholeLines(reader.stdout()).length >= 1, 'the first record')
      const batch = encodeBatch([{ value: Buffer.from('v1'), timestamp: 1_700_000_000_001 }], { baseOffset: 1 })
      const file = path.join(dir, `${TOPIC}-0`, '00000000000000000000.log')
      fs.appendFileSync(file, batch.subarray(0, 40))
      await sleep(1500)
      expect(wholeLines(reader.stdout())).toEqual(['v0'])
      fs.appendFileSync(file, batch.subarray(40))
      await waitUntil(() => wholeLines(reader.stdout()).length >= 2, 'the batch once whole')
      expect(await stopped(reader)).toBe(0)
      expect(wholeLines(reader.stdout())).toEqual(['v0', 'v1'])
      expect(outputLines(reader.stderr())).toHaveLength(1)
    } finally {
      await engine.close()
    }
  })
})

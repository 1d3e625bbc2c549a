import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../src/engine/checkpoint-file.js'
import { LogEngine, TOPICS_FILE } from '../../src/engine/log-engine.js'
import { SeglogError } from '../../src/errors.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'

/**
 * A createTopic that fails part way leaves nothing behind: no topic in memory (a retry works and is
 * not told "already exists"), none in topics.json (not even after the next successful create
 * rewrites it), no partition directory, no checkpoint entry. Tested with a failing file-system
 * call at every step of a create (in process), and with a real full file system: a tmpfs out of
 * space and one out of inodes (needs root to mount; skipped with the reason otherwise).
 */

afterEach(async () => {
  vi.restoreAllMocks()
  await removeTmpDirs()
})

const T = 1_700_000_000_000

/** Nothing of topic `name` anywhere: memory, topics.json, directories, checkpoints. */
function expectNoTrace(engine: LogEngine, dir: string, name: string, where: string): void {
  expect(engine.hasTopic(name), where).toBe(false)
  expect(
    engine.listTopics().map((topic) => topic.name),
    where,
  ).not.toContain(name)
  expect(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, TOPICS_FILE), 'utf8')).topics), where).not.toContain(name)
  expect(
    fs.readdirSync(dir).filter((entry) => entry.startsWith(`${name}-`)),
    where,
  ).toEqual([])
  for (const file of [RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT]) {
    const text = fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), 'utf8') : ''
    expect(
      text.split('\n').filter((line) => line.startsWith(`${name} `)),
      `${where}: ${file}`,
    ).toEqual([])
  }
}

/** Creates `name` for real now and uses it: the earlier failure left nothing in the way. */
async function expectCreatable(engine: LogEngine, name: string, partitions: number, where: string): Promise<void> {
  const created = await engine.createTopic(name, { partitions })
  expect(created.partitions, where).toBe(partitions)
  const log = engine.partition(name, partitions - 1)
  await log.appendRecords([{ value: Buffer.from('after'), timestamp: T }])
  const values: string[] = []
  for await (const record of log.records({ from: 0 })) values.push(record.value!.toString())
  expect(values, where).toEqual(['after'])
}

type FsMethod = 'mkdirSync' | 'openSync' | 'writeFileSync' | 'writeSync' | 'fsyncSync' | 'renameSync' | 'rmSync' | 'unlinkSync'
const FAILABLE: FsMethod[] = ['mkdirSync', 'openSync', 'writeFileSync', 'writeSync', 'fsyncSync', 'renameSync', 'rmSync', 'unlinkSync']

/**
 * Counts the file-system calls `run` makes (opens for writing only), failing the `failAt`-th with
 * ENOSPC; returns how many there were.
 */
async function withFailingCall(failAt: number, run: () => Promise<unknown>): Promise<number> {
  let calls = 0
  const spies = FAILABLE.map((method) => {
    const original = fs[method] as (...args: unknown[]) => unknown
    return vi.spyOn(fs, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
      const counts = method !== 'openSync' || (typeof args[1] === 'string' && /[wa+]/.test(args[1]))
      if (counts && ++calls === failAt)
        throw Object.assign(new Error(`ENOSPC: no space left on device, ${method}`), { code: 'ENOSPC', errno: -28, syscall: method })
      return original.apply(this, args)
    } as never)
  })
  try {
    await run().catch(() => undefined)
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
  return calls
}

describe('createTopic with a failing file-system call at every step', () => {
  it('fails with a SeglogError and leaves nothing; the next create of another topic does not write it; a retry works', async () => {
    // A name that existed before, so its old checkpoint entries are in play too.
    const setup = async (dir: string): Promise<LogEngine> => {
      const engine = await openQuietEngine(dir)
      await engine.createTopic('t', { partitions: 3 })
      await engine.partition('t', 0).appendRecords(Array.from({ length: 10 }, () => ({ value: Buffer.from('old'), timestamp: T })))
      await engine.deleteRecordsBefore('t', 0, 5)
      await engine.flush()
      await engine.deleteTopic('t')
      return engine
    }
    const probeDir = await makeTmpDir('seglog-create-fault-')
    const probe = await setup(probeDir)
    const steps = await withFailingCall(0, () => probe.createTopic('t', { partitions: 3 }))
    expect(probe.hasTopic('t')).toBe(true)
    await probe.close()
    expect(steps).toBeGreaterThan(10)

    for (let failAt = 1; failAt <= steps; failAt++) {
      const where = `failing call ${failAt} of ${steps}`
      const dir = await makeTmpDir('seglog-create-fault-')
      const engine = await setup(dir)
      try {
        let error: unknown
        await withFailingCall(failAt, () => engine.createTopic('t', { partitions: 3 }).catch((caught: unknown) => (error = caught)))
        if (error === undefined) {
          // The failing call was in a clean-up that may fail (nothing depends on it): the topic exists.
          expect(engine.hasTopic('t'), where).toBe(true)
          continue
        }
        expect(error, where).toBeInstanceOf(SeglogError)
        expectNoTrace(engine, dir, 't', where)
        await engine.createTopic('other')
        expectNoTrace(engine, dir, 't', `${where}, after another create`)
        await expectCreatable(engine, 't', 3, where)
      } finally {
        await engine.close()
      }
      const reopened = await openQuietEngine(dir)
      expect(
        reopened.partitions('t').map((log) => log.logEndOffset),
        where,
      ).toEqual([0, 0, 1])
      expect(reopened.hasTopic('other'), where).toBe(true)
      await reopened.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.error !== undefined) return { ok: false, output: result.error.message }
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() }
}

/** Mounts a tmpfs with `options` on `dir`; returns why it could not, or null. */
function mountTmpfs(dir: string, options: string): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CAP_SYS_ADMIN); not root here'
  const result = run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir])
  return result.ok ? null : `mount -t tmpfs failed (${result.output}); this machine does not allow it`
}

function unmount(dir: string): void {
  if (!run('umount', [dir]).ok) run('umount', ['-l', dir])
}

/** Fills what is left of the file system with files of `bytes` each (0: use up inodes); returns their paths. */
function fillUp(dir: string, bytes: number): string[] {
  const fillers: string[] = []
  const chunk = Buffer.alloc(bytes, 1)
  for (let slot = 0; slot < 100_000; slot++) {
    const file = path.join(dir, `filler-${slot}`)
    try {
      fs.writeFileSync(file, chunk)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      fs.rmSync(file, { force: true })
      return fillers
    }
    fillers.push(file)
  }
  throw new Error(`${dir} never filled up`)
}

describe('createTopic on a real, full file system', () => {
  const cases = [
    { what: 'out of space', mount: 'size=1m', fillerBytes: 4096, keepFree: 0 },
    // Room for about one partition (a directory and its files), not for four.
    { what: 'out of inodes', mount: 'size=8m,nr_inodes=400', fillerBytes: 0, keepFree: 7 },
  ]
  for (const { what, mount, fillerBytes, keepFree } of cases) {
    it(`${what}: the failed create leaves nothing, and works once there is room`, async (context) => {
      const root = await makeTmpDir('seglog-create-full-')
      const skipReason = mountTmpfs(root, mount)
      if (skipReason !== null) context.skip(skipReason)
      try {
        const dir = path.join(root, 'data')
        const engine = await openQuietEngine(dir)
        try {
          await engine.createTopic('kept')
          const fillers = fillUp(root, fillerBytes)
          for (const file of fillers.splice(0, keepFree)) fs.rmSync(file)
          const error = await rejection(engine.createTopic('t', { partitions: 4 }))
          expect(error.code).toBe('IO_FAILED')
          expect((error as { errno?: string }).errno).toBe('ENOSPC')
          expectNoTrace(engine, dir, 't', what)
          expect((await rejection(engine.createTopic('t', { partitions: 4 }))).code, 'still full').toBe('IO_FAILED')
          expectNoTrace(engine, dir, 't', `${what}, second try`)
          for (const file of fillers) fs.rmSync(file)
          await expectCreatable(engine, 't', 4, what)
        } finally {
          await engine.close()
        }
        const reopened = await openQuietEngine(dir)
        expect(reopened.partitions('t')).toHaveLength(4)
        expect(reopened.hasTopic('kept')).toBe(true)
        await reopened.close()
      } finally {
        unmount(root)
      }
    })
  }
})

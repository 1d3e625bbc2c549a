import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CLEAN_SHUTDOWN_FILE, LogEngine } from '../../src/engine/log-engine.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { caught, readAll, TOPIC, type BuiltRecord } from './fixtures.js'
import { assertEngineBuilt, decodeValue, WRITER_CHILD } from './helpers.js'

/**
 * Real I/O faults (docs/testing.md T9, T10):
 * - ENOSPC from a 2 MiB tmpfs filled by appends;
 * - a real fsync failure from an ext4 image whose backing tmpfs is too small (writes land in the
 *   page cache, writeback fails, fsync reports it: the fsyncgate case);
 * - an fdatasync failure injected into a child process with strace.
 * Each needs root (mount) or strace; without them the test is skipped with the reason, not failed.
 */

afterEach(removeTmpDirs)
beforeAll(() => assertEngineBuilt())

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.error !== undefined) return { ok: false, output: result.error.message }
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() }
}

/** Mounts a tmpfs of `size` on `dir`; returns why it could not, or null. */
function mountTmpfs(dir: string, size: string): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CAP_SYS_ADMIN); not root here'
  const result = run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  return result.ok ? null : `mount -t tmpfs failed (${result.output}); this machine does not allow it`
}

function unmount(dir: string): void {
  const result = run('umount', [dir])
  if (!result.ok) run('umount', ['-l', dir])
}

async function openOn(dir: string, flush: 'sync' | 'os' = 'sync'): Promise<{ engine: LogEngine; warnings: string[] }> {
  const warnings: string[] = []
  const engine = await LogEngine.open({ dir, flush, onWarning: (message) => warnings.push(message) })
  return { engine, warnings }
}

function expectSameRecords(actual: readonly BuiltRecord[], expected: readonly BuiltRecord[]): void {
  expect(actual.map((record) => record.offset)).toEqual(expected.map((record) => record.offset))
  for (let slot = 0; slot < expected.length; slot++)
    expect(actual[slot]!.value.equals(expected[slot]!.value), `offset ${expected[slot]!.offset}`).toBe(true)
}

describe('ENOSPC on a real, full file system (T9)', () => {
  it('fails the append with IO_FAILED/ENOSPC, leaves no partial batch, and appends resume once space is freed', async (context) => {
    const dir = await makeTmpDir('seglog-enospc-')
    const skipReason = mountTmpfs(dir, '2m')
    if (skipReason !== null) context.skip(skipReason)
    try {
      // Fillers first, so space can be given back later.
      fs.writeFileSync(path.join(dir, 'filler-a'), randomBytes(256 * 1024))
      fs.writeFileSync(path.join(dir, 'filler-b'), randomBytes(512 * 1024))
      const data = path.join(dir, 'data')
      const { engine } = await openOn(data)
      let log: PartitionLog
      const acked: BuiltRecord[] = []
      const append = async (bytes: number): Promise<void> => {
        const value = randomBytes(bytes)
        const info = await log.appendRecords([{ value, timestamp: 1_700_000_000_000 }])
        acked.push({ offset: info.baseOffset, timestamp: 1_700_000_000_000, value })
      }
      /** An append that must fail with ENOSPC and leave the log exactly as it was. */
      const expectEnospc = async (bytes: number): Promise<void> => {
        const endBefore = log.logEndOffset
        const file = log.segmentList.at(-1)!.paths.log
        const sizeBefore = fs.statSync(file).size
        const error = await caught(() => append(bytes))
        expect(error.code, error.message).toBe('IO_FAILED')
        expect(error.errno).toBe('ENOSPC')
        expect(error.message).toContain('ENOSPC')
        expect(log.logEndOffset).toBe(endBefore)
        expect(log.hasFailed).toBe(false)
        expect(fs.statSync(file).size).toBe(sizeBefore)
        expectSameRecords(await readAll(log), acked)
      }
      try {
        await engine.createTopic(TOPIC, { segmentBytes: 16 * 1024 * 1024 })
        log = engine.partition(TOPIC, 0)
        // Fill the file system with 64 KiB appends until one fails.
        let failure: unknown = null
        for (let round = 0; round < 100 && failure === null; round++) {
          const endBefore = log.logEndOffset
          failure = await append(64 * 1024).then(
            () => null,
            (error: unknown) => error,
          )
          if (failure !== null) expect(log.logEndOffset).toBe(endBefore)
        }
        expect(failure, 'the tmpfs never filled up').not.toBeNull()
        expect((failure as { errno?: string }).errno).toBe('ENOSPC')
        await expectEnospc(64 * 1024)

        // 256 KiB free: a 400 KiB batch gets a short write, then ENOSPC; it must be cut back.
        fs.rmSync(path.join(dir, 'filler-a'))
        await expectEnospc(400 * 1024)
        await append(64 * 1024)
        expectSameRecords(await readAll(log), acked)

        // More space: the large batch now goes through.
        fs.rmSync(path.join(dir, 'filler-b'))
        await append(400 * 1024)
        expectSameRecords(await readAll(log), acked)
      } finally {
        await engine.close()
      }
      const reopened = await openOn(data)
      try {
        expect(reopened.engine.wasCleanShutdown).toBe(true)
        expectSameRecords(await readAll(reopened.engine.partition(TOPIC, 0)), acked)
      } finally {
        await reopened.engine.close()
      }
    } finally {
      unmount(dir)
    }
  })
})

describe('a real fsync failure: ext4 on a tmpfs that is too small (T10, fsyncgate)', () => {
  it('rejects the waiting appends, stops taking writes, never acks the lost data, and recovers on reopen', async (context) => {
    const root = await makeTmpDir('seglog-ext4-')
    const backing = path.join(root, 'backing')
    const mountPoint = path.join(root, 'fs')
    fs.mkdirSync(backing)
    fs.mkdirSync(mountPoint)
    const skipReason = mountTmpfs(backing, '8m')
    if (skipReason !== null) context.skip(skipReason)
    let mounted = false
    try {
      const image = path.join(backing, 'ext4.img')
      fs.writeFileSync(image, '')
      fs.truncateSync(image, 64 * 1024 * 1024)
      const mkfs = run('mkfs.ext4', ['-q', '-F', image])
      if (!mkfs.ok) context.skip(`mkfs.ext4 is unavailable or failed (${mkfs.output}); install e2fsprogs to run this test`)
      const mount = run('mount', ['-o', 'loop', image, mountPoint])
      if (!mount.ok) context.skip(`mounting an ext4 image on a loop device failed (${mount.output})`)
      mounted = true
      const data = path.join(mountPoint, 'data')

      const { engine } = await openOn(data)
      const durable: BuiltRecord[] = []
      let lateValues: Buffer[] = []
      try {
        await engine.createTopic(TOPIC, { segmentBytes: 64 * 1024 * 1024 })
        const log = engine.partition(TOPIC, 0)
        for (let round = 0; round < 5; round++) {
          const value = Buffer.from(`durable ${round}`)
          const info = await log.appendRecords([{ value, timestamp: 1_700_000_000_000 }])
          expect(log.recoveryPoint).toBeGreaterThan(info.lastOffset)
          durable.push({ offset: info.baseOffset, timestamp: 1_700_000_000_000, value })
        }
        // 10 MiB into the page cache of a file system that has 8 MiB of real space: the write
        // succeeds, the fsync that follows cannot. Small appends wait in the same group commit.
        const big = log.appendRecords([{ value: randomBytes(10 * 1024 * 1024) }])
        const small = [0, 1, 2].map((slot) => log.appendRecords([{ value: Buffer.from(`waiting ${slot}`) }]))
        const outcomes = await Promise.allSettled([big, ...small])
        for (const outcome of outcomes) expect(outcome.status, 'no append may be acknowledged after a failed fsync').toBe('rejected')
        const errors = outcomes.map(
          (outcome) => (outcome as PromiseRejectedResult).reason as Error & { code: string; cause?: { code?: string; errno?: string } },
        )
        const fsyncFailure = errors.find((error) => error.code === 'LOG_CLOSED')
        expect(fsyncFailure, errors.map((error) => error.message).join('\n')).toBeDefined()
        // EIO or ENOSPC from the fsync; EROFS if background writeback failed first and the journal
        // abort made the write itself fail (then the file could not be cut back either).
        expect(['EIO', 'ENOSPC', 'EROFS']).toContain(fsyncFailure!.cause?.errno)
        expect(log.hasFailed).toBe(true)
        expect(log.recoveryPoint).toBe(durable.length)
        // Fail-stop: later appends are refused without being written, and flush() does not retry.
        lateValues = [0, 1].map((slot) => Buffer.from(`late ${slot}`))
        for (const value of lateValues) expect((await caught(() => log.appendRecords([{ value }]))).code).toBe('LOG_CLOSED')
        expect((await caught(() => log.flush())).code).toBe('LOG_CLOSED')
        // Still readable up to what was durable.
        expectSameRecords(await readAll(log), durable)
      } finally {
        // The journal aborted, the file system is read-only now: close may fail to write its
        // checkpoints, but it must settle and release the lock.
        await engine.close().catch((error: unknown) => expect((error as { code?: string }).code).toBe('IO_FAILED'))
      }
      expect(fs.existsSync(path.join(data, CLEAN_SHUTDOWN_FILE))).toBe(false)

      // "Reboot": unmount, give the backing store room, repair, mount again, reopen.
      const umount = run('umount', [mountPoint])
      expect(umount.ok, umount.output).toBe(true)
      mounted = false
      expect(run('mount', ['-o', 'remount,size=128m', backing]).ok).toBe(true)
      run('e2fsck', ['-f', '-y', image])
      expect(run('mount', ['-o', 'loop', image, mountPoint]).ok).toBe(true)
      mounted = true
      const reopened = await openOn(data)
      try {
        expect(reopened.engine.wasCleanShutdown).toBe(false)
        const records = await readAll(reopened.engine.partition(TOPIC, 0))
        expectSameRecords(records.slice(0, durable.length), durable)
        // What follows (if anything survived) is whole batches of the failed appends, never a late one.
        for (const record of records.slice(durable.length)) expect(lateValues.some((value) => value.equals(record.value))).toBe(false)
        const info = await reopened.engine.partition(TOPIC, 0).appendRecords([{ value: Buffer.from('after repair') }])
        expect(info.baseOffset).toBe(records.length)
      } finally {
        await reopened.engine.close()
      }
    } finally {
      if (mounted) unmount(mountPoint)
      unmount(backing)
    }
  }, 60_000)
})

describe('an injected fdatasync EIO in a child process (strace)', () => {
  it('rejects the append whose fsync failed, refuses every later one, writes no clean marker, and reopens with every ack', async (context) => {
    const probe = run('strace', ['-V'])
    if (!probe.ok) context.skip('strace is not installed (apt-get install strace to run this test)')
    const dir = await makeTmpDir('seglog-strace-')
    const setup = await LogEngine.open({ dir, onWarning: () => {} })
    await setup.createTopic(TOPIC)
    await setup.close()
    // The 6th fdatasync fails, and every one after it. One libuv thread makes the count exact.
    const failFrom = 6
    const config = { dir, topic: TOPIC, scenario: 'fsync-fault', seed: 42, cycle: 1 }
    const child = spawn(
      'strace',
      [
        '-f',
        '-qq',
        '-o',
        '/dev/null',
        '-e',
        'trace=fdatasync',
        '-e',
        `inject=fdatasync:error=EIO:when=${failFrom}+`,
        process.execPath,
        WRITER_CHILD,
        JSON.stringify(config),
      ],
      {
        env: { ...process.env, UV_THREADPOOL_SIZE: '1', NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const messages = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown> & { t: string })
    if (!messages.some((message) => message.t === 'ready') && /ptrace|Operation not permitted/i.test(stderr))
      context.skip(`strace cannot trace processes here: ${stderr.trim()}`)
    expect(code, `${stdout}\n${stderr}`).toBe(0)

    const acks = messages.filter((message) => message.t === 'ack') as unknown as { base: number; hashes: string[] }[]
    expect(acks.length).toBe(failFrom - 1)
    const failed = messages.find((message) => message.t === 'append-failed')
    expect(failed).toMatchObject({ code: 'LOG_CLOSED', causeCode: 'IO_FAILED', causeErrno: 'EIO' })
    const later = messages.find((message) => message.t === 'later') as unknown as {
      results: { ok: boolean; code: string; hash: string }[]
      hasFailed: boolean
    }
    expect(later.hasFailed).toBe(true)
    for (const result of later.results) expect(result).toMatchObject({ ok: false, code: 'LOG_CLOSED' })
    expect(messages.find((message) => message.t === 'flush-after-failure')).toMatchObject({ ok: false, code: 'LOG_CLOSED' })
    const closed = messages.find((message) => message.t === 'closed') as
      { closeError: { code: string } | null; cleanMarker: boolean } | undefined
    expect(closed?.cleanMarker).toBe(false)
    if (closed?.closeError != null) expect(closed.closeError.code).toBe('IO_FAILED')

    const { engine, warnings } = await openOn(dir)
    try {
      expect(engine.wasCleanShutdown).toBe(false)
      const records = await readAll(engine.partition(TOPIC, 0))
      const ackedHashes = acks.flatMap((ack) => ack.hashes)
      expect(records.length).toBeGreaterThanOrEqual(ackedHashes.length)
      records.forEach((record, slot) => {
        const decoded = decodeValue(record.value, record.offset)
        if (slot < ackedHashes.length) expect(decoded.hash).toBe(ackedHashes[slot])
        // The append whose fsync failed may be there (its bytes were written); refused ones never are.
        expect(
          later.results.some((result) => result.hash === decoded.hash),
          `offset ${record.offset}`,
        ).toBe(false)
      })
      expect(records.length).toBeLessThanOrEqual(ackedHashes.length + 1)
      expect(warnings.filter((warning) => warning.startsWith('recovery cut'))).toEqual([])
    } finally {
      await engine.close()
    }
  }, 60_000)
})

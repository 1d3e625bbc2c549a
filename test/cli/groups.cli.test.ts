import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../src/index.js'
import { assertCliBuilt, outputLines, REPO_ROOT, runCli } from '../helpers/cli.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog groups` on a data directory: describe, reset-offsets (dry run and --execute, every
 * target), delete, --json, and the errors. What the command changed is read back through the
 * engine, never from the command's own output.
 */

beforeAll(() => assertCliBuilt())
afterEach(() => removeTmpDirs())

const T0 = 1_700_000_000_000

/** `orders`: partition 0 holds 10 records stamped T0+0..9 s, partition 1 holds 4; `billing` committed 3 and 1. */
async function dataDir(): Promise<string> {
  const dir = await makeTmpDir()
  const engine = await openQuietEngine(dir)
  await engine.createTopic('orders', { partitions: 2 })
  await engine
    .partition('orders', 0)
    .appendRecords(Array.from({ length: 10 }, (_, slot) => ({ value: `r${slot}`, timestamp: T0 + slot * 1000 })))
  await engine.partition('orders', 1).appendRecords(Array.from({ length: 4 }, (_, slot) => ({ value: `s${slot}`, timestamp: T0 })))
  await engine.offsets.commit('billing', 'orders', 0, 3)
  await engine.offsets.commit('billing', 'orders', 1, 1)
  await engine.close()
  return dir
}

async function ok(args: string[]): Promise<string> {
  const result = await runCli(args)
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

async function withEngine<T>(dir: string, read: (engine: LogEngine) => T | Promise<T>): Promise<T> {
  const engine = await openQuietEngine(dir)
  try {
    return await read(engine)
  } finally {
    await engine.close()
  }
}

function committed(dir: string, group = 'billing'): Promise<(number | null)[]> {
  return withEngine(dir, (engine) => [0, 1].map((partition) => engine.offsets.fetch(group, 'orders', partition)?.offset ?? null))
}

describe('seglog groups on a data directory', () => {
  it("lists groups, and describes one with Kafka's columns", async () => {
    const dir = await dataDir()
    const list = await runCli(['groups', 'list', dir])
    expect(list.code).toBe(0)
    expect(outputLines(list.stdout)).toEqual(['billing'])
    const described = await runCli(['groups', 'describe', dir, '--group', 'billing'])
    expect(described.code).toBe(0)
    const lines = outputLines(described.stdout)
    expect(lines[0]).toBe("Consumer group 'billing' has no active members.")
    expect(lines[1]!.split(/\s+/)).toEqual([
      'GROUP',
      'TOPIC',
      'PARTITION',
      'CURRENT-OFFSET',
      'LOG-END-OFFSET',
      'LAG',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
    ])
    expect(lines.slice(2).map((line) => line.split(/\s+/))).toEqual([
      ['billing', 'orders', '0', '3', '10', '7', '-', '-', '-'],
      ['billing', 'orders', '1', '1', '4', '3', '-', '-', '-'],
    ])
    const json = await runCli(['groups', 'describe', dir, '--all-groups', '--json'])
    const parsed = JSON.parse(json.stdout) as { group: string; state: string; offsets: { currentOffset: number; lag: number }[] }
    expect(parsed.state).toBe('Empty')
    expect(parsed.offsets.map((row) => [row.currentOffset, row.lag])).toEqual([
      [3, 7],
      [1, 3],
    ])
    const state = await runCli(['groups', 'describe', dir, '--group', 'billing', '--state'])
    expect(outputLines(state.stdout)[1]!.split(/\s+/).slice(-2)).toEqual(['Empty', '0'])
  })

  it('a dry run (the default) prints the new offsets and changes nothing', async () => {
    const dir = await dataDir()
    for (const args of [[], ['--dry-run']]) {
      const result = await runCli(['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'orders', '--to-earliest', ...args])
      expect(result.code).toBe(0)
      expect(
        outputLines(result.stdout)
          .slice(1)
          .map((line) => line.split(/\s+/)),
      ).toEqual([
        ['billing', 'orders', '0', '0'],
        ['billing', 'orders', '1', '0'],
      ])
      expect(result.stderr).toContain('dry run')
    }
    expect(await committed(dir)).toEqual([3, 1])
  })

  it('--execute commits what each target computes', async () => {
    const dir = await dataDir()
    const reset = async (...args: string[]): Promise<(number | null)[]> => {
      const result = await runCli(['groups', 'reset-offsets', dir, '--group', 'billing', ...args, '--execute'])
      expect(result.code, result.stderr).toBe(0)
      return committed(dir)
    }
    expect(await reset('--topic', 'orders', '--to-latest')).toEqual([10, 4])
    expect(await reset('--topic', 'orders', '--to-earliest')).toEqual([0, 0])
    expect(await reset('--topic', 'orders:0', '--to-offset', '6')).toEqual([6, 0])
    expect(await reset('--all-topics', '--shift-by', '-2')).toEqual([4, 0])
    expect(await reset('--topic', 'orders', '--to-offset', '99')).toEqual([10, 4])
    expect(await reset('--topic', 'orders:0', '--to-datetime', new Date(T0 + 4500).toISOString())).toEqual([5, 4])
    expect(await reset('--topic', 'orders', '--to-current')).toEqual([5, 4])
    // A new group gets offsets too, as with Kafka's tool.
    const fresh = await runCli([
      'groups',
      'reset-offsets',
      dir,
      '--group',
      'audit',
      '--topic',
      'orders',
      '--to-earliest',
      '--execute',
      '--json',
    ])
    expect(outputLines(fresh.stdout).map((line) => JSON.parse(line) as unknown)).toEqual([
      { group: 'audit', topic: 'orders', partition: 0, offset: 0, executed: true },
      { group: 'audit', topic: 'orders', partition: 1, offset: 0, executed: true },
    ])
    expect(await committed(dir, 'audit')).toEqual([0, 0])
  })

  it('deletes a group and its offsets', async () => {
    const dir = await dataDir()
    const result = await runCli(['groups', 'delete', dir, '--group', 'billing'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("Deletion of requested consumer groups ('billing') was successful.")
    expect(await withEngine(dir, (engine) => engine.offsets.listGroups())).toEqual([])
    const again = await runCli(['groups', 'delete', dir, '--group', 'billing'])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe("seglog: Consumer group 'billing' does not exist.\n")
  })

  it('delete-offsets forgets the offsets of the partitions named', async () => {
    const dir = await dataDir()
    const result = await runCli(['groups', 'delete-offsets', dir, '--group', 'billing', '--topic', 'orders:1'])
    expect(result.code).toBe(0)
    expect(
      outputLines(result.stdout)
        .slice(1)
        .map((line) => line.split(/\s+/)),
    ).toEqual([
      ['TOPIC', 'PARTITION', 'STATUS'],
      ['orders', '1', 'Successful'],
    ])
    expect(await committed(dir)).toEqual([3, null])
    await ok(['groups', 'delete-offsets', dir, '--group', 'billing', '--topic', 'orders'])
    expect(await committed(dir)).toEqual([null, null])
  })

  it('one line and exit 1 for an unknown group or topic, exit 2 for a bad command line', async () => {
    const dir = await dataDir()
    const unknownGroup = await runCli(['groups', 'describe', dir, '--group', 'nobody'])
    expect([unknownGroup.code, unknownGroup.stderr]).toEqual([1, "seglog: Consumer group 'nobody' does not exist.\n"])
    const unknownTopic = await runCli(['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'nope', '--to-earliest'])
    expect(unknownTopic.code).toBe(1)
    expect(unknownTopic.stderr).toMatch(/^seglog: topic 'nope' does not exist in .*\n$/)
    const usage = [
      ['groups'],
      ['groups', 'frobnicate', dir],
      ['groups', 'describe', dir],
      ['groups', 'describe', dir, '--group', 'a', '--all-groups'],
      ['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'orders'],
      ['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'orders', '--to-earliest', '--to-latest'],
      ['groups', 'reset-offsets', dir, '--group', 'billing', '--to-earliest'],
      ['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'orders', '--to-datetime', 'noon'],
      ['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'orders', '--to-earliest', '--execute', '--dry-run'],
      ['groups', 'list', dir, '--bootstrap-server', '127.0.0.1:9092'],
    ]
    for (const args of usage) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(outputLines(result.stderr), args.join(' ')).toHaveLength(2)
    }
    expect(await committed(dir)).toEqual([3, 1])
  })

  it('every subcommand has its own help', async () => {
    for (const subcommand of ['list', 'describe', 'reset-offsets', 'delete', 'delete-offsets']) {
      const result = await runCli(['groups', subcommand, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^Usage: seglog groups ${subcommand} DIR_OR_SERVER`))
    }
  })

  it('refuses a directory another engine owns, naming its process, and changes nothing', async () => {
    const dir = await dataDir()
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'test/cli/live-owner-child.mjs'), JSON.stringify({ dir, topic: 'orders' })])
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve())
        child.once('close', (code) => reject(new Error(`owner exited with ${code}`)))
      })
      const result = await runCli(['groups', 'reset-offsets', dir, '--group', 'billing', '--topic', 'orders', '--to-latest', '--execute'])
      expect(result.code).toBe(1)
      expect(outputLines(result.stderr)).toHaveLength(1)
      if (process.platform === 'linux') expect(result.stderr).toContain(`is locked by process ${child.pid} (a live seglog engine)`)
    } finally {
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('close', resolve))
    }
    expect(await committed(dir)).toEqual([3, 1])
  })
})

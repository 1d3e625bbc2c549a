import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, fileStates, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { expectOneLineError } from './cli-child.js'

/**
 * What counts as a seglog data directory, one rule for every command (src/engine/inspect/dir-kind.ts):
 * commands that read never create a directory, and a directory that is not seglog's is exit 1
 * with one line, not an empty summary or a new data directory inside it.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

/** Looks like /etc: a `dbus-1` directory (a name that parses as TOPIC-PARTITION) without segment files. */
async function foreignDir(): Promise<string> {
  const dir = await makeTmpDir('seglog-cli-foreign-')
  fs.mkdirSync(path.join(dir, 'dbus-1'))
  fs.writeFileSync(path.join(dir, 'dbus-1', 'system.conf'), '<busconfig/>\n')
  fs.writeFileSync(path.join(dir, 'hosts'), '127.0.0.1 localhost\n')
  return dir
}

async function seglogDir(): Promise<string> {
  const dir = path.join(await makeTmpDir('seglog-cli-rule-'), 'data')
  const produced = await runCli(['produce', dir, '--topic', 'orders', '--create'], { input: 'one\ntwo\n' })
  expect(produced.code, produced.stderr).toBe(0)
  return dir
}

describe('the data directory rule', () => {
  it('consume of a directory that does not exist creates nothing', async () => {
    const base = await makeTmpDir('seglog-cli-typo-')
    const typo = path.join(base, 'typo', 'dir')
    expectOneLineError(await runCli(['consume', typo, '--topic', 'orders']), 1)
    expect(fs.readdirSync(base)).toEqual([])
    // Without --create, produce is a reader of the directory's topics too.
    expectOneLineError(await runCli(['produce', typo, '--topic', 'orders'], { input: 'x\n' }), 1)
    expect(fs.readdirSync(base)).toEqual([])
  })

  it("a directory that is not seglog's is exit 1 for every command, and stays as it was", async () => {
    const dir = await foreignDir()
    const before = fileStates(dir)
    expectOneLineError(await runCli(['inspect', dir]), 1)
    expectOneLineError(await runCli(['inspect', '--json', dir]), 1)
    expectOneLineError(await runCli(['inspect', path.join(dir, 'dbus-1')]), 1)
    expectOneLineError(await runCli(['consume', dir, '--topic', 'dbus']), 1)
    // Not even --create writes seglog's files among someone else's.
    expectOneLineError(await runCli(['produce', dir, '--topic', 'dbus', '--create'], { input: 'x\n' }), 1)
    expect(fileStates(dir)).toEqual(before)
  })

  it('a partition directory given where a data directory is needed is exit 1', async () => {
    const dir = await seglogDir()
    const before = fileStates(dir)
    expectOneLineError(await runCli(['consume', path.join(dir, 'orders-0'), '--topic', 'orders']), 1)
    expectOneLineError(await runCli(['produce', path.join(dir, 'orders-0'), '--topic', 'orders'], { input: 'x\n' }), 1)
    expect(fileStates(dir)).toEqual(before)
  })

  it('an unknown topic in a real data directory is a usage error that changes no file', async () => {
    const dir = await seglogDir()
    const before = fileStates(dir)
    expectOneLineError(await runCli(['consume', dir, '--topic', 'ordres']), 2)
    expectOneLineError(await runCli(['produce', dir, '--topic', 'ordres'], { input: 'x\n' }), 2)
    expect(fileStates(dir)).toEqual(before)
  })

  it('produce --create makes a data directory where there is none, or in an empty one', async () => {
    const base = await makeTmpDir('seglog-cli-new-')
    fs.mkdirSync(path.join(base, 'empty'))
    for (const dir of [path.join(base, 'new'), path.join(base, 'empty')]) {
      const produced = await runCli(['produce', dir, '--topic', 'orders', '--create'], { input: 'x\n' })
      expect(produced.code, produced.stderr).toBe(0)
      const consumed = await runCli(['consume', dir, '--topic', 'orders'])
      expect(consumed.stdout).toBe('x\n')
      expect((await runCli(['inspect', dir])).code).toBe(0)
    }
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, outputLines } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { sleep, spawnCli, valuesOnDisk, waitUntil, type CliChild } from './cli-child.js'

/**
 * `seglog produce` with an input that pauses (`tail -f app.log | seglog produce`) and that is
 * stopped by a signal: records reach the log soon after they are read, whether or not more input
 * follows, and Ctrl-C or SIGTERM appends every record read before the process ends. The log is
 * looked at while the child runs by reading its segment files directly (the child's engine holds
 * the lock), and after it ends by opening it.
 */

beforeAll(assertCliBuilt)
const children: CliChild[] = []
afterEach(async () => {
  for (const child of children.splice(0)) child.process.kill('SIGKILL')
  await removeTmpDirs()
})

async function dataDir(): Promise<string> {
  return path.join(await makeTmpDir('seglog-cli-linger-'), 'data')
}

function start(args: readonly string[]): CliChild {
  const child = spawnCli(['produce', ...args])
  children.push(child)
  return child
}

async function readTopic(dir: string, topic: string): Promise<{ values: string[]; wasClean: boolean }> {
  const engine = await openQuietEngine(dir)
  try {
    const values: string[] = []
    for await (const record of engine.partition(topic, 0).records({ from: 0 })) values.push(record.value?.toString('utf8') ?? 'null')
    return { values, wasClean: engine.wasCleanShutdown }
  } finally {
    await engine.close()
  }
}

function binaryRecord(value: string): Buffer {
  const bytes = Buffer.from(value)
  const record = Buffer.alloc(8 + bytes.length)
  record.writeInt32BE(-1, 0)
  record.writeInt32BE(bytes.length, 4)
  bytes.copy(record, 8)
  return record
}

describe('seglog produce with an input that pauses', () => {
  it('appends lines soon after they are read while stdin stays open, then the rest at the end of input', async () => {
    const dir = await dataDir()
    const child = start([dir, '--topic', 'app-log', '--create'])
    const partitionDir = path.join(dir, 'app-log-0')
    child.process.stdin.write('one\ntwo\nthree\n')
    // Three lines are far fewer than a chunk: only the linger can send them.
    await waitUntil(() => valuesOnDisk(partitionDir).length === 3, 'the 3 lines in the segment file')
    expect(valuesOnDisk(partitionDir)).toEqual(['one', 'two', 'three'])
    expect(child.process.exitCode).toBeNull()

    child.process.stdin.write('four\n')
    await waitUntil(() => valuesOnDisk(partitionDir).length === 4, 'the 4th line in the segment file')
    child.process.stdin.end('five\n')
    expect(await child.exited).toEqual({ code: 0, signal: null })
    expect(child.stderr()).toBe('appended 5 records to app-log\n')
    expect((await readTopic(dir, 'app-log')).values).toEqual(['one', 'two', 'three', 'four', 'five'])
  })

  it('--binary records are appended while stdin stays open too', async () => {
    const dir = await dataDir()
    const child = start([dir, '--topic', 'blobs', '--create', '--binary'])
    child.process.stdin.write(Buffer.concat([binaryRecord('first'), binaryRecord('second')]))
    await waitUntil(() => valuesOnDisk(path.join(dir, 'blobs-0')).length === 2, 'the 2 records in the segment file')
    child.process.stdin.end()
    expect(await child.exited).toEqual({ code: 0, signal: null })
    expect((await readTopic(dir, 'blobs')).values).toEqual(['first', 'second'])
  })

  for (const [signal, exitCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} appends every line read, prints the count and exits ${exitCode}, leaving the directory closed cleanly`, async () => {
      const dir = await dataDir()
      // A linger far longer than the test: only the signal can get these lines appended.
      const child = start([dir, '--topic', 'typed', '--create', '--linger-ms', '600000'])
      await waitUntil(() => fs.existsSync(path.join(dir, 'typed-0')), 'the topic to be created')
      child.process.stdin.write('a\nb\nc\n')
      await sleep(500)
      expect(valuesOnDisk(path.join(dir, 'typed-0'))).toEqual([])
      child.process.kill(signal)
      expect(await child.exited).toEqual({ code: exitCode, signal: null })
      expect(outputLines(child.stderr())).toEqual([expect.stringMatching(/^appended 3 records to typed\b/)])
      expect(await readTopic(dir, 'typed')).toEqual({ values: ['a', 'b', 'c'], wasClean: true })
    })
  }
})

import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, runCli } from '../helpers/cli.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog dlq list|replay`: what a consumer.run parked in its dead letter topic, and sending it back;
 * `seglog trace`: who handled a record and how it ended.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

/** A directory whose orders.DLQ holds the two records a handler refused (one attempt each). */
async function withDeadLetters(): Promise<string> {
  const dir = await makeTmpDir('seglog-dlq-cli-')
  const engine = await openQuietEngine(dir)
  await engine.createTopic('orders')
  await engine.producer().send('orders', [
    { key: 'a', value: 'fine' },
    { key: 'b', value: 'broken-1', headers: { trace: 'x' } },
    { key: 'c', value: 'broken-2' },
  ])
  const consumer = await engine.consumer({ group: 'g', topics: ['orders'] })
  const running = consumer.run(
    (record) => {
      if (record.value!.toString().startsWith('broken')) throw new RangeError(`bad ${record.key!.toString()}`)
    },
    { retry: { maxAttempts: 1 }, trace: true },
  )
  const deadline = Date.now() + 5000
  while (!(engine.hasTopic('orders.DLQ') && engine.partitions('orders.DLQ')[0]!.logEndOffset === 2) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10))
  await consumer.close()
  await running
  await engine.close()
  return dir
}

describe('seglog dlq', () => {
  it('list counts the dead letters, shows the oldest and groups them by reason; --json gives one object each', async () => {
    const dir = await withDeadLetters()
    const listed = await runCli(['dlq', 'list', dir, '--topic', 'orders.DLQ'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('orders.DLQ: 2 dead letters, oldest from ')
    expect(listed.stdout).toMatch(/1\s+orders\s+RangeError: bad b/)
    expect(listed.stdout).toMatch(/1\s+orders\s+RangeError: bad c/)
    const json = await runCli(['dlq', 'list', dir, '--topic', 'orders.DLQ', '--json'])
    const letters = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(letters.map((letter) => [letter.originalTopic, letter.originalOffset, letter.attempts, letter.errorClass])).toEqual([
      ['orders', 1, 1, 'RangeError'],
      ['orders', 2, 1, 'RangeError'],
    ])
  })

  it('replay sends one or all dead letters back to their topic without seglog headers', async () => {
    const dir = await withDeadLetters()
    const one = await runCli(['dlq', 'replay', dir, '--topic', 'orders.DLQ', '--offset', '0'])
    expect(one.code).toBe(0)
    expect(one.stdout).toContain('replayed 1 record to orders')
    const engine = await openQuietEngine(dir)
    const records = []
    for await (const record of engine.partition('orders', 0).records({ from: 0 })) records.push(record)
    expect(records.map((r) => r.value!.toString())).toEqual(['fine', 'broken-1', 'broken-2', 'broken-1'])
    expect(records[3]!.headers.map((h) => [h.key, h.value!.toString()])).toEqual([['trace', 'x']])
    await engine.close()
  })

  it('gives one clear line and the right exit code for bad use', async () => {
    const dir = await withDeadLetters()
    expect((await runCli(['dlq', 'purge', dir, '--topic', 'orders.DLQ'])).code).toBe(2)
    expect((await runCli(['dlq', 'list', dir])).code).toBe(2)
    expect((await runCli(['dlq', 'list', dir, '--topic', 'orders.DLQ', '--offset', '1'])).code).toBe(2)
    const missing = await runCli(['dlq', 'list', dir, '--topic', 'nope'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("has no topic 'nope'")
    expect((await runCli(['dlq', 'replay', dir, '--topic', 'orders.DLQ', '--offset', '9'])).code).toBe(2)
  })

  it('trace prints the outcomes of a key, or of an offset, oldest first', async () => {
    const dir = await withDeadLetters()
    const byKey = await runCli(['trace', dir, '--topic', 'orders', '--key', 'b', '--json'])
    expect(byKey.code).toBe(0)
    const events = byKey.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(events.map((e) => [e.group, e.offset, e.outcome, e.attempt, e.error])).toEqual([
      ['g', 1, 'dead-lettered', 1, 'RangeError: bad b'],
    ])
    const byOffset = await runCli(['trace', dir, '--topic', 'orders', '--offset', '0'])
    expect(byOffset.stdout).toMatch(/g\s+orders-0\s+0\s+a\s+1\s+handled/)
    expect((await runCli(['trace', dir, '--topic', 'orders'])).code).toBe(2)
    expect((await runCli(['trace', dir, '--topic', 'orders', '--key', 'zz'])).stdout).toContain('no traced consumption')
  })
})

import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { LogEngine } from '../../src/index.js'
import { assertCliBuilt, outputLines, runCli } from '../helpers/cli.js'
import { openQuietEngine } from '../helpers/engine.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * `seglog topics` and `seglog delete-records` on a data directory: create, alter (partitions and
 * configs), describe and delete round trips, and the log start moved by delete-records, each
 * checked through the engine.
 */

beforeAll(() => assertCliBuilt())
afterEach(() => removeTmpDirs())

async function withEngine<T>(dir: string, read: (engine: LogEngine) => T | Promise<T>): Promise<T> {
  const engine = await openQuietEngine(dir)
  try {
    return await read(engine)
  } finally {
    await engine.close()
  }
}

async function ok(...args: string[]): Promise<string> {
  const result = await runCli(args)
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

describe('seglog topics on a data directory', () => {
  it('creates, alters, describes and deletes a topic', async () => {
    const dir = await makeTmpDir()
    expect(
      await ok(
        'topics',
        'create',
        dir,
        '--topic',
        'orders',
        '--partitions',
        '2',
        '--config',
        'retention.ms=3600000',
        '--config',
        'segment.bytes=1048576',
      ),
    ).toBe('Created topic orders.\n')
    expect(await withEngine(dir, (engine) => engine.listTopics().find((topic) => topic.name === 'orders'))).toMatchObject({
      partitions: 2,
      config: { retentionMs: 3_600_000, segmentBytes: 1_048_576 },
    })
    await ok(
      'topics',
      'alter',
      dir,
      '--topic',
      'orders',
      '--partitions',
      '3',
      '--add-config',
      'retention.bytes=50000,segment.ms=60000',
      '--delete-config',
      'retention.ms',
    )
    const config = await withEngine(dir, (engine) => ({ ...engine.topicConfig('orders'), logs: engine.partitions('orders').length }))
    expect(config).toMatchObject({
      partitions: 3,
      logs: 3,
      retentionBytes: 50_000,
      segmentMs: 60_000,
      segmentBytes: 1_048_576,
      retentionMs: 7 * 24 * 3600 * 1000,
    })

    const described = outputLines(await ok('topics', 'describe', dir, '--topic', 'orders'))
    expect(described[0]).toBe('Topic: orders\tPartitionCount: 3\tConfigs: retention.bytes=50000,segment.bytes=1048576,segment.ms=60000')
    expect(described.slice(1)).toEqual(
      [0, 1, 2].map((partition) => `\tTopic: orders\tPartition: ${partition}\tLogStartOffset: 0\tLogEndOffset: 0`),
    )
    const json = JSON.parse(await ok('topics', 'describe', dir, '--topic', 'orders', '--json')) as {
      configs: { name: string; value: string; isOverride: boolean }[]
    }
    expect(json.configs.find((entry) => entry.name === 'retention.ms')).toEqual({
      name: 'retention.ms',
      value: '604800000',
      isOverride: false,
    })

    expect(outputLines(await ok('topics', 'list', dir))).toEqual(['__consumer_offsets', 'orders'])
    expect(outputLines(await ok('topics', 'list', dir, '--exclude-internal'))).toEqual(['orders'])
    expect(await ok('topics', 'delete', dir, '--topic', 'orders')).toBe('Deleted topic orders.\n')
    expect(await withEngine(dir, (engine) => engine.hasTopic('orders'))).toBe(false)
  })

  it('refuses what Kafka refuses, in one line', async () => {
    const dir = await makeTmpDir()
    await ok('topics', 'create', dir, '--topic', 'orders', '--partitions', '2')
    const cases: [string[], number, RegExp][] = [
      [['topics', 'create', dir, '--topic', 'orders'], 1, /already exists/],
      [['topics', 'create', dir, '--topic', 'x', '--config', 'no.such=1'], 1, /unknown or unsupported topic config 'no.such'/],
      [['topics', 'create', dir, '--topic', 'x', '--config', 'retention.ms'], 2, /expects KEY=VALUE/],
      [['topics', 'alter', dir, '--topic', 'orders', '--partitions', '1'], 1, /has 2 partitions/],
      [['topics', 'alter', dir, '--topic', 'orders'], 2, /nothing to change/],
      [['topics', 'alter', dir, '--topic', 'nope', '--partitions', '4'], 1, /topic 'nope' does not exist/],
      [['topics', 'describe', dir, '--topic', 'nope'], 1, /topic 'nope' does not exist/],
      [['topics', 'delete', dir, '--topic', 'nope'], 1, /topic 'nope' does not exist/],
      [['topics', 'list', path.join(dir, 'missing')], 1, /no such file or directory/],
      [['topics', 'create', path.join(dir, 'orders-0'), '--topic', 'x'], 1, /is a partition directory/],
    ]
    for (const [args, code, message] of cases) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(code)
      expect(result.stderr, args.join(' ')).toMatch(message)
      expect(outputLines(result.stderr).length, args.join(' ')).toBeLessThanOrEqual(2)
    }
    expect(await withEngine(dir, (engine) => engine.listTopics().map((topic) => [topic.name, topic.partitions]))).toEqual([
      ['__consumer_offsets', 1],
      ['orders', 2],
    ])
    expect(await ok('topics', 'create', dir, '--topic', 'orders', '--if-not-exists')).toBe('Topic orders exists; nothing done.\n')
    // A new directory becomes a data directory for create only.
    expect(await ok('topics', 'create', path.join(dir, 'new'), '--topic', 'x')).toBe('Created topic x.\n')
  })
})

describe('seglog delete-records on a data directory', () => {
  it('moves the log start offset, from options or an offset JSON file', async () => {
    const dir = await makeTmpDir()
    await withEngine(dir, async (engine) => {
      await engine.createTopic('orders', { partitions: 2 })
      for (const partition of [0, 1])
        await engine.partition('orders', partition).appendRecords(Array.from({ length: 8 }, (_, slot) => ({ value: `v${slot}` })))
    })
    const single = await ok('delete-records', dir, '--topic', 'orders', '--partition', '0', '--offset', '5')
    expect(single).toBe('Records delete operation completed:\npartition: orders-0\tlow_watermark: 5\n')
    const file = path.join(await makeTmpDir(), 'offsets.json')
    await writeFile(file, JSON.stringify({ partitions: [{ topic: 'orders', partition: 1, offset: -1 }], version: 1 }))
    expect(JSON.parse(await ok('delete-records', dir, '--offset-json-file', file, '--json'))).toEqual({
      topic: 'orders',
      partition: 1,
      lowWatermark: 8,
    })
    const starts = await withEngine(dir, (engine) => engine.partitions('orders').map((log) => log.logStartOffset))
    expect(starts).toEqual([5, 8])
    const first = await withEngine(dir, async (engine) => {
      for await (const record of engine.partition('orders', 0).records({ from: 5 })) return record.offset
      return null
    })
    expect(first).toBe(5)

    const past = await runCli(['delete-records', dir, '--topic', 'orders', '--partition', '0', '--offset', '9'])
    expect(past.code).toBe(1)
    const usage = await runCli(['delete-records', dir, '--topic', 'orders', '--offset', '3'])
    expect(usage.code).toBe(2)
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine, TOPICS_FILE } from '../../src/engine/log-engine.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine, type EngineOptions } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'

/** The engine calls a Kafka-protocol server needs for CreatePartitions and AlterConfigs. */

const opened: LogEngine[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()))
  await removeTmpDirs()
})

async function openEngine(dir: string, options: EngineOptions = {}): Promise<LogEngine> {
  const engine = await openQuietEngine(dir, options)
  opened.push(engine)
  return engine
}

async function reopen(engine: LogEngine, options: EngineOptions = {}): Promise<LogEngine> {
  opened.splice(opened.indexOf(engine), 1)
  await engine.close()
  return openEngine(engine.dir, options)
}

describe('addPartitions', () => {
  it('adds writable partitions that survive a reopen, keeping the old ones and their records', async () => {
    const dir = await makeTmpDir()
    let engine = await openEngine(dir)
    await engine.createTopic('orders', { partitions: 2 })
    await engine.partition('orders', 1).appendRecords([{ value: Buffer.from('before') }])
    const description = await engine.addPartitions('orders', 5)
    expect(description.partitions).toBe(5)
    expect(engine.partitions('orders')).toHaveLength(5)
    await engine.partition('orders', 4).appendRecords([{ value: Buffer.from('after') }])
    expect(fs.existsSync(path.join(dir, 'orders-4'))).toBe(true)

    engine = await reopen(engine)
    expect(engine.topicConfig('orders').partitions).toBe(5)
    expect(engine.partition('orders', 1).logEndOffset).toBe(1)
    expect(engine.partition('orders', 4).logEndOffset).toBe(1)
    expect(engine.partition('orders', 3).logEndOffset).toBe(0)
  })

  it('refuses a count that does not grow the topic, an unknown topic and the offsets topic', async () => {
    const engine = await openEngine(await makeTmpDir())
    await engine.createTopic('orders', { partitions: 3 })
    expect((await rejection(engine.addPartitions('orders', 3))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(engine.addPartitions('orders', 2))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(engine.addPartitions('orders', 1.5))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(engine.addPartitions('missing', 4))).code).toBeDefined()
    expect((await rejection(engine.addPartitions('__consumer_offsets', 4))).code).toBe('INVALID_ARGUMENT')
    expect(engine.partitions('orders')).toHaveLength(3)
  })

  it('refuses to adopt a directory that is in the way, and changes nothing', async () => {
    const dir = await makeTmpDir()
    const engine = await openEngine(dir)
    await engine.createTopic('orders', { partitions: 1 })
    fs.mkdirSync(path.join(dir, 'orders-2'))
    expect((await rejection(engine.addPartitions('orders', 3))).code).toBe('INVALID_ARGUMENT')
    expect(engine.partitions('orders')).toHaveLength(1)
    expect(JSON.parse(fs.readFileSync(path.join(dir, TOPICS_FILE), 'utf8')).topics.orders.partitions).toBe(1)
  })
})

describe('alterTopicConfig', () => {
  it('applies new settings at once, persists them, and puts null settings back to the default', async () => {
    const options = { topicDefaults: { retentionMs: 1000 } }
    let engine = await openEngine(await makeTmpDir(), options)
    await engine.createTopic('orders', { partitions: 2, retentionMs: 5000 })
    const big = encodeBatch([{ value: Buffer.alloc(2000) }])
    await engine.partition('orders', 1).appendBatch(Buffer.from(big))

    await engine.alterTopicConfig('orders', { maxBatchBytes: 1000, timestampType: 'LogAppendTime', flush: { mode: 'sync' } })
    // The partitions' own limit changed with it: no reopen needed.
    expect((await rejection(engine.partition('orders', 1).appendBatch(Buffer.from(big)))).code).toBe('INVALID_ARGUMENT')
    expect(engine.partition('orders', 0).flushPolicy).toEqual({ mode: 'sync' })

    engine = await reopen(engine, options)
    expect(engine.topicConfig('orders')).toMatchObject({
      maxBatchBytes: 1000,
      timestampType: 'LogAppendTime',
      retentionMs: 5000,
      flush: { mode: 'sync' },
    })

    await engine.alterTopicConfig('orders', { retentionMs: null, maxBatchBytes: null, timestampType: null, flush: null })
    const config = engine.topicConfig('orders')
    expect(config.retentionMs).toBe(1000)
    expect(config.maxBatchBytes).toBe(engine.topicDefaults.maxBatchBytes)
    expect(config.timestampType).toBeUndefined()
    expect(config.flush).toBeUndefined()
    expect(engine.partition('orders', 0).flushPolicy).toEqual({ mode: 'os' })
    await engine.partition('orders', 1).appendBatch(Buffer.from(big))
  })

  it('refuses bad values, the partition count and the offsets topic, and changes nothing', async () => {
    const engine = await openEngine(await makeTmpDir())
    await engine.createTopic('orders', { partitions: 1, retentionMs: 5000 })
    expect((await rejection(engine.alterTopicConfig('orders', { retentionMs: -7 }))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(engine.alterTopicConfig('orders', { retentionMs: 10, timestampType: 'WallClock' as never }))).code).toBe(
      'INVALID_ARGUMENT',
    )
    expect((await rejection(engine.alterTopicConfig('orders', { partitions: 4 } as never))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(engine.alterTopicConfig('__consumer_offsets', { retentionMs: 10 }))).code).toBe('INVALID_ARGUMENT')
    expect(engine.topicConfig('orders').retentionMs).toBe(5000)
    expect(engine.topicConfig('orders').timestampType).toBeUndefined()
  })
})

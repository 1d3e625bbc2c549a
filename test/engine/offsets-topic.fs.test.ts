import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OFFSETS_TOPIC } from '../../src/consumer/offset-store.js'
import { CLEAN_SHUTDOWN_FILE } from '../../src/engine/log-engine.js'
import { PartitionLog } from '../../src/log/partition-log.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { assertCliBuilt, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'
import { scanSegment } from '../durability/helpers.js'

/**
 * `__consumer_offsets` belongs to the offset store. Clients may read it but not write it (Kafka
 * refuses produce requests to it too): one foreign record there used to make the directory
 * unopenable, since the store replays every record at open. The store itself still writes. And
 * when the log is damaged anyway, the open fails with the segment file and byte position.
 */

afterEach(removeTmpDirs)
beforeAll(() => assertCliBuilt())

const T = 1_700_000_000_000

/** A data dir with topic t (3 records) and commits of two groups, closed cleanly. */
async function dirWithCommits(): Promise<string> {
  const dir = await makeTmpDir('seglog-offsets-topic-')
  const engine = await openQuietEngine(dir, { flush: 'sync' })
  await engine.createTopic('t')
  await engine.partition('t', 0).appendRecords([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }])
  await engine.offsets.commit('g1', 't', 0, 1)
  await engine.offsets.commit('g2', 't', 0, 2)
  await engine.offsets.commit('g1', 't', 0, 3)
  await engine.close()
  return dir
}

const offsetsSegment = (dir: string): string => path.join(dir, `${OFFSETS_TOPIC}-0`, '00000000000000000000.log')

describe('client writes to the offsets topic are refused', () => {
  it('appendRecords, appendBatch, deleteRecordsBefore, truncateTo and producer.send reject with INVALID_ARGUMENT; commits still work and the directory reopens', async () => {
    const dir = await dirWithCommits()
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    try {
      const view = engine.partition(OFFSETS_TOPIC, 0)
      const end = view.logEndOffset
      const foreign = [{ key: Buffer.from('not an offset key'), value: Buffer.from('x'), timestamp: T }]
      expect((await rejection(view.appendRecords(foreign))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(engine.partitions(OFFSETS_TOPIC)[0]!.appendRecords(foreign))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(view.appendBatch(encodeBatch(foreign)))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(view.truncateTo(0))).code).toBe('INVALID_ARGUMENT')
      expect((await rejection(engine.deleteRecordsBefore(OFFSETS_TOPIC, 0, end))).code).toBe('INVALID_ARGUMENT')
      const producer = engine.producer()
      expect((await rejection(producer.send(OFFSETS_TOPIC, [{ key: 'k', value: 'v' }]))).code).toBe('INVALID_ARGUMENT')
      await producer.close()
      expect(view.logEndOffset).toBe(end)

      // Reads still work, through the same view.
      let records = 0
      for await (const record of view.records({ from: view.logStartOffset })) records += record.key === null ? 0 : 1
      expect(records).toBe(3)

      // The store writes its own log.
      await engine.offsets.commit('g2', 't', 0, 3)
      expect(view.logEndOffset).toBe(end + 1)
    } finally {
      await engine.close()
    }
    const reopened = await openQuietEngine(dir, { flush: 'sync' })
    expect(reopened.offsets.fetch('g2', 't', 0)?.offset).toBe(3)
    expect(reopened.offsets.fetch('g1', 't', 0)?.offset).toBe(3)
    await reopened.close()
  })

  it('seglog produce --topic __consumer_offsets fails with one line and leaves the directory opening', async () => {
    const dir = await dirWithCommits()
    const sizeBefore = fs.statSync(offsetsSegment(dir)).size
    const result = await runCli(['produce', dir, '--topic', OFFSETS_TOPIC], { input: 'hello\n' })
    // A usage error, refused before the directory is opened: one line, then the usual pointer to --help.
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^seglog: .*__consumer_offsets/),
      "Try 'seglog produce --help'",
    ])
    expect(fs.statSync(offsetsSegment(dir)).size).toBe(sizeBefore)
    const engine = await openQuietEngine(dir, { flush: 'sync' })
    expect(engine.offsets.fetch('g1', 't', 0)?.offset).toBe(3)
    await engine.close()
  })
})

describe('a damaged offsets log stops the open with the file and byte position', () => {
  it('a record whose key is not an offset key (written past the engine)', async () => {
    const dir = await dirWithCommits()
    const segment = offsetsSegment(dir)
    const batchPosition = fs.statSync(segment).size
    // Written straight through the partition log, as a client write could before it was refused.
    const logDir = path.dirname(segment)
    const log = await PartitionLog.open(
      logDir,
      OFFSETS_TOPIC,
      0,
      {
        segmentBytes: 16 * 1024 * 1024,
        segmentMs: 7 * 864e5,
        segmentIndexBytes: 10 * 1024 * 1024,
        indexIntervalBytes: 4096,
        retentionMs: -1,
        retentionBytes: -1,
        maxBatchBytes: 1 << 24,
      },
      { isClean: true, recoveryPoint: 0, logStartOffset: 0 },
    )
    // Key version 1, then a group string whose int16 length is cut off after one byte.
    const badKey = Buffer.from([0x00, 0x01, 0x00])
    await log.appendRecords([{ key: badKey, value: Buffer.from('x'), timestamp: T }], { compression: 'none' })
    await log.close()
    const written = fs.readFileSync(segment).subarray(batchPosition)
    const keyInBatch = written.indexOf(badKey, 61)
    expect(keyInBatch).toBeGreaterThan(61)

    const error = await rejection(openQuietEngine(dir, { flush: 'sync' }))
    expect(error).toBeInstanceOf(CorruptRecordError)
    const corrupt = error as CorruptRecordError
    expect(corrupt.code).toBe('CORRUPT_RECORD')
    expect(corrupt.reason).toBe('truncated-record')
    expect(corrupt.file).toBe(segment)
    // The group's length field starts two bytes into the key and has one byte of its two.
    expect(corrupt.position).toBe(batchPosition + keyInBatch + 2)
  })

  it('a flipped byte in a commit batch (bad CRC) after a clean close', async () => {
    const dir = await dirWithCommits()
    const segment = offsetsSegment(dir)
    const scan = scanSegment(fs.readFileSync(segment), 0)
    expect(scan.batches).toHaveLength(3)
    const second = scan.batches[1]!
    const bytes = fs.readFileSync(segment)
    bytes[second.position + second.size - 3]! ^= 0x40
    fs.writeFileSync(segment, bytes)
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true)

    const error = await rejection(openQuietEngine(dir, { flush: 'sync' }))
    expect(error).toBeInstanceOf(CorruptRecordError)
    const corrupt = error as CorruptRecordError
    expect([corrupt.code, corrupt.reason, corrupt.file]).toEqual(['CORRUPT_RECORD', 'bad-crc', segment])
    expect(corrupt.position).toBe(second.position)
  })
})

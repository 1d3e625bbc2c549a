import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine } from '../../src/engine/log-engine.js'
import { SeglogError } from '../../src/errors.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import type { ProducerRecord } from '../../src/producer/producer.js'
import type { DecodedRecord, RecordInput } from '../../src/record/record.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'
import { rejection } from '../helpers/errors.js'

/**
 * One caller's malformed record must not fail anyone else's records (docs/testing.md
 * T23): send checks each record when it is called, so a bad one rejects its own
 * call with INVALID_ARGUMENT naming the field and never reaches a batch shared with other callers.
 * appendRecords checks records the same way.
 */

/** INVALID_ARGUMENT names the offending field. */
type FieldError = SeglogError & { field?: string }

const engines: LogEngine[] = []

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close().catch(() => undefined)
  await removeTmpDirs()
})

async function openEngine(): Promise<LogEngine> {
  const engine = await openQuietEngine(await makeTmpDir('seglog-producer-input-'))
  engines.push(engine)
  return engine
}

async function readAll(log: PartitionLog): Promise<DecodedRecord[]> {
  const records: DecodedRecord[] = []
  for await (const record of log.records({ from: log.logStartOffset })) records.push(record)
  return records
}

describe('producer.send: a bad record rejects only its own call', () => {
  const badRecords: [string, unknown, string][] = [
    ['a number value', { value: 12345 }, 'records[1].value'],
    ['an object key', { key: { id: 1 }, value: 'v' }, 'records[1].key'],
    ['a null record', null, 'records[1]'],
    ['a non-string header key', { value: 'v', headers: [{ key: 3, value: 'x' }] }, 'records[1].headers[0].key'],
    ['a NaN timestamp', { value: 'v', timestamp: Number.NaN }, 'records[1].timestamp'],
    ['a negative timestamp', { value: 'v', timestamp: -5 }, 'records[1].timestamp'],
  ]
  for (const [what, bad, field] of badRecords) {
    it(`${what}: the other callers of the same batch are written, the bad call fails alone`, async () => {
      const engine = await openEngine()
      await engine.createTopic('t')
      const producer = engine.producer({ lingerMs: 20, compression: 'none' })
      // All in one tick and within linger: without the check they would share one batch.
      const before = producer.send('t', [{ value: 'a1' }, { value: 'a2' }])
      const badSend = producer.send('t', [{ value: 'b1' }, bad as ProducerRecord, { value: 'b3' }])
      const after = producer.send('t', [{ key: 'k', value: 'c1', headers: { h: 'v' } }])
      const error = await rejection<FieldError>(badSend)
      expect(error.code).toBe('INVALID_ARGUMENT')
      expect(error.field).toBe(field)
      const [first, second] = await Promise.all([before, after])
      expect(first.map((meta) => meta.offset)).toEqual([0, 1])
      expect(second.map((meta) => meta.offset)).toEqual([2])
      const records = await readAll(engine.partition('t', 0))
      expect(records.map((record) => record.value!.toString())).toEqual(['a1', 'a2', 'c1'])
      expect(records[2]!.headers.map((header) => [header.key, header.value!.toString()])).toEqual([['h', 'v']])
      expect(producer.metrics().bufferedBytes).toBe(0)
    })
  }

  it('accepts Uint8Array, strings, undefined values (tombstones) and null timestamps', async () => {
    const engine = await openEngine()
    await engine.createTopic('t')
    const producer = engine.producer({ compression: 'none' })
    const metadata = await producer.send('t', [
      { key: new Uint8Array([1, 2, 3]), value: new Uint8Array([4, 5]) },
      { key: 'gone', value: undefined, timestamp: null },
    ])
    expect(metadata.map((meta) => meta.offset)).toEqual([0, 1])
    const records = await readAll(engine.partition('t', 0))
    expect(records.map((record) => [record.key && [...record.key], record.value && [...record.value]])).toEqual([
      [
        [1, 2, 3],
        [4, 5],
      ],
      [[...Buffer.from('gone')], null],
    ])
  })
})

describe('appendRecords checks records the same way', () => {
  it('rejects a bad record with INVALID_ARGUMENT naming it and writes nothing; good shapes are accepted', async () => {
    const engine = await openEngine()
    await engine.createTopic('t')
    const log = engine.partition('t', 0)
    const bad: [unknown, string][] = [
      [{ value: 'ok', key: 5 }, 'records[0].key'],
      [{ value: 'ok', headers: [{ key: null, value: null }] }, 'records[0].headers[0].key'],
      [{ value: 'ok', timestamp: 1.5 }, 'records[0].timestamp'],
      [{ value: 'ok', timestamp: Number.POSITIVE_INFINITY }, 'records[0].timestamp'],
      [{ value: 'ok', timestamp: 2 ** 63 }, 'records[0].timestamp'],
    ]
    for (const [record, field] of bad) {
      const error = await rejection<FieldError>(log.appendRecords([record as RecordInput, { value: Buffer.from('fine') }]))
      expect(error.code, field).toBe('INVALID_ARGUMENT')
      expect(error.field).toBe(field)
    }
    expect((await rejection<FieldError>(log.appendRecords([{ value: Buffer.from('fine') }, null as unknown as RecordInput]))).field).toBe(
      'records[1]',
    )
    expect(log.logEndOffset).toBe(0)
    const info = await log.appendRecords([{ key: 'k', value: new Uint8Array([9]), headers: { h: 'v' } }] as unknown as RecordInput[])
    expect(info.baseOffset).toBe(0)
    const [record] = await readAll(log)
    expect([record!.key!.toString(), [...record!.value!], record!.headers[0]!.value!.toString()]).toEqual(['k', [9], 'v'])
  })
})

describe('producer.send to a topic that was deleted', () => {
  it('rejects with UNKNOWN_TOPIC_OR_PARTITION (isDeleted), fails what was still lingering for it, and sends to the topic created again', async () => {
    const engine = await openEngine()
    await engine.createTopic('t')
    const producer = engine.producer({ lingerMs: 60_000, compression: 'none' })
    const lingering = producer.send('t', [{ value: 'lingering' }])
    await engine.deleteTopic('t')
    expect(await rejection<FieldError>(producer.send('t', [{ value: 'x' }]))).toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      topic: 't',
      isDeleted: true,
    })
    await engine.createTopic('t')
    const again = producer.send('t', [{ value: 'again' }])
    expect((await rejection<FieldError>(lingering)).code).toBe('LOG_CLOSED')
    await producer.flush()
    expect((await again).map((meta) => meta.offset)).toEqual([0])
    expect((await readAll(engine.partition('t', 0))).map((record) => record.value!.toString())).toEqual(['again'])
  })
})

import { describe, expect, it } from 'vitest'
import { BatchScanner } from '../../src/record/batch-scanner.js'
import { CorruptRecordError } from '../../src/record/errors.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { assignBaseOffset, encodeBatch } from '../../src/record/batch-encoder.js'
import { encodeTransactionMarker, readControlRecord } from '../../src/record/control-record.js'

// The worked example of docs/format/record-batch.md (and of the Kafka format reference).
const HELLO_BATCH_HEX =
  '0000000000000000' +
  '0000003d' +
  '00000000' +
  '02' +
  'e641a44b' +
  '0000' +
  '00000000' +
  '0000018bcfe56800' +
  '0000018bcfe56800' +
  'ffffffffffffffff' +
  'ffff' +
  'ffffffff' +
  '00000001' +
  '16' +
  '00' +
  '00' +
  '00' +
  '01' +
  '0a' +
  '68656c6c6f' +
  '00'

describe('record batch v2', () => {
  it('encodes the worked example byte for byte', () => {
    const batch = encodeBatch([{ key: null, value: Buffer.from('hello'), timestamp: 1700000000000 }], {
      baseOffset: 0,
      partitionLeaderEpoch: 0,
    })
    expect(batch.toString('hex')).toBe(HELLO_BATCH_HEX)
    expect(batch.length).toBe(73)
  })

  it('reads every header field of the worked example', () => {
    const batch = new RecordBatch(Buffer.from(HELLO_BATCH_HEX, 'hex'))
    expect(batch.isValid()).toBe(true)
    expect(batch.crc).toBe(3863061579)
    expect({
      baseOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
      count: batch.recordCount,
      magic: batch.magic,
      epoch: batch.partitionLeaderEpoch,
      pid: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      lastSequence: batch.lastSequence,
      maxTimestamp: batch.maxTimestamp,
      timestampType: batch.timestampType,
      isTransactional: batch.isTransactional,
      isControl: batch.isControl,
    }).toEqual({
      baseOffset: 0,
      lastOffset: 0,
      count: 1,
      magic: 2,
      epoch: 0,
      pid: -1,
      producerEpoch: -1,
      baseSequence: -1,
      lastSequence: -1,
      maxTimestamp: 1700000000000,
      timestampType: 'CreateTime',
      isTransactional: false,
      isControl: false,
    })
    const [record] = batch.toArray()
    expect(record).toEqual({ offset: 0, timestamp: 1700000000000, key: null, value: Buffer.from('hello'), headers: [] })
  })

  it('encodes the spec COMMIT marker control batch byte for byte', () => {
    const marker = encodeTransactionMarker('COMMIT', 5)
    const batch = encodeBatch([{ ...marker, timestamp: 1700000000000 }], {
      baseOffset: 42,
      partitionLeaderEpoch: 3,
      producerId: 1000,
      producerEpoch: 0,
      isTransactional: true,
      isControl: true,
    })
    const expected = [
      '000000000000002a',
      '00000042',
      '00000003',
      '02',
      'fc84b034',
      '0030',
      '00000000',
      '0000018bcfe56800',
      '0000018bcfe56800',
      '00000000000003e8',
      '0000',
      'ffffffff',
      '00000001',
      '20',
      '00',
      '00',
      '00',
      '08',
      '00000001',
      '0c',
      '000000000005',
      '00',
    ].join('')
    expect(batch.toString('hex')).toBe(expected)
    expect(batch.length).toBe(78)
    const view = new RecordBatch(batch)
    expect(view.isControl && view.isTransactional).toBe(true)
    expect(readControlRecord(view.toArray()[0]!)).toEqual({ type: 'COMMIT', typeId: 1, coordinatorEpoch: 5 })
  })

  it('round-trips keys, values, headers, negative timestamp deltas and producer fields', () => {
    const records = [
      {
        key: Buffer.from('k1'),
        value: Buffer.from('v1'),
        timestamp: 5000,
        headers: [
          { key: 'h', value: Buffer.from('x') },
          { key: 'ünï', value: null },
        ],
      },
      { key: null, value: null, timestamp: 4000 },
      { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), timestamp: 9000 },
    ]
    const bytes = encodeBatch(records, { baseOffset: 100, producerId: 77, producerEpoch: 3, baseSequence: 2147483647 })
    const batch = new RecordBatch(bytes)
    batch.ensureValid()
    expect(batch.maxTimestamp).toBe(9000)
    expect(batch.baseTimestamp).toBe(5000)
    expect(batch.lastSequence).toBe(1) // wraps past Int32.MAX to 0
    expect(batch.toArray()).toEqual(records.map((record, slot) => ({ headers: [], ...record, offset: 100 + slot })))
  })

  it('yields a fresh record object per step from records(), whichever way it is iterated', () => {
    const bytes = encodeBatch(
      [0, 1, 2, 3].map((slot) => ({ key: Buffer.from(`k${slot}`), value: Buffer.from(`v${slot}`), timestamp: 10 + slot })),
      { baseOffset: 50 },
    )
    const spread = [...new RecordBatch(bytes).records()]
    const collected: unknown[] = []
    for (const record of new RecordBatch(bytes).records()) collected.push(record)
    const manual = new RecordBatch(bytes).records()
    const values: unknown[] = []
    for (let step = manual.next(); step.done !== true; step = manual.next()) values.push(step.value)
    for (const records of [spread, collected, values, Array.from(new RecordBatch(bytes).records())]) {
      expect(new Set(records).size).toBe(4)
      expect(records.map((record) => (record as { offset: number }).offset)).toEqual([50, 51, 52, 53])
      expect(records.map((record) => String((record as { value: Buffer }).value))).toEqual(['v0', 'v1', 'v2', 'v3'])
    }
    expect(manual.next()).toEqual({ done: true, value: undefined })
  })

  it('reports LogAppendTime batches with the batch time on every record', () => {
    const bytes = encodeBatch(
      [
        { value: Buffer.from('a'), timestamp: 1 },
        { value: Buffer.from('b'), timestamp: 2 },
      ],
      { timestampType: 'LogAppendTime', logAppendTime: 777 },
    )
    const batch = new RecordBatch(bytes)
    expect(batch.timestampType).toBe('LogAppendTime')
    expect(batch.toArray().map((r) => r.timestamp)).toEqual([777, 777])
  })

  it('keeps the CRC valid when the log assigns a base offset', () => {
    const bytes = encodeBatch([{ value: Buffer.from('x') }])
    assignBaseOffset(bytes, 123456789012, 7)
    const batch = new RecordBatch(bytes)
    expect(batch.isValid()).toBe(true)
    expect(batch.baseOffset).toBe(123456789012)
    expect(batch.partitionLeaderEpoch).toBe(7)
  })

  it('detects a flipped byte anywhere the CRC covers', () => {
    const bytes = encodeBatch([{ value: Buffer.from('payload'), timestamp: 1 }])
    for (let position = 21; position < bytes.length; position++) {
      const copy = Buffer.from(bytes)
      copy[position]! ^= 0x10
      expect(new RecordBatch(copy).isValid()).toBe(false)
      expect(() => new RecordBatch(copy).ensureValid()).toThrowError(expect.objectContaining({ reason: 'bad-crc' }))
    }
  })

  it('round-trips compressed batches for every codec', () => {
    const records = Array.from({ length: 500 }, (_, slot) => ({
      key: Buffer.from(`key-${slot}`),
      value: Buffer.from(JSON.stringify({ slot, name: 'item', ok: true })),
      timestamp: 1000 + slot,
    }))
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const batch = new RecordBatch(encodeBatch(records, { compression }))
      expect(batch.compressionId).toBeGreaterThan(0)
      batch.ensureValid()
      const decoded = batch.toArray()
      expect(decoded.length).toBe(500)
      expect(decoded[499]).toEqual({ ...records[499], headers: [], offset: 499 })
    }
  })
})

describe('batch scanner', () => {
  const one = encodeBatch([{ value: Buffer.from('a') }], { baseOffset: 0 })
  const two = encodeBatch([{ value: Buffer.from('b') }, { value: Buffer.from('c') }], { baseOffset: 1 })

  it('walks concatenated batches and reports a partial tail as trailing bytes', () => {
    const buf = Buffer.concat([one, two, two.subarray(0, 30)])
    const scanner = new BatchScanner(buf, { verifyCrc: true })
    expect([...scanner].map((batch) => batch.baseOffset)).toEqual([0, 1])
    expect(scanner.trailingBytes).toBe(30)
    expect(scanner.position).toBe(one.length + two.length)
  })

  it('treats a batch length below the header size as corruption at its position', () => {
    const bad = Buffer.from(two)
    bad.writeInt32BE(10, 8)
    const scanner = new BatchScanner(Buffer.concat([one, bad]))
    scanner.next()
    expect(() => scanner.next()).toThrowError(expect.objectContaining({ reason: 'bad-length', position: one.length + 8 }))
  })

  it('reports a bad CRC at the batch position', () => {
    const bad = Buffer.from(two)
    bad[bad.length - 1]! ^= 1
    const scanner = new BatchScanner(Buffer.concat([one, bad]), { verifyCrc: true })
    scanner.next()
    let caught: unknown
    try {
      scanner.next()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CorruptRecordError)
    expect(caught).toMatchObject({ reason: 'bad-crc', position: one.length })
  })
})

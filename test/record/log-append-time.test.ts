import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '../../src/record/errors.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { encodeBatch, stampLogAppendTime } from '../../src/record/batch-encoder.js'

describe('stampLogAppendTime', () => {
  it('sets the timestamp type and max timestamp, keeps the codec and records, and leaves a valid CRC', () => {
    const records = [
      { key: Buffer.from('a'), value: Buffer.from('first'), timestamp: 1_000 },
      { key: null, value: Buffer.from('second'), timestamp: 2_000 },
    ]
    const batch = encodeBatch(records, { compression: 'gzip', producerId: 7, producerEpoch: 1, baseSequence: 3 })
    const before = Buffer.from(batch)
    stampLogAppendTime(batch, 1_700_000_000_123)
    const view = new RecordBatch(batch)
    expect(view.isValid()).toBe(true)
    expect(view.timestampType).toBe('LogAppendTime')
    expect(view.maxTimestamp).toBe(1_700_000_000_123)
    expect(view.compressionId).toBe(new RecordBatch(before).compressionId)
    expect({ producerId: view.producerId, epoch: view.producerEpoch, sequence: view.baseSequence }).toEqual({
      producerId: 7,
      epoch: 1,
      sequence: 3,
    })
    // Every record reports the append time, as Kafka's readers do for LogAppendTime batches.
    expect(view.toArray().map((record) => [record.timestamp, record.value?.toString()])).toEqual([
      [1_700_000_000_123, 'first'],
      [1_700_000_000_123, 'second'],
    ])
    // Only the attributes' low byte, maxTimestamp (35..43) and the CRC (17..21) changed.
    const changed: number[] = []
    for (let position = 0; position < batch.length; position++) if (batch[position] !== before[position]) changed.push(position)
    expect(changed.every((position) => (position >= 17 && position < 21) || position === 22 || (position >= 35 && position < 43))).toBe(
      true,
    )
  })

  it('rejects a buffer shorter than a batch header', () => {
    expect(() => stampLogAppendTime(Buffer.alloc(20), 1)).toThrow(CorruptRecordError)
  })
})

import type { PartitionLog } from '../log/partition-log.js'
import { CorruptRecordError } from '../record/errors.js'
import { BATCH_HEADER_SIZE, type RecordBatch } from '../record/record-batch.js'
import { readControlRecord } from '../record/control-record.js'
import { decodeOffsetKey, decodeOffsetValue, offsetsKeyVersion, type CommittedOffset } from '../format/offset-commit.js'
import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  GROUP_METADATA_KEY_VERSION,
  type GroupMetadata,
} from '../format/group-metadata.js'

/** Where a replay puts what it reads: the offset store's in-memory map. */
export interface ReplayTarget {
  set(group: string, topic: string, partition: number, value: CommittedOffset, logOffset: number): void
  /** An offset committed inside producer `producerId`'s transaction (a transactional batch). */
  stage(
    producerId: number,
    producerEpoch: number,
    group: string,
    topic: string,
    partition: number,
    value: CommittedOffset,
    logOffset: number,
  ): void
  /** The producer's COMMIT or ABORT marker. */
  complete(producerId: number, result: 'commit' | 'abort'): void
  remove(group: string, topic: string, partition: number): void
  setGroupMetadata(group: string, metadata: GroupMetadata): void
  removeGroupMetadata(group: string): void
}

/**
 * Replays every record of the offsets log, in order, into `target`: a value replaces its key's
 * commit (or group metadata), a null value (a tombstone) deletes it, records without a key and
 * keys of other record types (Kafka's newer group kinds) are skipped. A value of a version no
 * schema defines fails the replay too ('unknown-version'): skipping it could bring back an older
 * commit in its place. A damaged record stops the replay with CorruptRecordError naming the segment
 * file and byte: replaying past it would bring back stale offsets, or lose newer ones, without
 * anyone knowing.
 *
 * Offsets in a transactional batch are staged for their producer until its COMMIT or ABORT marker
 * (transactional-offsets.ts); a transaction without a marker at the end of the log stays open.
 */
export async function replayOffsets(log: PartitionLog, target: ReplayTarget): Promise<void> {
  const end = log.logEndOffset
  for await (const batch of log.batches({ from: log.logStartOffset, to: end })) {
    if (batch.isControl) {
      for (const record of batch.records()) {
        const control = readControlRecord(record)
        if (control.type === 'COMMIT' || control.type === 'ABORT')
          target.complete(batch.producerId, control.type === 'COMMIT' ? 'commit' : 'abort')
      }
      continue
    }
    for (const record of batch.records()) {
      if (record.key === null) continue
      let field = record.key
      try {
        if (offsetsKeyVersion(record.key) === GROUP_METADATA_KEY_VERSION) {
          const group = decodeGroupMetadataKey(record.key)
          field = record.value ?? field
          if (record.value === null) target.removeGroupMetadata(group)
          else target.setGroupMetadata(group, decodeGroupMetadataValue(record.value))
          continue
        }
        const key = decodeOffsetKey(record.key)
        if (key === null) continue
        field = record.value ?? field
        if (batch.isTransactional) {
          // Kafka writes no transactional tombstones; one would delete nothing, so it is skipped.
          if (record.value !== null)
            target.stage(
              batch.producerId,
              batch.producerEpoch,
              key.group,
              key.topic,
              key.partition,
              decodeOffsetValue(record.value),
              record.offset,
            )
        } else if (record.value === null) target.remove(key.group, key.topic, key.partition)
        else target.set(key.group, key.topic, key.partition, decodeOffsetValue(record.value), record.offset)
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error
        throw await inSegmentFile(log, error, batch, field, record.offset)
      }
    }
  }
}

/** Re-anchors an error inside a record's key or value to the segment file holding its batch. */
async function inSegmentFile(
  log: PartitionLog,
  error: CorruptRecordError,
  batch: RecordBatch,
  field: Buffer,
  offset: number,
): Promise<CorruptRecordError> {
  const segments = log.segmentList
  let slot = segments.length - 1
  while (slot > 0 && segments[slot]!.baseOffset > batch.baseOffset) slot--
  const segment = segments[slot]!
  const location = await segment.findBatch(batch.baseOffset)
  const detail = `offsets record at offset ${offset}: ${error.detail}`
  if (location === null) return new CorruptRecordError(error.reason, 0, detail, segment.paths.log, { cause: error })
  // In an uncompressed batch the field is a view of the batch's bytes: point at the very byte.
  const isView = field.buffer === batch.buffer.buffer && field.byteOffset >= batch.buffer.byteOffset
  const inBatch = isView ? field.byteOffset - batch.buffer.byteOffset + error.position : BATCH_HEADER_SIZE
  return new CorruptRecordError(error.reason, location.position + inBatch, detail, segment.paths.log, { cause: error })
}

import { readControlRecord } from '../../record/control-record.js'
import { CorruptRecordError } from '../../record/errors.js'
import { compressionNameOf, NO_SEQUENCE, sequenceAfter, type RecordBatch } from '../../record/record-batch.js'
import type { DecodedRecord } from '../../record/record.js'
import { legacyTimestampTypeName, type LegacyMessage, type LegacyRecordBatch } from '../../record/legacy-message.js'
import { offsetsJson, offsetsKeyText, offsetsPayloadText, type OffsetsRecord } from '../../engine/inspect/offsets-decode.js'

/**
 * The lines `seglog dump` prints for a `.log` file's batches and records: Kafka's kafka-dump-log.sh
 * text shape, or one JSON document per line.
 */

/** Batch fields every record line repeats, read once per batch. */
export class RecordShape {
  readonly baseOffset: number
  readonly baseSequence: number
  readonly timestampType: string
  readonly isControl: boolean

  constructor(batch: RecordBatch) {
    this.baseOffset = batch.baseOffset
    this.baseSequence = batch.baseSequence
    this.timestampType = legacyTimestampTypeName(batch)
    this.isControl = batch.isControl
  }

  sequenceOf(offset: number): number {
    return this.baseSequence < 0 ? NO_SEQUENCE : sequenceAfter(this.baseSequence, offset - this.baseOffset)
  }
}

/** Kafka's magic-2 batch line (DumpLogSegments printBatchLevel), field for field. */
export function batchLine(batch: RecordBatch, position: number, isValid: boolean): string {
  const horizon = batch.hasDeleteHorizon ? `OptionalLong[${batch.baseTimestamp}]` : 'OptionalLong.empty'
  return (
    `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.recordCount}` +
    ` baseSequence: ${batch.baseSequence} lastSequence: ${batch.lastSequence}` +
    ` producerId: ${batch.producerId} producerEpoch: ${batch.producerEpoch}` +
    ` partitionLeaderEpoch: ${batch.partitionLeaderEpoch} isTransactional: ${batch.isTransactional}` +
    ` isControl: ${batch.isControl} deleteHorizonMs: ${horizon}` +
    ` position: ${position} ${batch.timestampType}: ${batch.maxTimestamp} size: ${batch.sizeInBytes}` +
    ` magic: ${batch.magic} compresscodec: ${compressionNameOf(batch.compressionId)} crc: ${batch.crc} isvalid: ${isValid}`
  )
}

/** Kafka's batch line for a legacy entry (magic 0 or 1): `offset:` is the entry's last offset. */
export function legacyBatchLine(batch: LegacyRecordBatch, position: number, isValid: boolean): string {
  return (
    `offset: ${batch.lastOffset} position: ${position} ${legacyTimestampTypeName(batch)}: ${batch.maxTimestamp}` +
    ` size: ${batch.sizeInBytes} magic: ${batch.magic} compresscodec: ${compressionNameOf(batch.compressionId)}` +
    ` crc: ${batch.crc} isvalid: ${isValid}`
  )
}

/**
 * Kafka's record line for a legacy message: no sequence or headers, the message's own validity and
 * CRC instead. The `}` after the CRC is in Kafka's output too (a stray brace in its format string);
 * it is kept so tools that parse kafka-dump-log output read ours alike.
 */
export function legacyRecordLine(shape: RecordShape, message: LegacyMessage, printDataLog: boolean, offsets: OffsetsRecord | null): string {
  let line =
    `| offset: ${message.offset} ${shape.timestampType}: ${message.timestamp}` +
    ` keySize: ${message.key === null ? -1 : message.key.length} valueSize: ${message.value === null ? -1 : message.value.length}` +
    ` isValid: ${message.isValid} crc: ${message.crc}}`
  if (offsets !== null) {
    line += ` key: ${offsetsKeyText(offsets, message.offset)}`
    const payload = offsetsPayloadText(offsets)
    if (payload !== null) line += ` payload: ${payload}`
  } else if (printDataLog) {
    if (message.key !== null) line += ` key: ${message.key.toString('utf8')}`
    if (message.value !== null) line += ` payload: ${message.value.toString('utf8')}`
  }
  return line
}

/**
 * Kafka's deep-iteration record line; keys and values decode as UTF-8, as its StringDecoder does,
 * or as offset commits with --offsets-decoder (`offsets`), as its OffsetsMessageParser does.
 */
export function recordLine(shape: RecordShape, record: DecodedRecord, printDataLog: boolean, offsets: OffsetsRecord | null): string {
  let headerKeys = ''
  for (let slot = 0; slot < record.headers.length; slot++) headerKeys += (slot === 0 ? '' : ',') + record.headers[slot]!.key
  let line =
    `| offset: ${record.offset} ${shape.timestampType}: ${record.timestamp}` +
    ` keySize: ${record.key === null ? -1 : record.key.length} valueSize: ${record.value === null ? -1 : record.value.length}` +
    ` sequence: ${shape.sequenceOf(record.offset)} headerKeys: [${headerKeys}]`
  if (shape.isControl) {
    line += controlSuffix(record)
  } else if (offsets !== null) {
    line += ` key: ${offsetsKeyText(offsets, record.offset)}`
    const payload = offsetsPayloadText(offsets)
    if (payload !== null) line += ` payload: ${payload}`
  } else if (printDataLog) {
    if (record.key !== null) line += ` key: ${record.key.toString('utf8')}`
    if (record.value !== null) line += ` payload: ${record.value.toString('utf8')}`
  }
  return line
}

function controlSuffix(record: DecodedRecord): string {
  const control = readControlRecord(record)
  if (control.type === 'ABORT' || control.type === 'COMMIT') {
    if (control.coordinatorEpoch === null) {
      throw new CorruptRecordError('truncated-record', 0, `${control.type} marker value is shorter than 6 bytes`)
    }
    return ` endTxnMarker: ${control.type} coordinatorEpoch: ${control.coordinatorEpoch}`
  }
  // Kafka prints KRaft snapshot and voter records as JSON; seglog names the type instead.
  return ` controlType: ${control.type}(${control.typeId})`
}

export function batchJson(batch: RecordBatch, position: number, isValid: boolean): string {
  return JSON.stringify({
    type: 'batch',
    baseOffset: batch.baseOffset,
    lastOffset: batch.lastOffset,
    count: batch.recordCount,
    position,
    size: batch.sizeInBytes,
    magic: batch.magic,
    compression: compressionNameOf(batch.compressionId),
    crc: batch.crc,
    isValid,
    baseTimestamp: batch.baseTimestamp,
    maxTimestamp: batch.maxTimestamp,
    timestampType: legacyTimestampTypeName(batch),
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    lastSequence: batch.lastSequence,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    deleteHorizonMs: batch.hasDeleteHorizon ? batch.baseTimestamp : null,
  })
}

export function recordJson(shape: RecordShape, record: DecodedRecord, offsets: OffsetsRecord | null): string {
  const headers: [string, string | null][] = []
  for (const header of record.headers) headers.push([header.key, base64(header.value)])
  const json: Record<string, unknown> = {
    type: 'record',
    offset: record.offset,
    timestamp: record.timestamp,
    key: base64(record.key),
    value: base64(record.value),
    headers,
  }
  if (shape.isControl) {
    const control = readControlRecord(record)
    json.control = { type: control.type, typeId: control.typeId, coordinatorEpoch: control.coordinatorEpoch }
  }
  if (offsets !== null) Object.assign(json, offsetsJson(offsets, record.offset))
  return JSON.stringify(json)
}

function base64(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('base64')
}

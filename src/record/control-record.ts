import { CorruptRecordError } from './errors.js'
import type { DecodedRecord } from './record.js'

/**
 * The single record of a control batch. Its key is int16 version + int16 type; transaction
 * markers (ABORT, COMMIT) carry int16 version + int32 coordinatorEpoch as the value.
 */
export const CONTROL_TYPES = [
  'ABORT',
  'COMMIT',
  'LEADER_CHANGE',
  'SNAPSHOT_HEADER',
  'SNAPSHOT_FOOTER',
  'KRAFT_VERSION',
  'KRAFT_VOTERS',
] as const

export interface ControlRecord {
  /** A known name, or UNKNOWN: unknown types must be ignored, not rejected. */
  type: (typeof CONTROL_TYPES)[number] | 'UNKNOWN'
  typeId: number
  /** Present for ABORT and COMMIT markers. */
  coordinatorEpoch: number | null
}

export function readControlRecord(record: DecodedRecord): ControlRecord {
  const key = record.key
  if (key === null || key.length < 4) throw new CorruptRecordError('truncated-record', 0, 'control record key shorter than 4 bytes')
  const version = key.readInt16BE(0)
  if (version < 0) throw new CorruptRecordError('truncated-record', 0, `negative control record version ${version}`)
  const typeId = key.readInt16BE(2)
  const type = CONTROL_TYPES[typeId] ?? 'UNKNOWN'
  let coordinatorEpoch: number | null = null
  if ((type === 'ABORT' || type === 'COMMIT') && record.value !== null && record.value.length >= 6) {
    coordinatorEpoch = record.value.readInt32BE(2)
  }
  return { type, typeId, coordinatorEpoch }
}

/** Key and value of a transaction marker, for writing a control batch. */
export function encodeTransactionMarker(type: 'ABORT' | 'COMMIT', coordinatorEpoch: number): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(type === 'ABORT' ? 0 : 1, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(0, 0)
  value.writeInt32BE(coordinatorEpoch, 2)
  return { key, value }
}

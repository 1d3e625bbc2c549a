import { CorruptRecordError } from './errors.js'

/**
 * Zigzag varints as Kafka's records use them (protobuf style): zigzag maps signed to unsigned so
 * small negatives stay short, then unsigned LEB128, 7 bits per byte, low group first.
 * A varint takes at most 5 bytes, a varlong at most 10; longer encodings are corruption.
 *
 * Varlongs are JavaScript numbers here: every varlong in a record (a timestamp delta) fits a safe
 * integer in practice, and one that does not is rejected rather than rounded.
 */

/** Result slot for decoders: avoids allocating a {value, size} object per varint. */
export interface VarintCursor {
  /** Position of the next byte to read; advanced by each read. */
  position: number
}

export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  let size = 1
  while (v >= 0x80) {
    v >>>= 7
    size++
  }
  return size
}

export function writeVarint(buf: Buffer, value: number, position: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  while (v >= 0x80) {
    buf[position++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[position++] = v
  return position
}

/** Reads a zigzag varint at `cursor.position` (at most 5 bytes, must end before `end`). */
export function readVarint(buf: Buffer, cursor: VarintCursor, end: number): number {
  let position = cursor.position
  let result = 0
  let shift = 0
  for (;;) {
    if (position >= end) throw new CorruptRecordError('truncated-record', position, 'varint runs past the end of the record')
    const byte = buf[position++] as number
    if (shift === 28) {
      if (byte & 0x80) throw new CorruptRecordError('varint-overflow', cursor.position, 'varint longer than 5 bytes')
      result |= byte << 28
      break
    }
    result |= (byte & 0x7f) << shift
    if ((byte & 0x80) === 0) break
    shift += 7
  }
  cursor.position = position
  return (result >>> 1) ^ -(result & 1)
}

export function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint(value)
  // zigzag = 2 * magnitude + sign; 6 bits of magnitude go in the first byte, 7 in each after.
  let magnitude = Math.floor((value >= 0 ? value : -value - 1) / 64)
  let size = 1
  while (magnitude > 0) {
    magnitude = Math.floor(magnitude / 128)
    size++
  }
  return size
}

/**
 * Values beyond 2^30 take the slow path, which never forms 2 * value (that can exceed 2^53 and
 * round): the sign goes into the first byte's low bit and the magnitude is split from there.
 */
export function writeVarlong(buf: Buffer, value: number, position: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, value, position)
  const sign = value >= 0 ? 0 : 1
  let magnitude = value >= 0 ? value : -value - 1
  let group = ((magnitude % 64) << 1) | sign
  magnitude = Math.floor(magnitude / 64)
  while (magnitude > 0) {
    buf[position++] = group | 0x80
    group = magnitude % 128
    magnitude = Math.floor(magnitude / 128)
  }
  buf[position++] = group
  return position
}

/** Reads a zigzag varlong (at most 10 bytes); a value beyond the safe integer range is corruption. */
export function readVarlong(buf: Buffer, cursor: VarintCursor, end: number): number {
  const start = cursor.position
  let position = start
  // Fast path: values that fit 28 bits of zigzag (all realistic timestamp deltas) use int math.
  let small = 0
  let shift = 0
  for (; shift < 28; shift += 7) {
    if (position >= end) throw new CorruptRecordError('truncated-record', position, 'varlong runs past the end of the record')
    const byte = buf[position++] as number
    small |= (byte & 0x7f) << shift
    if ((byte & 0x80) === 0) {
      cursor.position = position
      return (small >>> 1) ^ -(small & 1)
    }
  }
  // Slow path: keep the low 28 bits and the higher groups apart so the zigzag halving is exact.
  let high = 0
  let multiplier = 1
  for (let count = 4; ; count++) {
    if (count >= 10) throw new CorruptRecordError('varint-overflow', start, 'varlong longer than 10 bytes')
    if (position >= end) throw new CorruptRecordError('truncated-record', position, 'varlong runs past the end of the record')
    const byte = buf[position++] as number
    high += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) break
    multiplier *= 128
  }
  // zigzag value = high * 2^28 + small; its magnitude is half of that, rounded down.
  const magnitude = high * 0x8000000 + (small >>> 1)
  const value = (small & 1) === 0 ? magnitude : -magnitude - 1
  if (!Number.isSafeInteger(value)) throw new CorruptRecordError('unsafe-int64', start, 'varlong outside the safe integer range')
  cursor.position = position
  return value
}

import { InvalidArgumentError } from '../errors.js'

/**
 * Checks of the arguments a partition log takes from its callers, so a bad value fails with
 * InvalidArgumentError naming the argument instead of a TypeError deep inside, or a hang. Pure.
 */

/** An offset, position or size: a safe integer >= 0. */
export function checkCount(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${where}: ${name} must be a non-negative integer, got ${describe(value)}`)
  }
  return value
}

/** An optional count: undefined gives `fallback`. */
export function optionalCount(value: unknown, name: string, where: string, fallback: number): number {
  return value === undefined ? fallback : checkCount(value, name, where)
}

/** A wall-clock time in ms (any safe integer: tests and replays pass clocks far in the past or future). */
export function checkTimeMs(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new InvalidArgumentError(`${where}: ${name} must be an integer time in ms, got ${describe(value)}`)
  return value
}

/** An options object (undefined gives an empty one). */
export function checkOptions<T extends object>(value: T | undefined, where: string): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object')
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describe(value)}`)
  return value
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value)
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value
}

/** appendRecords' arguments: a non-empty array of records and an options object. */
export function checkRecords(records: unknown, options: object | undefined): void {
  if (!Array.isArray(records))
    throw new InvalidArgumentError(`appendRecords: records must be an array of records, got ${describe(records)}`)
  if (records.length === 0) throw new InvalidArgumentError('appendRecords: records must hold at least one record')
  checkOptions(options, 'appendRecords')
}

/** appendBatch's arguments: a Buffer and its options; returns `assignOffsets` (true by default). */
export function checkBatchBytes(bytes: unknown, options: { assignOffsets?: unknown } | undefined): boolean {
  if (!Buffer.isBuffer(bytes))
    throw new InvalidArgumentError(`appendBatch: bytes must be a Buffer of whole record batches, got ${describe(bytes)}`)
  const { assignOffsets = true } = checkOptions(options, 'appendBatch')
  if (typeof assignOffsets !== 'boolean')
    throw new InvalidArgumentError(`appendBatch: assignOffsets must be a boolean, got ${describe(assignOffsets)}`)
  return assignOffsets
}

/** setHighWatermark's argument: a safe integer >= 0, or null. */
export function checkHighWatermark(offset: unknown): void {
  if (offset !== null && (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)) {
    throw new InvalidArgumentError(`setHighWatermark: the high watermark must be a non-negative integer or null, got ${describe(offset)}`)
  }
}

import fs from 'node:fs'
import { InvalidArgumentError } from '../errors.js'

/** Small helpers of the engine's option handling and checkpoint comparison. */

export function readTextIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return '\u0000missing'
  }
}

export function positiveOption(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}

import fs from 'node:fs'
import { InvalidArgumentError } from '../errors.js'

/** A numeric engine option: `fallback` when not given, else an integer >= `min`. */
export function positiveOption(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${value}`)
  return value
}

/** A file's text, or a marker no file holds when it cannot be read (checkpoint change detection). */
export function readTextIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return '\u0000missing'
  }
}

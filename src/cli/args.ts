import { parseArgs } from 'node:util'
import { validateTopicName } from '../index.js'
import { UsageError } from './errors.js'

/**
 * Command-line parsing for seglog commands: node:util parseArgs underneath, with our own checks on
 * top so that every mistake becomes a one-line UsageError (exit 2) instead of parseArgs' long
 * messages. The same option table drives parsing and the --help text, so they cannot drift apart.
 */

export interface BooleanOption {
  readonly type: 'boolean'
  readonly short?: string
  readonly description: string
}

export interface StringOption {
  readonly type: 'string'
  readonly short?: string
  /** Placeholder shown in --help, e.g. 'N' for `--max-bytes N`. */
  readonly valueName: string
  readonly description: string
  /** May be given more than once; the values arrive as an array. */
  readonly multiple?: boolean
}

export type OptionSpec = BooleanOption | StringOption
export type OptionSpecs = Readonly<Record<string, OptionSpec>>

export type OptionValues<T extends OptionSpecs> = {
  -readonly [K in keyof T]: T[K] extends { type: 'boolean' } ? boolean : T[K] extends { multiple: true } ? string[] : string | undefined
}

export interface ParsedArgs<T extends OptionSpecs> {
  values: OptionValues<T>
  positionals: string[]
}

/** Every command accepts --help; main.ts answers it before the command runs. */
export const HELP_OPTION: BooleanOption = { type: 'boolean', short: 'h', description: 'show this help and exit' }

/**
 * Parses `argv` (the words after the command name) against `specs`. Throws UsageError, naming
 * `command`, for an unknown option, a string option without a value, a value given to a boolean
 * option, or a repeated single-valued option.
 */
export function parseCommandArgs<T extends OptionSpecs>(command: string, argv: readonly string[], specs: T): ParsedArgs<T> {
  const all: OptionSpecs = { help: HELP_OPTION, ...specs }
  const config: Record<string, { type: 'boolean' | 'string'; short?: string }> = {}
  for (const [name, spec] of Object.entries(all)) {
    config[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short }
  }
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true })

  const values: Record<string, boolean | string | string[] | undefined> = {}
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = spec.type === 'boolean' ? false : spec.multiple === true ? [] : undefined
  }
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value)
    if (token.kind !== 'option') continue
    const spec = all[token.name]
    if (spec === undefined) throw new UsageError(`unknown option '${token.rawName}'`, command)
    if (token.name === 'help') continue
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option '${token.rawName}' takes no value`, command)
      values[token.name] = true
      continue
    }
    // Without an inline value parseArgs takes the next word even if it is another option; a
    // leading '-' there almost always means the value was forgotten (negative numbers aside).
    const value = token.value
    if (value === undefined || (!token.inlineValue && value.startsWith('-') && !/^-\d/.test(value))) {
      throw new UsageError(`option '${token.rawName}' needs a value (${spec.valueName})`, command)
    }
    const previous = values[token.name]
    if (Array.isArray(previous)) previous.push(value)
    else if (previous !== undefined) throw new UsageError(`option '${token.rawName}' was given more than once`, command)
    else values[token.name] = value
  }
  return { values: values as OptionValues<T>, positionals }
}

/** True if the words contain --help or -h before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const word of argv) {
    if (word === '--') return false
    if (word === '--help' || word === '-h') return true
  }
  return false
}

/** Throws UsageError unless there are between `min` and `max` positionals, named `name` in the message. */
export function checkPositionals(command: string, positionals: readonly string[], name: string, min: number, max = Infinity): void {
  if (positionals.length < min) {
    throw new UsageError(min === 1 ? `missing ${name}` : `needs at least ${min} ${name} arguments`, command)
  }
  if (positionals.length > max) {
    const extra = positionals[max]
    throw new UsageError(`unexpected argument '${extra}'`, command)
  }
}

/** A topic name as the engine accepts it, or a usage error (exit 2) saying what is wrong with it. */
export function checkTopicName(command: string, topic: string | undefined): string {
  if (topic === undefined) throw new UsageError('missing --topic', command)
  try {
    return validateTopicName(topic)
  } catch (error) {
    throw new UsageError((error as Error).message, command)
  }
}

/** A whole number in [min, max]; anything else (fractions, units, junk) is a UsageError. */
export function parseIntegerOption(command: string, option: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`
    throw new UsageError(`option '--${option}' expects ${range}, got '${value}'`, command)
  }
  return number
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
}

/** A byte count: `1048576`, `64k`, `64KiB`, `1m`, `2g` (units are binary). */
export function parseByteSizeOption(command: string, option: string, value: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value)
  const unit = match === null ? undefined : SIZE_UNITS[match[2]!.toLowerCase()]
  const bytes = match === null || unit === undefined ? Number.NaN : Number(match[1]) * unit
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`option '--${option}' expects a byte count such as 1048576 or 64k, got '${value}'`, command)
  }
  return bytes
}

export interface HelpSpec {
  /** Usage lines after `Usage: `, e.g. `seglog dump [options] FILE...`. */
  usage: string | readonly string[]
  /** A paragraph or two; wrapped as written. */
  description: string
  options: OptionSpecs
  examples: readonly string[]
  /** Extra paragraphs after the examples (exit codes, notes). */
  notes?: string
}

/** The --help text: usage, description, an aligned option table (with --help added), examples. */
export function formatHelp(spec: HelpSpec): string {
  const usage = typeof spec.usage === 'string' ? [spec.usage] : spec.usage
  const lines = usage.map((line, slot) => (slot === 0 ? `Usage: ${line}` : `       ${line}`))
  lines.push('', spec.description.trimEnd())
  const all: OptionSpecs = { ...spec.options, help: HELP_OPTION }
  const rows = Object.entries(all).map(([name, option]) => {
    const flag = `${option.short === undefined ? '    ' : `-${option.short}, `}--${name}`
    return [option.type === 'string' ? `${flag} ${option.valueName}` : flag, option.description] as const
  })
  const width = Math.max(...rows.map(([flag]) => flag.length))
  lines.push('', 'Options:')
  for (const [flag, description] of rows) lines.push(`  ${flag.padEnd(width)}  ${description}`)
  if (spec.examples.length > 0) {
    lines.push('', 'Examples:')
    for (const example of spec.examples) lines.push(`  ${example}`)
  }
  if (spec.notes !== undefined) lines.push('', spec.notes.trimEnd())
  return lines.join('\n') + '\n'
}

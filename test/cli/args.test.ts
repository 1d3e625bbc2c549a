import { describe, expect, it } from 'vitest'
import {
  checkPositionals,
  formatHelp,
  parseByteSizeOption,
  parseCommandArgs,
  parseIntegerOption,
  wantsHelp,
  type OptionSpecs,
} from '../../src/cli/args.js'
import { UsageError } from '../../src/cli/errors.js'

const OPTIONS = {
  json: { type: 'boolean', description: 'json lines' },
  'max-bytes': { type: 'string', valueName: 'N', description: 'a limit' },
  header: { type: 'string', short: 'H', valueName: 'K=V', description: 'repeatable', multiple: true },
} as const satisfies OptionSpecs

function usageError(call: () => unknown): UsageError {
  try {
    call()
  } catch (error) {
    if (error instanceof UsageError) return error
    throw error
  }
  throw new Error('expected a UsageError')
}

describe('parseCommandArgs', () => {
  it('returns typed values with defaults, and positionals (also after --)', () => {
    const parsed = parseCommandArgs('x', ['a', '--json', '--max-bytes', '10', '-H', 'k=v', '--header=q=r', '--', '--json'], OPTIONS)
    expect(parsed.values).toEqual({ json: true, 'max-bytes': '10', header: ['k=v', 'q=r'] })
    expect(parsed.positionals).toEqual(['a', '--json'])
    expect(parseCommandArgs('x', [], OPTIONS).values).toEqual({ json: false, 'max-bytes': undefined, header: [] })
  })

  it('turns every mistake into a UsageError naming the command', () => {
    expect(usageError(() => parseCommandArgs('x', ['--nope'], OPTIONS))).toMatchObject({ command: 'x', message: "unknown option '--nope'" })
    expect(usageError(() => parseCommandArgs('x', ['-q'], OPTIONS)).message).toBe("unknown option '-q'")
    expect(usageError(() => parseCommandArgs('x', ['--max-bytes'], OPTIONS)).message).toMatch(/needs a value/)
    expect(usageError(() => parseCommandArgs('x', ['--max-bytes', '--json'], OPTIONS)).message).toMatch(/needs a value/)
    expect(usageError(() => parseCommandArgs('x', ['--json=1'], OPTIONS)).message).toMatch(/takes no value/)
    expect(usageError(() => parseCommandArgs('x', ['--max-bytes', '1', '--max-bytes', '2'], OPTIONS)).message).toMatch(/more than once/)
  })

  it('accepts a negative number as a value and --help anywhere', () => {
    expect(parseCommandArgs('x', ['--max-bytes', '-1'], OPTIONS).values['max-bytes']).toBe('-1')
    expect(parseCommandArgs('x', ['--help'], OPTIONS).positionals).toEqual([])
    expect(wantsHelp(['a', '-h'])).toBe(true)
    expect(wantsHelp(['--', '--help'])).toBe(false)
  })
})

describe('value parsers', () => {
  it('parses byte sizes with binary units', () => {
    expect(parseByteSizeOption('x', 'max-bytes', '1048576')).toBe(1048576)
    expect(parseByteSizeOption('x', 'max-bytes', '64k')).toBe(65536)
    expect(parseByteSizeOption('x', 'max-bytes', '2MiB')).toBe(2 * 1024 * 1024)
    expect(parseByteSizeOption('x', 'max-bytes', '1g')).toBe(1024 ** 3)
    for (const bad of ['', 'abc', '1.5', '-1', '10x', '1e3']) {
      expect(usageError(() => parseByteSizeOption('x', 'max-bytes', bad)).message).toContain('--max-bytes')
    }
  })

  it('parses whole numbers within bounds', () => {
    expect(parseIntegerOption('x', 'count', '42')).toBe(42)
    expect(usageError(() => parseIntegerOption('x', 'count', '3', 5, 10)).message).toMatch(/from 5 to 10/)
    expect(usageError(() => parseIntegerOption('x', 'count', '4.5')).command).toBe('x')
  })

  it('checks positional counts', () => {
    expect(usageError(() => checkPositionals('x', [], 'FILE', 1)).message).toBe('missing FILE')
    expect(usageError(() => checkPositionals('x', ['a', 'b'], 'DIR', 1, 1)).message).toBe("unexpected argument 'b'")
    checkPositionals('x', ['a'], 'DIR', 1, 1)
  })
})

describe('formatHelp', () => {
  it('lays out usage, description, aligned options with --help, examples and notes', () => {
    const text = formatHelp({
      usage: 'seglog x [options] FILE',
      description: 'Does x.',
      options: OPTIONS,
      examples: ['seglog x a'],
      notes: 'Exit 0.',
    })
    expect(text).toBe(
      [
        'Usage: seglog x [options] FILE',
        '',
        'Does x.',
        '',
        'Options:',
        '      --json         json lines',
        '      --max-bytes N  a limit',
        '  -H, --header K=V   repeatable',
        '  -h, --help         show this help and exit',
        '',
        'Examples:',
        '  seglog x a',
        '',
        'Exit 0.',
        '',
      ].join('\n'),
    )
  })
})

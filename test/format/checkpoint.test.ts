import { describe, expect, it } from 'vitest'
import { CorruptMetadataError } from '../../src/errors.js'
import { checkpointEntryLine, formatCheckpoint, parseCheckpoint } from '../../src/format/checkpoint.js'

function failure(text: string): CorruptMetadataError {
  try {
    parseCheckpoint(text, 'cp')
  } catch (error) {
    return error as CorruptMetadataError
  }
  throw new Error('parsed')
}

describe('checkpoint format', () => {
  it('round-trips entries in order, and finds the line of each', () => {
    const entries = new Map([
      ['orders 0', 1200],
      ['orders 1', 977],
    ])
    const text = formatCheckpoint(entries)
    expect(text).toBe('0\n2\norders 0 1200\norders 1 977\n')
    expect(parseCheckpoint(text, 'cp')).toEqual(entries)
    expect(checkpointEntryLine(entries, 'orders 1')).toBe(4)
    expect(checkpointEntryLine(entries, 'other 0')).toBe(0)
  })

  it('reports a malformed file as CORRUPT_METADATA with its file and line', () => {
    expect(failure('1\n0\n')).toMatchObject({ code: 'CORRUPT_METADATA', file: 'cp', line: 1 })
    expect(failure('0\nx\n')).toMatchObject({ code: 'CORRUPT_METADATA', line: 2 })
    expect(failure('0\n2\na 0 1\n')).toMatchObject({ code: 'CORRUPT_METADATA', line: 2 })
    expect(failure('0\n2\na 0 1\nb zero 4\n')).toMatchObject({ code: 'CORRUPT_METADATA', line: 4 })
    expect(failure('0\n1\na 0 -4\n')).toBeInstanceOf(CorruptMetadataError)
  })
})

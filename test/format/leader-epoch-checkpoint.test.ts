import { describe, expect, it } from 'vitest'
import { formatLeaderEpochCheckpoint, parseLeaderEpochCheckpoint } from '../../src/format/leader-epoch-checkpoint.js'
import { CorruptMetadataError } from '../../src/errors.js'

/** Kafka's leader-epoch-checkpoint text (spec §16.1): version 0, the count, then `epoch startOffset`. */
const text = '0\n3\n0 0\n2 150\n5 9000\n'
const entries = [
  { epoch: 0, startOffset: 0 },
  { epoch: 2, startOffset: 150 },
  { epoch: 5, startOffset: 9000 },
]

function failure(input: string): CorruptMetadataError {
  try {
    parseLeaderEpochCheckpoint(input, 'leader-epoch-checkpoint')
  } catch (error) {
    return error as CorruptMetadataError
  }
  throw new Error('parsed')
}

describe('leader-epoch-checkpoint', () => {
  it('writes exactly the bytes Kafka writes', () => {
    expect(Buffer.from(formatLeaderEpochCheckpoint(entries)).toString('hex')).toBe(Buffer.from(text).toString('hex'))
    expect(formatLeaderEpochCheckpoint([])).toBe('0\n0\n')
  })

  it('parses what it writes', () => {
    expect(parseLeaderEpochCheckpoint(text, 'f')).toEqual(entries)
  })

  it('reads an empty file (Kafka brokers leave them) as no entries, as Kafka does', () => {
    expect(parseLeaderEpochCheckpoint('', 'f')).toEqual([])
  })

  it('names the line of a damaged file', () => {
    expect(failure('1\n0\n')).toMatchObject({ code: 'CORRUPT_METADATA', line: 1 })
    expect(failure('0\n2\n0 0\n')).toMatchObject({ line: 2 })
    expect(failure('0\n1\n0 zero\n')).toMatchObject({ line: 3 })
    expect(failure('0\n2\n3 10\n2 20\n')).toMatchObject({ line: 4 })
  })
})

import { describe, expect, it } from 'vitest'
import { CorruptMetadataError } from '../../src/errors.js'
import { formatTopicsJson, parseTopicsJson } from '../../src/format/topics-file.js'

function failure(text: string): CorruptMetadataError {
  try {
    parseTopicsJson(text, 'topics.json')
  } catch (error) {
    return error as CorruptMetadataError
  }
  throw new Error('parsed')
}

describe('topics.json format', () => {
  it('round-trips the stored settings', () => {
    const topics = { orders: { partitions: 4 }, audit: { partitions: 1, retentionMs: 1000 } }
    expect(parseTopicsJson(formatTopicsJson(topics), 'topics.json')).toEqual(topics)
  })

  it('reports bad JSON with its byte position, and other versions or shapes, as CORRUPT_METADATA', () => {
    expect(failure('{"version": 1, "topics": {')).toMatchObject({ code: 'CORRUPT_METADATA', file: 'topics.json', line: null })
    expect(failure('{"version": 1 "topics": {}}').position).toBe(14)
    expect(failure('{"version": 2, "topics": {}}')).toMatchObject({ code: 'CORRUPT_METADATA', position: null })
    expect(failure('{"version": 1, "topics": []}').code).toBe('CORRUPT_METADATA')
    expect(failure('null').code).toBe('CORRUPT_METADATA')
    expect(failure('[1]').code).toBe('CORRUPT_METADATA')
  })
})

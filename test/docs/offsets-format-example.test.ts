import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  decodeOffsetCommitValue,
  decodeOffsetKey,
  decodeOffsetValue,
  encodeOffsetKey,
  encodeOffsetValue,
} from '../../src/format/offset-commit.js'
import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
} from '../../src/format/group-metadata.js'

/**
 * docs/format/offsets-topic.md is checked against the code: its hex dumps of a key and a value must
 * be what encodeOffsetKey / encodeOffsetValue write for the example the page describes, and every
 * position in the dumps' annotations must be where that line's bytes start.
 */

const DOC = readFileSync(new URL('../../docs/format/offsets-topic.md', import.meta.url), 'utf8')

const KEY = { group: 'billing', topic: 'orders', partition: 2 }
const VALUE = { offset: 1234, metadata: 'ok', commitTimestamp: 1_700_000_000_000 }

interface DumpLine {
  bytes: Buffer
  claimedPosition: number
}

/** The lines of the "```hex <name>" block: "hex bytes   # position  comment". */
function hexDump(name: string): DumpLine[] {
  const opening = '```hex ' + name + '\n'
  const start = DOC.indexOf(opening)
  if (start < 0) throw new Error(`docs/format/offsets-topic.md has no \`\`\`hex ${name} block`)
  const end = DOC.indexOf('\n```', start + opening.length)
  return DOC.slice(start + opening.length, end)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const hash = line.indexOf('#')
      const hex = (hash < 0 ? line : line.slice(0, hash)).replace(/\s+/g, '')
      expect(hex).toMatch(/^([0-9a-f]{2})+$/)
      return {
        bytes: Buffer.from(hex, 'hex'),
        claimedPosition: Number(
          line
            .slice(hash + 1)
            .trim()
            .split(/\s+/)[0],
        ),
      }
    })
}

function checkPositions(lines: DumpLine[]): Buffer {
  let position = 0
  for (const line of lines) {
    expect(line.claimedPosition).toBe(position)
    position += line.bytes.length
  }
  return Buffer.concat(lines.map((line) => line.bytes))
}

describe('docs/format/offsets-topic.md worked example', () => {
  it('describes the example the test encodes', () => {
    expect(DOC).toContain("encodeOffsetKey({ group: 'billing', topic: 'orders', partition: 2 })")
    expect(DOC).toContain("encodeOffsetValue({ offset: 1234, metadata: 'ok', commitTimestamp: 1700000000000 })")
  })

  it('the key dump is what encodeOffsetKey writes, and decodes back', () => {
    const bytes = checkPositions(hexDump('offsets-key'))
    expect(bytes.length).toBe(23)
    expect(bytes.toString('hex')).toBe(encodeOffsetKey(KEY).toString('hex'))
    expect(decodeOffsetKey(bytes)).toEqual(KEY)
  })

  it('the value dump is what encodeOffsetValue writes, and decodes back', () => {
    const bytes = checkPositions(hexDump('offsets-value'))
    expect(bytes.length).toBe(26)
    expect(bytes.toString('hex')).toBe(encodeOffsetValue(VALUE).toString('hex'))
    expect(decodeOffsetValue(bytes)).toEqual(VALUE)
  })

  it("the stated sizes match the dumps' lengths", () => {
    expect(DOC).toContain('The key, 23 bytes')
    expect(DOC).toContain('The value, 26 bytes')
  })

  it('the version 4 value dump decodes to the same commit, with its leader epoch', () => {
    const bytes = checkPositions(hexDump('offsets-value-v4'))
    expect(decodeOffsetCommitValue(bytes)).toEqual({ ...VALUE, version: 4, leaderEpoch: 7, expireTimestamp: null })
  })

  it('the group metadata dumps are what the encoders write for the example, and decode back', () => {
    const metadata = {
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: 'm',
      currentStateTimestamp: 1_700_000_000_000,
      members: [
        {
          memberId: 'm',
          groupInstanceId: 'i',
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeoutMs: 30_000,
          sessionTimeoutMs: 10_000,
          subscription: Buffer.from([0xaa]),
          assignment: Buffer.from([0xbb, 0xcc]),
        },
      ],
    }
    const key = checkPositions(hexDump('group-metadata-key'))
    expect(key.toString('hex')).toBe(encodeGroupMetadataKey('g').toString('hex'))
    expect(decodeGroupMetadataKey(key)).toBe('g')
    const value = checkPositions(hexDump('group-metadata-value'))
    expect(value.toString('hex')).toBe(encodeGroupMetadataValue(metadata).toString('hex'))
    expect(decodeGroupMetadataValue(value)).toEqual({ ...metadata, version: 3 })
  })
})

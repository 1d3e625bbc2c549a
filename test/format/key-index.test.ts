import { describe, expect, it } from 'vitest'
import { decodeKeyIndex, encodeKeyIndex, keyHash, KEY_INDEX_ENTRY_SIZE, KEY_INDEX_HEADER_SIZE } from '../../src/format/key-index.js'
import { CorruptRecordError } from '../../src/record/errors.js'

/** The `.keyindex` file byte for byte (docs/format/key-index.md): 24-byte header, 12-byte entries. */
const header = { coveredRelativeOffset: 10, lastBatchRelativeOffset: 7, lastBatchCrc: 0xdeadbeef }
const columns = {
  hashes: Uint32Array.from([0xe40c292c, 0x811c9dc5]),
  relativeOffsets: Uint32Array.from([3, 9]),
  batchRelativeOffsets: Uint32Array.from([2, 7]),
  count: 2,
}
const fileHex =
  '53474b49' + // magic 'SGKI'
  '0000' + // version 0
  '0000' + // reserved
  '0000000a' + // covered: relative offsets below 10
  '00000007' + // last batch indexed at relative offset 7
  'deadbeef' + // its CRC field
  '00000002' + // two entries
  'e40c292c' + // hash of "a"
  '00000003' + // relative offset 3
  '00000002' + // in the batch at relative offset 2
  '811c9dc5' + // hash of "" (the FNV offset basis)
  '00000009' +
  '00000007'

function failure(bytes: Buffer): CorruptRecordError {
  try {
    decodeKeyIndex(bytes)
  } catch (error) {
    return error as CorruptRecordError
  }
  throw new Error('decoded')
}

describe('.keyindex', () => {
  it('hashes keys with 32-bit FNV-1a (published test vectors)', () => {
    expect(keyHash(Buffer.alloc(0))).toBe(0x811c9dc5)
    expect(keyHash(Buffer.from('a'))).toBe(0xe40c292c)
    expect(keyHash(Buffer.from('foobar'))).toBe(0xbf9cf968)
  })

  it('encodes to the documented bytes and decodes them back', () => {
    expect(KEY_INDEX_HEADER_SIZE).toBe(24)
    expect(KEY_INDEX_ENTRY_SIZE).toBe(12)
    const bytes = encodeKeyIndex(header, columns)
    expect(bytes.toString('hex')).toBe(fileHex)
    const decoded = decodeKeyIndex(bytes)
    expect(decoded.header).toEqual(header)
    expect(decoded.columns).toEqual(columns)
  })

  it('writes "no batch" as 0xffffffff and reads it back as -1', () => {
    const empty = { hashes: new Uint32Array(0), relativeOffsets: new Uint32Array(0), batchRelativeOffsets: new Uint32Array(0), count: 0 }
    const bytes = encodeKeyIndex({ coveredRelativeOffset: 0, lastBatchRelativeOffset: -1, lastBatchCrc: 0 }, empty)
    expect(bytes.subarray(12, 16).toString('hex')).toBe('ffffffff')
    expect(decodeKeyIndex(bytes).header.lastBatchRelativeOffset).toBe(-1)
  })

  it('rejects a wrong magic, a short or long file and entries out of order, with the byte position', () => {
    const bytes = Buffer.from(fileHex, 'hex')
    const badMagic = Buffer.from(bytes)
    badMagic[0] = 0
    expect(failure(badMagic)).toMatchObject({ code: 'CORRUPT_RECORD', reason: 'bad-magic', position: 0 })
    expect(failure(bytes.subarray(0, 10))).toMatchObject({ reason: 'bad-length', position: 0 })
    expect(failure(bytes.subarray(0, bytes.length - 1))).toMatchObject({ reason: 'bad-length', position: 20 })
    const unordered = Buffer.from(bytes)
    unordered.writeUInt32BE(2, 24 + 12 + 4) // second entry below the first
    expect(failure(unordered)).toMatchObject({ reason: 'bad-offset', position: 24 + 12 + 4 })
    const pastCovered = Buffer.from(bytes)
    pastCovered.writeUInt32BE(10, 24 + 12 + 4) // at the covered offset
    expect(failure(pastCovered)).toMatchObject({ reason: 'bad-offset', position: 24 + 12 + 4 })
  })
})

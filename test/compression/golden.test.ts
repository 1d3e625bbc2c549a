import { describe, expect, it } from 'vitest'
import { codecForName } from '../../src/compression/index.js'

/** The worked examples in docs/format/compression.md; a change here needs a docs change too. */
describe('golden bytes from docs/format/compression.md', () => {
  const hello = Buffer.from('hello')
  const hellos = Buffer.from('hello hello hello hello hello hello')

  it('gzip', () => {
    expect(codecForName('gzip').compress(hello).subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003')
  })

  it('snappy (xerial)', () => {
    expect(codecForName('snappy').compress(hellos).toString('hex')).toBe(
      '82534e4150505900' + '00000001' + '00000001' + '0000000b' + '23' + '1468656c6c6f20' + '720600',
    )
  })

  it('lz4: a raw block and a compressed block', () => {
    const lz4 = codecForName('lz4')
    expect(lz4.compress(hello).toString('hex')).toBe('04224d18604082' + '05000080' + '68656c6c6f' + '00000000')
    expect(lz4.compress(hellos).toString('hex')).toBe('04224d18604082' + '10000000' + '6f68656c6c6f20060005' + '5068656c6c6f' + '00000000')
  })

  it('zstd: frame header with a 1-byte content size', () => {
    expect(codecForName('zstd').compress(hellos).subarray(0, 9).toString('hex')).toBe('28b52ffd' + '20' + '23' + '650000')
  })
})

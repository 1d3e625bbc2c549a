import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import {
  codecForId,
  codecForName,
  CodecRegistry,
  COMPRESSION_IDS,
  CorruptCompressionError,
  UnsupportedCompressionError,
} from '../../src/compression/index.js'
import { thrownBy } from './helpers.js'

const realRequire = createRequire(import.meta.url)

function unsupportedBy(fn: () => unknown): UnsupportedCompressionError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(UnsupportedCompressionError)
  return error as UnsupportedCompressionError
}

describe('codecForId / codecForName', () => {
  it('finds every Kafka codec by id and by name, and returns the same instance each time', () => {
    for (const [name, id] of Object.entries(COMPRESSION_IDS)) {
      const codec = codecForId(id)
      expect(codec).toMatchObject({ id, name })
      expect(codecForName(name)).toBe(codec)
      expect(codecForId(id)).toBe(codec)
    }
  })

  it.each([5, 6, 7, -1, 8, 1.5, Number.NaN])('rejects id %d with UnsupportedCompressionError', (id) => {
    const error = unsupportedBy(() => codecForId(id))
    expect(error).toMatchObject({ code: 'UNSUPPORTED_COMPRESSION', codec: id, packageName: undefined })
    expect(error).toBeInstanceOf(SeglogError)
  })

  it.each(['LZ4', 'brotli', '', 'constructor', 'toString'])('rejects name %j', (name) => {
    expect(unsupportedBy(() => codecForName(name))).toMatchObject({ code: 'UNSUPPORTED_COMPRESSION', codec: name })
  })
})

describe('a native package that fails to load', () => {
  it.each([
    ['lz4', 'lz4', 'lz4'],
    ['snappy', 'snappy', 'snappy'],
    ['zstd-napi/binding.js', 'zstd-napi', 'zstd'],
  ] as const)('makes only its codec unsupported (%s), naming the package %s', (specifier, packageName, name) => {
    let loads = 0
    const registry = new CodecRegistry((requested) => {
      if (requested === specifier) {
        loads++
        throw new Error(`Cannot find module '${requested}'`)
      }
      return realRequire(requested)
    })
    const id = COMPRESSION_IDS[name]
    const byId = unsupportedBy(() => registry.codecForId(id))
    expect(byId).toMatchObject({ code: 'UNSUPPORTED_COMPRESSION', codec: id, packageName })
    expect(byId.message).toContain(`npm install ${packageName}`)
    expect(byId.cause).toBeInstanceOf(Error)
    expect(unsupportedBy(() => registry.codecForName(name))).toMatchObject({ codec: name, packageName })
    // The failure is remembered, not retried on every batch.
    expect(loads).toBe(1)
    for (const other of Object.values(COMPRESSION_IDS)) {
      if (other !== id) expect(registry.codecForId(other).id).toBe(other)
    }
  })

  it('treats a package without the functions we call as failing to load', () => {
    const registry = new CodecRegistry(() => ({ compressSync: () => Buffer.alloc(0) }))
    expect(unsupportedBy(() => registry.codecForName('lz4'))).toMatchObject({ packageName: 'lz4' })
    expect(unsupportedBy(() => registry.codecForName('snappy'))).toMatchObject({ packageName: 'snappy' })
    expect(unsupportedBy(() => registry.codecForName('zstd'))).toMatchObject({ packageName: 'zstd-napi' })
  })
})

describe('errors', () => {
  it('CorruptCompressionError carries codec, position and detail under code CORRUPT_RECORD', () => {
    const error = new CorruptCompressionError('lz4', 42, 'block checksum mismatch', { cause: 'x' })
    expect(error).toBeInstanceOf(SeglogError)
    expect(error).toMatchObject({
      name: 'CorruptCompressionError',
      code: 'CORRUPT_RECORD',
      codec: 'lz4',
      position: 42,
      detail: 'block checksum mismatch',
      cause: 'x',
    })
  })

  it('UnsupportedCompressionError names the codec and, for a load failure, the package', () => {
    expect(new UnsupportedCompressionError(7)).toMatchObject({
      name: 'UnsupportedCompressionError',
      code: 'UNSUPPORTED_COMPRESSION',
      codec: 7,
    })
    expect(new UnsupportedCompressionError('zstd', 'zstd-napi').message).toContain('zstd-napi')
  })
})

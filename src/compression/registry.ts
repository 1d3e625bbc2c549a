import { createRequire } from 'node:module'
import { COMPRESSION_IDS, type Codec, type CompressionName } from './codec.js'
import { UnsupportedCompressionError } from './errors.js'
import { gzipCodec } from './gzip.js'
import { Lz4FrameCodec, type Lz4Binding } from './lz4-frame.js'
import { noneCodec } from './none.js'
import { SnappyXerialCodec, type SnappyBinding } from './snappy-xerial.js'
import { ZstdCodec, type ZstdBinding } from './zstd.js'

/**
 * Codecs by Kafka attribute id, like KafkaJS's registry keyed by the attribute bits. none and gzip
 * are built in. lz4, snappy and zstd wrap native packages, loaded on first use: if one fails to
 * load, only that codec is unsupported, and the error names the package to install.
 */

/** Loads a package by specifier; `require` from `createRequire`, or a stand-in in tests. */
export type ModuleLoader = (specifier: string) => unknown

type NativeCodecId = typeof COMPRESSION_IDS.lz4 | typeof COMPRESSION_IDS.snappy | typeof COMPRESSION_IDS.zstd

interface NativeCodec {
  /** What `npm install` needs. */
  readonly packageName: string
  /** What we load, which may be a file inside the package. */
  readonly specifier: string
  /** Exports the codec calls; a package without them (another major version) counts as missing. */
  readonly exports: readonly string[]
  readonly create: (binding: unknown) => Codec
}

const NATIVE_CODECS: Readonly<Record<NativeCodecId, NativeCodec>> = {
  [COMPRESSION_IDS.lz4]: {
    packageName: 'lz4',
    specifier: 'lz4',
    exports: ['encodeBlock', 'decodeBlock', 'utils'],
    create: (binding) => new Lz4FrameCodec(binding as Lz4Binding),
  },
  [COMPRESSION_IDS.snappy]: {
    packageName: 'snappy',
    specifier: 'snappy',
    exports: ['compressSync', 'uncompressSync'],
    create: (binding) => new SnappyXerialCodec(binding as SnappyBinding),
  },
  [COMPRESSION_IDS.zstd]: {
    packageName: 'zstd-napi',
    specifier: 'zstd-napi/binding.js',
    exports: ['CCtx', 'DCtx', 'compressBound', 'getFrameContentSize', 'findFrameCompressedSize', 'CParameter', 'ResetDirective'],
    create: (binding) => new ZstdCodec(binding as ZstdBinding),
  },
}

export class CodecRegistry {
  private readonly load: ModuleLoader
  /** Indexed by id; filled on first use. */
  private readonly codecs: (Codec | undefined)[]
  /** Why a native codec failed to load, indexed by id, so we do not retry on every batch. */
  private readonly failures: unknown[]

  constructor(load: ModuleLoader) {
    this.load = load
    this.codecs = [noneCodec, gzipCodec, undefined, undefined, undefined]
    this.failures = []
  }

  /** The codec for a batch's compression id (attributes bits 0-2). */
  codecForId(id: number): Codec {
    return this.codecs[id] ?? this.loadCodec(id, id)
  }

  /** The codec for a name such as 'lz4', as given in producer or topic options. */
  codecForName(name: string): Codec {
    if (!Object.hasOwn(COMPRESSION_IDS, name)) throw new UnsupportedCompressionError(name)
    const id = COMPRESSION_IDS[name as CompressionName]
    return this.codecs[id] ?? this.loadCodec(id, name)
  }

  /** `requested` is what the caller asked for, so the error names it the way they did. */
  private loadCodec(id: number, requested: number | string): Codec {
    if (!isNativeCodecId(id)) throw new UnsupportedCompressionError(requested)
    const native = NATIVE_CODECS[id]
    if (id in this.failures) throw new UnsupportedCompressionError(requested, native.packageName, { cause: this.failures[id] })
    try {
      const binding = this.load(native.specifier) as Record<string, unknown> | null
      const absent = native.exports.filter((name) => binding?.[name] === undefined)
      if (absent.length > 0) throw new Error(`'${native.specifier}' does not export ${absent.join(', ')}`)
      const codec = native.create(binding)
      this.codecs[id] = codec
      return codec
    } catch (error) {
      this.failures[id] = error
      throw new UnsupportedCompressionError(requested, native.packageName, { cause: error })
    }
  }
}

function isNativeCodecId(id: number): id is NativeCodecId {
  return id === COMPRESSION_IDS.lz4 || id === COMPRESSION_IDS.snappy || id === COMPRESSION_IDS.zstd
}

const defaultRegistry = new CodecRegistry(createRequire(import.meta.url))

/** The codec for a batch's compression id; UnsupportedCompressionError for 5-7 or a missing package. */
export function codecForId(id: number): Codec {
  return defaultRegistry.codecForId(id)
}

/** The codec named `name` ('none', 'gzip', 'snappy', 'lz4', 'zstd'); UnsupportedCompressionError otherwise. */
export function codecForName(name: string): Codec {
  return defaultRegistry.codecForName(name)
}

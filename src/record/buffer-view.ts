/**
 * Buffer views of a decoded batch (keys, values, header values), made the cheap way. Decoders
 * hand out two views per record, and `Buffer#subarray` costs about 45 ns each on Node 20: most of
 * it reading the source's `buffer` and `byteOffset` getters again on every call. Node's own Buffer
 * class (`FastBuffer`, which `Buffer[Symbol.species]` returns) built from the ArrayBuffer and
 * offset read once per source costs about 18 ns, and what it makes is a Buffer in every way (the
 * same prototype, the same class `subarray` itself uses). Should a Node version not expose that
 * class so, `subarray` is used.
 */
type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer

function loadViewConstructor(): ViewConstructor | null {
  const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species]
  if (typeof species !== 'function') return null
  try {
    const probe = new (species as ViewConstructor)(new ArrayBuffer(4), 1, 2)
    const isBufferView = Object.getPrototypeOf(probe) === Buffer.prototype && probe.byteOffset === 1 && probe.length === 2
    return isBufferView ? (species as ViewConstructor) : null
  } catch {
    return null
  }
}

const ViewOf = loadViewConstructor()

const EMPTY = Buffer.alloc(0)

/**
 * Makes views of one source buffer after another, remembering the last source's ArrayBuffer and
 * offset (a decoder asks for many views of one batch in a row). It keeps that source reachable
 * until the next one: one batch.
 */
export class BufferViews {
  private source: Buffer = EMPTY
  private arrayBuffer: ArrayBufferLike = EMPTY.buffer
  private base = 0

  /** `length` bytes of `source` from `start`, sharing its memory. */
  view(source: Buffer, start: number, length: number): Buffer {
    if (ViewOf === null) return source.subarray(start, start + length)
    if (source !== this.source) {
      this.source = source
      this.arrayBuffer = source.buffer
      this.base = source.byteOffset
    }
    return new ViewOf(this.arrayBuffer, this.base + start, length)
  }
}

/** The views every decoder of this process shares (decoding is synchronous, one record at a time). */
export const bufferViews = new BufferViews()

// Type declarations for dependencies that ship none.

declare module 'crc-32/crc32c.js' {
  /** CRC-32C (Castagnoli) of a buffer; the result is a signed 32-bit number (apply `>>> 0`). */
  export function buf(data: Uint8Array, seed?: number): number
  export function str(data: string, seed?: number): number
  const _default: { buf: typeof buf; str: typeof str }
  export default _default
}

declare module 'lz4' {
  /**
   * Compresses all of `input` as one raw LZ4 block into `output[startIdx, endIdx)` (default: all of
   * `output`); returns the bytes written, or 0 if the block did not fit. The native code does not
   * check `endIdx` against `output.length`: the caller must.
   */
  export function encodeBlock(input: Buffer, output: Buffer, startIdx?: number, endIdx?: number): number
  export function encodeBlockHC(input: Buffer, output: Buffer, compressionLevel?: number): number
  /**
   * Decompresses the raw LZ4 block `input[startIdx, endIdx)` (default: all of `input`) into `output`
   * from its start, never past `output.length`; returns the bytes written, or a negative number
   * (minus the failing input position, minus 1) on malformed input or too small an output.
   */
  export function decodeBlock(input: Buffer, output: Buffer, startIdx?: number, endIdx?: number): number
  export function encodeBound(inputSize: number): number
  export const utils: {
    /** Second byte of xxHash32 (seed 0): the LZ4 frame header checksum. */
    descriptorChecksum(data: Buffer): number
    /** xxHash32, seed 0. */
    blockChecksum(data: Buffer): number
  }
  /** The package's own LZ4 frame writer (default: BD 7, independent blocks, content checksum). */
  export function encode(input: Buffer, options?: Record<string, unknown>): Buffer
  /** The package's own LZ4 frame reader. */
  export function decode(input: Buffer, options?: Record<string, unknown>): Buffer
}

declare module 'fs-ext' {
  export function flockSync(fd: number, flags: 'sh' | 'ex' | 'shnb' | 'exnb' | 'un'): void
  export function flock(
    fd: number,
    flags: 'sh' | 'ex' | 'shnb' | 'exnb' | 'un',
    callback: (err: NodeJS.ErrnoException | null) => void,
  ): void
}

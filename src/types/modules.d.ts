// Type declarations for dependencies that ship none.

declare module 'crc-32/crc32c.js' {
  /** CRC-32C (Castagnoli) of a buffer; the result is a signed 32-bit number (apply `>>> 0`). */
  export function buf(data: Uint8Array, seed?: number): number
  export function str(data: string, seed?: number): number
  const _default: { buf: typeof buf; str: typeof str }
  export default _default
}

declare module 'lz4' {
  /** Compresses `input` into `output` as one raw LZ4 block; returns the bytes written, 0 if incompressible. */
  export function encodeBlock(input: Buffer, output: Buffer, startIdx?: number, endIdx?: number): number
  export function encodeBlockHC(input: Buffer, output: Buffer, compressionLevel?: number): number
  /** Decompresses one raw LZ4 block; returns the bytes written, negative on malformed input. */
  export function decodeBlock(input: Buffer, output: Buffer, startIdx?: number, endIdx?: number): number
  export function encodeBound(inputSize: number): number
  export const utils: {
    descriptorChecksum(data: Buffer): number
    blockChecksum(data: Buffer): number
  }
}

declare module 'fs-ext' {
  export function flockSync(fd: number, flags: 'sh' | 'ex' | 'shnb' | 'exnb' | 'un'): void
  export function flock(fd: number, flags: 'sh' | 'ex' | 'shnb' | 'exnb' | 'un', callback: (err: NodeJS.ErrnoException | null) => void): void
}

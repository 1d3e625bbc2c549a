import fs from 'node:fs'
import { seededRandom } from '../../src/seeded-random.js'

/** Corruption helpers: they change real bytes in real files, the damage bit rot or a torn write leaves. */

/** XORs the byte at `position` with `mask` (0xff by default); throws if the file has no such byte. */
export function flipByte(file: string, position: number, mask = 0xff): void {
  const fd = fs.openSync(file, 'r+')
  try {
    const byte = Buffer.alloc(1)
    if (fs.readSync(fd, byte, 0, 1, position) !== 1) throw new Error(`${file} has no byte ${position}`)
    byte[0] = byte[0]! ^ mask
    fs.writeSync(fd, byte, 0, 1, position)
  } finally {
    fs.closeSync(fd)
  }
}

/** Cuts (or zero-extends) `file` to `size` bytes. */
export function truncateFile(file: string, size: number): void {
  fs.truncateSync(file, size)
}

/** Appends `bytes` to `file`: a Buffer as given, or a count of pseudo-random bytes from `seed`. */
export function appendGarbage(file: string, bytes: Buffer | number, seed = 1): void {
  fs.appendFileSync(file, typeof bytes === 'number' ? pseudoRandomBytes(bytes, seed) : bytes)
}

/** Overwrites the whole file with zeros, keeping its size (an untrimmed, never-written index). */
export function zeroFill(file: string): void {
  fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size))
}

/** Replaces the file's content with `size` pseudo-random bytes. */
export function fillWithGarbage(file: string, size: number, seed = 1): void {
  fs.writeFileSync(file, pseudoRandomBytes(size, seed))
}

/** Deterministic bytes from `seed`, so a failing case replays exactly. */
export function pseudoRandomBytes(size: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const out = Buffer.alloc(size)
  for (let position = 0; position < size; position++) out[position] = Math.floor(random() * 256)
  return out
}

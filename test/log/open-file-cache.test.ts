import { describe, expect, it } from 'vitest'
import { OpenFileCache, type CachedFile } from '../../src/log/open-file-cache.js'

/** A descriptor the cache may close: records when it was evicted, and can be held. */
class FakeFile implements CachedFile {
  isHeld = false
  isOpen = true
  constructor(
    readonly name: string,
    private readonly cache: OpenFileCache,
  ) {}
  evict(): void {
    if (this.isHeld) throw new Error(`${this.name} evicted while held`)
    this.isOpen = false
    this.cache.closed(this)
  }
}

function openFiles(cache: OpenFileCache, count: number, pinned = false): FakeFile[] {
  const files: FakeFile[] = []
  for (let slot = 0; slot < count; slot++) {
    const file = new FakeFile(`f${slot}`, cache)
    files.push(file)
    cache.opened(file, pinned)
  }
  return files
}

describe('OpenFileCache', () => {
  it('closes the least recently used files beyond its bound', () => {
    const cache = new OpenFileCache(3)
    const files = openFiles(cache, 3)
    cache.touched(files[0]!)
    const [fourth] = openFiles(cache, 1)
    expect(files.map((file) => file.isOpen)).toEqual([true, false, true])
    expect(fourth!.isOpen).toBe(true)
    expect(cache.openCount).toBe(3)
  })

  it('passes over held files and closes the next idle one', () => {
    const cache = new OpenFileCache(2)
    const files = openFiles(cache, 2)
    files[0]!.isHeld = true
    openFiles(cache, 1)
    expect(files.map((file) => file.isOpen)).toEqual([true, false])
    expect(cache.openCount).toBe(2)
  })

  it('goes over its bound rather than close a held file, and comes back once holds end', () => {
    const cache = new OpenFileCache(1)
    const pinned = openFiles(cache, 1, true)
    const held = openFiles(cache, 1)
    held[0]!.isHeld = true
    const more = openFiles(cache, 1)
    more[0]!.isHeld = true
    expect(cache.boundedCount).toBe(2)
    expect([...pinned, ...held, ...more].every((file) => file.isOpen)).toBe(true)
    held[0]!.isHeld = false
    more[0]!.isHeld = false
    cache.released()
    expect(cache.boundedCount).toBe(1)
    expect(cache.openCount).toBe(2)
    expect(pinned[0]!.isOpen).toBe(true)
  })

  it('keeps pinned files outside the bound, and evicts a file once it is unpinned and beyond it', () => {
    const cache = new OpenFileCache(2)
    const [active] = openFiles(cache, 1)
    cache.pinned(active!)
    const others = openFiles(cache, 2)
    expect(others.map((file) => file.isOpen)).toEqual([true, true])
    expect(cache.openCount).toBe(3)
    expect(cache.boundedCount).toBe(2)
    // Unpinned, it is the most recently used: the least recently used idle file goes.
    cache.unpinnedFile(active!)
    expect(active!.isOpen).toBe(true)
    expect(others.map((file) => file.isOpen)).toEqual([false, true])
    expect(cache.boundedCount).toBe(2)
  })
})

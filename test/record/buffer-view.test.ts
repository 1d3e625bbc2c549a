import assert from 'node:assert'
import { describe, expect, it } from 'vitest'
import { BufferViews } from '../../src/record/buffer-view.js'

/**
 * Decoders' key and value views (buffer-view.ts): real Buffers over the source's memory, right
 * for a source that starts inside a larger ArrayBuffer and after switching between sources.
 */
describe('BufferViews', () => {
  it('makes Buffers that share the source bytes, as subarray does', () => {
    const pool = Buffer.from('....hello, world....')
    const source = pool.subarray(4, 16) // a source that starts inside its ArrayBuffer
    const views = new BufferViews()
    const view = views.view(source, 7, 5)
    expect(Buffer.isBuffer(view)).toBe(true)
    expect(Object.getPrototypeOf(view)).toBe(Buffer.prototype)
    assert.deepStrictEqual(view, source.subarray(7, 12))
    expect(view.toString()).toBe('world')
    source[7] = 'W'.charCodeAt(0)
    expect(view.toString()).toBe('World')
    expect(views.view(source, 0, 0).length).toBe(0)
  })

  it('answers for each source when views of different sources alternate', () => {
    const views = new BufferViews()
    const first = Buffer.from('abcdef')
    const second = Buffer.alloc(64 * 1024, 'x').subarray(1000, 1006)
    second.write('uvwxyz')
    const seen: string[] = []
    for (const [source, start] of [
      [first, 1],
      [second, 2],
      [first, 3],
      [second, 0],
    ] as const)
      seen.push(views.view(source, start, 2).toString())
    expect(seen).toEqual(['bc', 'wx', 'de', 'uv'])
  })
})

/**
 * mulberry32: a small, fast, seedable generator of numbers in [0, 1). The benchmarks use it so every
 * run measures the same bytes, and the tests so a failing case replays from its printed seed. It
 * sits at the top of src/, below every layer, because it depends on nothing and belongs to none.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

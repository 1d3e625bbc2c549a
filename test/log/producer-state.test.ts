import { describe, expect, it } from 'vitest'
import { OutOfOrderSequenceError, ProducerState } from '../../src/log/producer-state.js'

const batch = (firstSequence: number, lastSequence: number, baseOffset: number, maxTimestamp = 5) => ({
  firstSequence,
  lastSequence,
  baseOffset,
  lastOffset: baseOffset + lastSequence - firstSequence,
  maxTimestamp,
})

describe('producer state expiry', () => {
  it('goes by the wall-clock time of the last append, not by record timestamps', () => {
    const state = new ProducerState()
    // Record timestamps from 1970: a producer may choose any; it must not expire for that.
    state.update(1, 0, batch(0, 9, 0, 1000))
    state.update(2, 0, batch(0, 4, 10, 1000))
    expect(state.expireBefore(Date.now() - 60_000)).toBe(0)
    expect(state.check(1, 0, 0, 9)).not.toBeNull()
    expect(state.expireBefore(Date.now() + 1)).toBe(2)
    expect(state.size).toBe(0)
    // An expired producer is unknown again: any sequence is accepted.
    expect(state.check(1, 0, 50, 59)).toBeNull()
  })

  it('keeps the sequence rules for producers it remembers', () => {
    const state = new ProducerState()
    state.update(7, 0, batch(0, 9, 0))
    expect(() => state.check(7, 0, 11, 12)).toThrow(OutOfOrderSequenceError)
    expect(state.check(7, 0, 10, 12)).toBeNull()
  })
})

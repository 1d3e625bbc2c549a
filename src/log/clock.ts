/**
 * Wall-clock time for the log layer: segment ages (segmentMs rolls), the interval flush, producer
 * expiry and retention read it here, never from `Date.now()` directly, so a test can move time by
 * hand instead of sleeping.
 */
export interface Clock {
  nowMs(): number
}

export const systemClock: Clock = Object.freeze({ nowMs: (): number => Date.now() })

/**
 * Time as the group coordinator sees it: injected, so the state machine's tests run rebalances,
 * session expiries and initial delays on a fake clock in microseconds.
 */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Unref'd: a forgotten group timer never keeps a process alive (the server's socket does that).
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

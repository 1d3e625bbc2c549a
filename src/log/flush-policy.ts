import { InvalidArgumentError } from '../errors.js'

/**
 * When appended bytes are fsynced.
 * - `sync`: an append resolves only after its bytes are fdatasync'ed. Appends that arrive while an
 *   fsync runs share the next one (group commit).
 * - `interval`: fsync every `ms` milliseconds and/or every `messages` records (Kafka's flush.ms and
 *   flush.messages). Appends resolve once written.
 * - `os`: the page cache decides; only `flush()` and `close()` fsync.
 */
export type FlushPolicy = { mode: 'sync' } | { mode: 'interval'; ms?: number; messages?: number } | { mode: 'os' }

export type FlushMode = FlushPolicy['mode']

export const DEFAULT_FLUSH_POLICY: FlushPolicy = Object.freeze({ mode: 'sync' })

export function resolveFlushPolicy(input: unknown): FlushPolicy {
  if (input === undefined) return DEFAULT_FLUSH_POLICY
  if (typeof input === 'string') input = { mode: input }
  const policy = input as { mode?: unknown; ms?: unknown; messages?: unknown }
  switch (policy?.mode) {
    case 'sync':
      return { mode: 'sync' }
    case 'os':
      return { mode: 'os' }
    case 'interval': {
      const ms = policy.ms === undefined ? undefined : checkPositive(policy.ms, 'flush.ms')
      const messages = policy.messages === undefined ? undefined : checkPositive(policy.messages, 'flush.messages')
      if (ms === undefined && messages === undefined) return { mode: 'interval', ms: 1000 }
      return { mode: 'interval', ...(ms !== undefined && { ms }), ...(messages !== undefined && { messages }) }
    }
    default:
      throw new InvalidArgumentError(`flush mode must be 'sync', 'interval' or 'os', got ${JSON.stringify(policy?.mode)}`)
  }
}

function checkPositive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}

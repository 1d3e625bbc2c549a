import { InvalidArgumentError } from '../errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import { OFFSETS_TOPIC } from '../consumer/offset-store.js'
import { DELAY_TOPIC } from './delay/delay-records.js'
import { TRACE_TOPIC } from './delay/consumption-trace.js'

/** Topics seglog keeps for itself: clients read them but never write, create, alter or delete them. */
export function isInternalTopic(name: string): boolean {
  return name === OFFSETS_TOPIC || name === DELAY_TOPIC || name === TRACE_TOPIC
}

/** Methods that would change an internal topic's records behind its owner's back. */
const REFUSED = new Set<PropertyKey>(['appendRecords', 'appendBatch', 'truncateTo', 'deleteRecordsBefore'])

/** The error for a client write to an internal topic (Kafka answers such a produce with INVALID_TOPIC_EXCEPTION). */
export function internalTopicWriteError(topic: string, what = 'written to'): InvalidArgumentError {
  const way =
    topic === DELAY_TOPIC
      ? 'send with a delay through a producer'
      : topic === TRACE_TOPIC
        ? 'a consumer.run with trace: true writes it'
        : 'commit offsets through engine.offsets or a consumer'
  return new InvalidArgumentError(`'${topic}' is one of seglog's internal topics: it cannot be ${what} directly; ${way}`)
}

/**
 * The partition log of an internal topic as callers outside seglog see it: everything reads as
 * usual, but appends, truncation and record deletion reject with INVALID_ARGUMENT. Its owner (the
 * offset store) keeps the log itself; a record it did not write there could make the directory
 * unopenable, since the store replays every record at open.
 *
 * Methods are bound to the log, so its own calls do not pass through the view.
 */
export function withoutClientWrites(log: PartitionLog): PartitionLog {
  const bound = new Map<PropertyKey, { method: unknown; boundMethod: unknown }>()
  return new Proxy(log, {
    get(target, property) {
      if (REFUSED.has(property)) {
        return () =>
          Promise.reject(
            internalTopicWriteError(
              target.topic,
              property === 'appendRecords' || property === 'appendBatch' ? 'written to' : 'truncated or trimmed',
            ),
          )
      }
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      let cached = bound.get(property)
      if (cached === undefined || cached.method !== value) {
        cached = { method: value, boundMethod: (value as (...args: unknown[]) => unknown).bind(target) }
        bound.set(property, cached)
      }
      return cached.boundMethod
    },
  })
}

import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { KafkaErrorCode, kafkaErrorName } from '../../src/server/error-codes.js'

const require = createRequire(import.meta.url)
const { errorCodes } = require('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; code: number }[] }

// KafkaJS spells a few of Kafka's renamed errors the old way.
const KAFKAJS_OLD_NAMES: Record<string, string> = {
  UNKNOWN: 'UNKNOWN_SERVER_ERROR',
  NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_OR_FOLLOWER',
  GROUP_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
  NOT_COORDINATOR_FOR_GROUP: 'NOT_COORDINATOR',
  GROUP_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
  UNSUPPORTED_SASL_MECHANISM: 'UNSUPPORTED_SASL_MECHANISM',
}

describe('Kafka error codes', () => {
  it('agree with every code KafkaJS knows, by number and name', () => {
    expect(errorCodes.length).toBeGreaterThan(80)
    const mismatches = errorCodes
      .map(({ type, code }) => ({ name: KAFKAJS_OLD_NAMES[type] ?? type, code }))
      .filter(({ name, code }) => (KafkaErrorCode as Record<string, number>)[name] !== code)
    expect(mismatches).toEqual([])
  })

  it('numbers are unique and names map back', () => {
    const codes = Object.values(KafkaErrorCode)
    expect(new Set(codes).size).toBe(codes.length)
    expect(kafkaErrorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(kafkaErrorName(-1)).toBe('UNKNOWN_SERVER_ERROR')
    expect(kafkaErrorName(9999)).toBe('UNKNOWN(9999)')
  })
})

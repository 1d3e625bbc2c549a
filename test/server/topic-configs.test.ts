import { describe, expect, it } from 'vitest'
import { DEFAULT_TOPIC_CONFIG, type TopicConfig } from '../../src/index.js'
import {
  checkTopicConfig,
  flushFromKafka,
  flushToKafka,
  KAFKA_LONG_MAX,
  kafkaConfigsOf,
  TOPIC_CONFIG_NAMES,
  TopicConfigError,
  topicChangesFromKafka,
  topicSettingsFromKafka,
} from '../../src/server/topic-configs.js'

const defaults = kafkaConfigsOf(DEFAULT_TOPIC_CONFIG, { mode: 'sync' })

function configError(run: () => unknown): TopicConfigError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(TopicConfigError)
    return error as TopicConfigError
  }
  throw new Error('expected a TopicConfigError')
}

describe('topic configs under Kafka names', () => {
  it('describe every setting of a topic', () => {
    const config: TopicConfig = {
      ...DEFAULT_TOPIC_CONFIG,
      retentionMs: 60_000,
      maxBatchBytes: 5000,
      timestampType: 'LogAppendTime',
      flush: { mode: 'interval', ms: 250 },
    }
    const map = kafkaConfigsOf(config, { mode: 'sync' })
    expect([...map.keys()].sort()).toEqual(TOPIC_CONFIG_NAMES.map((entry) => entry.name).sort())
    expect(Object.fromEntries(map)).toMatchObject({
      'retention.ms': '60000',
      'max.message.bytes': '5000',
      'message.timestamp.type': 'LogAppendTime',
      'flush.ms': '250',
      'flush.messages': KAFKA_LONG_MAX,
      'cleanup.policy': 'delete',
      'segment.bytes': String(DEFAULT_TOPIC_CONFIG.segmentBytes),
    })
  })

  it('map flush.messages and flush.ms to flush modes and back', () => {
    expect(flushToKafka({ mode: 'sync' })).toEqual(['1', KAFKA_LONG_MAX])
    expect(flushToKafka({ mode: 'os' })).toEqual([KAFKA_LONG_MAX, KAFKA_LONG_MAX])
    expect(flushToKafka({ mode: 'interval', ms: 500, messages: 100 })).toEqual(['100', '500'])
    for (const policy of [
      { mode: 'sync' },
      { mode: 'os' },
      { mode: 'interval', ms: 500 },
      { mode: 'interval', messages: 10 },
      { mode: 'interval', ms: 7, messages: 3 },
    ] as const) {
      const [messages, ms] = flushToKafka(policy)
      expect(flushFromKafka(messages, ms)).toEqual(policy)
    }
  })

  it("turn a client's configs into settings, leaving defaults out", () => {
    const map = new Map([
      ['retention.ms', '-1'],
      ['segment.ms', KAFKA_LONG_MAX],
      ['flush.messages', '1'],
      ['message.timestamp.type', 'LogAppendTime'],
      ['cleanup.policy', 'delete'],
    ])
    expect(topicSettingsFromKafka(map, defaults)).toEqual({
      retentionMs: -1,
      segmentMs: Number.MAX_SAFE_INTEGER,
      timestampType: 'LogAppendTime',
    })
    // flush.messages=1 is the default (sync) here, so it is no override.
    const changes = topicChangesFromKafka(
      new Map([
        ['flush.ms', '100'],
        ['flush.messages', KAFKA_LONG_MAX],
      ]),
      defaults,
    )
    expect(changes.flush).toEqual({ mode: 'interval', ms: 100 })
    expect(changes.retentionMs).toBeNull()
    expect(changes.timestampType).toBeNull()
  })

  it('refuse what seglog cannot honour, naming it', () => {
    expect(configError(() => checkTopicConfig('cleanup.policy', 'shred')).message).toContain('cleanup.policy')
    expect(configError(() => checkTopicConfig('min.insync.replicas', '2')).message).toContain('min.insync.replicas')
    expect(configError(() => checkTopicConfig('no.such.config', '1')).message).toContain('no.such.config')
    expect(configError(() => checkTopicConfig('retention.ms', 'soon')).message).toContain('retention.ms')
    expect(configError(() => checkTopicConfig('retention.ms', '-2')).message).toContain('retention.ms')
    expect(configError(() => checkTopicConfig('message.timestamp.type', 'WallClock')).message).toContain('message.timestamp.type')
    expect(configError(() => checkTopicConfig('flush.ms', '0')).message).toContain('flush.ms')
    expect(() => checkTopicConfig('compression.type', 'producer')).not.toThrow()
  })
})

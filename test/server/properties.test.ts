import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import { parseProperties, serveConfigFrom } from '../../src/server/properties.js'

const SERVER_PROPERTIES = `
# A broker config as Kafka's quickstart writes it
process.roles=broker,controller
node.id=3
listeners=PLAINTEXT://0.0.0.0:19092
advertised.listeners=PLAINTEXT://kafka.example:9092
num.network.threads=3
log.dirs=/var/lib/seglog
num.partitions=6
log.retention.hours=168
log.segment.bytes=536870912
log.flush.interval.ms=2000
auto.create.topics.enable = false
! another comment style
message.max.bytes: 2097152
`

describe('server.properties', () => {
  it('reads the keys seglog uses into settings and engine options, and lists the rest', () => {
    const config = serveConfigFrom(parseProperties(SERVER_PROPERTIES))
    expect(config.settings).toMatchObject({
      nodeId: 3,
      host: '0.0.0.0',
      port: 19092,
      advertisedHost: 'kafka.example',
      advertisedPort: 9092,
      defaultPartitions: 6,
      autoCreateTopics: false,
    })
    expect(config.dir).toBe('/var/lib/seglog')
    expect(config.topicDefaults).toMatchObject({ retentionMs: 168 * 3_600_000, segmentBytes: 536870912, maxBatchBytes: 2097152 })
    expect(config.flush).toEqual({ mode: 'interval', ms: 2000 })
    expect(config.ignored).toEqual(['process.roles', 'num.network.threads'])
  })

  it('refuses values seglog cannot use', () => {
    for (const text of [
      'num.partitions=0',
      'default.replication.factor=3',
      'log.dirs=/a,/b',
      'auto.create.topics.enable=yes',
      'listeners=nowhere',
      'log.flush.interval.ms=0',
      'just-a-word',
    ]) {
      expect(() => serveConfigFrom(parseProperties(text)), text).toThrow(InvalidArgumentError)
    }
  })
})

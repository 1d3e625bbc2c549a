import type { Admin } from 'kafkajs'
import type { TopicConfig } from '../../engine/topic-config.js'
import { BUILT_IN_DEFAULTS, checkTopicConfig, topicSettingsFromKafka, type KafkaConfigMap } from '../../server/topic-configs.js'
import { CARRIED_CONFIGS } from './mirror-out.js'

/** KafkaJS's ConfigResourceTypes.TOPIC: the type import has no value, and kafkajs is loaded only when a mirror runs. */
const TOPIC_RESOURCE = 2

/**
 * The seglog settings of a topic as the source cluster describes it (DescribeConfigs), for
 * `seglog mirror --from` to create the local topic with: the configs mirroring out carries
 * (CARRIED_CONFIGS), mapped by the server's own table (src/server/topic-configs.ts). A value
 * seglog cannot take (a policy it lacks, a number out of its range) is left at seglog's default,
 * with a note.
 */
export async function topicSettingsOfSource(admin: Admin, topic: string, note: (message: string) => void): Promise<Partial<TopicConfig>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: CARRIED_CONFIGS }],
  })
  const map: KafkaConfigMap = new Map()
  for (const entry of described.resources[0]?.configEntries ?? []) {
    if (!CARRIED_CONFIGS.includes(entry.configName) || entry.configValue === null || entry.configValue === undefined) continue
    try {
      checkTopicConfig(entry.configName, entry.configValue)
      map.set(entry.configName, entry.configValue)
    } catch (error) {
      note(`topic ${topic}: ${(error as Error).message}; seglog's default is used`)
    }
  }
  return topicSettingsFromKafka(map, BUILT_IN_DEFAULTS)
}

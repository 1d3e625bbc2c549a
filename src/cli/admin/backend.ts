/**
 * What the admin commands (groups, topics, delete-records) need from wherever the data lives: a
 * data directory opened through the engine (directory-backend.ts) or any Kafka-protocol server
 * reached through KafkaJS's admin client (server-backend.ts). The commands hold the logic (which
 * offsets to reset to, what to print); a backend only fetches and changes state, so both targets
 * behave alike. Offsets are plain numbers, as everywhere in seglog.
 */

export interface TopicPartition {
  topic: string
  partition: number
}

export interface PartitionOffset extends TopicPartition {
  offset: number
}

/** One group as ListGroups reports it. */
export interface GroupListing {
  group: string
  /** Kafka's group states: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead (or Unknown). */
  state: string
  protocolType: string
}

export interface GroupMember {
  memberId: string
  clientId: string
  host: string
  /** The partitions the group's leader gave this member (empty when none or not a consumer group). */
  assignment: TopicPartition[]
}

export interface GroupDescription {
  group: string
  state: string
  /** The assignor in use (range, roundrobin, …); empty without members. */
  protocol: string
  /** Who answers for the group: `HOST:PORT (ID)` for a server, the directory for a data directory. */
  coordinator: string
  members: GroupMember[]
}

/** A partition's ends, Kafka's low and high watermarks. */
export interface PartitionEnds {
  partition: number
  logStartOffset: number
  logEndOffset: number
}

export interface TopicConfigEntry {
  name: string
  value: string
  /** Set on the topic itself, not inherited from the engine's or broker's defaults. */
  isOverride: boolean
}

export interface TopicDetails {
  name: string
  partitions: number
  internal: boolean
  configs: TopicConfigEntry[]
}

export interface AdminBackend {
  /** The directory or `HOST:PORT` worked on, for messages. */
  readonly target: string
  listGroups(): Promise<GroupListing[]>
  /** Null when the target knows nothing of the group (no members and no committed offsets). */
  describeGroup(group: string): Promise<GroupDescription | null>
  committedOffsets(group: string): Promise<PartitionOffset[]>
  /** Commits offsets for a group without members (the group's state was checked by the caller). */
  commitOffsets(group: string, offsets: readonly PartitionOffset[]): Promise<void>
  deleteGroup(group: string): Promise<void>
  /** Forgets the group's committed offsets of these partitions (Kafka's OffsetDelete). */
  deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void>
  /** Topic names, internal ones included only when asked. */
  listTopics(includeInternal: boolean): Promise<string[]>
  /** Null when the topic does not exist. */
  describeTopic(topic: string): Promise<TopicDetails | null>
  partitionEnds(topic: string): Promise<PartitionEnds[]>
  /** Per partition, the first offset whose timestamp is >= `timestamp`; the log end when none is. */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffset[]>
  createTopic(topic: string, partitions: number, configs: ReadonlyMap<string, string>): Promise<void>
  addPartitions(topic: string, count: number): Promise<void>
  /** Sets `set` and puts `remove` back to their defaults, leaving other overrides as they are. */
  alterTopicConfigs(topic: string, set: ReadonlyMap<string, string>, remove: readonly string[]): Promise<void>
  deleteTopic(topic: string): Promise<void>
  /** Kafka's DeleteRecords; resolves with each partition's new log start offset. */
  deleteRecords(topic: string, offsets: readonly { partition: number; offset: number }[]): Promise<PartitionEnds[]>
  close(): Promise<void>
}

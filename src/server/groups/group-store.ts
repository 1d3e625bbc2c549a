import { KafkaErrorCode } from '../error-codes.js'
import { kafkaCodeFor } from '../error-mapping.js'
import { Group } from './group.js'
import type { OffsetGroups } from './requests.js'

/**
 * The coordinator's groups and their records in the offset store (`__consumer_offsets`, Kafka's
 * GroupMetadata key and value): the groups in memory, the groups that exist only through committed
 * offsets (listed as Empty, as Kafka lists the groups it loads), the metadata record written when
 * a rebalance completes and when a group empties, and the load of those records at start, so that
 * a restarted server knows its groups, generations and members.
 */

const K = KafkaErrorCode

export class GroupStore {
  private readonly groups = new Map<string, Group>()

  constructor(
    private readonly offsets: OffsetGroups,
    private readonly now: () => number,
    private readonly log: (message: string) => void,
  ) {}

  /** The group, also one that exists only through committed offsets (as Empty); undefined if none. */
  find(groupId: string): Group | undefined {
    let group = this.groups.get(groupId)
    if (group === undefined && this.offsets.hasOffsets(groupId)) group = this.create(groupId)
    return group
  }

  create(groupId: string): Group {
    const group = new Group(groupId, this.now)
    this.groups.set(groupId, group)
    return group
  }

  forget(group: Group): void {
    this.groups.delete(group.groupId)
  }

  all(): Group[] {
    return [...this.groups.values()]
  }

  /** Every group id known: those in memory and those with committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.groupsWithOffsets()])].sort()
  }

  /** Adds the groups of the stored metadata records (Group.fromMetadata) and returns them. */
  loadStored(): Group[] {
    const loaded = this.offsets.storedGroups().map(({ groupId, metadata }) => Group.fromMetadata(groupId, metadata, this.now))
    for (const group of loaded) this.groups.set(group.groupId, group)
    return loaded
  }

  /**
   * Writes the group's metadata as it is now; resolves with the Kafka error code the write ended
   * with (NONE once it is durable), mapped as Kafka's coordinator maps storage errors for clients.
   */
  async store(group: Group): Promise<number> {
    try {
      await this.offsets.storeGroup(group.groupId, group.toMetadata())
      return K.NONE
    } catch (error) {
      this.log(`group ${group.groupId}: storing its metadata (generation ${group.generationId}) failed: ${(error as Error).message}`)
      const code = kafkaCodeFor(error)
      if (code === K.NOT_LEADER_OR_FOLLOWER || code === K.UNKNOWN_TOPIC_OR_PARTITION) return K.COORDINATOR_NOT_AVAILABLE
      if (code === K.MESSAGE_TOO_LARGE || code === K.INVALID_REQUEST) return K.UNKNOWN_SERVER_ERROR
      return code
    }
  }
}

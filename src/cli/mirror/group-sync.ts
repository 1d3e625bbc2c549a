import type { Admin } from 'kafkajs'
import { destinationOffsetOf, type PartitionProgress } from './mirror-progress.js'
import { readSourceCommits, selectCommits } from './source-groups.js'

/**
 * Carries consumer groups' committed offsets from a data directory (read without its lock,
 * source-groups.ts) to the destination, each translated through its partition's mirror progress
 * to the offset its record got there. Only commits that changed since they were last set are sent,
 * so `--follow` can call this every second. A commit to a record not yet copied is held back while
 * following (it would translate to the destination's end, before that record) and set once the
 * record is there.
 */

/** How often `--follow` looks for new commits. */
const SYNC_INTERVAL_MS = 1000

export interface GroupOffsetSyncOptions {
  dir: string
  admin: Admin
  groups: readonly string[] | undefined
  exclude: (group: string) => boolean
  /** The progress of a mirrored partition, undefined for one not mirrored. */
  progressOf: (topic: string, partition: number) => PartitionProgress | undefined
  note: (message: string) => void
}

export class GroupOffsetSync {
  private readonly options: GroupOffsetSyncOptions
  /** group/topic/partition -> destination offset last set. */
  private readonly sent = new Map<string, number>()
  /** Groups already reported as not settable (active on the destination), so the note is said once. */
  private readonly refused = new Set<string>()
  private readonly groupsSeen = new Set<string>()
  private lastSyncMs = 0

  constructor(options: GroupOffsetSyncOptions) {
    this.options = options
  }

  async syncIfDue(settings: { onlyCopied: boolean }): Promise<void> {
    if (Date.now() - this.lastSyncMs < SYNC_INTERVAL_MS) return
    await this.syncNow(settings)
  }

  /** Sets every changed translated commit; resolves to the number of groups with commits seen. */
  async syncNow(settings: { onlyCopied: boolean }): Promise<number> {
    this.lastSyncMs = Date.now()
    const { options } = this
    const commits = selectCommits(readSourceCommits(options.dir, options.note), options.groups, options.exclude)
    // group -> topic -> partitions to set
    const changes = new Map<string, Map<string, { partition: number; offset: string }[]>>()
    for (const commit of commits) {
      const progress = options.progressOf(commit.topic, commit.partition)
      if (progress === undefined) continue
      this.groupsSeen.add(commit.group)
      if (settings.onlyCopied && commit.offset > progress.sourceNext) continue
      const offset = destinationOffsetOf(progress, commit.offset)
      const key = `${commit.group}\u0000${commit.topic}\u0000${commit.partition}`
      if (this.sent.get(key) === offset) continue
      this.sent.set(key, offset)
      const byTopic = changes.get(commit.group) ?? new Map<string, { partition: number; offset: string }[]>()
      byTopic.set(commit.topic, [...(byTopic.get(commit.topic) ?? []), { partition: commit.partition, offset: String(offset) }])
      changes.set(commit.group, byTopic)
    }
    // Each setOffsets joins the group once (KafkaJS commits through a consumer): groups in parallel.
    await Promise.all(
      [...changes].map(async ([groupId, byTopic]) => {
        for (const [topic, partitions] of byTopic) {
          try {
            await options.admin.setOffsets({ groupId, topic, partitions })
            this.refused.delete(groupId)
          } catch (error) {
            // Set again on the next sync: the group may stop being active there.
            for (const entry of partitions) this.sent.delete(`${groupId}\u0000${topic}\u0000${entry.partition}`)
            if (!this.refused.has(groupId)) {
              this.refused.add(groupId)
              options.note(
                `group ${groupId}: its offsets on ${topic} could not be set (${(error as Error).message}); is the group active on the destination?`,
              )
            }
          }
        }
      }),
    )
    return this.groupsSeen.size
  }
}

import { checkCount } from './log-arguments.js'
import { epochTruncationOffset, type EpochEndOffset, type LeaderEpochCache } from './leader-epoch-cache.js'
import type { LogWriter } from './log-writer.js'
import type { AppendInfo } from './partition-types.js'
import type { SegmentList } from './segment-list.js'
import { InvalidArgumentError } from '../errors.js'

/**
 * The replication calls of a partition log (what a broker that replicates builds on): leader epochs
 * and their start offsets, OffsetForLeaderEpoch's answer, a follower's epoch truncation and its
 * appends of the leader's batches unchanged. Everything that changes the log or the cache runs in
 * the log's write queue, ordered with appends.
 */
export class ReplicaControl {
  private readonly writer: LogWriter
  private readonly list: SegmentList
  private readonly epochs: LeaderEpochCache

  constructor(writer: LogWriter) {
    this.writer = writer
    this.list = writer.parts.list
    this.epochs = writer.parts.epochs
  }

  /** The cache's entries (epoch, start offset), oldest first, as of the current log start. */
  entries(): { epoch: number; startOffset: number }[] {
    this.epochs.truncateFromStart(this.list.logStartOffset)
    return this.epochs.all()
  }

  get latestEpoch(): number {
    return this.epochs.latestEpoch
  }

  /**
   * A broker became leader at `epoch`: the epoch starts at `startOffset` (the log end unless given),
   * and batches appended with assigned offsets carry it from now on.
   */
  assignEpochStartOffset(epoch: number, startOffset?: number): Promise<void> {
    checkCount(epoch, 'epoch', 'assignEpochStartOffset')
    if (epoch > 0x7fffffff) throw new InvalidArgumentError(`assignEpochStartOffset: epoch ${epoch} is above int32`)
    if (startOffset !== undefined) checkCount(startOffset, 'startOffset', 'assignEpochStartOffset')
    return this.writer.exclusive(() => {
      if (epoch < this.epochs.latestEpoch)
        throw new InvalidArgumentError(`assignEpochStartOffset: epoch ${epoch} is below the latest epoch ${this.epochs.latestEpoch}`)
      this.epochs.assign(epoch, startOffset ?? this.list.logEndOffset)
    })
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` here and the offset where it ended (-1, -1 when unknown). */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    this.epochs.truncateFromStart(this.list.logStartOffset)
    return this.epochs.endOffsetForEpoch(epoch, this.list.logEndOffset)
  }

  /**
   * A follower's truncation after a leader change (KIP-101, KIP-279): given the leader's answer to
   * OffsetForLeaderEpoch for this log's latest epoch, cuts the divergent tail. `isComplete` false
   * means the follower lacked the leader's epoch: ask the leader again for `latestEpoch`. An
   * UNDEFINED answer truncates to `fallbackOffset` (the high watermark, Kafka's old rule) if given.
   */
  async truncateToEpochEnd(leader: EpochEndOffset, fallbackOffset?: number): Promise<{ truncatedTo: number; isComplete: boolean }> {
    const plan = epochTruncationOffset(this.epochs, this.list.logEndOffset, leader)
    const target = plan.offset ?? fallbackOffset ?? this.list.logEndOffset
    if (target < this.list.logEndOffset) await this.writer.truncateTo(target)
    return { truncatedTo: Math.min(target, this.list.logEndOffset), isComplete: plan.isComplete }
  }

  /**
   * A follower's append: the leader's batches (one buffer, concatenated) with their offsets and
   * partition leader epochs unchanged, each CRC-checked. The first must not start below the log end
   * (gaps, as compaction leaves, are allowed) and offsets must ascend; new epochs enter the cache.
   */
  appendAsFollower(bytes: Buffer): Promise<AppendInfo> {
    return this.writer.appendBatch(bytes, { assignOffsets: false })
  }
}

import fs from 'node:fs'
import path from 'node:path'
import { InvalidArgumentError } from '../errors.js'
import { encodeOffsetKey, encodeOffsetValue, type CommittedOffset, type OffsetKey } from '../format/offset-commit.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'
import { LOG_SUFFIX, offsetFileName } from '../log/segment-files.js'
import { encodeBatch } from '../record/batch-encoder.js'
import { OFFSETS_TOPIC } from './offset-store.js'

/** Commits per batch of the written segment: batches stay far below any fetch or segment limit. */
const COMMITS_PER_BATCH = 1000

/**
 * Writes commits carried over from elsewhere (`seglog import` of a Kafka log directory) as the
 * first segment of a data directory's offsets log, each with the commit timestamp and metadata it
 * had there. OffsetStore's own commits are stamped with the time they are made; replaying these
 * records instead gives the store the original times (its replay takes them from the values).
 *
 * The offsets log must be empty and its engine closed, and the next open must recover it (no
 * clean-shutdown marker): that open checks the segment and rebuilds its indexes.
 */
export function writeRestoredCommits(dir: string, commits: readonly (OffsetKey & CommittedOffset)[]): void {
  const logDir = path.join(dir, `${OFFSETS_TOPIC}-0`)
  const logFile = path.join(logDir, offsetFileName(0, LOG_SUFFIX))
  const names = fs.readdirSync(logDir)
  for (const name of names) {
    const file = path.join(logDir, name)
    if (fs.statSync(file).isFile() && name.endsWith(LOG_SUFFIX) && fs.statSync(file).size > 0)
      throw new InvalidArgumentError(`${file} is not empty: commits are restored only into an empty offsets log`)
  }
  const batches: Buffer[] = []
  for (let from = 0; from < commits.length; from += COMMITS_PER_BATCH) {
    const records = commits.slice(from, from + COMMITS_PER_BATCH).map((commit) => ({
      key: encodeOffsetKey({ group: commit.group, topic: commit.topic, partition: commit.partition }),
      value: encodeOffsetValue({ offset: commit.offset, metadata: commit.metadata, commitTimestamp: commit.commitTimestamp }),
      timestamp: commit.commitTimestamp,
    }))
    batches.push(encodeBatch(records, { baseOffset: from, compression: 'none' }))
  }
  // Indexes of the empty log would disagree with the new segment: the next open rebuilds them.
  for (const name of names)
    if (name !== path.basename(logFile) && /^\d{20}\.(index|timeindex)$/.test(name)) fs.rmSync(path.join(logDir, name))
  writeFileAtomicSync(logFile, Buffer.concat(batches))
}

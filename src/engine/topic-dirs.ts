import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { wrapIo } from '../log/errors.js'
import { fsyncDirSync } from '../log/file-io.js'

/**
 * Partition directories on their way in or out, named as Kafka names a deleted partition:
 * `orders-3.18f2a9c4e1b-delete`. The engine uses the name for both directions, so that one rule
 * at open makes every topic change all or nothing:
 *
 * - deleteTopic renames each partition directory to such a name *before* it takes the topic out
 *   of topics.json; createTopic builds each partition under such a name and renames it into
 *   place only *after* topics.json lists the topic.
 * - At open, a topic that topics.json lists and that has a `-delete` directory was being deleted,
 *   or being created when the process died: either way it did not complete, so the open finishes
 *   deleting it. Every `-delete` directory is then removed.
 *
 * For that rule to hold, no `-delete` directory of a topic may outlive the operation that made it
 * while the topic exists: createTopic removes any leftover of its name before it starts.
 *
 * A topic name may be 249 characters, and the suffix would push the longest past the 255 a file
 * name may have; such names are shortened, as Kafka shortens them, but to a prefix plus a hash of
 * the whole name (`~` cannot occur in a topic name), so the topic can still be recognised.
 */
const DELETE_SUFFIX = '-delete'
const MAX_FULL_NAME = 200
const LEGAL_KEY = /^[a-zA-Z0-9._~-]+$/

/** How a topic appears in its `-delete` directory names. */
export function doomedTopicKey(topic: string): string {
  if (topic.length <= MAX_FULL_NAME) return topic
  return `${topic.slice(0, MAX_FULL_NAME - 17)}~${createHash('sha256').update(topic).digest('hex').slice(0, 16)}`
}

/** `orders`, 3 → `orders-3.<stamp>-delete`. */
export function doomedDirName(topic: string, partition: number, stamp: string): string {
  return `${doomedTopicKey(topic)}-${partition}.${stamp}${DELETE_SUFFIX}`
}

/** The topic key (see doomedTopicKey) and partition of a `-delete` directory name, or null. */
export function parseDoomedDirName(name: string): { topicKey: string; partition: number } | null {
  if (!name.endsWith(DELETE_SUFFIX)) return null
  const stem = name.slice(0, name.lastIndexOf('.'))
  const dash = stem.lastIndexOf('-')
  if (dash <= 0 || !/^\d+$/.test(stem.slice(dash + 1)) || !LEGAL_KEY.test(stem.slice(0, dash))) return null
  return { topicKey: stem.slice(0, dash), partition: Number(stem.slice(dash + 1)) }
}

/** A stamp unique within this data directory for this process's lifetime. */
let lastStamp = 0
export function newStamp(): string {
  lastStamp = Math.max(lastStamp + 1, Date.now())
  return lastStamp.toString(16)
}

/** Names of the `-delete` directories in `dir`, each with the key of the topic it belonged to. */
export function listDoomedDirs(dir: string): { name: string; topicKey: string; partition: number }[] {
  const found: { name: string; topicKey: string; partition: number }[] = []
  for (const name of wrapIo('list', dir, () => fs.readdirSync(dir))) {
    const parsed = parseDoomedDirName(name)
    if (parsed !== null) found.push({ name, ...parsed })
  }
  return found
}

/** Removes `-delete` directories (all, or those of one topic), then fsyncs `dir` if any went. */
export function removeDoomedDirs(dir: string, topic?: string): void {
  let removed = 0
  const topicKey = topic === undefined ? undefined : doomedTopicKey(topic)
  for (const doomed of listDoomedDirs(dir)) {
    if (topicKey !== undefined && doomed.topicKey !== topicKey) continue
    const target = path.join(dir, doomed.name)
    wrapIo('remove', target, () => fs.rmSync(target, { recursive: true, force: true }))
    removed++
  }
  if (removed > 0) fsyncDirSync(dir)
}

/**
 * Renames the partition directories of `topic` that exist to `-delete` names and fsyncs `dir`:
 * from then on the next open deletes the topic, whatever else happens. Returns the new names.
 */
export function doomPartitionDirs(dir: string, topic: string, partitions: number): string[] {
  const stamp = newStamp()
  const doomed: string[] = []
  for (let partition = 0; partition < partitions; partition++) {
    const from = path.join(dir, `${topic}-${partition}`)
    if (!fs.existsSync(from)) continue
    const to = path.join(dir, doomedDirName(topic, partition, stamp))
    wrapIo('rename', from, () => fs.renameSync(from, to))
    doomed.push(to)
  }
  fsyncDirSync(dir)
  return doomed
}

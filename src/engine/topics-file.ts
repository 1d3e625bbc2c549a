import fs from 'node:fs'
import path from 'node:path'
import { SeglogError } from '../errors.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'
import { IoError } from '../log/errors.js'
import type { TopicConfig } from './topic-config.js'

/**
 * DATA/topics.json: the topics of a data directory and their settings,
 * `{ "version": 1, "topics": { "orders": { "partitions": 4, ... } } }`. A topic exists when this
 * file lists it and none of its partition directories is named `-delete` (see topic-dirs.ts).
 * Replaced atomically (temp file, fsync, rename, directory fsync).
 */
export const TOPICS_FILE = 'topics.json'
const TOPICS_FORMAT_VERSION = 1

export type TopicsRecord = Record<string, TopicConfig>

/** The topics listed in DATA/topics.json; none when the file does not exist yet. */
export function readTopicsFile(dir: string): TopicsRecord {
  const file = path.join(dir, TOPICS_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new IoError('read', file, error)
  }
  let parsed: { version?: unknown; topics?: unknown }
  try {
    parsed = JSON.parse(text) as { version?: unknown; topics?: unknown }
  } catch (error) {
    throw new SeglogError('IO_FAILED', `${file} is not valid JSON: ${(error as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.version !== TOPICS_FORMAT_VERSION || typeof parsed.topics !== 'object' || parsed.topics === null) {
    throw new SeglogError('IO_FAILED', `${file} has an unknown format (version ${String(parsed?.version)})`)
  }
  return parsed.topics as TopicsRecord
}

export function writeTopicsFile(dir: string, topics: TopicsRecord): void {
  writeFileAtomicSync(path.join(dir, TOPICS_FILE), JSON.stringify({ version: TOPICS_FORMAT_VERSION, topics }, null, 2) + '\n')
}

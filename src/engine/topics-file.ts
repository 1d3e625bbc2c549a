import fs from 'node:fs'
import path from 'node:path'
import { formatTopicsJson, parseTopicsJson, TOPICS_FILE } from '../format/topics-file.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'
import { IoError } from '../log/errors.js'
import type { TopicConfig } from './topic-config.js'

/**
 * DATA/topics.json's I/O (the format is in src/format/topics-file.ts). A topic exists when this
 * file lists it and none of its partition directories is named `-delete` (see topic-dirs.ts).
 * Replaced atomically (temp file, fsync, rename, directory fsync).
 */
export { TOPICS_FILE }

export type TopicsRecord = Record<string, TopicConfig>

/** The file's text, or null when it does not exist. */
export function readTopicsText(dir: string): string | null {
  const file = path.join(dir, TOPICS_FILE)
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new IoError('read', file, error)
  }
}

/** The topics listed in DATA/topics.json; none when the file does not exist yet. */
export function readTopicsFile(dir: string): TopicsRecord {
  const text = readTopicsText(dir)
  return text === null ? {} : (parseTopicsJson(text, path.join(dir, TOPICS_FILE)) as TopicsRecord)
}

export function writeTopicsFile(dir: string, topics: TopicsRecord): void {
  writeFileAtomicSync(path.join(dir, TOPICS_FILE), formatTopicsJson(topics))
}

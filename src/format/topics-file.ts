import { CorruptMetadataError } from '../errors.js'

/**
 * DATA/topics.json: the topics of a data directory and their settings. UTF-8 JSON:
 *
 * | field            | type   | meaning                                                    |
 * |------------------|--------|------------------------------------------------------------|
 * | `version`        | number | TOPICS_FORMAT_VERSION (1); any other is refused            |
 * | `topics`         | object | topic name -> its settings (a TopicConfig: `partitions`, …) |
 *
 * `{ "version": 1, "topics": { "orders": { "partitions": 4, ... } } }`. The settings are returned
 * as stored; the engine's topic-config.ts validates them. Pure: the engine's shell
 * (src/engine/topics-file.ts) reads and replaces the file, the CLI reads it through this too.
 */
export const TOPICS_FILE = 'topics.json'
export const TOPICS_FORMAT_VERSION = 1

/** Each topic's settings, as stored (not yet validated). */
export type StoredTopics = Record<string, unknown>

/** Parses topics.json; throws CorruptMetadataError naming `file` for anything but version 1. */
export function parseTopicsJson(text: string, file: string): StoredTopics {
  let parsed: { version?: unknown; topics?: unknown } | null
  try {
    parsed = JSON.parse(text) as { version?: unknown; topics?: unknown } | null
  } catch (error) {
    throw new CorruptMetadataError(file, `not valid JSON (${(error as Error).message})`, jsonErrorPosition(error))
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CorruptMetadataError(file, `unknown format (expected {"version": ${TOPICS_FORMAT_VERSION}, "topics": {...}})`)
  }
  if (parsed.version !== TOPICS_FORMAT_VERSION) {
    throw new CorruptMetadataError(file, `unknown format version ${String(parsed.version)} (expected ${TOPICS_FORMAT_VERSION})`)
  }
  if (typeof parsed.topics !== 'object' || parsed.topics === null || Array.isArray(parsed.topics)) {
    throw new CorruptMetadataError(file, `unknown format ("topics" is not an object)`)
  }
  return parsed.topics as StoredTopics
}

export function formatTopicsJson(topics: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ version: TOPICS_FORMAT_VERSION, topics }, null, 2) + '\n'
}

/** V8's SyntaxError says `... in JSON at position 17`; that byte is worth keeping as a field. */
function jsonErrorPosition(error: unknown): { position?: number } {
  const match = /at position (\d+)/.exec((error as Error).message)
  return match === null ? {} : { position: Number(match[1]) }
}

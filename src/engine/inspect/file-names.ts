import path from 'node:path'
import { LOG_SUFFIX } from '../../log/segment-files.js'

/**
 * Names the CLI reads that the log layer has no parser for. src/log/segment-files.ts owns the
 * names themselves; these only take them apart.
 */

/** `00000000000000000000.log.4096.quarantine`, or `...4096-1.quarantine` after a second recovery. */
const QUARANTINE_NAME = /^(\d{20}\.log)\.(\d+)(?:-\d+)?\.quarantine$/

/** The log a quarantine file's bytes were cut from and the byte position of the cut, or null. */
export function parseQuarantineName(name: string): { logName: string; position: number } | null {
  const match = QUARANTINE_NAME.exec(name)
  return match === null ? null : { logName: match[1]!, position: Number(match[2]) }
}

/** The `.log` beside an index file: the same name up to its first '.', as Kafka derives it. */
export function logFileBeside(indexFile: string): string {
  const name = path.basename(indexFile)
  const stem = name.includes('.') ? name.slice(0, name.indexOf('.')) : name
  return path.join(path.dirname(indexFile), stem + LOG_SUFFIX)
}

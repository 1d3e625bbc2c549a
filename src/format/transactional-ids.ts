import { CorruptMetadataError } from '../errors.js'

/**
 * `transactional-ids.json` in a data directory: the producer id and epoch each transactional id
 * was last given (what Kafka's transaction coordinator keeps in `__transaction_state`), so a
 * producer started with the same id after a restart fences the older one. JSON, replaced atomically:
 *
 * ```json
 * { "version": 1, "ids": { "orders-writer": { "producerId": 81234, "producerEpoch": 3 } } }
 * ```
 *
 * `"committing": true` on an id marks a commit whose markers are being written: a producer opened
 * with that id after a crash finishes it instead of aborting (absent otherwise; older readers ignore it).
 */
export const TRANSACTIONAL_IDS_FILE = 'transactional-ids.json'
const VERSION = 1

export interface TransactionalIdEntry {
  producerId: number
  producerEpoch: number
  committing?: boolean
}

export function formatTransactionalIds(ids: ReadonlyMap<string, TransactionalIdEntry>): string {
  return JSON.stringify({ version: VERSION, ids: Object.fromEntries(ids) }) + '\n'
}

export function parseTransactionalIds(text: string, file: string): Map<string, TransactionalIdEntry> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new CorruptMetadataError(file, `not JSON (${(error as Error).message})`)
  }
  const body = parsed as { version?: unknown; ids?: unknown }
  if (body === null || typeof body !== 'object' || body.version !== VERSION || body.ids === null || typeof body.ids !== 'object')
    throw new CorruptMetadataError(file, `expected {"version": ${VERSION}, "ids": {...}}`)
  const ids = new Map<string, TransactionalIdEntry>()
  for (const [id, value] of Object.entries(body.ids as Record<string, unknown>)) {
    const entry = value as Partial<TransactionalIdEntry> | null
    if (
      entry === null ||
      !Number.isSafeInteger(entry.producerId) ||
      entry.producerId! < 0 ||
      !Number.isInteger(entry.producerEpoch) ||
      entry.producerEpoch! < 0 ||
      entry.producerEpoch! > 0x7fff ||
      (entry.committing !== undefined && entry.committing !== true)
    )
      throw new CorruptMetadataError(file, `transactional id ${JSON.stringify(id)}: bad producerId, producerEpoch or committing`)
    ids.set(id, {
      producerId: entry.producerId!,
      producerEpoch: entry.producerEpoch!,
      ...(entry.committing === true ? { committing: true } : {}),
    })
  }
  return ids
}

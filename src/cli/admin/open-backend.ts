import fs from 'node:fs'
import { describeDataDirProblem } from '../../engine/inspect/data-dir.js'
import { CliError, UsageError } from '../errors.js'
import type { AdminBackend } from './backend.js'
import { DirectoryBackend } from './directory-backend.js'

/**
 * DIR_OR_SERVER as the admin commands take it: a data directory, or a server's `HOST:PORT` (given
 * as the argument or with --bootstrap-server, as Kafka's tools take it). A word that names an
 * existing path is a directory even if it looks like HOST:PORT.
 */
export type AdminTarget = { kind: 'directory'; dir: string } | { kind: 'server'; address: string }

const SERVER_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^/\\:\s]+):(\d{1,5})$/

export function parseTarget(command: string, positionals: readonly string[], bootstrapServer: string | undefined): AdminTarget {
  if (bootstrapServer !== undefined) {
    if (positionals.length > 0) throw new UsageError(`give either DIR_OR_SERVER or --bootstrap-server, not both`, command)
    // Kafka's tools take a comma-separated list; the first reachable one is enough for an admin client.
    const address = bootstrapServer.split(',')[0]!.trim()
    if (!SERVER_ADDRESS.test(address)) throw new UsageError(`--bootstrap-server expects HOST:PORT, got '${bootstrapServer}'`, command)
    return { kind: 'server', address }
  }
  if (positionals.length === 0) throw new UsageError('missing DIR_OR_SERVER (a data directory, or HOST:PORT of a server)', command)
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, command)
  const word = positionals[0]!
  if (!fs.existsSync(word) && SERVER_ADDRESS.test(word)) return { kind: 'server', address: word }
  return { kind: 'directory', dir: word }
}

/**
 * `mayCreate` (topics create) lets a missing or empty directory become a data directory; otherwise,
 * and always for a non-empty directory of something else, seglog adds no files to it.
 */
export async function openBackend(target: AdminTarget, options: { mayCreate: boolean } = { mayCreate: false }): Promise<AdminBackend> {
  if (target.kind === 'server') {
    // Loaded here so that only the commands given a server load KafkaJS.
    const { ServerBackend } = await import('./server-backend.js')
    return ServerBackend.connect(target.address)
  }
  const problem = describeDataDirProblem(target.dir, options)
  if (problem !== null) throw new CliError('ADMIN_REQUEST_FAILED', `${problem} (DIR_OR_SERVER is a data directory or HOST:PORT)`)
  return DirectoryBackend.open(target.dir)
}

/** Opens the backend, runs `work` and closes the backend whatever happens. */
export async function withBackend<T>(
  target: AdminTarget,
  work: (backend: AdminBackend) => Promise<T>,
  options: { mayCreate: boolean } = { mayCreate: false },
): Promise<T> {
  const backend = await openBackend(target, options)
  try {
    return await work(backend)
  } finally {
    await backend.close()
  }
}

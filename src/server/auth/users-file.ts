import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { CorruptMetadataError, InvalidArgumentError } from '../../index.js'
import { MIN_ITERATIONS, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram.js'

/**
 * The SASL users file (docs/format/users-file.md): SCRAM credentials by user and mechanism, as
 * `seglog users add` writes them and `seglog serve` reads them. UTF-8 JSON:
 *
 * | field | type | meaning |
 * |---|---|---|
 * | `version` | number | 1 |
 * | `users` | object | user name -> mechanisms |
 * | `users.NAME.MECHANISM` | object | `SCRAM-SHA-256` or `SCRAM-SHA-512` -> one credential |
 * | `.salt` | base64 string | the random salt (32 bytes when seglog makes it) |
 * | `.iterations` | integer >= 4096 | PBKDF2 rounds |
 * | `.storedKey` | base64 string | H(ClientKey): 32 bytes (SHA-256) or 64 (SHA-512) |
 * | `.serverKey` | base64 string | HMAC(SaltedPassword, "Server Key"), same length |
 *
 * No password, plain or reversible, is ever in it. Writes go to a temporary file in the same
 * directory (mode 0600), are fsynced, then renamed over the old one, so a reader sees the old file
 * or the new one, never half of one.
 */

export const USERS_FILE_NAME = 'users.json'
const FORMAT_VERSION = 1

export type UserCredentials = Map<string, Map<ScramMechanism, ScramCredential>>

/** The users file a FILE_OR_DIR argument names: a directory means its `users.json`. */
export async function usersFilePath(fileOrDir: string): Promise<string> {
  const stats = await fs.stat(fileOrDir).catch(() => null)
  return stats?.isDirectory() === true ? path.join(fileOrDir, USERS_FILE_NAME) : fileOrDir
}

/** User names are what clients send; control characters and separators would only make trouble in logs and ACLs. */
export function validateUserName(name: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (name === '' || name.length > 255 || /[\x00-\x1f\x7f,=]/.test(name))
    throw new InvalidArgumentError(`user name must be 1-255 characters without control characters, ',' or '=': ${JSON.stringify(name)}`)
}

function base64Field(file: string, where: string, value: unknown, length?: number): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
    throw new CorruptMetadataError(file, `${where} is not a base64 string`)
  const bytes = Buffer.from(value, 'base64')
  if (bytes.length === 0 || (length !== undefined && bytes.length !== length))
    throw new CorruptMetadataError(file, `${where} has ${bytes.length} bytes${length === undefined ? '' : `, expected ${length}`}`)
  return bytes
}

/** Parses the file's text; any deviation from the format is a CorruptMetadataError naming the field. */
export function parseUsersFile(text: string, file: string): UserCredentials {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    throw new CorruptMetadataError(file, 'not JSON', position === undefined ? {} : { position: Number(position) })
  }
  const root = json as { version?: unknown; users?: unknown }
  if (typeof root !== 'object' || root === null || root.version !== FORMAT_VERSION)
    throw new CorruptMetadataError(file, `expected {"version": ${FORMAT_VERSION}, "users": {...}}`)
  if (typeof root.users !== 'object' || root.users === null || Array.isArray(root.users))
    throw new CorruptMetadataError(file, '"users" is not an object')
  const users: UserCredentials = new Map()
  for (const [name, mechanisms] of Object.entries(root.users as Record<string, unknown>)) {
    if (typeof mechanisms !== 'object' || mechanisms === null) throw new CorruptMetadataError(file, `users.${name} is not an object`)
    const byMechanism = new Map<ScramMechanism, ScramCredential>()
    for (const [mechanism, raw] of Object.entries(mechanisms as Record<string, unknown>)) {
      const where = `users.${name}.${mechanism}`
      if (!SCRAM_MECHANISMS.includes(mechanism as ScramMechanism)) throw new CorruptMetadataError(file, `${where}: unknown mechanism`)
      const entry = raw as Record<string, unknown>
      if (typeof entry !== 'object' || entry === null) throw new CorruptMetadataError(file, `${where} is not an object`)
      const iterations = entry.iterations
      if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS)
        throw new CorruptMetadataError(file, `${where}.iterations must be an integer >= ${MIN_ITERATIONS}`)
      const keyLength = mechanism === 'SCRAM-SHA-256' ? 32 : 64
      byMechanism.set(mechanism as ScramMechanism, {
        salt: base64Field(file, `${where}.salt`, entry.salt),
        iterations,
        storedKey: base64Field(file, `${where}.storedKey`, entry.storedKey, keyLength),
        serverKey: base64Field(file, `${where}.serverKey`, entry.serverKey, keyLength),
      })
    }
    users.set(name, byMechanism)
  }
  return users
}

export function serializeUsersFile(users: UserCredentials): string {
  const out: Record<string, Record<string, unknown>> = {}
  for (const name of [...users.keys()].sort()) {
    const entry: Record<string, unknown> = {}
    for (const [mechanism, credential] of users.get(name)!) {
      entry[mechanism] = {
        salt: credential.salt.toString('base64'),
        iterations: credential.iterations,
        storedKey: credential.storedKey.toString('base64'),
        serverKey: credential.serverKey.toString('base64'),
      }
    }
    out[name] = entry
  }
  return `${JSON.stringify({ version: FORMAT_VERSION, users: out }, null, 2)}\n`
}

/** Reads the file; a missing file is no users (the first `users add` creates it). */
export async function readUsersFile(file: string): Promise<UserCredentials> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw error
  }
  return parseUsersFile(text, file)
}

/** Temp file (0600) in the same directory, fsync, rename over the old one, fsync the directory. */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await fs.open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await fs.rename(temp, file)
  } catch (error) {
    await fs.rm(temp, { force: true })
    throw error
  }
  const dir = await fs.open(path.dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export async function writeUsersFile(file: string, users: UserCredentials): Promise<void> {
  await writeFileAtomically(file, serializeUsersFile(users))
}

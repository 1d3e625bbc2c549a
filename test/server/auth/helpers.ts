import path from 'node:path'
import { deriveCredential, SCRAM_MECHANISMS } from '../../../src/server/auth/scram.js'
import { writeUsersFile, type UserCredentials } from '../../../src/server/auth/users-file.js'
import { makeTmpDir } from '../../helpers/tmp-dir.js'

/** Users files and ACL files for the security tests, written into a fresh temp directory. */

/** A users file with these users (every SCRAM mechanism each); returns its path. */
export async function writeUsers(users: Record<string, string>, dir?: string): Promise<string> {
  const target = dir ?? (await makeTmpDir('seglog-auth-'))
  const credentials: UserCredentials = new Map()
  for (const [name, password] of Object.entries(users)) {
    const byMechanism = new Map()
    for (const mechanism of SCRAM_MECHANISMS) byMechanism.set(mechanism, await deriveCredential(mechanism, password))
    credentials.set(name, byMechanism)
  }
  const file = path.join(target, 'users.json')
  await writeUsersFile(file, credentials)
  return file
}

/** Fast limits so tests see the delay and the block without waiting long. */
export const TEST_LIMITS = { delayMs: 20, maxFailures: 1000, windowMs: 60_000, blockMs: 60_000 }

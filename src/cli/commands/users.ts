import fs from 'node:fs'
import path from 'node:path'
import { flockSync } from 'fs-ext'
import { MIN_ITERATIONS, SCRAM_MECHANISMS, deriveCredential, type ScramMechanism } from '../../server/auth/scram.js'
import { readUsersFile, usersFilePath, validateUserName, writeUsersFile } from '../../server/auth/users-file.js'
import { checkPositionals, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { Output } from '../output.js'

/**
 * `seglog users add|remove|list FILE_OR_DIR`: the SASL users file `seglog serve --users` reads
 * (src/server/auth/users-file.ts, docs/format/users-file.md). Only SCRAM salted keys are written.
 */

const OPTIONS = {
  user: { type: 'string', short: 'u', valueName: 'NAME', description: 'the user to add or remove' },
  password: {
    type: 'string',
    valueName: 'P',
    description: 'the password (visible to other local users in the process list: prefer --password-stdin)',
  },
  'password-stdin': { type: 'boolean', description: 'read the password from stdin (one line; the newline is not part of it)' },
  mechanism: {
    type: 'string',
    valueName: 'M',
    description: 'SCRAM-SHA-256 or SCRAM-SHA-512 (default: both); remove: only this one',
  },
  iterations: { type: 'string', valueName: 'N', description: `PBKDF2 rounds, at least ${MIN_ITERATIONS} (default ${MIN_ITERATIONS})` },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog users add|remove|list FILE_OR_DIR [--user NAME] [--password-stdin | --password P] [--mechanism M]',
  description: [
    'Manage the SASL users of `seglog serve`: the file holds, per user and SCRAM mechanism, a',
    'random salt, the iteration count and the two SCRAM keys (StoredKey, ServerKey), never the',
    'password. FILE_OR_DIR is the file, or a directory holding it as users.json (the data',
    'directory, for example). Every change is written to a new file (mode 0600) that replaces the',
    'old one at once; a running server picks it up within a second. PLAIN logins are checked',
    'against the same keys, so one `add` serves PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'printf \'%s\\n\' "$PASSWORD" | seglog users add data --user alice --password-stdin',
    'seglog users add users.json --user bob --password s3cret --mechanism SCRAM-SHA-512',
    'seglog users list data',
    'seglog users remove data --user bob',
    'seglog serve data --users data/users.json',
  ],
  notes: 'Exit status: 0 done, 1 a problem (unreadable or damaged file, unknown user to remove), 2 usage error.',
})

const ACTIONS = ['add', 'remove', 'list'] as const

export const usersCommand: Command = {
  name: 'users',
  summary: 'add, remove and list the SASL users (SCRAM credentials) of seglog serve',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('users', argv, OPTIONS)
    checkPositionals('users', positionals, 'ACTION and FILE_OR_DIR', 2, 2)
    const action = positionals[0] as (typeof ACTIONS)[number]
    if (!ACTIONS.includes(action)) throw new UsageError(`the action must be add, remove or list, got '${positionals[0]}'`, 'users')
    const file = await usersFilePath(positionals[1]!)
    const mechanisms = parseMechanism(values.mechanism)
    const out = new Output()
    // Two `users` commands at once would each write its own change over the other's: they take
    // turns on an flock of the file's directory (the kernel drops it if the process dies).
    const unlock = lockDirectory(path.dirname(file))
    try {
      return await runLocked(action, file, values, mechanisms, out)
    } finally {
      unlock()
    }
  },
}

function lockDirectory(dir: string): () => void {
  const fd = fs.openSync(dir, 'r')
  flockSync(fd, 'ex')
  return () => {
    flockSync(fd, 'un')
    fs.closeSync(fd)
  }
}

async function runLocked(
  action: (typeof ACTIONS)[number],
  file: string,
  values: { user: string | undefined; password: string | undefined; 'password-stdin': boolean; iterations: string | undefined },
  mechanisms: ScramMechanism[],
  out: Output,
): Promise<number> {
  const users = await readUsersFile(file)
  if (action === 'list') {
    for (const [name, byMechanism] of [...users].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const described = [...byMechanism].map(([mechanism, credential]) => `${mechanism} (${credential.iterations} iterations)`)
      out.line(`${name}\t${described.join(', ')}`)
    }
    await out.flush()
    return EXIT_OK
  }
  const user = values.user
  if (user === undefined) throw new UsageError(`${action} needs --user NAME`, 'users')
  try {
    validateUserName(user)
  } catch (error) {
    throw new UsageError((error as Error).message, 'users')
  }
  if (action === 'remove') {
    const byMechanism = users.get(user)
    if (byMechanism === undefined) {
      out.notice(`seglog: no user '${user}' in ${file}`)
      await out.flush()
      return EXIT_PROBLEMS
    }
    for (const mechanism of mechanisms) byMechanism.delete(mechanism)
    if (byMechanism.size === 0) users.delete(user)
    await writeUsersFile(file, users)
    out.line(`removed ${user} (${mechanisms.join(', ')}) from ${file}`)
    await out.flush()
    return EXIT_OK
  }
  const password = await readPassword(values.password, values['password-stdin'])
  const iterations =
    values.iterations === undefined
      ? MIN_ITERATIONS
      : parseIntegerOption('users', 'iterations', values.iterations, MIN_ITERATIONS, 10_000_000)
  const byMechanism = users.get(user) ?? new Map()
  for (const mechanism of mechanisms) byMechanism.set(mechanism, await deriveCredential(mechanism, password, iterations))
  users.set(user, byMechanism)
  await writeUsersFile(file, users)
  out.line(`added ${user} (${mechanisms.join(', ')}) to ${file}`)
  await out.flush()
  return EXIT_OK
}

function parseMechanism(value: string | undefined): ScramMechanism[] {
  if (value === undefined) return [...SCRAM_MECHANISMS]
  if (!SCRAM_MECHANISMS.includes(value as ScramMechanism))
    throw new UsageError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got '${value}'`, 'users')
  return [value as ScramMechanism]
}

async function readPassword(given: string | undefined, fromStdin: boolean): Promise<string> {
  if (given !== undefined && fromStdin) throw new UsageError('give --password or --password-stdin, not both', 'users')
  let password = given
  if (fromStdin) {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '')
  }
  if (password === undefined) throw new UsageError('add needs --password-stdin (or --password P)', 'users')
  if (password === '') throw new UsageError('the password is empty', 'users')
  return password
}

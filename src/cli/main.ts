#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { SeglogError } from '../errors.js'
import { wantsHelp } from './args.js'
import type { Command } from './command.js'
import { benchCommand } from './commands/bench.js'
import { demoCommand } from './commands/demo.js'
import { dlqCommand } from './commands/dlq.js'
import { traceCommand } from './commands/trace.js'
import { importCommand } from './commands/import.js'
import { mirrorCommand } from './commands/mirror.js'
import { consumeCommand } from './commands/consume.js'
import { produceCommand } from './commands/produce.js'
import { repairCommand } from './commands/repair.js'
import { serveCommand } from './commands/serve.js'
import { usersCommand } from './commands/users.js'
import { dumpCommand } from './commands/dump.js'
import { inspectCommand } from './commands/inspect.js'
import { verifyCommand } from './commands/verify.js'
import { groupsCommand } from './commands/groups.js'
import { topicsCommand } from './commands/topics.js'
import { deleteRecordsCommand } from './commands/delete-records.js'
import { CliError, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './errors.js'
import { guardStdout, isColorEnabled } from './output.js'

/**
 * The `seglog` command: `seglog <command> [options] [args]`. This file owns the dispatch, the
 * top-level help and version, and the one place where errors become exit codes:
 * UsageError -> 2, SeglogError -> 1 with its message, anything else -> 1 with one line (the stack
 * too when SEGLOG_DEBUG=1). A new command is one entry in COMMANDS.
 */
const COMMANDS: readonly Command[] = [
  dumpCommand,
  inspectCommand,
  verifyCommand,
  repairCommand,
  produceCommand,
  consumeCommand,
  serveCommand,
  dlqCommand,
  traceCommand,
  benchCommand,
  demoCommand,
  importCommand,
  mirrorCommand,
  groupsCommand,
  topicsCommand,
  deleteRecordsCommand,
  usersCommand,
]

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name)
}

function version(): string {
  // dist/cli/main.js and src/cli/main.ts both sit two levels below the package root.
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return packageJson.version
}

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length))
  return [
    'Usage: seglog <command> [options] [arguments]',
    '       seglog help <command>',
    '',
    'seglog is an embeddable, Kafka-compatible log storage engine. This command dumps, inspects,',
    "verifies and repairs its data (segment files in Kafka's on-disk format), reads and writes",
    'records, and measures throughput.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    "  -h, --help     show this help, or a command's help after the command",
    '  -V, --version  print the version',
    '',
    'Exit status: 0 ok, 1 problems found (corrupt data, unreadable files), 2 usage error.',
    "Run 'seglog <command> --help' for a command's options and examples.",
    '',
  ].join('\n')
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    process.stderr.write(topLevelHelp())
    return EXIT_USAGE
  }
  if (first === '--help' || first === '-h') {
    process.stdout.write(topLevelHelp())
    return EXIT_OK
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`seglog ${version()}\n`)
    return EXIT_OK
  }
  if (first === 'help') {
    const name = rest[0]
    const command = name === undefined ? undefined : findCommand(name)
    if (name !== undefined && command === undefined) throw new UsageError(`unknown command '${name}'`)
    process.stdout.write(command === undefined ? topLevelHelp() : command.help)
    return EXIT_OK
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`)
  const command = findCommand(first)
  if (command === undefined) throw new UsageError(`unknown command '${first}'`)
  if (wantsHelp(rest)) {
    process.stdout.write(command.helpFor?.(rest) ?? command.help)
    return EXIT_OK
  }
  return command.run(rest)
}

/** Turns any error into one line on stderr and its exit code. */
function reportError(error: unknown): number {
  const prefix = isColorEnabled(process.stderr) ? '\x1b[1;31mseglog:\x1b[0m' : 'seglog:'
  if (error instanceof UsageError) {
    const help = error.command === undefined ? 'seglog --help' : `seglog ${error.command} --help`
    process.stderr.write(`${prefix} ${error.message}\nTry '${help}'\n`)
    return EXIT_USAGE
  }
  const isDebug = process.env.SEGLOG_DEBUG === '1'
  if (error instanceof SeglogError || error instanceof CliError) {
    process.stderr.write(`${prefix} ${oneLine(error.message)}\n`)
  } else {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    process.stderr.write(`${prefix} unexpected error: ${oneLine(message)}${isDebug ? '' : ' (set SEGLOG_DEBUG=1 for the stack)'}\n`)
  }
  if (isDebug && error instanceof Error && error.stack !== undefined) process.stderr.write(error.stack + '\n')
  return EXIT_PROBLEMS
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ')
}

guardStdout()
process.on('uncaughtException', (error) => process.exit(reportError(error)))
process.on('unhandledRejection', (error) => process.exit(reportError(error)))
try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  process.exitCode = reportError(error)
}

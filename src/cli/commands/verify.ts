import fs from 'node:fs'
import { InvalidArgumentError } from '../../errors.js'
import { LOG_SUFFIX } from '../../log/segment-files.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { classifyDir, totalLogBytes } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js'
import { Output } from '../output.js'
import { verifyDirectory, verifyFiles, type VerifyDirectoryOptions, type VerifyReport } from '../../engine/verify-directory.js'

/**
 * `seglog verify DIR|FILE...`: prints what verifyDirectory and verifyFiles (engine/verify-directory.ts)
 * find: one line per problem on stderr, notes as `note: ...` on stderr, and one summary line on
 * stdout adding up every argument. No lock is taken, so a directory a running engine owns can be verified.
 */

const OPTIONS = {
  deep: { type: 'boolean', description: 'also decode every record of every batch (decompresses; slower)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog verify [options] DIR|FILE...',
  description: [
    'Check seglog data read-only: a data directory, partition directories, or segment files (.log,',
    "and .index/.timeindex/.snapshot). Checks every batch's framing and CRC, that offsets ascend",
    'within and across segments, every offset- and time-index entry against the log, that the',
    'checkpoints point inside their partitions, and that topics.json matches the partition',
    'directories. With --deep every record is decoded too. Prints each problem on its own line',
    '(file and byte position) on stderr and one summary line on stdout. Takes no lock.',
  ].join('\n'),
  options: OPTIONS,
  examples: ['seglog verify data', 'seglog verify --deep data/orders-0', 'seglog verify data/orders-0/00000000000000000000.log'],
  notes: [
    'Summary line: verified N segments, N batches, N records, N bytes: N problems',
    'Quarantine files and leftovers of interrupted operations are mentioned as notes (stderr),',
    'not counted as problems: they are not damage to the log. The first damage of a partition says',
    "what the engine's next open does: cut it (a torn write past the recovery point), or refuse",
    '(damage below the recovery point, or after a clean shutdown), which seglog repair resolves.',
    '',
    'Exit status: 0 everything checks; 1 problems were found (or an argument is missing or',
    'unreadable); 2 a usage error.',
  ].join('\n'),
})

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check every batch, index, checkpoint and topics.json of a data directory',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('verify', argv, OPTIONS)
    checkPositionals('verify', positionals, 'DIR|FILE', 1)
    const out = new Output()
    const progress = out.progress('verify', plannedBytes(positionals))
    const total = { segments: 0, batches: 0, records: 0, bytes: 0, problems: 0 }
    const options: VerifyDirectoryOptions = {
      isDeep: values.deep,
      onProblem: (problem) => out.problem(problem.message),
      onNote: (message) => out.notice(`note: ${message}`),
      onProgress: (doneBytes) => progress.update(total.bytes + doneBytes),
    }
    const add = (report: VerifyReport): void => {
      total.segments += report.segments
      total.batches += report.batches
      total.records += report.records
      total.bytes += report.bytes
      total.problems += report.problems.length
    }
    const files: string[] = []
    for (const target of positionals) {
      if (isFileArgument(target)) files.push(target)
      else {
        try {
          add(await verifyDirectory(target, options))
        } catch (error) {
          if (!(error instanceof InvalidArgumentError)) throw error
          out.problem(error.message)
          total.problems++
        }
      }
      await out.flush()
    }
    add(await verifyFiles(files, options))
    progress.finish()
    const { segments, batches, records, bytes, problems } = total
    out.line(`verified ${segments} segments, ${batches} batches, ${records} records, ${bytes} bytes: ${problems} problems`)
    await out.flush()
    return problems === 0 ? EXIT_OK : EXIT_PROBLEMS
  },
}

function isFileArgument(target: string): boolean {
  try {
    return !fs.statSync(target).isDirectory()
  } catch {
    return /\.(log|index|timeindex|snapshot|quarantine)$/.test(target)
  }
}

function plannedBytes(targets: readonly string[]): number {
  let total = 0
  for (const target of targets) {
    try {
      if (isFileArgument(target)) total += target.endsWith(LOG_SUFFIX) ? fs.statSync(target).size : 0
      else total += totalLogBytes(target, classifyDir(target) ?? 'partition')
    } catch {
      // reported when verified
    }
  }
  return total
}

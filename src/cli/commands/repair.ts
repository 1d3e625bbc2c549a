import path from 'node:path'
import readline from 'node:readline'
import { repairDirectory, type PartitionRepair, type QuarantineMove, type RepairReport } from '../../engine/repair-directory.js'
import { checkPositionals, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { describeDirArgument } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { Output } from '../output.js'

/**
 * `seglog repair DIR`: prints what repairDirectory (src/engine/repair-directory.ts) plans and did.
 * The command adds only the confirmation: a question on a terminal, `--yes` otherwise.
 */

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'only the partitions of this topic' },
  partition: { type: 'string', short: 'p', valueName: 'N', description: 'only this partition of --topic' },
  yes: { type: 'boolean', short: 'y', description: 'repair without asking (needed when there is no terminal to ask on)' },
  'dry-run': { type: 'boolean', description: 'print what would be done and change nothing' },
  json: { type: 'boolean', description: 'print the report as one JSON object (needs --yes or --dry-run)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog repair DIR [--topic TOPIC [--partition N]] [--yes] [--dry-run] [--json]',
  description: [
    'Make a data directory the engine refuses to open usable again, deleting nothing. For each',
    'partition whose first damaged batch lies below the recovery point (durable data that went bad,',
    'which recovery will not cut), or anywhere after a clean shutdown, the bytes from that batch to',
    'the end of its segment, and every later segment, move into quarantine files',
    '(<segment>.log.<byte>.quarantine, as recovery names them); the segment is cut after its last',
    "valid batch, its indexes are rebuilt, and the partition's recovery point is lowered to the new",
    'log end. Damage past the recovery point (a torn write) is left to the engine, which cuts it on',
    "open. Takes the directory's lock: close the engine first. Lists what it will do and asks.",
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog verify data                     # what is damaged, and what needs repair',
    'seglog repair --dry-run data',
    'seglog repair data',
    'seglog repair --yes --topic orders --partition 0 data',
    'seglog dump data/orders-0/00000000000000000851.log.0.quarantine   # what was moved aside',
  ],
  notes: [
    'Exit status: 0 repaired, nothing to repair, or a dry run; 1 the repair was declined, DIR is',
    'missing or locked by an engine, or a file could not be read or written; 2 a usage error (also:',
    'no --yes or --dry-run without a terminal, or with --json).',
  ].join('\n'),
})

export const repairCommand: Command = {
  name: 'repair',
  summary: 'quarantine damage below the recovery point so the engine opens again',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('repair', argv, OPTIONS)
    checkPositionals('repair', positionals, 'DIR', 1, 1)
    const dir = positionals[0]!
    const topic = values.topic
    const partition = values.partition === undefined ? undefined : parseIntegerOption('repair', 'partition', values.partition)
    if (partition !== undefined && topic === undefined) throw new UsageError('--partition needs --topic', 'repair')
    const isDryRun = values['dry-run']
    const canAsk = !values.json && process.stdin.isTTY === true && process.stderr.isTTY === true
    if (!isDryRun && !values.yes && !canAsk) {
      throw new UsageError(
        `repair moves data into quarantine files: confirm with --yes (${values.json ? '--json cannot ask' : 'there is no terminal to ask on'}), or look first with --dry-run`,
        'repair',
      )
    }
    const out = new Output()
    const unusable = describeDirArgument(dir)
    if (unusable !== null) {
      if (unusable.endsWith('is not a directory'))
        throw new UsageError(`${dir} is not a directory: seglog repair takes a data directory`, 'repair')
      out.problem(unusable)
      return EXIT_PROBLEMS
    }
    let isPlanPrinted = false
    const confirm =
      isDryRun || values.yes
        ? undefined
        : async (plan: RepairReport): Promise<boolean> => {
            printRepairs(plan, out)
            isPlanPrinted = true
            await out.flush()
            return ask(`Move the damaged data of ${countOf(plan.repairs.length, 'partition')} into quarantine files? [y/N] `)
          }
    const report = await repairDirectory(dir, { topic, partition, dryRun: isDryRun, confirm })
    if (values.json) {
      out.line(JSON.stringify(report))
    } else {
      if (!isPlanPrinted) printRepairs(report, out)
      printSummary(report, out)
    }
    for (const cut of report.recoveryCuts) {
      out.notice(
        `note: ${cut.topic}-${cut.partition}: ${path.basename(cut.file)} at byte ${cut.position}: ${cut.bytes} bytes (${cut.reason}) at or past the recovery point; the engine's recovery cuts them off on open, into a quarantine file`,
      )
    }
    await out.flush()
    const isDeclined = !isDryRun && !report.applied && report.repairs.length > 0
    return isDeclined ? EXIT_PROBLEMS : EXIT_OK
  },
}

function printRepairs(report: RepairReport, out: Output): void {
  for (const repair of report.repairs) {
    const { damage } = repair
    out.line(
      `${repair.topic}-${repair.partition}: ${path.basename(damage.file)} at byte ${damage.position}: ${damage.reason} (${damage.detail})`,
    )
    out.line(`  ${whyNotCut(repair)}`)
    const { from, to } = repair.offsetsLost
    out.line(
      `  the log will end at offset ${repair.newLogEndOffset}; offsets ${to > from ? `${from}..${to - 1}` : `from ${from}`} leave it and stay in the quarantine files`,
    )
    for (const move of repair.quarantined) out.line(`  ${report.applied ? 'moved' : 'move'} ${describeMove(move)}`)
    if (repair.recoveryPoint > repair.newLogEndOffset) out.line(`  recovery point ${repair.recoveryPoint} -> ${repair.newLogEndOffset}`)
  }
}

function whyNotCut(repair: PartitionRepair): string {
  return repair.cause === 'clean-shutdown'
    ? 'the directory was shut down cleanly, so the engine does not cut damage: it refuses to open the partition, or fails reads here'
    : `below the recovery point ${repair.recoveryPoint} (fsynced, acknowledged data), so the engine does not cut it: it refuses to open the partition, or fails reads here`
}

function describeMove(move: QuarantineMove): string {
  const what = move.isWholeSegment
    ? path.basename(move.file)
    : `${path.basename(move.file)} bytes ${move.position}..${move.position + move.bytes}`
  const offsets = move.endOffset > move.firstOffset ? `, offsets ${move.firstOffset}..${move.endOffset - 1}` : ''
  return `${what} (${countOf(move.bytes, 'byte')}${offsets}) to ${path.basename(move.quarantineFile)}`
}

function printSummary(report: RepairReport, out: Output): void {
  const { repairs } = report
  if (repairs.length === 0) {
    out.line(`nothing to repair in ${countOf(report.partitionsChecked, 'partition')}`)
    return
  }
  const moves = repairs.flatMap((repair) => repair.quarantined)
  const bytes = moves.reduce((total, move) => total + move.bytes, 0)
  const what = `${countOf(bytes, 'byte')} into ${countOf(moves.length, 'quarantine file')}`
  if (report.applied) out.line(`repaired ${countOf(repairs.length, 'partition')}: moved ${what}; nothing was deleted`)
  else if (report.dryRun) out.line(`dry run: would repair ${countOf(repairs.length, 'partition')}, moving ${what}; nothing was changed`)
  else out.line('nothing was changed')
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** A yes/no question on the terminal; anything but y or yes (or the end of input) is no. */
function ask(question: string): Promise<boolean> {
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr })
  return new Promise((resolve) => {
    let answer = ''
    prompt.on('close', () => resolve(/^y(es)?$/i.test(answer.trim())))
    prompt.question(question, (text) => {
      answer = text
      prompt.close()
    })
  })
}

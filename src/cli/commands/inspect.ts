import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { classifyDir, describeDirArgument, describeNeitherKind, totalLogBytes } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js'
import { Output } from '../output.js'
import { formatBytes, formatTimestamp, wrapText } from '../table.js'
import { inspectDirectory, type DataDirReport, type PartitionDirReport } from '../../engine/inspect-directory.js'
import { renderAttention, renderGroups, renderPartitions, renderSegments, renderTopics, type View } from './inspect-tables.js'

/**
 * `seglog inspect DIR`: a summary of a data directory (or of one partition directory), as aligned
 * tables or one JSON document. Everything is read, nothing written, and no lock is taken, so it
 * works while an engine owns the directory.
 */

const OPTIONS = {
  json: { type: 'boolean', description: 'print one JSON document instead of tables' },
  segments: { type: 'boolean', description: 'list every segment of every partition (always shown for a partition directory)' },
  deep: { type: 'boolean', description: 'decompress compressed batches to measure their compression ratio (slower)' },
  wide: { type: 'boolean', description: 'print every column at full width (by default tables fit the terminal, or 80 columns)' },
} as const satisfies OptionSpecs

/** Text output fits 80 columns, or the terminal's width, unless --wide. */
const DEFAULT_WIDTH = 80

const HELP = formatHelp({
  usage: 'seglog inspect [options] DIR',
  description: [
    'Summarise a seglog data directory: its topics and their settings (topics.json), whether the',
    'last shutdown was clean, the checkpoints, per partition the segments, offset range, time range,',
    'records, bytes, index entries, compression, and any quarantine or leftover files, and the',
    "consumer groups' committed offsets with their lag (replayed from __consumer_offsets-0). DIR may",
    'also be one partition directory (TOPIC-PARTITION). Batch headers are read, record bodies are not',
    '(except those of the offsets log). Nothing is written and no lock is taken, so a directory a',
    'running engine owns can be inspected.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog inspect data',
    'seglog inspect --segments data',
    'seglog inspect --wide data | less -S',
    'seglog inspect data/orders-0',
    "seglog inspect --json data | jq '.partitions[] | {name, records, logEndOffset}'",
    "seglog inspect --json data | jq -c '.groups[] | select(.lag > 0)'",
  ],
  notes: [
    'Time ranges come from batch headers: the last timestamp is the largest batch max timestamp; the',
    'first is the earliest batch base timestamp (a record inside a batch may be earlier still).',
    'Compression shows the share of batches per codec; with --deep also the ratio of decompressed',
    'to stored bytes.',
    '',
    "Consumer groups: LOG-END is the partition's log end from the scan; LAG the records from the",
    "commit (or the log start, if later) to it, as the engine's describeGroup counts them.",
    '',
    'Exit status: 0 the directory was read; 1 DIR is missing or not a seglog directory, or something',
    'in it could not be read (corrupt framing, an unparsable topics.json or checkpoint, a damaged',
    'batch or record of the offsets log); 2 a usage error.',
  ].join('\n'),
})

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'summarise a data directory: topics, partitions, offsets, time ranges, files',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('inspect', argv, OPTIONS)
    checkPositionals('inspect', positionals, 'DIR', 1, 1)
    const dir = positionals[0]!
    const out = new Output()
    const unusable = describeDirArgument(dir)
    if (unusable !== null) {
      out.problem(unusable)
      return EXIT_PROBLEMS
    }
    const kind = classifyDir(dir)
    if (kind === null) {
      out.problem(describeNeitherKind(dir))
      return EXIT_PROBLEMS
    }
    let problemCount = 0
    const progress = out.progress('inspect', totalLogBytes(dir, kind))
    let doneBytes = 0
    let fileBytes = 0
    const options = {
      isDeep: values.deep,
      onProblem: (message: string) => {
        problemCount++
        out.problem(message)
      },
      onProgress: (position: number) => {
        // Positions restart at 0 with each file.
        if (position < fileBytes) doneBytes += fileBytes
        fileBytes = position
        progress.update(doneBytes + position)
      },
    }
    const report = await inspectDirectory(dir, options)
    progress.finish()
    if (values.json) out.line(JSON.stringify(report, null, 2))
    else {
      const terminalWidth = out.stdout.isTTY === true && (out.stdout.columns ?? 0) > 0 ? out.stdout.columns! : DEFAULT_WIDTH
      const view: View = { out, width: values.wide ? Infinity : terminalWidth, hidden: new Set(), isShortened: false }
      if (report.type === 'data-dir') renderDataDir(report, values.segments, view)
      else renderPartitionDir(report, view)
      if (view.hidden.size > 0 || view.isShortened) {
        const what = view.hidden.size > 0 ? 'some columns were left out' : 'some names were shortened'
        out.line('')
        out.line(`(${what} to fit ${view.width} characters; --wide shows everything)`)
      }
    }
    await out.flush()
    return problemCount === 0 ? EXIT_OK : EXIT_PROBLEMS
  },
}

function renderDataDir(report: DataDirReport, showSegments: boolean, view: View): void {
  const { recoveryPoint, logStart } = report.checkpoints
  keyValues(view, [
    ['Data directory', report.dir],
    ['Last shutdown', shutdownText(report)],
    ['Lock', lockText(report.lock)],
    ['Checkpoints', `${checkpointText(recoveryPoint)}; ${checkpointText(logStart)}`],
  ])
  view.out.line('')
  if (!report.topicsFile.exists) view.out.line('Topics: no topics.json')
  else renderTopics(report, view)
  view.out.line('')
  renderPartitions(report.partitions, view)
  const { totals } = report
  view.out.line(
    `Total: ${plural(totals.partitions, 'partition')}, ${plural(totals.segments, 'segment')}, ${plural(totals.batches, 'batch', 'batches')}, ` +
      `${plural(totals.records, 'record')}, ${formatBytes(totals.bytes)}`,
  )
  renderGroups(report.groups, view)
  if (report.delayed !== null && report.delayed.pending > 0) {
    const { pending, earliestDueMs } = report.delayed
    view.out.line('')
    view.out.line(`Delayed delivery: ${plural(pending, 'record')} pending, the earliest due ${formatTimestamp(earliestDueMs)}`)
  }
  if (showSegments) {
    for (const partition of report.partitions) {
      if (partition.segmentList.length === 0) continue
      view.out.line('')
      renderSegments(partition, view)
    }
  }
  renderAttention(report.partitions, report.leftovers, view)
}

function renderPartitionDir(report: PartitionDirReport, view: View): void {
  const { partition } = report
  keyValues(view, [
    ['Partition directory', report.dir],
    ['Data directory', report.dataDir ?? '(none around it: no checkpoints)'],
  ])
  view.out.line('')
  renderPartitions([partition], view)
  if (partition.segmentList.length > 0) {
    view.out.line('')
    renderSegments(partition, view)
  }
  renderAttention([partition], [], view)
}

/** `Key  value` lines; a value too long for the width wraps under itself. */
function keyValues(view: View, pairs: readonly (readonly [string, string])[]): void {
  const width = Math.max(...pairs.map(([key]) => key.length))
  for (const [key, value] of pairs) {
    const [first, ...more] = view.width === Infinity ? [value] : wrapText(value, Math.max(20, view.width - width - 2))
    view.out.line(`${key.padEnd(width)}  ${first}`)
    for (const line of more) view.out.line(`${' '.repeat(width + 2)}${line}`)
  }
}

function shutdownText(report: DataDirReport): string {
  if (report.shutdown.isClean) return `clean${report.shutdown.closedAt === null ? '' : `, at ${formatTimestamp(report.shutdown.closedAt)}`}`
  const pid = report.lock.heldByPid
  if (typeof pid === 'number') return 'none yet: an engine has the directory open (it writes .clean-shutdown when it closes)'
  return 'unclean: no .clean-shutdown marker (the engine was killed or crashed; the next open recovers)'
}

function lockText(lock: DataDirReport['lock']): string {
  if (!lock.hasLockFile) return 'no .lock file (no engine has opened the directory)'
  if (lock.heldByPid === 'unknown') return '.lock present; this system cannot tell whether it is held'
  if (lock.heldByPid === null) return 'not held'
  return `held by process ${lock.heldByPid}: figures may change while it writes`
}

function checkpointText(checkpoint: DataDirReport['checkpoints']['recoveryPoint']): string {
  if (!checkpoint.exists) return `${checkpoint.file} missing`
  if (checkpoint.error !== null) return `${checkpoint.file} unreadable`
  return `${checkpoint.file} ${plural(Object.keys(checkpoint.entries).length, 'entry', 'entries')}`
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

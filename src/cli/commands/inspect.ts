import path from 'node:path'
import type { FlushPolicy } from '../../log/flush-policy.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { classifyDir, describeDirArgument, describeNeitherKind, totalLogBytes } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js'
import { Output } from '../output.js'
import {
  fitTable,
  formatByteSetting,
  formatBytes,
  formatMsSetting,
  formatShare,
  formatTimestamp,
  shortenText,
  wrapText,
  type Column,
} from '../table.js'
import {
  inspectDirectory,
  type CodecReport,
  type DataDirReport,
  type GroupReport,
  type PartitionDirReport,
  type PartitionReport,
} from '../../engine/inspect-directory.js'

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

/** Where tables go and how wide they may be; remembers what was left out, for the closing note. */
interface View {
  out: Output
  width: number
  hidden: Set<string>
  isShortened: boolean
}

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

function printTable(view: View, columns: readonly Column[], rows: readonly (readonly string[])[]): void {
  const table = fitTable(columns, rows, '  ', view.width)
  for (const header of table.hidden) view.hidden.add(header)
  if (table.isShortened) view.isShortened = true
  for (const line of table.lines) view.out.line(line)
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

function renderTopics(report: DataDirReport, view: View): void {
  const columns: Column[] = [
    { header: 'TOPIC', shorten: 'middle' },
    { header: 'PARTITIONS', isNumeric: true },
    { header: 'SEGMENT BYTES', isNumeric: true, dropOrder: 6 },
    { header: 'SEGMENT MS', isNumeric: true, dropOrder: 4 },
    { header: 'SEGMENT INDEX BYTES', isNumeric: true, dropOrder: 1 },
    { header: 'INDEX INTERVAL', isNumeric: true, dropOrder: 2 },
    { header: 'RETENTION MS', isNumeric: true, dropOrder: 8 },
    { header: 'RETENTION BYTES', isNumeric: true, dropOrder: 7 },
    { header: 'MAX BATCH BYTES', isNumeric: true, dropOrder: 3 },
    { header: 'FLUSH', dropOrder: 5 },
  ]
  const rows = report.topics.map(({ name, partitions, settings, flush }) => [
    name,
    String(partitions),
    formatByteSetting(settings.segmentBytes),
    formatMsSetting(settings.segmentMs),
    formatByteSetting(settings.segmentIndexBytes),
    formatByteSetting(settings.indexIntervalBytes),
    formatMsSetting(settings.retentionMs),
    formatByteSetting(settings.retentionBytes),
    formatByteSetting(settings.maxBatchBytes),
    flushText(flush),
  ])
  view.out.line('Topics (topics.json)')
  printTable(view, columns, rows)
}

function flushText(flush: FlushPolicy | null): string {
  if (flush === null) return 'engine default'
  if (flush.mode !== 'interval') return flush.mode
  const parts = [
    flush.ms === undefined ? null : formatMsSetting(flush.ms),
    flush.messages === undefined ? null : `${flush.messages} messages`,
  ]
  return `interval ${parts.filter((part) => part !== null).join(' or ')}`
}

function renderPartitions(partitions: readonly PartitionReport[], view: View): void {
  const columns: Column[] = [
    { header: 'PARTITION', shorten: 'middle' },
    { header: 'SEGMENTS', isNumeric: true, dropOrder: 6 },
    { header: 'LOG START', isNumeric: true },
    { header: 'LOG END', isNumeric: true },
    { header: 'RECOVERY POINT', isNumeric: true, dropOrder: 2 },
    { header: 'RECORDS', isNumeric: true },
    { header: 'BATCHES', isNumeric: true, dropOrder: 4 },
    { header: 'BYTES', isNumeric: true, dropOrder: 8 },
    { header: 'FIRST TIMESTAMP', dropOrder: 3 },
    { header: 'LAST TIMESTAMP', dropOrder: 7 },
    { header: 'INDEX (OFFSET/TIME)', isNumeric: true, dropOrder: 1 },
    { header: 'COMPRESSION', dropOrder: 5 },
  ]
  const rows = partitions.map((partition) => [
    partition.name + (!partition.exists ? ' (no directory)' : !partition.isKnown ? ' (not in topics.json)' : ''),
    String(partition.segments),
    orDash(partition.logStartOffset),
    orDash(partition.logEndOffset),
    orDash(partition.checkpoint.recoveryPoint),
    String(partition.records),
    String(partition.batches),
    formatBytes(partition.bytes),
    formatTimestamp(partition.firstTimestamp),
    formatTimestamp(partition.maxTimestamp),
    `${partition.indexEntries.offset}/${partition.indexEntries.time}`,
    compressionText(partition.compression, partition.batches),
  ])
  view.out.line('Partitions')
  printTable(view, columns, rows)
}

function renderGroups(groups: readonly GroupReport[], view: View): void {
  // Like the files to look at, the table is left out when there is nothing in it.
  if (groups.length === 0) return
  const columns: Column[] = [
    { header: 'GROUP', shorten: 'end' },
    { header: 'TOPIC', shorten: 'middle' },
    { header: 'PARTITION', isNumeric: true },
    { header: 'COMMITTED', isNumeric: true },
    { header: 'LOG-END', isNumeric: true },
    { header: 'LAG', isNumeric: true },
    { header: 'METADATA', shorten: 'end', dropOrder: 2 },
    { header: 'COMMITTED-AT', dropOrder: 1 },
  ]
  const rows = groups.map((row) => [
    row.group,
    row.topic,
    String(row.partition),
    String(row.committedOffset),
    orDash(row.logEndOffset),
    orDash(row.lag),
    metadataText(row.metadata),
    formatTimestamp(row.commitTimestamp),
  ])
  view.out.line('')
  view.out.line('Consumer groups (__consumer_offsets-0)')
  printTable(view, columns, rows)
}

/** Commit metadata in one table cell: '-' when empty, quoted when it holds spaces or control characters. */
function metadataText(metadata: string): string {
  if (metadata === '') return '-'
  return /[\s\p{Cc}]/u.test(metadata) ? JSON.stringify(metadata) : metadata
}

function renderSegments(partition: PartitionReport, view: View): void {
  const columns: Column[] = [
    { header: 'BASE OFFSET', isNumeric: true },
    { header: 'LAST OFFSET', isNumeric: true },
    { header: 'RECORDS', isNumeric: true },
    { header: 'BATCHES', isNumeric: true, dropOrder: 3 },
    { header: 'BYTES', isNumeric: true, dropOrder: 6 },
    { header: 'FIRST TIMESTAMP', dropOrder: 2 },
    { header: 'LAST TIMESTAMP', dropOrder: 5 },
    { header: 'INDEX (OFFSET/TIME)', isNumeric: true, dropOrder: 1 },
    { header: 'COMPRESSION', dropOrder: 4 },
  ]
  const rows = partition.segmentList.map((segment) => [
    String(segment.baseOffset),
    orDash(segment.lastOffset),
    String(segment.records),
    String(segment.batches),
    formatBytes(segment.bytes),
    formatTimestamp(segment.firstTimestamp),
    formatTimestamp(segment.maxTimestamp),
    `${segment.indexEntries.offset}/${segment.indexEntries.time}`,
    compressionText(segment.compression, segment.batches),
  ])
  view.out.line(`Segments of ${view.width === Infinity ? partition.name : shortenText(partition.name, view.width - 12, 'middle')}`)
  printTable(view, columns, rows)
}

/** `none 65%, lz4 35%`: the share of batches per codec, with the ratio when --deep measured it. */
function compressionText(codecs: Record<string, CodecReport>, batches: number): string {
  const parts = Object.entries(codecs).map(([name, codec]) => {
    const ratio = codec.ratio !== null && name !== 'none' ? ` (${codec.ratio.toFixed(1)}x)` : ''
    return `${name} ${formatShare(codec.batches, batches)}${ratio}`
  })
  return parts.length === 0 ? '-' : parts.join(', ')
}

/**
 * Only bytes at the end of the last segment can be a torn write; anywhere else they are damage. Whether
 * the next open cuts them depends on the recovery point, which `seglog verify` reads and reports.
 */
function trailingBytesNote(isLastSegment: boolean): string {
  return isLastSegment
    ? 'a partial batch at the end (a torn write if past the recovery point; seglog verify says what the next open does)'
    : 'a partial batch in a segment that is not the last: damage, not a torn write (see seglog verify; seglog repair)'
}

/** Quarantine files, torn tails, unreadable segments and leftovers: what someone should look at. */
function renderAttention(partitions: readonly PartitionReport[], dataDirLeftovers: DataDirReport['leftovers'], view: View): void {
  const rows: string[][] = []
  for (const partition of partitions) {
    const at = (file: string): string => path.join(partition.name, file)
    for (const file of partition.quarantine) {
      rows.push([
        at(file.file),
        formatBytes(file.bytes),
        `bytes recovery cut from ${file.cutFrom || 'a log'} at byte ${file.position} (seglog dump shows them)`,
      ])
    }
    for (const [slot, segment] of partition.segmentList.entries()) {
      const isLast = slot === partition.segmentList.length - 1
      if (segment.readError !== null)
        rows.push([
          at(segment.file),
          formatBytes(segment.bytes),
          'unreadable from the byte named on stderr on; figures cover the bytes before it',
        ])
      else if (segment.trailingBytes > 0) rows.push([at(segment.file), formatBytes(segment.trailingBytes), trailingBytesNote(isLast)])
      for (const missing of segment.missingFiles) rows.push([at(missing), '', 'missing (the engine rebuilds it from the log on open)'])
    }
    for (const file of partition.leftovers) rows.push([at(file.file), formatBytes(file.bytes), file.why])
  }
  for (const leftover of dataDirLeftovers) rows.push([leftover.file, '', leftover.why])
  if (rows.length === 0) return
  view.out.line('')
  view.out.line('Files to look at')
  printTable(
    view,
    [
      { header: 'FILE', shorten: 'middle' },
      { header: 'BYTES', isNumeric: true },
      { header: 'WHAT', wraps: true },
    ],
    rows,
  )
}

function orDash(value: number | null): string {
  return value === null ? '-' : String(value)
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

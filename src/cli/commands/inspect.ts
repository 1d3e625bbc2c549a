import path from 'node:path'
import type { FlushPolicy } from '../../log/flush-policy.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { classifyDir, describeDirArgument, totalLogBytes } from '../data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js'
import { Output } from '../output.js'
import { formatByteSetting, formatBytes, formatMsSetting, formatShare, formatTable, formatTimestamp, type Column } from '../table.js'
import { inspectDataDir, inspectPartitionDir, type CodecReport, type DataDirReport, type GroupReport, type PartitionDirReport, type PartitionReport } from './inspect-report.js'

/**
 * `seglog inspect DIR`: a summary of a data directory (or of one partition directory), as aligned
 * tables or one JSON document. Everything is read, nothing written, and no lock is taken, so it
 * works while an engine owns the directory.
 */

const OPTIONS = {
  json: { type: 'boolean', description: 'print one JSON document instead of tables' },
  segments: { type: 'boolean', description: 'list every segment of every partition (always shown for a partition directory)' },
  deep: { type: 'boolean', description: 'decompress compressed batches to measure their compression ratio (slower)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog inspect [options] DIR',
  description: [
    'Summarise a seglog data directory: its topics and their settings (topics.json), whether the',
    'last shutdown was clean, the checkpoints, per partition the segments, offset range, time range,',
    'records, bytes, index entries, compression, and any quarantine or leftover files, and the',
    'consumer groups\' committed offsets with their lag (replayed from __consumer_offsets-0). DIR may',
    'also be one partition directory (TOPIC-PARTITION). Batch headers are read, record bodies are not',
    '(except those of the offsets log). Nothing is written and no lock is taken, so a directory a',
    'running engine owns can be inspected.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog inspect data',
    'seglog inspect --segments data',
    'seglog inspect data/orders-0',
    'seglog inspect --json data | jq \'.partitions[] | {name, records, logEndOffset}\'',
    'seglog inspect --json data | jq -c \'.groups[] | select(.lag > 0)\'',
  ],
  notes: [
    'Time ranges come from batch headers: the last timestamp is the largest batch max timestamp; the',
    'first is the earliest batch base timestamp (a record inside a batch may be earlier still).',
    'Compression shows the share of batches per codec; with --deep also the ratio of decompressed',
    'to stored bytes.',
    '',
    'Consumer groups: LOG-END is the partition\'s log end from the scan; LAG the records from the',
    'commit (or the log start, if later) to it, as the engine\'s describeGroup counts them.',
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
      out.problem(`${dir} is neither a seglog data directory (topics.json, .lock, TOPIC-PARTITION directories) nor a partition directory (segment files)`)
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
    const report = kind === 'data' ? inspectDataDir(dir, options) : inspectPartitionDir(dir, options)
    progress.finish()
    if (values.json) out.line(JSON.stringify(report, null, 2))
    else if (report.type === 'data-dir') renderDataDir(report, values.segments, out)
    else renderPartitionDir(report, out)
    await out.flush()
    return problemCount === 0 ? EXIT_OK : EXIT_PROBLEMS
  },
}

function renderDataDir(report: DataDirReport, showSegments: boolean, out: Output): void {
  const { recoveryPoint, logStart } = report.checkpoints
  keyValues(out, [
    ['Data directory', report.dir],
    ['Last shutdown', shutdownText(report)],
    ['Lock', lockText(report.lock)],
    ['Checkpoints', `${checkpointText(recoveryPoint)}; ${checkpointText(logStart)}`],
  ])
  out.line('')
  if (!report.topicsFile.exists) out.line('Topics: no topics.json')
  else renderTopics(report, out)
  out.line('')
  renderPartitions(report.partitions, out)
  const { totals } = report
  out.line(`Total: ${plural(totals.partitions, 'partition')}, ${plural(totals.segments, 'segment')}, ${plural(totals.batches, 'batch', 'batches')}, ` +
    `${plural(totals.records, 'record')}, ${formatBytes(totals.bytes)}`)
  renderGroups(report.groups, out)
  if (showSegments) {
    for (const partition of report.partitions) {
      if (partition.segmentList.length === 0) continue
      out.line('')
      renderSegments(partition, out)
    }
  }
  renderAttention(report.partitions, report.leftovers, out)
}

function renderPartitionDir(report: PartitionDirReport, out: Output): void {
  const { partition } = report
  keyValues(out, [
    ['Partition directory', report.dir],
    ['Data directory', report.dataDir ?? '(none around it: no checkpoints)'],
  ])
  out.line('')
  renderPartitions([partition], out)
  if (partition.segmentList.length > 0) {
    out.line('')
    renderSegments(partition, out)
  }
  renderAttention([partition], [], out)
}

function keyValues(out: Output, pairs: readonly (readonly [string, string])[]): void {
  const width = Math.max(...pairs.map(([key]) => key.length))
  for (const [key, value] of pairs) out.line(`${key.padEnd(width)}  ${value}`)
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

function renderTopics(report: DataDirReport, out: Output): void {
  const columns: Column[] = [
    { header: 'TOPIC' },
    { header: 'PARTITIONS', isNumeric: true },
    { header: 'SEGMENT BYTES', isNumeric: true },
    { header: 'SEGMENT MS', isNumeric: true },
    { header: 'SEGMENT INDEX BYTES', isNumeric: true },
    { header: 'INDEX INTERVAL', isNumeric: true },
    { header: 'RETENTION MS', isNumeric: true },
    { header: 'RETENTION BYTES', isNumeric: true },
    { header: 'MAX BATCH BYTES', isNumeric: true },
    { header: 'FLUSH' },
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
  out.line('Topics (topics.json)')
  for (const line of formatTable(columns, rows, '  ')) out.line(line)
}

function flushText(flush: FlushPolicy | null): string {
  if (flush === null) return 'engine default'
  if (flush.mode !== 'interval') return flush.mode
  const parts = [flush.ms === undefined ? null : formatMsSetting(flush.ms), flush.messages === undefined ? null : `${flush.messages} messages`]
  return `interval ${parts.filter((part) => part !== null).join(' or ')}`
}

function renderPartitions(partitions: readonly PartitionReport[], out: Output): void {
  const columns: Column[] = [
    { header: 'PARTITION' },
    { header: 'SEGMENTS', isNumeric: true },
    { header: 'LOG START', isNumeric: true },
    { header: 'LOG END', isNumeric: true },
    { header: 'RECOVERY POINT', isNumeric: true },
    { header: 'RECORDS', isNumeric: true },
    { header: 'BATCHES', isNumeric: true },
    { header: 'BYTES', isNumeric: true },
    { header: 'FIRST TIMESTAMP' },
    { header: 'LAST TIMESTAMP' },
    { header: 'INDEX (OFFSET/TIME)', isNumeric: true },
    { header: 'COMPRESSION' },
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
  out.line('Partitions')
  for (const line of formatTable(columns, rows, '  ')) out.line(line)
}

function renderGroups(groups: readonly GroupReport[], out: Output): void {
  // Like the files to look at, the table is left out when there is nothing in it.
  if (groups.length === 0) return
  const columns: Column[] = [
    { header: 'GROUP' },
    { header: 'TOPIC' },
    { header: 'PARTITION', isNumeric: true },
    { header: 'COMMITTED', isNumeric: true },
    { header: 'LOG-END', isNumeric: true },
    { header: 'LAG', isNumeric: true },
    { header: 'METADATA' },
    { header: 'COMMITTED-AT' },
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
  out.line('')
  out.line('Consumer groups (__consumer_offsets-0)')
  for (const line of formatTable(columns, rows, '  ')) out.line(line)
}

/** Commit metadata in one table cell: '-' when empty, quoted when it holds spaces or control characters. */
function metadataText(metadata: string): string {
  if (metadata === '') return '-'
  return /[\s\p{Cc}]/u.test(metadata) ? JSON.stringify(metadata) : metadata
}

function renderSegments(partition: PartitionReport, out: Output): void {
  const columns: Column[] = [
    { header: 'BASE OFFSET', isNumeric: true },
    { header: 'LAST OFFSET', isNumeric: true },
    { header: 'RECORDS', isNumeric: true },
    { header: 'BATCHES', isNumeric: true },
    { header: 'BYTES', isNumeric: true },
    { header: 'FIRST TIMESTAMP' },
    { header: 'LAST TIMESTAMP' },
    { header: 'INDEX (OFFSET/TIME)', isNumeric: true },
    { header: 'COMPRESSION' },
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
  out.line(`Segments of ${partition.name}`)
  for (const line of formatTable(columns, rows, '  ')) out.line(line)
}

/** `none 65%, lz4 35%`: the share of batches per codec, with the ratio when --deep measured it. */
function compressionText(codecs: Record<string, CodecReport>, batches: number): string {
  const parts = Object.entries(codecs).map(([name, codec]) => {
    const ratio = codec.ratio !== null && name !== 'none' ? ` (${codec.ratio.toFixed(1)}x)` : ''
    return `${name} ${formatShare(codec.batches, batches)}${ratio}`
  })
  return parts.length === 0 ? '-' : parts.join(', ')
}

/** Quarantine files, torn tails, unreadable segments and leftovers: what someone should look at. */
function renderAttention(partitions: readonly PartitionReport[], dataDirLeftovers: DataDirReport['leftovers'], out: Output): void {
  const rows: string[][] = []
  for (const partition of partitions) {
    const at = (file: string): string => path.join(partition.name, file)
    for (const file of partition.quarantine) {
      rows.push([at(file.file), formatBytes(file.bytes), `bytes recovery cut from ${file.cutFrom || 'a log'} at byte ${file.position} (seglog dump shows them)`])
    }
    for (const segment of partition.segmentList) {
      if (segment.readError !== null) rows.push([at(segment.file), formatBytes(segment.bytes), 'unreadable from the byte named on stderr on; figures cover the bytes before it'])
      else if (segment.trailingBytes > 0) rows.push([at(segment.file), formatBytes(segment.trailingBytes), 'a partial batch at the end (a torn write; the next unclean open cuts it)'])
      for (const missing of segment.missingFiles) rows.push([at(missing), '', 'missing (the engine rebuilds it from the log on open)'])
    }
    for (const file of partition.leftovers) rows.push([at(file.file), formatBytes(file.bytes), file.why])
  }
  for (const leftover of dataDirLeftovers) rows.push([leftover.file, '', leftover.why])
  if (rows.length === 0) return
  out.line('')
  out.line('Files to look at')
  for (const line of formatTable([{ header: 'FILE' }, { header: 'BYTES', isNumeric: true }, { header: 'WHAT' }], rows, '  ')) out.line(line)
}

function orDash(value: number | null): string {
  return value === null ? '-' : String(value)
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

import path from 'node:path'
import type { FlushPolicy } from '../../log/flush-policy.js'
import type { CodecReport, DataDirReport, GroupReport, PartitionReport } from '../../engine/inspect-directory.js'
import type { Output } from '../output.js'
import {
  fitTable,
  formatByteSetting,
  formatBytes,
  formatMsSetting,
  formatShare,
  formatTimestamp,
  shortenText,
  type Column,
} from '../table.js'

/**
 * The tables of `seglog inspect`'s text output: topics, partitions, consumer groups, segments and the
 * files to look at, each fitted to the view's width.
 */

/** Where tables go and how wide they may be; remembers what was left out, for the closing note. */
export interface View {
  out: Output
  width: number
  hidden: Set<string>
  isShortened: boolean
}

export function printTable(view: View, columns: readonly Column[], rows: readonly (readonly string[])[]): void {
  const table = fitTable(columns, rows, '  ', view.width)
  for (const header of table.hidden) view.hidden.add(header)
  if (table.isShortened) view.isShortened = true
  for (const line of table.lines) view.out.line(line)
}

export function renderTopics(report: DataDirReport, view: View): void {
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

export function renderPartitions(partitions: readonly PartitionReport[], view: View): void {
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

export function renderGroups(groups: readonly GroupReport[], view: View): void {
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

export function renderSegments(partition: PartitionReport, view: View): void {
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
export function renderAttention(partitions: readonly PartitionReport[], dataDirLeftovers: DataDirReport['leftovers'], view: View): void {
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

export function orDash(value: number | null): string {
  return value === null ? '-' : String(value)
}

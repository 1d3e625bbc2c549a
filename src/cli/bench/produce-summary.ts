import type { ProduceConsumeParams, ProduceConsumeResult } from './produce-consume.js'
import { renderReport } from './report.js'
import { formatNumber, formatSpread, formatTable, spread, type Spread } from './stats.js'

/**
 * The produce suite's results per point (one setting of a sweep, or the single default run): medians
 * with min and max over the runs, as Kafka's perf-test lines, one table, or an HTML report.
 */

export interface PointSummary {
  label: string
  produceRecordsPerSec: Spread
  produceMbPerSec: Spread
  latencyAvg: Spread
  latencyMax: Spread
  latencyP50: Spread
  latencyP95: Spread
  latencyP99: Spread
  latencyP999: Spread
  compressionRatio: Spread
  fsyncs: Spread
  bytesOnDisk: Spread
  produceRatio: Spread
  consumeRecordsPerSec: Spread | null
  consumeMbPerSec: Spread | null
  consumeRatio: Spread | null
  runs: ProduceConsumeResult[]
}

export function summarize(label: string, runs: ProduceConsumeResult[]): PointSummary {
  const of = (pick: (run: ProduceConsumeResult) => number): Spread => spread(runs.map(pick))
  const consumed = runs.every((run) => run.consume !== null)
  return {
    label,
    produceRecordsPerSec: of((run) => run.produce.recordsPerSec),
    produceMbPerSec: of((run) => run.produce.mbPerSec),
    latencyAvg: of((run) => run.produce.latencyMs.avg),
    latencyMax: of((run) => run.produce.latencyMs.max),
    latencyP50: of((run) => run.produce.latencyMs.p50),
    latencyP95: of((run) => run.produce.latencyMs.p95),
    latencyP99: of((run) => run.produce.latencyMs.p99),
    latencyP999: of((run) => run.produce.latencyMs.p999),
    compressionRatio: of((run) => run.produce.compressionRatio),
    fsyncs: of((run) => run.produce.fsyncs),
    bytesOnDisk: of((run) => run.produce.bytesOnDisk),
    produceRatio: of((run) => run.ratio.produce),
    consumeRecordsPerSec: consumed ? of((run) => run.consume!.recordsPerSec) : null,
    consumeMbPerSec: consumed ? of((run) => run.consume!.mbPerSec) : null,
    consumeRatio: consumed ? of((run) => run.ratio.consume!) : null,
    runs,
  }
}

/** The lines Kafka's kafka-producer-perf-test and kafka-consumer-perf-test print, from medians. */
export function kafkaStyleLines(summary: PointSummary): string {
  const first = summary.runs[0]!
  const lines = [
    `${first.produce.records} records sent, ${summary.produceRecordsPerSec.median.toFixed(1)} records/sec (${summary.produceMbPerSec.median.toFixed(2)} MB/sec), ` +
      `${summary.latencyAvg.median.toFixed(2)} ms avg latency, ${summary.latencyMax.median.toFixed(2)} ms max latency, ` +
      `${summary.latencyP50.median.toFixed(2)} ms 50th, ${summary.latencyP95.median.toFixed(2)} ms 95th, ${summary.latencyP99.median.toFixed(2)} ms 99th, ${summary.latencyP999.median.toFixed(2)} ms 99.9th.`,
  ]
  if (summary.consumeRecordsPerSec !== null && first.consume !== null) {
    lines.push('data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec')
    lines.push(
      `${((first.consume.records * first.produce.mbPerSec * first.produce.seconds) / first.consume.records).toFixed(4)}, ${summary.consumeMbPerSec!.median.toFixed(4)}, ${first.consume.records}, ${summary.consumeRecordsPerSec.median.toFixed(4)}`,
    )
  }
  return lines.join('\n')
}

export function summaryTable(summaries: PointSummary[], sweepName: string | null): string {
  const rows: string[][] = []
  const add = (name: string, pick: (summary: PointSummary) => Spread | null, decimals = 0): void => {
    if (summaries.every((summary) => pick(summary) === null)) return
    rows.push([
      name,
      ...summaries.map((summary) => {
        const value = pick(summary)
        return value === null ? '-' : formatSpread(value, decimals)
      }),
    ])
  }
  add('produce records/s', (s) => s.produceRecordsPerSec)
  add('produce MB/s', (s) => s.produceMbPerSec, 1)
  add('latency avg ms', (s) => s.latencyAvg, 2)
  add('latency p50 ms', (s) => s.latencyP50, 2)
  add('latency p95 ms', (s) => s.latencyP95, 2)
  add('latency p99 ms', (s) => s.latencyP99, 2)
  add('latency p99.9 ms', (s) => s.latencyP999, 2)
  add('latency max ms', (s) => s.latencyMax, 2)
  add('compression ratio', (s) => s.compressionRatio, 3)
  add('fsyncs', (s) => s.fsyncs)
  add('bytes on disk', (s) => s.bytesOnDisk)
  add('produce / plain write %', (s) => percent(s.produceRatio), 1)
  add('consume records/s', (s) => s.consumeRecordsPerSec)
  add('consume MB/s', (s) => s.consumeMbPerSec, 1)
  add('consume / plain read %', (s) => (s.consumeRatio === null ? null : percent(s.consumeRatio)), 1)
  const header = [
    'figure (median, min–max)',
    ...summaries.map((summary) => (sweepName === null ? 'value' : `${sweepName}=${summary.label}`)),
  ]
  return formatTable(header, rows)
}

export function reportHtml(summaries: PointSummary[], sweepName: string, params: ProduceConsumeParams): string {
  const labels = summaries.map((summary) => summary.label)
  const consumed = summaries.every((summary) => summary.consumeRecordsPerSec !== null)
  return renderReport({
    title: `seglog bench: ${sweepName} sweep`,
    parameter: sweepName,
    labels,
    charts: [
      {
        title: 'Throughput',
        unit: 'records/s',
        series: [
          { name: 'produce', values: summaries.map((summary) => summary.produceRecordsPerSec.median) },
          ...(consumed ? [{ name: 'consume', values: summaries.map((summary) => summary.consumeRecordsPerSec!.median) }] : []),
        ],
      },
      {
        title: 'Send latency',
        unit: 'ms',
        series: [
          { name: 'p50', values: summaries.map((summary) => summary.latencyP50.median) },
          { name: 'p99', values: summaries.map((summary) => summary.latencyP99.median) },
          { name: 'p99.9', values: summaries.map((summary) => summary.latencyP999.median) },
        ],
      },
    ],
    table: (() => {
      const text = summaryTable(summaries, sweepName).split('\n')
      const split = (line: string): string[] => line.split(/\s{2,}/).map((cell) => cell.trim())
      return { header: split(text[0]!), rows: text.slice(2).map(split) }
    })(),
    notes: [
      `${formatNumber(params.records)} records of ${params.recordSize} bytes (${typeof params.payload === 'string' ? params.payload : params.payload.file} payload), ${params.producers} producers, ${params.topics} topic(s) × ${params.partitions} partitions, flush ${params.flush}.`,
      'Ratios compare seglog with plain sequential file writes and reads of the same bytes in the same run.',
    ],
  })
}

/** A ratio shown as a percentage (seglog's rate as a share of the plain-file rate). */
function percent(ratio: Spread): Spread {
  return { median: ratio.median * 100, min: ratio.min * 100, max: ratio.max * 100, runs: ratio.runs.map((value) => value * 100) }
}

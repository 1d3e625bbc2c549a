import fs from 'node:fs'
import { COMPRESSION_IDS, type CompressionName } from '../../compression/codec.js'
import type { FlushMode } from '../../log/flush-policy.js'
import { formatHelp, parseByteSizeOption, parseCommandArgs, parseIntegerOption, checkPositionals, type OptionSpecs } from '../args.js'
import { runDurabilitySuite } from '../bench/durability-suite.js'
import { runLogSuite } from '../bench/log-suite.js'
import { formatScaleSuite, runScaleSuite } from '../bench/scale-suite.js'
import { runProduceConsume, type ProduceConsumeParams, type ProduceConsumeResult } from '../bench/produce-consume.js'
import { kafkaStyleLines, reportHtml, summarize, summaryTable, type PointSummary } from '../bench/produce-summary.js'
import { formatDurabilitySuite, formatLogSuite } from '../bench/suite-tables.js'
import type { Command } from '../command.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'

/** The demo prints a run the way bench does. */
export { kafkaStyleLines, summarize, summaryTable } from '../bench/produce-summary.js'

const OPTIONS = {
  suite: {
    type: 'string',
    valueName: 'NAME',
    description:
      'produce (default: produce and consume through the engine), log (the partition log alone), durability (flush modes and recovery) or scale (many partitions and segments)',
  },
  records: { type: 'string', valueName: 'N', description: 'records to produce (default 1000000; log suite too)' },
  'record-size': { type: 'string', valueName: 'BYTES', description: 'bytes per record value (default 100)' },
  payload: { type: 'string', valueName: 'KIND', description: 'random, json (default) or a FILE whose bytes are cut into values' },
  'batch-bytes': { type: 'string', valueName: 'BYTES', description: 'producer batch size (default 1m)' },
  'linger-ms': { type: 'string', valueName: 'MS', description: 'producer linger (default 0)' },
  compression: { type: 'string', valueName: 'CODEC', description: 'none, gzip, snappy, lz4 (default) or zstd' },
  topics: { type: 'string', valueName: 'N', description: 'topics to spread the records over (default 1)' },
  partitions: { type: 'string', valueName: 'N', description: 'partitions per topic (default 4)' },
  producers: { type: 'string', valueName: 'N', description: 'concurrent senders (default 4)' },
  'send-records': { type: 'string', valueName: 'N', description: 'records per send call (default 100); latency is per send' },
  flush: { type: 'string', valueName: 'MODE', description: 'sync, interval (1000 ms) or os (default)' },
  consume: { type: 'boolean', description: 'read everything back with a consumer group and verify it' },
  'commit-every': { type: 'string', valueName: 'N', description: 'with --consume, commit the group every N records (default 100000)' },
  runs: { type: 'string', valueName: 'N', description: 'measured runs; figures are medians with min and max (default 3)' },
  warmup: { type: 'string', valueName: 'N', description: 'unmeasured runs first (default 1)' },
  sweep: {
    type: 'string',
    valueName: 'PARAM=V1,V2',
    description: 'run a series: batch-bytes, record-size, producers, compression, linger-ms, partitions',
  },
  report: { type: 'string', valueName: 'FILE.html', description: 'with --sweep, write a self-contained page with charts' },
  lookups: { type: 'string', valueName: 'N', description: 'log suite: random reads and timestamp lookups (default 20000)' },
  appends: {
    type: 'string',
    valueName: 'N',
    description: 'durability suite: measured appends per mode and concurrency, after a quarter as many unmeasured (default 20000)',
  },
  concurrency: { type: 'string', valueName: 'N,N', description: 'durability suite: concurrent appenders (default 1,8,64)' },
  'recovery-bytes': {
    type: 'string',
    valueName: 'BYTES',
    description: 'durability suite: size of the unclean segment to recover (default 1g; 0 skips)',
  },
  dir: { type: 'string', valueName: 'DIR', description: 'data directory (default: a fresh temporary one, removed afterwards)' },
  keep: { type: 'boolean', description: 'keep the temporary data directory' },
  force: { type: 'boolean', description: 'with --dir, use a directory that is not empty (bench appends to topics already there)' },
  json: { type: 'boolean', description: 'print the results as one JSON document' },
  'value-bytes': { type: 'string', valueName: 'BYTES', description: 'log suite: bytes per record value (default 100; as --record-size)' },
  'key-bytes': { type: 'string', valueName: 'BYTES', description: 'log suite: bytes per record key (default 0: no key)' },
  'partition-counts': { type: 'string', valueName: 'N,N', description: 'scale suite: partition counts (default 16,256)' },
  segments: { type: 'string', valueName: 'N', description: 'scale suite: segments of the one-partition log (default 1000; 0 skips)' },
  full: { type: 'boolean', description: 'scale suite: the large sizes (partitions 16,256,1000,10000; 10000 segments)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: [
    'seglog bench [options]',
    'seglog bench --sweep batch-bytes=16k,64k,1m --report sweep.html',
    'seglog bench --suite log|durability|scale',
  ],
  description: [
    'Measure seglog on this machine. The default suite produces records through the producer',
    '(batching, compression, partitioning) and, with --consume, reads them back with a consumer',
    'group and checks count and checksum, so a fast wrong result fails loudly. Each figure is the',
    'median of --runs runs after --warmup unmeasured ones, with min and max. The same bytes are',
    "also written and read with plain sequential file I/O in the same run, and seglog's rate is",
    'printed as a ratio of that: absolute figures drift on a shared machine, ratios much less.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog bench --consume',
    'seglog bench --records 200000 --compression none --flush sync --producers 16',
    'seglog bench --sweep compression=none,lz4,gzip,zstd --consume --report codecs.html',
    'seglog bench --suite log --records 1000000',
    'seglog bench --suite durability --recovery-bytes 256m --json',
  ],
  notes:
    'Latency is measured per send call (from send to its promise resolving) in milliseconds.\nExit status: 0 done, 1 the read-back did not match, 2 usage error (also: a --dir that is not empty, without --force).',
})

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values']

const SWEEPABLE = ['batch-bytes', 'record-size', 'producers', 'compression', 'linger-ms', 'partitions'] as const
type SweepParam = (typeof SWEEPABLE)[number]

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure produce/consume throughput and latency, the log layer, or durability',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('bench', argv, OPTIONS)
    checkPositionals('bench', positionals, 'argument', 0, 0)
    const out = new Output()
    const suite = values.suite ?? 'produce'
    checkSuiteOptions(suite, argv)
    checkBenchDir(values.dir, values.force)
    if (suite === 'log') {
      const result = await runLogSuite({
        records: int(values.records, 'records', 1_000_000, 1000),
        recordSize: int(values['value-bytes'] ?? values['record-size'], 'value-bytes', 100, 1),
        keyBytes: int(values['key-bytes'], 'key-bytes', 0, 0),
        segmentBytes: 64 * 1024 * 1024,
        lookups: int(values.lookups, 'lookups', 20_000, 1),
        ...(values.dir !== undefined && { dir: values.dir }),
      })
      out.line(values.json ? JSON.stringify({ suite, result }, null, 2) : formatLogSuite(result))
    } else if (suite === 'durability') {
      const result = await runDurabilitySuite({
        appends: int(values.appends, 'appends', 20_000, 1),
        recordSize: int(values['record-size'], 'record-size', 100, 1),
        concurrency: (values.concurrency ?? '1,8,64').split(',').map((word) => parseIntegerOption('bench', 'concurrency', word, 1, 10_000)),
        recoveryBytes:
          values['recovery-bytes'] === undefined ? 1024 ** 3 : parseByteSizeOption('bench', 'recovery-bytes', values['recovery-bytes']),
        ...(values.dir !== undefined && { dir: values.dir }),
      })
      out.line(values.json ? JSON.stringify({ suite, result }, null, 2) : formatDurabilitySuite(result))
    } else if (suite === 'scale') {
      const full = values.full === true
      const counts = values['partition-counts'] ?? (full ? '16,256,1000,10000' : '16,256')
      const result = await runScaleSuite({
        partitionCounts: counts.split(',').map((word) => parseIntegerOption('bench', 'partition-counts', word, 1, 100_000)),
        segments: int(values.segments, 'segments', full ? 10_000 : 1_000, 0),
        runs: int(values.runs, 'runs', 1, 1),
        ...(values.dir !== undefined && { dir: values.dir }),
      })
      out.line(values.json ? JSON.stringify({ suite, result }, null, 2) : formatScaleSuite(result))
    } else if (suite === 'produce') {
      await runProduceSuite(values, out)
    } else {
      throw new UsageError(`unknown suite '${suite}' (produce, log, durability or scale)`, 'bench')
    }
    await out.flush()
    return EXIT_OK
  },
}

/** Options that only some suites read; giving one to another suite is a mistake worth saying. */
const SUITE_OPTIONS: Record<string, readonly string[]> = {
  produce: [
    'records',
    'record-size',
    'payload',
    'batch-bytes',
    'linger-ms',
    'compression',
    'topics',
    'partitions',
    'producers',
    'send-records',
    'flush',
    'consume',
    'commit-every',
    'runs',
    'warmup',
    'sweep',
    'report',
    'dir',
    'force',
    'keep',
    'json',
  ],
  log: ['records', 'record-size', 'lookups', 'dir', 'force', 'json', 'value-bytes', 'key-bytes'],
  durability: ['appends', 'record-size', 'concurrency', 'recovery-bytes', 'dir', 'force', 'json'],
  scale: ['partition-counts', 'segments', 'full', 'runs', 'dir', 'force', 'json'],
}

/**
 * A --dir that already holds something (a data directory, say) would get bench's topics and
 * records added to it, or bench's appended to topics of the same name: only an empty or new
 * directory is used without --force.
 */
function checkBenchDir(dir: string | undefined, force: boolean): void {
  if (dir === undefined) {
    if (force) throw new UsageError('--force applies only with --dir', 'bench')
    return
  }
  if (force) return
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new UsageError(`--dir ${dir} cannot be used: ${(error as Error).message}`, 'bench')
  }
  if (names.length > 0)
    throw new UsageError(
      `--dir ${dir} is not empty (bench would add its records to what is there); give an empty or new directory, or --force`,
      'bench',
    )
}

function checkSuiteOptions(suite: string, argv: readonly string[]): void {
  const allowed = SUITE_OPTIONS[suite]
  if (allowed === undefined) return
  for (const word of argv) {
    const match = /^--([a-z-]+)/.exec(word)
    if (match === null || match[1] === 'suite') continue
    if (!allowed.includes(match[1]!))
      throw new UsageError(
        `--${match[1]} does not apply to the ${suite} suite (it takes ${allowed.map((name) => `--${name}`).join(', ')})`,
        'bench',
      )
  }
}

function int(value: string | undefined, option: string, fallback: number, min = 0): number {
  return value === undefined ? fallback : parseIntegerOption('bench', option, value, min)
}

function baseParams(values: Values): ProduceConsumeParams {
  const payload = values.payload ?? 'json'
  if (payload !== 'random' && payload !== 'json' && !isNonEmptyFile(payload))
    throw new UsageError(`--payload must be random, json or an existing, non-empty file, got '${payload}'`, 'bench')
  const flush = values.flush ?? 'os'
  if (flush !== 'sync' && flush !== 'interval' && flush !== 'os')
    throw new UsageError(`--flush must be sync, interval or os, got '${flush}'`, 'bench')
  return {
    records: int(values.records, 'records', 1_000_000, 1),
    recordSize: int(values['record-size'], 'record-size', 100, 1),
    payload: payload === 'random' || payload === 'json' ? payload : { file: payload },
    batchBytes: values['batch-bytes'] === undefined ? 1024 * 1024 : parseByteSizeOption('bench', 'batch-bytes', values['batch-bytes']),
    lingerMs: int(values['linger-ms'], 'linger-ms', 0),
    compression: compressionOption(values.compression ?? 'lz4'),
    topics: int(values.topics, 'topics', 1, 1),
    partitions: int(values.partitions, 'partitions', 4, 1),
    producers: int(values.producers, 'producers', 4, 1),
    sendRecords: int(values['send-records'], 'send-records', 100, 1),
    flush: flush as FlushMode,
    consume: values.consume,
    commitEvery: int(values['commit-every'], 'commit-every', 100_000),
    ...(values.dir !== undefined && { dir: values.dir }),
    keep: values.keep,
  }
}

function isNonEmptyFile(file: string): boolean {
  const stats = fs.statSync(file, { throwIfNoEntry: false })
  return stats !== undefined && stats.isFile() && stats.size > 0
}

function compressionOption(value: string): CompressionName {
  if (!(value in COMPRESSION_IDS))
    throw new UsageError(`--compression must be one of ${Object.keys(COMPRESSION_IDS).join(', ')}, got '${value}'`, 'bench')
  return value as CompressionName
}

/** Applies one swept value to the parameters. */
function withSweep(params: ProduceConsumeParams, name: SweepParam, value: string): ProduceConsumeParams {
  switch (name) {
    case 'batch-bytes':
      return { ...params, batchBytes: parseByteSizeOption('bench', 'sweep', value) }
    case 'record-size':
      return { ...params, recordSize: parseIntegerOption('bench', 'sweep', value, 1) }
    case 'producers':
      return { ...params, producers: parseIntegerOption('bench', 'sweep', value, 1) }
    case 'linger-ms':
      return { ...params, lingerMs: parseIntegerOption('bench', 'sweep', value, 0) }
    case 'partitions':
      return { ...params, partitions: parseIntegerOption('bench', 'sweep', value, 1) }
    case 'compression':
      return { ...params, compression: compressionOption(value) }
  }
}

async function runProduceSuite(values: Values, out: Output): Promise<void> {
  const params = baseParams(values)
  const runs = int(values.runs, 'runs', 3, 1)
  const warmup = int(values.warmup, 'warmup', 1)
  let points: { label: string; params: ProduceConsumeParams }[] = [{ label: 'default', params }]
  let sweepName: SweepParam | null = null
  if (values.sweep !== undefined) {
    const match = /^([a-z-]+)=(.+)$/.exec(values.sweep)
    if (match === null || !(SWEEPABLE as readonly string[]).includes(match[1]!)) {
      throw new UsageError(`--sweep expects PARAM=V1,V2,... with PARAM one of ${SWEEPABLE.join(', ')}`, 'bench')
    }
    sweepName = match[1] as SweepParam
    points = match[2]!.split(',').map((value) => ({ label: value, params: withSweep(params, sweepName!, value) }))
  }
  if (values.report !== undefined && sweepName === null) throw new UsageError('--report needs --sweep', 'bench')

  const summaries: PointSummary[] = []
  for (const point of points) {
    for (let slot = 0; slot < warmup; slot++) {
      out.notice(`warm-up ${slot + 1}/${warmup}${sweepName === null ? '' : ` (${sweepName}=${point.label})`}`)
      reportKept(await runProduceConsume(point.params), values, out)
    }
    const results: ProduceConsumeResult[] = []
    for (let slot = 0; slot < runs; slot++) {
      const label = `run ${slot + 1}/${runs}${sweepName === null ? '' : ` (${sweepName}=${point.label})`}`
      out.notice(label)
      // A bar over records produced and consumed, on an interactive terminal only.
      const progress = out.progress(label, point.params.records * (point.params.consume ? 2 : 1), 'records')
      const result = await runProduceConsume({ ...point.params, onProgress: (produced, consumed) => progress.update(produced + consumed) })
      progress.finish()
      results.push(reportKept(result, values, out))
    }
    summaries.push(summarize(point.label, results))
  }

  if (values.json) {
    out.line(
      JSON.stringify({ suite: 'produce', params: { ...params, payload: params.payload }, sweep: sweepName, points: summaries }, null, 2),
    )
  } else {
    for (const summary of summaries) {
      if (sweepName !== null) out.line(`== ${sweepName}=${summary.label}`)
      out.line(kafkaStyleLines(summary))
      out.line('')
    }
    out.line(summaryTable(summaries, sweepName))
  }
  if (values.report !== undefined && sweepName !== null) {
    fs.writeFileSync(values.report, reportHtml(summaries, sweepName, params))
    out.notice(`wrote ${values.report}`)
  }
}

/** --keep without --dir leaves a fresh temporary directory per run: say where each one is. */
function reportKept(result: ProduceConsumeResult, values: Values, out: Output): ProduceConsumeResult {
  if (values.dir === undefined && result.dir !== null) out.notice(`kept ${result.dir}`)
  return result
}

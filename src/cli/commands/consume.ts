import { SeglogError, type Consumer, type ConsumerRecord, type LogEngine } from '../../index.js'
import { checkPositionals, checkTopicName, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { PrintedPositions } from '../consume-commits.js'
import { consumeReadOnly, type ConsumeSettings } from '../consume-read-only.js'
import { consumeKey } from '../consume-key.js'
import { describeDataDirProblem, readLockState, readTopicsFile } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { openEngine } from '../open-engine.js'
import { onStdoutClosed, Output } from '../output.js'
import { onStopSignals } from '../signals.js'

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'topic to read (required)' },
  group: {
    type: 'string',
    short: 'g',
    valueName: 'GROUP',
    description: 'consumer group: start at its commit and commit as records are printed',
  },
  from: { type: 'string', valueName: 'WHERE', description: 'where to start on a partition without a commit: earliest (default) or latest' },
  'from-beginning': { type: 'boolean', description: "the same as --from earliest (kafka-console-consumer.sh's name)" },
  offset: { type: 'string', valueName: 'N', description: 'start at this offset of --partition, even if the group has a commit' },
  timestamp: {
    type: 'string',
    valueName: 'MS',
    description: 'start at the first record stamped at or after MS, even if the group has a commit',
  },
  partition: { type: 'string', short: 'p', valueName: 'P', description: 'read only this partition' },
  max: { type: 'string', valueName: 'N', description: 'stop after N records' },
  follow: { type: 'boolean', short: 'f', description: 'keep waiting for new records (stop with Ctrl-C)' },
  'print-key': { type: 'boolean', description: 'print the key and a TAB before each value' },
  json: { type: 'boolean', description: 'one JSON object per record: topic, partition, offset, timestamp, key, value, headers (UTF-8)' },
  'isolation-level': {
    type: 'string',
    valueName: 'LEVEL',
    description: "read_committed: only committed transactions' records, up to the last stable offset; read_uncommitted (default): all",
  },
  key: {
    type: 'string',
    short: 'k',
    valueName: 'KEY',
    description: 'only the records with this key (UTF-8), newest first; scans the topic',
  },
} as const satisfies OptionSpecs

/** The group's commit is brought up to what stdout has written at least this often. */
const COMMIT_INTERVAL_MS = 1000
const OUTPUT_CHUNK_CHARS = 16 * 1024
/** After Ctrl-C, how long output already handed to stdout may take to be written (then committed). */
const SIGNAL_GRACE_MS = 200

const HELP = formatHelp({
  usage: 'seglog consume DIR --topic TOPIC [options]',
  description: [
    'Print the records of a topic in the data directory DIR, one value per line (like',
    'kafka-console-consumer.sh). Without --follow it stops at the end of what is there. A partition',
    "the group has no commit for starts at --from: earliest by default (unlike Kafka's tool, whose",
    "default is the end). --offset and --timestamp are explicit: they override the group's commit.",
    'With --group, what stdout has written is committed at least once a second and when consume',
    'stops (at the end, --max, Ctrl-C, SIGTERM, a closed pipe), so the next run continues there; a',
    'record may be printed twice after a crash, never skipped. Without --group nothing is committed.',
    'When another process owns DIR (a running engine, seglog serve), consume reads its files',
    'read-only instead: no lock, nothing written, --group refused; it prints what the files hold',
    '(written, not necessarily durable) and with --follow polls them for growth every 100 ms.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog consume data --topic greetings',
    'seglog consume data --topic orders --group billing --max 100 --print-key',
    'seglog consume data --topic orders --partition 2 --offset 500 --json | jq .value',
    'seglog consume data --topic events --group audit --timestamp 1700000000000',
    'seglog consume data --topic users --key user-42 --max 5 --json',
    'seglog consume data --topic payments --isolation-level read_committed',
  ],
  notes: [
    'Exit status: 0 done (also after Ctrl-C or SIGTERM, once the commit is written); 1 a problem',
    '(DIR not a seglog data directory, corrupt data, the topic deleted while read); 2 usage error',
    '(also: unknown topic or partition, an --offset outside the partition, --group on an owned DIR).',
  ].join('\n'),
})

export const consumeCommand: Command = {
  name: 'consume',
  summary: 'print the records of a topic, like kafka-console-consumer.sh',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('consume', argv, OPTIONS)
    checkPositionals('consume', positionals, 'DIR', 1, 1)
    const dir = positionals[0]!
    const topic = checkTopicName('consume', values.topic)
    const starts = [
      values.from !== undefined,
      values['from-beginning'],
      values.offset !== undefined,
      values.timestamp !== undefined,
    ].filter(Boolean).length
    if (starts > 1) throw new UsageError('use only one of --from, --from-beginning, --offset and --timestamp', 'consume')
    const from = values['from-beginning'] ? 'earliest' : (values.from ?? 'earliest')
    if (from !== 'earliest' && from !== 'latest') throw new UsageError(`--from must be earliest or latest, got '${from}'`, 'consume')
    const partition = values.partition === undefined ? undefined : parseIntegerOption('consume', 'partition', values.partition)
    const offset = values.offset === undefined ? undefined : parseIntegerOption('consume', 'offset', values.offset)
    if (offset !== undefined && partition === undefined) throw new UsageError('--offset needs --partition', 'consume')
    const settings: ConsumeSettings = {
      topic,
      group: values.group ?? null,
      from,
      partition,
      offset,
      timestamp: values.timestamp === undefined ? undefined : parseIntegerOption('consume', 'timestamp', values.timestamp),
      max: values.max === undefined ? Infinity : parseIntegerOption('consume', 'max', values.max, 1),
      follow: values.follow,
      format: values.json ? jsonLine : values['print-key'] ? keyValueLine : valueLine,
    }
    if (settings.group === '') throw new UsageError('--group must not be empty', 'consume')
    const isolation = values['isolation-level'] ?? 'read_uncommitted'
    if (isolation !== 'read_uncommitted' && isolation !== 'read_committed')
      throw new UsageError(`--isolation-level must be read_committed or read_uncommitted, got '${isolation}'`, 'consume')
    if (isolation === 'read_committed' && values.key !== undefined)
      throw new UsageError('--key reads every record: it takes no --isolation-level read_committed', 'consume')
    if (
      values.key !== undefined &&
      (settings.group !== null || settings.follow || values.from !== undefined || values['from-beginning'] || offset !== undefined)
    )
      throw new UsageError('--key takes --partition, --timestamp (from), --max and the output options only', 'consume')

    // Smaller chunks than other commands write: a record counts as delivered once the chunk that
    // holds its line is written whole, so this is the granularity of what a commit can cover.
    const out = new Output({ flushChars: OUTPUT_CHUNK_CHARS })
    const problem = describeDataDirProblem(dir, { mayCreate: false })
    if (problem !== null) {
      out.problem(problem)
      return EXIT_PROBLEMS
    }
    // Checked before the engine opens, which takes the lock and writes checkpoints (an unreadable
    // topics.json is left to the engine to report).
    const topicsFile = readTopicsFile(dir)
    if (topicsFile.error === null)
      checkTopicAndPartition(topicsFile.topics.find((entry) => entry.name === topic)?.config.partitions, settings, dir)

    const interrupt = new AbortController()
    let stoppedBy: 'signal' | 'stdout' | null = null
    const offSignals = onStopSignals(() => {
      stoppedBy ??= 'signal'
      interrupt.abort()
    })
    const offStdout = onStdoutClosed(() => {
      stoppedBy ??= 'stdout'
      interrupt.abort()
    })
    try {
      const engine = await openUnlessOwned(dir, settings, out)
      if (engine === null) {
        if (values.key !== undefined) throw new UsageError('--key needs the directory not owned by another process', 'consume')
        // The transaction state (open transactions, aborted ranges) lives in the owner's memory.
        if (isolation === 'read_committed')
          throw new UsageError('--isolation-level read_committed needs the directory not owned by another process', 'consume')
        if (topicsFile.error !== null) {
          out.problem(topicsFile.error)
          return EXIT_PROBLEMS
        }
        const partitionCount = topicsFile.topics.find((entry) => entry.name === topic)?.config.partitions ?? 0
        await consumeReadOnly(dir, settings, partitionCount, interrupt.signal, out)
      } else {
        try {
          checkTopicAndPartition(engine.hasTopic(topic) ? engine.partitions(topic).length : undefined, settings, dir)
          if (values.key !== undefined) await consumeKey(engine, settings, values.key, out)
          else await consumeTopic(engine, { ...settings, isolation }, dir, interrupt.signal, out)
        } finally {
          await engine.close()
        }
      }
    } finally {
      offSignals()
      offStdout()
    }
    await out.flush(interrupt.signal)
    // Stopped by a signal while the reader of a pipe is not reading: what stdout still holds was
    // not committed (the next run prints it again), and waiting for the reader would make Ctrl-C
    // hang, so end now. Everything else is closed by this point.
    if (stoppedBy === 'signal' && out.unwrittenChars > 0) process.exit(EXIT_OK)
    return EXIT_OK
  },
}

/**
 * The engine, or null when another process owns DIR: then consume reads the files read-only, which
 * cannot commit, so --group is refused.
 */
async function openUnlessOwned(dir: string, settings: ConsumeSettings, out: Output): Promise<LogEngine | null> {
  try {
    return await openEngine({ dir, onWarning: (message) => out.problem(message) })
  } catch (error) {
    if (!(error instanceof SeglogError) || error.code !== 'LOG_LOCKED') throw error
  }
  const pid = readLockState(dir).holderPid
  const owner = typeof pid === 'number' ? `process ${pid}` : 'another process'
  if (settings.group !== null) {
    throw new UsageError(
      `--group needs the owner of ${dir} (${owner}) to commit offsets: use a Kafka client through seglog serve (kcat -b 127.0.0.1:9092 -G ${settings.group} ${settings.topic}) or stop the owner`,
      'consume',
    )
  }
  out.problem(`${dir} is owned by ${owner}; reading its files read-only`)
  return null
}

function checkTopicAndPartition(partitionCount: number | undefined, settings: ConsumeSettings, dir: string): void {
  if (partitionCount === undefined) throw new UsageError(`topic '${settings.topic}' does not exist in ${dir}`, 'consume')
  if (settings.partition !== undefined && settings.partition >= partitionCount) {
    throw new UsageError(`topic '${settings.topic}' has no partition ${settings.partition} (it has ${partitionCount})`, 'consume')
  }
}

async function consumeTopic(
  engine: LogEngine,
  settings: ConsumeSettings & { isolation: 'read_uncommitted' | 'read_committed' },
  dir: string,
  interrupt: AbortSignal,
  out: Output,
): Promise<void> {
  const { topic } = settings
  checkTopicAndPartition(engine.hasTopic(topic) ? engine.partitions(topic).length : undefined, settings, dir)
  // Ends the consumer's wait for appends: at the end of the data (without --follow) or on interrupt.
  const done = new AbortController()
  const onInterrupt = (): void => done.abort()
  interrupt.addEventListener('abort', onInterrupt, { once: true })
  const consumer = await engine.consumer({
    group: settings.group ?? `seglog-console-${process.pid}`,
    topics: [topic],
    ...(settings.partition !== undefined && { partitions: [settings.partition] }),
    from: settings.from,
    signal: done.signal,
    isolation: settings.isolation,
  })
  let commitTimer: NodeJS.Timeout | undefined
  let watch: NodeJS.Timeout | undefined
  try {
    await seekExplicitStart(engine, consumer, settings)
    const printed = new PrintedPositions(engine, consumer.group, topic, consumer.positions())
    if (settings.group !== null) {
      commitTimer = setInterval(() => {
        printed.commit().catch((error: unknown) => out.problem(`commit failed: ${(error as Error).message}`))
      }, COMMIT_INTERVAL_MS)
    }
    // Without --follow, read up to the end as it is now (at read_committed: the last stable offset,
    // since nothing of a transaction still open is handed out).
    const endOf = (log: { highWatermark: number; lastStableOffset: number }): number =>
      settings.isolation === 'read_committed' ? log.lastStableOffset : log.highWatermark
    const ends = new Map(engine.partitions(topic).map((log) => [log.partition, endOf(log)]))
    const caughtUp = (): boolean => consumer.positions().every((position) => position.offset >= (ends.get(position.partition) ?? 0))
    if (!settings.follow && caughtUp()) done.abort()
    // The consumer waits for appends without holding the event loop open, and steps past control
    // records (transaction markers) without handing out a batch, so a log that ends with one is
    // caught up without the check after a batch. This timer keeps --follow waiting and notices that end.
    watch = setInterval(() => {
      if (!settings.follow && caughtUp()) done.abort()
    }, 50)
    await printRecords(consumer, settings, printed, interrupt, out, () => !settings.follow && caughtUp())
    clearInterval(commitTimer)
    await printed.flush(out, interrupt)
    await settleWritten(out, interrupt)
    if (settings.group !== null) await printed.commit()
  } finally {
    clearInterval(commitTimer)
    clearInterval(watch)
    interrupt.removeEventListener('abort', onInterrupt)
    await consumer.close()
  }
}

/** --offset and --timestamp: explicit starts, which override the group's commit. */
async function seekExplicitStart(engine: LogEngine, consumer: Consumer, settings: ConsumeSettings): Promise<void> {
  const { topic, offset, timestamp } = settings
  if (offset !== undefined) {
    const log = engine.partition(topic, settings.partition!)
    if (offset < log.logStartOffset || offset > log.logEndOffset) {
      const held =
        log.logEndOffset > log.logStartOffset ? `it holds offsets ${log.logStartOffset} to ${log.logEndOffset - 1}` : 'it holds no records'
      throw new UsageError(`--offset ${offset} is outside ${topic}-${log.partition}: ${held} (log end ${log.logEndOffset})`, 'consume')
    }
    consumer.seek(topic, log.partition, offset)
  }
  if (timestamp !== undefined) {
    for (const { partition } of consumer.positions()) {
      const log = engine.partition(topic, partition)
      const found = await log.offsetForTimestamp(timestamp)
      consumer.seek(topic, partition, found === null ? log.highWatermark : found.offset)
    }
  }
}

async function printRecords(
  consumer: Consumer,
  settings: ConsumeSettings,
  printed: PrintedPositions,
  interrupt: AbortSignal,
  out: Output,
  isAtEnd: () => boolean,
): Promise<void> {
  let count = 0
  for await (const { partition, records } of consumer.batches()) {
    let nextOffset = -1
    for (const record of records) {
      out.line(settings.format(record))
      nextOffset = record.offset + 1
      if (++count >= settings.max) break
      if (out.isFull) {
        printed.queue(partition, nextOffset)
        await printed.flush(out, interrupt)
        if (interrupt.aborted) return
      }
    }
    if (nextOffset >= 0) printed.queue(partition, nextOffset)
    // Each batch goes out as it is read: following, a record is shown when it arrives, and what
    // is committed each second is never far behind what was read.
    await printed.flush(out, interrupt)
    if (interrupt.aborted || count >= settings.max || isAtEnd()) return
  }
}

/** Waits for stdout to write what it was handed; after an interrupt, only briefly. */
async function settleWritten(out: Output, interrupt: AbortSignal): Promise<void> {
  const written = out.written()
  if (!interrupt.aborted)
    await Promise.race([written, new Promise((resolve) => interrupt.addEventListener('abort', resolve, { once: true }))])
  if (interrupt.aborted) await Promise.race([written, new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS))])
}

function valueLine(record: ConsumerRecord): string {
  return record.value?.toString('utf8') ?? 'null'
}

function keyValueLine(record: ConsumerRecord): string {
  return `${record.key?.toString('utf8') ?? 'null'}\t${record.value?.toString('utf8') ?? 'null'}`
}

function jsonLine(record: ConsumerRecord): string {
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key?.toString('utf8') ?? null,
    value: record.value?.toString('utf8') ?? null,
    headers: record.headers.map((header) => [header.key, header.value?.toString('utf8') ?? null]),
  })
}

import fs from 'node:fs'
import { COMPRESSION_IDS, OFFSETS_TOPIC, type CompressionName, type LogEngine, type ProducerRecord } from '../../index.js'
import { checkPositionals, checkTopicName, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { describeDataDirProblem, readTopicsFile } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { openEngine } from '../open-engine.js'
import { Output } from '../output.js'
import { readBinaryRecords, readLineRecords } from '../produce-input.js'
import { exitCodeForSignal, onStopSignals } from '../signals.js'

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'topic to write to (required)' },
  create: { type: 'boolean', description: 'create the topic if it does not exist' },
  partitions: { type: 'string', valueName: 'N', description: 'with --create, the number of partitions (default 1)' },
  'key-separator': { type: 'string', valueName: 'SEP', description: 'split each line into key SEP value at the first SEP' },
  compression: { type: 'string', valueName: 'CODEC', description: 'none, gzip, snappy, lz4 (default) or zstd' },
  headers: { type: 'boolean', description: "lines start with headers 'k1:v1,k2:v2' and a TAB" },
  binary: { type: 'boolean', description: 'read length-prefixed records instead of lines (see below)' },
  flush: { type: 'string', valueName: 'MODE', description: 'sync (default), interval or os' },
  'linger-ms': { type: 'string', valueName: 'MS', description: 'longest a record read waits for more before it is appended (default 50)' },
} as const satisfies OptionSpecs

/** Records sent to the producer at a time; a record read waits at most --linger-ms for the rest. */
const CHUNK_RECORDS = 500
/** Sends in flight before reading waits: bounds memory when input is faster than the disk. */
const MAX_IN_FLIGHT = 16
const DEFAULT_LINGER_MS = 50

const HELP = formatHelp({
  usage: 'seglog produce DIR --topic TOPIC [options] < input',
  description: [
    'Append records read from standard input to a topic of the data directory DIR, one record per',
    "line (like kafka-console-producer.sh), through seglog's producer: batched, compressed and",
    "partitioned like Kafka's (records with a key go to murmur2(key) % partitions). A record is",
    'appended at most --linger-ms after it was read, even while the input pauses',
    "(tail -f app.log | seglog produce ...). The engine takes the directory's lock, so this fails",
    'at once if another engine owns DIR. DIR must be a seglog data directory; with --create it may',
    'also be missing or empty.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'printf "hello\\nworld\\n" | seglog produce data --topic greetings --create',
    'seglog produce data --topic orders --key-separator : < orders.txt',
    'seglog produce data --topic events --headers --compression zstd < events.tsv',
    'tail -f app.log | seglog produce data --topic app-log --create',
    'seglog produce data --topic blobs --binary < records.bin',
  ],
  notes: [
    '--binary input: each record is int32 key length (-1 for none), key bytes, int32 value length',
    '(-1 for null), value bytes; big-endian, repeated until the end of input.',
    'At the end of input, and on SIGINT (Ctrl-C) or SIGTERM, every record read is appended first,',
    'then the count is printed on stderr.',
    'Exit status: 0 all input appended; 1 a problem (DIR not a seglog data directory, locked by',
    'another process, a record too large); 2 usage error (also: unknown topic without --create,',
    'a --partitions that does not match the topic, input that does not match the format);',
    '130 or 143 stopped by SIGINT or SIGTERM, after appending every record read.',
  ].join('\n'),
})

interface ProduceSettings {
  topic: string
  compression: CompressionName
  lingerMs: number
  isBinary: boolean
  keySeparator: string | undefined
  hasHeaders: boolean
}

export const produceCommand: Command = {
  name: 'produce',
  summary: 'append records from standard input to a topic, like kafka-console-producer.sh',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('produce', argv, OPTIONS)
    checkPositionals('produce', positionals, 'DIR', 1, 1)
    const dir = positionals[0]!
    const topic = checkTopicName('produce', values.topic)
    const compression = values.compression ?? 'lz4'
    if (!(compression in COMPRESSION_IDS))
      throw new UsageError(`--compression must be one of ${Object.keys(COMPRESSION_IDS).join(', ')}`, 'produce')
    const flush = values.flush ?? 'sync'
    if (flush !== 'sync' && flush !== 'interval' && flush !== 'os') throw new UsageError('--flush must be sync, interval or os', 'produce')
    if (values.binary && (values.headers || values['key-separator'] !== undefined))
      throw new UsageError('--binary cannot be combined with --headers or --key-separator', 'produce')
    if (values['key-separator'] === '') throw new UsageError('--key-separator must not be empty', 'produce')
    if (values.partitions !== undefined && !values.create)
      throw new UsageError('--partitions applies only with --create (seglog does not change the partition count of a topic)', 'produce')
    const partitions =
      values.partitions === undefined ? undefined : parseIntegerOption('produce', 'partitions', values.partitions, 1, 100_000)
    const lingerMs =
      values['linger-ms'] === undefined ? DEFAULT_LINGER_MS : parseIntegerOption('produce', 'linger-ms', values['linger-ms'], 0, 3_600_000)

    const out = new Output()
    const problem = describeDataDirProblem(dir, { mayCreate: values.create })
    if (problem !== null) {
      out.problem(problem)
      return EXIT_PROBLEMS
    }
    // Checked before the engine opens (which writes checkpoints and takes the lock), so a
    // mistyped topic or partition count leaves the directory exactly as it was.
    // (An unreadable topics.json is left to the engine to report.)
    const topicsFile = readTopicsFile(dir)
    if (topicsFile.error === null)
      checkTopic(topic, topicsFile.topics.find((entry) => entry.name === topic)?.config.partitions, values.create, partitions, dir)

    const stop = new AbortController()
    let stopSignal: NodeJS.Signals | null = null
    const offSignals = onStopSignals((signal) => {
      stopSignal = signal
      stop.abort()
    })
    try {
      const engine = await openEngine({ dir, flush, onWarning: (message) => out.problem(message) })
      try {
        await prepareTopic(engine, topic, values.create, partitions, dir)
        const settings: ProduceSettings = {
          topic,
          compression: compression as CompressionName,
          lingerMs,
          isBinary: values.binary,
          keySeparator: values['key-separator'],
          hasHeaders: values.headers,
        }
        const { appended, error } = await appendInput(engine, settings, stop.signal, out)
        const what = `appended ${appended} record${appended === 1 ? '' : 's'} to ${topic}`
        if (error !== undefined) {
          if (appended > 0) out.notice(`${what} before the error`)
          throw error
        }
        out.notice(stopSignal === null ? what : `${what} (stopped by ${stopSignal})`)
      } finally {
        await engine.close()
      }
    } finally {
      offSignals()
    }
    await out.flush()
    return stopSignal === null ? EXIT_OK : exitCodeForSignal(stopSignal)
  },
}

/** Whether produce may write to `topic`, which has `existingPartitions` (undefined: no such topic). */
function checkTopic(
  topic: string,
  existingPartitions: number | undefined,
  create: boolean,
  partitions: number | undefined,
  dir: string,
): void {
  if (topic === OFFSETS_TOPIC) throw new UsageError(`'${topic}' is seglog's internal topic; produce does not write to it`, 'produce')
  if (existingPartitions === undefined) {
    if (!create) throw new UsageError(`topic '${topic}' does not exist in ${dir} (add --create to create it)`, 'produce')
  } else if (partitions !== undefined && partitions !== existingPartitions) {
    throw new UsageError(
      `topic '${topic}' already exists with ${existingPartitions} partition${existingPartitions === 1 ? '' : 's'}, not ${partitions} (seglog does not change the partition count)`,
      'produce',
    )
  }
}

/** checkTopic again with the engine's view (topics.json may have changed meanwhile), then --create. */
async function prepareTopic(engine: LogEngine, topic: string, create: boolean, partitions: number | undefined, dir: string): Promise<void> {
  const existing = engine.hasTopic(topic) ? engine.partitions(topic).length : undefined
  checkTopic(topic, existing, create, partitions, dir)
  if (existing === undefined) await engine.createTopic(topic, { partitions: partitions ?? 1 })
}

/**
 * Reads stdin into the producer until its end or `signal`, then waits for every send. A record
 * read waits at most `lingerMs` before it is sent, so a pausing input (`tail -f`) is appended as
 * it comes rather than in chunks of CHUNK_RECORDS. Returns what was appended and the first error.
 */
async function appendInput(
  engine: LogEngine,
  settings: ProduceSettings,
  signal: AbortSignal,
  out: Output,
): Promise<{ appended: number; error: unknown }> {
  const { topic } = settings
  const producer = engine.producer({ compression: settings.compression, lingerMs: 5 })
  const inFlight: Promise<unknown>[] = []
  let appended = 0
  let chunk: ProducerRecord[] = []
  let lingerTimer: NodeJS.Timeout | null = null
  const sendChunk = (): void => {
    if (lingerTimer !== null) clearTimeout(lingerTimer)
    lingerTimer = null
    if (chunk.length === 0) return
    const records = chunk
    chunk = []
    const sent = producer.send(topic, records).then(() => {
      appended += records.length
    })
    // Awaited later (backpressure, then all at the end); this keeps a failure meanwhile from
    // counting as an unhandled rejection.
    sent.catch(() => undefined)
    inFlight.push(sent)
  }
  const source = settings.isBinary ? readBinaryRecords(process.stdin, signal) : readLineRecords(process.stdin, settings, signal)
  // Input redirected from a file has a known size: show how far it has got (on a terminal).
  const inputBytes = stdinFileSize()
  const progress = out.progress(`produce ${topic}`, inputBytes ?? 0)
  let readBytes = 0
  let error: unknown
  try {
    for await (const record of source) {
      if (inputBytes !== null) {
        readBytes += recordBytes(record)
        progress.update(readBytes)
      }
      chunk.push(record)
      if (chunk.length >= CHUNK_RECORDS) sendChunk()
      else if (lingerTimer === null) lingerTimer = setTimeout(sendChunk, settings.lingerMs)
      if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift()
    }
  } catch (caught) {
    // Bad input (a line without the separator, a partial --binary record) or a failed send:
    // stop reading, but append what was read before it, as the message's count says.
    error = caught
  }
  progress.finish()
  sendChunk()
  try {
    await Promise.all(inFlight)
    await producer.close()
  } catch (caught) {
    error ??= caught
  }
  // Stopped early, stdin may still be open (a pipe from `tail -f`): stop reading so the process can end.
  if (signal.aborted || error !== undefined) process.stdin.destroy()
  return { appended, error }
}

function stdinFileSize(): number | null {
  try {
    const stat = fs.fstatSync(0)
    return stat.isFile() ? stat.size : null
  } catch {
    return null
  }
}

/** Input bytes a record came from, near enough for a progress bar. */
function recordBytes(record: ProducerRecord): number {
  const size = (value: { length: number } | null | undefined): number => (value == null ? 0 : value.length)
  return size(record.key) + size(record.value) + 5
}

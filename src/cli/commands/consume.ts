import { LogEngine } from '../../engine/log-engine.js'
import type { ConsumerRecord } from '../../consumer/consumer.js'
import { checkPositionals, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'topic to read (required)' },
  group: { type: 'string', short: 'g', valueName: 'GROUP', description: 'consumer group: start at its commit and commit as records are printed' },
  'from-beginning': { type: 'boolean', description: 'start at the earliest offset when the group has no commit' },
  offset: { type: 'string', valueName: 'N', description: 'start at this offset (needs --partition)' },
  timestamp: { type: 'string', valueName: 'MS', description: 'start at the first record with a timestamp >= MS' },
  partition: { type: 'string', short: 'p', valueName: 'P', description: 'read only this partition' },
  max: { type: 'string', valueName: 'N', description: 'stop after N records' },
  follow: { type: 'boolean', short: 'f', description: 'keep waiting for new records (stop with Ctrl-C)' },
  'print-key': { type: 'boolean', description: 'print the key and a TAB before each value' },
  json: { type: 'boolean', description: 'one JSON object per record: topic, partition, offset, timestamp, key, value, headers (UTF-8)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog consume DIR --topic TOPIC [options]',
  description: [
    'Print the records of a topic in the data directory DIR, one value per line (like',
    'kafka-console-consumer.sh). Without --follow it stops at the end of what is there; without',
    '--from-beginning, --offset or --timestamp a new group starts at the end, as Kafka\'s does.',
    'With --group the position is committed as records are printed, so the next run continues.',
    'The engine takes the directory\'s lock: this fails at once if another engine owns DIR.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog consume data --topic greetings --from-beginning',
    'seglog consume data --topic orders --group billing --from-beginning --max 100 --print-key',
    'seglog consume data --topic orders --partition 2 --offset 500 --json | jq .value',
    'seglog consume data --topic events --timestamp 1700000000000',
  ],
  notes: 'Exit status: 0 done, 1 a problem (locked directory, corrupt data), 2 usage error (also: unknown topic).',
})

export const consumeCommand: Command = {
  name: 'consume',
  summary: 'print the records of a topic, like kafka-console-consumer.sh',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('consume', argv, OPTIONS)
    checkPositionals('consume', positionals, 'DIR', 1, 1)
    const topic = values.topic
    if (topic === undefined) throw new UsageError('missing --topic', 'consume')
    const starts = [values['from-beginning'], values.offset !== undefined, values.timestamp !== undefined].filter(Boolean).length
    if (starts > 1) throw new UsageError('use only one of --from-beginning, --offset and --timestamp', 'consume')
    const partition = values.partition === undefined ? undefined : parseIntegerOption('consume', 'partition', values.partition)
    const offset = values.offset === undefined ? undefined : parseIntegerOption('consume', 'offset', values.offset)
    if (offset !== undefined && partition === undefined) throw new UsageError('--offset needs --partition', 'consume')
    const timestamp = values.timestamp === undefined ? undefined : parseIntegerOption('consume', 'timestamp', values.timestamp)
    const max = values.max === undefined ? Infinity : parseIntegerOption('consume', 'max', values.max, 1)

    const out = new Output()
    const engine = await LogEngine.open({ dir: positionals[0]!, onWarning: (message) => out.problem(message) })
    const stop = new AbortController()
    const onSignal = (): void => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let printed = 0
    let watch: NodeJS.Timeout | undefined
    try {
      if (!engine.hasTopic(topic)) throw new UsageError(`topic '${topic}' does not exist in ${positionals[0]}`, 'consume')
      const partitionCount = engine.partitions(topic).length
      if (partition !== undefined && partition >= partitionCount) throw new UsageError(`topic '${topic}' has no partition ${partition} (it has ${partitionCount})`, 'consume')
      const group = values.group ?? `seglog-console-${process.pid}`
      const consumer = await engine.consumer({
        group,
        topics: [topic],
        ...(partition !== undefined && { partitions: [partition] }),
        from: values['from-beginning'] ? 'earliest' : timestamp !== undefined ? { timestamp } : 'latest',
        signal: stop.signal,
      })
      if (offset !== undefined) consumer.seek(topic, partition!, offset)
      // Without --follow, read up to the end as it is now.
      const ends = new Map(engine.partitions(topic).map((log) => [log.partition, log.highWatermark]))
      const caughtUp = (): boolean => consumer.positions().every((position) => position.offset >= (ends.get(position.partition) ?? 0))
      if (!values.follow && caughtUp()) stop.abort()
      // The consumer waits for appends without holding the event loop open (Node would end the
      // process with exit code 13 and the buffered lines lost), and it steps past control records
      // (transaction markers) without handing out a batch, so a log that ends with one is caught up
      // without the check after a batch. This timer keeps --follow waiting and notices that end.
      watch = setInterval(() => {
        if (!values.follow && caughtUp()) stop.abort()
      }, 50)
      for await (const { records } of consumer.batches()) {
        for (const record of records) {
          out.line(values.json ? jsonLine(record) : values['print-key'] ? `${record.key?.toString('utf8') ?? 'null'}\t${record.value?.toString('utf8') ?? 'null'}` : (record.value?.toString('utf8') ?? 'null'))
          printed++
          if (printed >= max) {
            if (values.group !== undefined) consumer.seek(topic, record.partition, record.offset + 1)
            break
          }
        }
        // Following, a record is shown when it arrives, not when 64 KiB have piled up.
        if (out.isFull || values.follow) await out.flush()
        if (values.group !== undefined) await consumer.commit()
        if (printed >= max || (!values.follow && caughtUp())) break
      }
      if (values.group !== undefined) await consumer.commit()
      await consumer.close()
    } finally {
      clearInterval(watch)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await out.flush()
      await engine.close()
    }
    return EXIT_OK
  },
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

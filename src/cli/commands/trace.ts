import type { TraceEvent } from '../../index.js'
import { checkPositionals, checkTopicName, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { openEngine } from '../open-engine.js'
import { Output } from '../output.js'
import { formatTable, formatTimestamp } from '../table.js'

/** `seglog trace DIR --topic T --key K`: who handled a record, when, and how it ended (engine.trace). */

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'the topic the records were read from' },
  key: { type: 'string', short: 'k', valueName: 'KEY', description: "the records' key (UTF-8)" },
  partition: { type: 'string', short: 'p', valueName: 'N', description: 'with --offset: the partition' },
  offset: { type: 'string', short: 'o', valueName: 'N', description: 'the record at this offset (of --partition, 0 by default)' },
  group: { type: 'string', short: 'g', valueName: 'GROUP', description: 'only this consumer group' },
  json: { type: 'boolean', description: 'one JSON object per event' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog trace DIR --topic TOPIC (--key KEY | [--partition N] --offset N) [--group GROUP] [--json]',
  description: [
    'Print the consumption trace of records: for each outcome a consumer.run with trace: true',
    'recorded, the group, the consumer (host and process), the time, the attempt and how it ended',
    '(handled, retried, dead-lettered, with the error). Oldest first. It scans the trace topic',
    '(__consumer_trace): the time grows with its size. Opens the directory with the engine, so the',
    'engine that owns it must be closed.',
  ].join('\n'),
  options: OPTIONS,
  examples: ['seglog trace data --topic orders --key o-42', 'seglog trace data --topic orders --partition 1 --offset 1234 --json'],
  notes: 'Exit status: 0 done (also when nothing was traced), 1 the directory cannot be read, 2 a usage error.',
})

export const traceCommand: Command = {
  name: 'trace',
  summary: 'who consumed a record, when, and how it ended (the consumption trace)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('trace', argv, OPTIONS)
    checkPositionals('trace', positionals, 'DIR', 1, 1)
    const topic = checkTopicName('trace', values.topic)
    if ((values.key === undefined) === (values.offset === undefined)) throw new UsageError('give --key or --offset (one of them)', 'trace')
    if (values.partition !== undefined && values.offset === undefined) throw new UsageError('--partition goes with --offset', 'trace')
    const offset = values.offset === undefined ? undefined : parseIntegerOption('trace', 'offset', values.offset)
    const partition = offset === undefined ? undefined : parseIntegerOption('trace', 'partition', values.partition ?? '0')
    const out = new Output()
    const engine = await openEngine({ dir: positionals[0]!, onWarning: (message) => out.notice(message) })
    let events: TraceEvent[]
    try {
      events = await engine.trace({
        topic,
        ...(values.key !== undefined && { key: values.key }),
        ...(offset !== undefined && { offset, partition }),
        ...(values.group !== undefined && { group: values.group }),
      })
    } finally {
      await engine.close()
    }
    if (values.json) for (const event of events) out.line(JSON.stringify(event))
    else if (events.length === 0) out.line('no traced consumption of such a record')
    else {
      const rows = events.map((e) => [
        formatTimestamp(e.at),
        e.group,
        `${e.topic}-${e.partition}`,
        String(e.offset),
        e.key ?? '-',
        String(e.attempt),
        e.outcome,
        `${e.host} ${e.consumer}`,
        e.error ?? '',
      ])
      const columns = ['AT', 'GROUP', 'PARTITION', 'OFFSET', 'KEY', 'ATTEMPT', 'OUTCOME', 'CONSUMER', 'ERROR'].map((header) => ({
        header,
        isNumeric: header === 'OFFSET' || header === 'ATTEMPT',
      }))
      for (const line of formatTable(columns, rows)) out.line(line)
    }
    await out.flush()
    return (await out.written()) ? EXIT_OK : EXIT_PROBLEMS
  },
}

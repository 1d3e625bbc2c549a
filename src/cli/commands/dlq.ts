import {
  HEADER_ATTEMPT,
  HEADER_ERROR_CLASS,
  HEADER_ERROR_MESSAGE,
  HEADER_ORIGINAL_OFFSET,
  HEADER_ORIGINAL_PARTITION,
  HEADER_ORIGINAL_TIMESTAMP,
  HEADER_ORIGINAL_TOPIC,
  type LogEngine,
} from '../../index.js'
import type { DecodedRecord } from '../../record/record.js'
import { checkPositionals, checkTopicName, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { openEngine } from '../open-engine.js'
import { Output } from '../output.js'
import { formatTable } from '../table.js'

/**
 * `seglog dlq list|replay DIR --topic T`: the dead letter topic a `consumer.run` fills
 * (record-runner.ts): what is in it and why, and sending its records back to where they came from.
 */

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'the dead letter topic (e.g. orders.DLQ)' },
  offset: { type: 'string', valueName: 'N', description: 'replay: only the dead letter at this offset (partition 0)' },
  json: { type: 'boolean', description: 'list: one JSON object per dead letter' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog dlq list DIR --topic DLQ_TOPIC [--json]\n       seglog dlq replay DIR --topic DLQ_TOPIC [--offset N]',
  description: [
    'Dead letters are records whose consumer.run handler kept failing after every retry. `list`',
    'counts them, shows the oldest, and groups them by reason (error class and message). `replay`',
    'sends them back to the topic they were first read from, with their key, value and headers',
    "(seglog's own headers removed), so the group handles them again; the dead letters stay where",
    'they are. Opens the directory: the engine that owns it must be closed.',
  ].join('\n'),
  options: OPTIONS,
  examples: ['seglog dlq list data --topic orders.DLQ', 'seglog dlq replay data --topic orders.DLQ --offset 3'],
  notes: 'Exit status: 0 done, 1 the directory or topic cannot be read, 2 a usage error.',
})

interface DeadLetter {
  partition: number
  offset: number
  timestamp: number
  originalTopic: string
  originalPartition: number
  originalOffset: number
  attempts: number
  errorClass: string
  errorMessage: string
  record: DecodedRecord
}

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list the dead letters of a topic, or replay them to their original topic',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('dlq', argv, OPTIONS)
    checkPositionals('dlq', positionals, 'list|replay DIR', 2, 2)
    const [action, dir] = positionals as [string, string]
    if (action !== 'list' && action !== 'replay') throw new UsageError(`unknown action '${action}': expected list or replay`, 'dlq')
    const topic = checkTopicName('dlq', values.topic)
    const offset = values.offset === undefined ? undefined : parseIntegerOption('dlq', 'offset', values.offset)
    if (offset !== undefined && action !== 'replay') throw new UsageError('--offset goes with replay', 'dlq')
    const out = new Output()
    const engine = await openEngine({ dir, onWarning: (message) => out.notice(message) })
    try {
      if (!engine.hasTopic(topic)) {
        out.problem(`${dir} has no topic '${topic}'`)
        await out.flush()
        return EXIT_PROBLEMS
      }
      const letters = await readDeadLetters(engine, topic)
      if (action === 'list') list(out, topic, letters, values.json === true)
      else await replay(engine, out, letters, offset)
    } finally {
      await engine.close()
    }
    await out.flush()
    return (await out.written()) ? EXIT_OK : EXIT_PROBLEMS
  },
}

async function readDeadLetters(engine: LogEngine, topic: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = []
  for (const log of engine.partitions(topic)) {
    for await (const record of log.records({ from: log.logStartOffset })) {
      const value = (key: string): string => record.headers.find((header) => header.key === key)?.value?.toString() ?? ''
      letters.push({
        partition: log.partition,
        offset: record.offset,
        timestamp: Number(value(HEADER_ORIGINAL_TIMESTAMP)) || record.timestamp,
        originalTopic: value(HEADER_ORIGINAL_TOPIC),
        originalPartition: Number(value(HEADER_ORIGINAL_PARTITION)),
        originalOffset: Number(value(HEADER_ORIGINAL_OFFSET)),
        attempts: Number(value(HEADER_ATTEMPT)),
        errorClass: value(HEADER_ERROR_CLASS),
        errorMessage: value(HEADER_ERROR_MESSAGE),
        record,
      })
    }
  }
  return letters
}

function list(out: Output, topic: string, letters: readonly DeadLetter[], json: boolean): void {
  if (json) {
    for (const { record: _record, ...letter } of letters) out.line(JSON.stringify(letter))
    return
  }
  if (letters.length === 0) {
    out.line(`${topic}: no dead letters`)
    return
  }
  const oldest = letters.reduce((a, b) => (b.timestamp < a.timestamp ? b : a))
  out.line(
    `${topic}: ${letters.length} dead letter${letters.length === 1 ? '' : 's'}, oldest from ${new Date(oldest.timestamp).toISOString()}`,
  )
  out.line(`  (${oldest.originalTopic}-${oldest.originalPartition} offset ${oldest.originalOffset})`)
  out.line('')
  const reasons = new Map<string, { count: number; topics: Set<string> }>()
  for (const letter of letters) {
    const reason = `${letter.errorClass}: ${letter.errorMessage}`
    const entry = reasons.get(reason) ?? { count: 0, topics: new Set<string>() }
    entry.count++
    entry.topics.add(letter.originalTopic)
    reasons.set(reason, entry)
  }
  const rows = [...reasons]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, { count, topics }]) => [String(count), [...topics].join(','), reason])
  for (const line of formatTable([{ header: 'COUNT', isNumeric: true }, { header: 'FROM' }, { header: 'REASON' }], rows)) out.line(line)
}

async function replay(engine: LogEngine, out: Output, letters: readonly DeadLetter[], offset: number | undefined): Promise<void> {
  const chosen = offset === undefined ? letters : letters.filter((letter) => letter.partition === 0 && letter.offset === offset)
  if (offset !== undefined && chosen.length === 0) throw new UsageError(`no dead letter at offset ${offset}`, 'dlq')
  const producer = engine.producer({ lingerMs: 0 })
  const byTopic = new Map<string, DecodedRecord[]>()
  for (const letter of chosen) {
    const headers = letter.record.headers.filter((header) => !header.key.startsWith('seglog-'))
    const records = byTopic.get(letter.originalTopic) ?? []
    records.push({ ...letter.record, headers })
    byTopic.set(letter.originalTopic, records)
  }
  for (const [topic, records] of byTopic) {
    await producer.send(
      topic,
      records.map(({ key, value, headers }) => ({ key, value, headers })),
    )
    out.line(`replayed ${records.length} record${records.length === 1 ? '' : 's'} to ${topic}`)
  }
  await producer.close()
}

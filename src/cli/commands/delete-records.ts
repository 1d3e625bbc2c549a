import fs from 'node:fs'
import { parseTarget, withBackend } from '../admin/open-backend.js'
import { checkTopicName, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'

/**
 * `seglog delete-records DIR_OR_SERVER`: kafka-delete-records.sh. Moves partitions' log start
 * offsets forward; whole segments below it are removed, the records left below it in the first
 * segment are no longer read.
 */

const OPTIONS = {
  'bootstrap-server': { type: 'string', valueName: 'HOST:PORT', description: 'the server to work through (instead of DIR_OR_SERVER)' },
  topic: { type: 'string', valueName: 'TOPIC', description: 'the topic (with --partition and --offset)' },
  partition: { type: 'string', valueName: 'P', description: 'the partition' },
  offset: { type: 'string', valueName: 'N', description: 'delete the records below offset N (-1: every record)' },
  'offset-json-file': {
    type: 'string',
    valueName: 'FILE',
    description: 'Kafka\'s JSON: {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}',
  },
  json: { type: 'boolean', description: 'one JSON object per partition' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: [
    'seglog delete-records DIR_OR_SERVER --topic TOPIC --partition P --offset N',
    'seglog delete-records DIR_OR_SERVER --offset-json-file FILE',
  ],
  description: [
    "Delete the records below an offset (Kafka's DeleteRecords): the partition's log start offset",
    'moves to N, consumers can no longer read below it, and the segments wholly below it are removed.',
    'N is at most the log end offset; -1 deletes every record there is. Prints each partition with',
    'its new low watermark, as kafka-delete-records.sh does.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog delete-records data --topic orders --partition 0 --offset 1000',
    'seglog delete-records 127.0.0.1:9092 --offset-json-file offsets.json',
  ],
  notes: [
    'DIR_OR_SERVER is a data directory (opened through the engine, so no server may own it) or the',
    'HOST:PORT of a Kafka-protocol server: seglog serve, or a Kafka broker.',
    'Exit status: 0 done, 1 a problem (unknown topic or partition, an offset past the log end), 2 usage error.',
  ].join('\n'),
})

interface Deletion {
  topic: string
  partition: number
  offset: number
}

export const deleteRecordsCommand: Command = {
  name: 'delete-records',
  summary: 'delete the records below an offset (kafka-delete-records)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('delete-records', argv, OPTIONS)
    const deletions = deletionsOf(values)
    const target = parseTarget('delete-records', positionals, values['bootstrap-server'])
    const out = new Output()
    const byTopic = new Map<string, Deletion[]>()
    for (const deletion of deletions) byTopic.set(deletion.topic, [...(byTopic.get(deletion.topic) ?? []), deletion])
    const results: { topic: string; partition: number; lowWatermark: number }[] = []
    await withBackend(target, async (backend) => {
      for (const [topic, entries] of byTopic) {
        const existing = new Set((await backend.partitionEnds(topic)).map((ends) => ends.partition))
        const missing = entries.find((entry) => !existing.has(entry.partition))
        if (missing !== undefined) throw new CliError('UNKNOWN_TOPIC', `partition ${missing.partition} of topic '${topic}' does not exist`)
        for (const ends of await backend.deleteRecords(topic, entries))
          results.push({ topic, partition: ends.partition, lowWatermark: ends.logStartOffset })
      }
    })
    if (values.json) for (const result of results) out.line(JSON.stringify(result))
    else {
      out.line('Records delete operation completed:')
      for (const result of results) out.line(`partition: ${result.topic}-${result.partition}\tlow_watermark: ${result.lowWatermark}`)
    }
    await out.flush()
    return EXIT_OK
  },
}

function deletionsOf(values: { topic?: string; partition?: string; offset?: string; 'offset-json-file'?: string }): Deletion[] {
  const file = values['offset-json-file']
  const single = values.topic !== undefined || values.partition !== undefined || values.offset !== undefined
  if (file !== undefined && single)
    throw new UsageError('give --offset-json-file or --topic/--partition/--offset, not both', 'delete-records')
  if (file !== undefined) return readOffsetJson(file)
  if (values.partition === undefined || values.offset === undefined)
    throw new UsageError('give --topic, --partition and --offset (or --offset-json-file)', 'delete-records')
  return [
    {
      topic: checkTopicName('delete-records', values.topic),
      partition: parseIntegerOption('delete-records', 'partition', values.partition),
      offset: parseIntegerOption('delete-records', 'offset', values.offset, -1),
    },
  ]
}

/** Kafka's offset JSON file, checked field by field so a mistake names the entry at fault. */
function readOffsetJson(file: string): Deletion[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new UsageError(`cannot read --offset-json-file ${file}: ${reason}`, 'delete-records')
  }
  const partitions = (parsed as { partitions?: unknown } | null)?.partitions
  if (!Array.isArray(partitions) || partitions.length === 0)
    throw new UsageError(`${file}: expected {"partitions":[{"topic":…,"partition":…,"offset":…}],"version":1}`, 'delete-records')
  const seen = new Set<string>()
  return partitions.map((entry: unknown, slot) => {
    const { topic, partition, offset } = (entry ?? {}) as Record<string, unknown>
    const isValid =
      typeof topic === 'string' &&
      Number.isSafeInteger(partition) &&
      (partition as number) >= 0 &&
      Number.isSafeInteger(offset) &&
      (offset as number) >= -1
    if (!isValid) throw new UsageError(`${file}: partitions[${slot}] needs a topic, a partition >= 0 and an offset >= -1`, 'delete-records')
    const key = `${topic}-${String(partition)}`
    if (seen.has(key)) throw new UsageError(`${file}: partition ${key} is listed twice`, 'delete-records')
    seen.add(key)
    return { topic, partition: partition as number, offset: offset as number }
  })
}

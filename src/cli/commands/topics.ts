import type { AdminBackend, TopicDetails } from '../admin/backend.js'
import { parseTarget, withBackend } from '../admin/open-backend.js'
import { splitSubcommand, subcommandHelp } from '../admin/subcommands.js'
import { checkTopicName, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'

/**
 * `seglog topics list|describe|create|alter|delete DIR_OR_SERVER`: kafka-topics.sh, with the config
 * changes of kafka-configs.sh (--add-config, --delete-config) under `alter`. Configs use Kafka's
 * names (retention.ms, segment.bytes, …) on a data directory as on a server.
 */

const SUBCOMMANDS = ['list', 'describe', 'create', 'alter', 'delete'] as const
type Subcommand = (typeof SUBCOMMANDS)[number]

const TARGET = {
  'bootstrap-server': { type: 'string', valueName: 'HOST:PORT', description: 'the server to work through (instead of DIR_OR_SERVER)' },
} as const
const JSON_OPTION = { json: { type: 'boolean', description: 'one JSON object per line' } } as const

const SPECS = {
  list: {
    ...TARGET,
    'exclude-internal': { type: 'boolean', description: 'leave out internal topics (__consumer_offsets)' },
    ...JSON_OPTION,
  },
  describe: {
    ...TARGET,
    topic: { type: 'string', valueName: 'TOPIC', multiple: true, description: 'the topic (may be repeated; every topic without it)' },
    'exclude-internal': { type: 'boolean', description: 'leave out internal topics' },
    ...JSON_OPTION,
  },
  create: {
    ...TARGET,
    topic: { type: 'string', valueName: 'TOPIC', description: 'the topic to create (required)' },
    partitions: { type: 'string', valueName: 'N', description: 'its partition count (default 1)' },
    config: { type: 'string', valueName: 'KEY=VALUE', multiple: true, description: 'a topic config, Kafka name (may be repeated)' },
    'if-not-exists': { type: 'boolean', description: 'do nothing if the topic exists' },
  },
  alter: {
    ...TARGET,
    topic: { type: 'string', valueName: 'TOPIC', description: 'the topic to change (required)' },
    partitions: { type: 'string', valueName: 'N', description: 'grow the topic to N partitions (never fewer)' },
    'add-config': { type: 'string', valueName: 'K=V,...', multiple: true, description: 'set configs (comma-separated; may be repeated)' },
    'delete-config': {
      type: 'string',
      valueName: 'K,...',
      multiple: true,
      description: 'put configs back to their defaults (may be repeated)',
    },
  },
  delete: {
    ...TARGET,
    topic: { type: 'string', valueName: 'TOPIC', multiple: true, description: 'the topic to delete (may be repeated)' },
  },
} as const satisfies Record<Subcommand, OptionSpecs>

const TARGET_NOTE = [
  'DIR_OR_SERVER is a data directory (opened through the engine, so no server may own it) or the',
  'HOST:PORT of a Kafka-protocol server: seglog serve, or a Kafka broker.',
  'Exit status: 0 done, 1 a problem (unknown or existing topic, a config refused, a server that',
  'cannot be reached), 2 usage error.',
].join('\n')

const HELPS: Record<Subcommand, string> = {
  list: formatHelp({
    usage: 'seglog topics list DIR_OR_SERVER [--exclude-internal] [--json]',
    description: 'Print the topic names, one a line.',
    options: SPECS.list,
    examples: ['seglog topics list data', 'seglog topics list 127.0.0.1:9092 --exclude-internal'],
    notes: TARGET_NOTE,
  }),
  describe: formatHelp({
    usage: 'seglog topics describe DIR_OR_SERVER [--topic TOPIC]... [--json]',
    description: [
      'Print each topic with its partition count and the configs set on it (Kafka names; the others',
      'are the defaults), then one line per partition with its log start and log end offsets. --json',
      'gives every config with whether it is set on the topic.',
    ].join('\n'),
    options: SPECS.describe,
    examples: ['seglog topics describe data --topic orders', 'seglog topics describe 127.0.0.1:9092 --json'],
    notes: TARGET_NOTE,
  }),
  create: formatHelp({
    usage: 'seglog topics create DIR_OR_SERVER --topic TOPIC [--partitions N] [--config KEY=VALUE]...',
    description: 'Create a topic. Configs not given come from the defaults of the engine or broker.',
    options: SPECS.create,
    examples: ['seglog topics create data --topic orders --partitions 3 --config retention.ms=86400000'],
    notes: TARGET_NOTE,
  }),
  alter: formatHelp({
    usage: 'seglog topics alter DIR_OR_SERVER --topic TOPIC [--partitions N] [--add-config K=V,...] [--delete-config K,...]',
    description: [
      'Grow a topic to more partitions (kafka-topics.sh --alter; records keep their partitions, so keys',
      'map elsewhere from now on), and set or remove its configs (kafka-configs.sh --alter). Configs not',
      'named keep their values.',
    ].join('\n'),
    options: SPECS.alter,
    examples: [
      'seglog topics alter data --topic orders --partitions 6',
      'seglog topics alter 127.0.0.1:9092 --topic orders --add-config retention.ms=3600000,segment.bytes=1048576',
      'seglog topics alter data --topic orders --delete-config retention.ms',
    ],
    notes: TARGET_NOTE,
  }),
  delete: formatHelp({
    usage: 'seglog topics delete DIR_OR_SERVER --topic TOPIC...',
    description: 'Delete topics and all their records.',
    options: SPECS.delete,
    examples: ['seglog topics delete data --topic scratch'],
    notes: TARGET_NOTE,
  }),
}

const HELP = formatHelp({
  usage: 'seglog topics list|describe|create|alter|delete DIR_OR_SERVER [options]',
  description: [
    'Topic admin, as kafka-topics.sh and kafka-configs.sh: list, describe, create and delete topics,',
    'add partitions, set and remove topic configs. Run `seglog topics SUBCOMMAND --help` for the',
    "subcommand's options.",
  ].join('\n'),
  options: TARGET,
  examples: [
    'seglog topics create data --topic orders --partitions 3',
    'seglog topics describe 127.0.0.1:9092 --topic orders',
    'seglog topics alter data --topic orders --add-config retention.ms=3600000',
    'seglog topics delete data --topic orders',
  ],
  notes: TARGET_NOTE,
})

export const topicsCommand: Command = {
  name: 'topics',
  summary: 'list, describe, create, alter and delete topics (kafka-topics, kafka-configs)',
  help: HELP,
  helpFor: (argv) => subcommandHelp(argv, HELPS, HELP),
  async run(argv) {
    const { subcommand, rest } = splitSubcommand('topics', argv, SUBCOMMANDS)
    const out = new Output()
    await SUBCOMMAND_RUNS[subcommand](rest, out)
    await out.flush()
    return EXIT_OK
  },
}

const SUBCOMMAND_RUNS: Record<Subcommand, (argv: readonly string[], out: Output) => Promise<void>> = {
  async list(argv, out) {
    const { values, positionals } = parseCommandArgs('topics list', argv, SPECS.list)
    const target = parseTarget('topics list', positionals, values['bootstrap-server'])
    const topics = await withBackend(target, (backend) => backend.listTopics(!values['exclude-internal']))
    for (const topic of topics) out.line(values.json ? JSON.stringify({ topic }) : topic)
  },

  async describe(argv, out) {
    const { values, positionals } = parseCommandArgs('topics describe', argv, SPECS.describe)
    const target = parseTarget('topics describe', positionals, values['bootstrap-server'])
    await withBackend(target, async (backend) => {
      const names = values.topic.length > 0 ? values.topic : await backend.listTopics(!values['exclude-internal'])
      for (const name of names) {
        const details = await backend.describeTopic(name)
        if (details === null) throw new CliError('UNKNOWN_TOPIC', `topic '${name}' does not exist on ${backend.target}`)
        const ends = await backend.partitionEnds(name)
        if (values.json) out.line(JSON.stringify({ ...details, partitionOffsets: ends }))
        else printTopic(details, ends, out)
      }
    })
  },

  async create(argv, out) {
    const { values, positionals } = parseCommandArgs('topics create', argv, SPECS.create)
    const topic = checkTopicName('topics create', values.topic)
    const partitions = values.partitions === undefined ? 1 : parseIntegerOption('topics create', 'partitions', values.partitions, 1)
    const configs = parseConfigs('topics create', 'config', values.config)
    const target = parseTarget('topics create', positionals, values['bootstrap-server'])
    const created = await withBackend(
      target,
      async (backend) => {
        if (values['if-not-exists'] && (await backend.describeTopic(topic)) !== null) return false
        await backend.createTopic(topic, partitions, configs)
        return true
      },
      { mayCreate: true },
    )
    out.line(created ? `Created topic ${topic}.` : `Topic ${topic} exists; nothing done.`)
  },

  async alter(argv, out) {
    const { values, positionals } = parseCommandArgs('topics alter', argv, SPECS.alter)
    const topic = checkTopicName('topics alter', values.topic)
    const partitions = values.partitions === undefined ? undefined : parseIntegerOption('topics alter', 'partitions', values.partitions, 1)
    const set = parseConfigs('topics alter', 'add-config', values['add-config'].flatMap(splitList))
    const remove = values['delete-config'].flatMap(splitList)
    if (partitions === undefined && set.size === 0 && remove.length === 0)
      throw new UsageError('nothing to change: give --partitions, --add-config or --delete-config', 'topics alter')
    for (const name of remove) if (set.has(name)) throw new UsageError(`'${name}' is both added and deleted`, 'topics alter')
    const target = parseTarget('topics alter', positionals, values['bootstrap-server'])
    await withBackend(target, async (backend) => {
      const details = await requireTopic(backend, topic)
      if (partitions !== undefined) {
        if (partitions <= details.partitions)
          throw new CliError(
            'ADMIN_REQUEST_FAILED',
            `topic '${topic}' has ${details.partitions} partitions; --partitions must be more (partitions are never removed)`,
          )
        await backend.addPartitions(topic, partitions)
        out.line(`Topic ${topic} now has ${partitions} partitions.`)
      }
      if (set.size > 0 || remove.length > 0) {
        await backend.alterTopicConfigs(topic, set, remove)
        out.line(`Completed updating config for topic ${topic}.`)
      }
    })
  },

  async delete(argv, out) {
    const { values, positionals } = parseCommandArgs('topics delete', argv, SPECS.delete)
    if (values.topic.length === 0) throw new UsageError('missing --topic', 'topics delete')
    const topics = values.topic.map((topic) => checkTopicName('topics delete', topic))
    const target = parseTarget('topics delete', positionals, values['bootstrap-server'])
    await withBackend(target, async (backend) => {
      for (const topic of topics) {
        await requireTopic(backend, topic)
        await backend.deleteTopic(topic)
        out.line(`Deleted topic ${topic}.`)
      }
    })
  },
}

async function requireTopic(backend: AdminBackend, topic: string): Promise<TopicDetails> {
  const details = await backend.describeTopic(topic)
  if (details === null) throw new CliError('UNKNOWN_TOPIC', `topic '${topic}' does not exist on ${backend.target}`)
  return details
}

/** `a=1,b=2` style lists: split on commas (Kafka's [x,y] bracket values are not needed by any seglog config). */
function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

function parseConfigs(command: string, option: string, entries: readonly string[]): Map<string, string> {
  const configs = new Map<string, string>()
  for (const entry of entries) {
    const equals = entry.indexOf('=')
    if (equals <= 0) throw new UsageError(`--${option} expects KEY=VALUE, got '${entry}'`, command)
    const name = entry.slice(0, equals).trim()
    if (configs.has(name)) throw new UsageError(`config '${name}' is given twice`, command)
    configs.set(name, entry.slice(equals + 1).trim())
  }
  return configs
}

function printTopic(
  details: TopicDetails,
  ends: readonly { partition: number; logStartOffset: number; logEndOffset: number }[],
  out: Output,
): void {
  const overrides = details.configs.filter((entry) => entry.isOverride).map((entry) => `${entry.name}=${entry.value}`)
  const internal = details.internal ? '\tInternal: true' : ''
  out.line(`Topic: ${details.name}\tPartitionCount: ${details.partitions}${internal}\tConfigs: ${overrides.join(',')}`)
  for (const entry of ends) {
    out.line(
      `\tTopic: ${details.name}\tPartition: ${entry.partition}\tLogStartOffset: ${entry.logStartOffset}\tLogEndOffset: ${entry.logEndOffset}`,
    )
  }
}

import type { AdminBackend, PartitionEnds, PartitionOffset, TopicPartition } from '../admin/backend.js'
import { parseTarget, withBackend } from '../admin/open-backend.js'
import { parseDatetime, parseTopicSelection, partitionKey, planReset, type ResetSpec, type TopicSelection } from '../admin/reset-plan.js'
import { splitSubcommand, subcommandHelp } from '../admin/subcommands.js'
import { formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs, type OptionValues } from '../args.js'
import type { Command } from '../command.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'
import { offsetRows, printListing, printMembers, printOffsets, printResetPlan, printState } from './groups-output.js'

/**
 * `seglog groups list|describe|reset-offsets|delete DIR_OR_SERVER`: kafka-consumer-groups.sh for a
 * data directory or a Kafka-protocol server (src/cli/admin/). The backend fetches and commits; this
 * file checks the command line, picks the groups and partitions, and prints.
 */

const SUBCOMMANDS = ['list', 'describe', 'reset-offsets', 'delete'] as const
type Subcommand = (typeof SUBCOMMANDS)[number]

const TARGET = {
  'bootstrap-server': { type: 'string', valueName: 'HOST:PORT', description: 'the server to work through (instead of DIR_OR_SERVER)' },
} as const
const JSON_OPTION = { json: { type: 'boolean', description: 'one JSON object per line instead of a table' } } as const
const GROUP_CHOICE = {
  group: { type: 'string', valueName: 'GROUP', multiple: true, description: 'the group (may be repeated)' },
  'all-groups': { type: 'boolean', description: 'every group' },
} as const

const RESET_TARGETS = {
  'to-earliest': { type: 'boolean', description: "the partitions' log start offsets" },
  'to-latest': { type: 'boolean', description: "the partitions' log end offsets" },
  'to-current': { type: 'boolean', description: 'the committed offsets (the log end where there is none)' },
  'to-offset': { type: 'string', valueName: 'N', description: 'offset N, clamped to each partition' },
  'shift-by': { type: 'string', valueName: 'N', description: 'the committed offset plus N (N may be negative), clamped' },
  'to-datetime': {
    type: 'string',
    valueName: 'TIME',
    description: 'the first offset at or after YYYY-MM-DDTHH:mm:SS.sss (local time, or Z/+HH:MM)',
  },
} as const

const SPECS = {
  list: { ...TARGET, state: { type: 'boolean', description: "show each group's state" }, ...JSON_OPTION },
  describe: {
    ...TARGET,
    ...GROUP_CHOICE,
    offsets: { type: 'boolean', description: "the group's partitions, offsets and lag (the default)" },
    members: { type: 'boolean', description: "the group's members" },
    state: { type: 'boolean', description: "the group's state, coordinator and assignor" },
    verbose: { type: 'boolean', description: "with --members: each member's partitions" },
    ...JSON_OPTION,
  },
  'reset-offsets': {
    ...TARGET,
    ...GROUP_CHOICE,
    topic: {
      type: 'string',
      valueName: 'TOPIC[:P,...]',
      multiple: true,
      description: 'the topic, or some of its partitions (may be repeated)',
    },
    'all-topics': { type: 'boolean', description: 'every partition the group has committed offsets for' },
    ...RESET_TARGETS,
    'dry-run': { type: 'boolean', description: 'print the new offsets and change nothing (the default)' },
    execute: { type: 'boolean', description: 'commit the new offsets' },
    ...JSON_OPTION,
  },
  delete: { ...TARGET, ...GROUP_CHOICE, ...JSON_OPTION },
} as const satisfies Record<Subcommand, OptionSpecs>

const TARGET_NOTE = [
  'DIR_OR_SERVER is a data directory (opened through the engine, so no server may own it) or the',
  'HOST:PORT of a Kafka-protocol server: seglog serve, or a Kafka broker.',
  'Exit status: 0 done, 1 a problem (unknown group or topic, a group with live members, a server',
  'that cannot be reached), 2 usage error.',
].join('\n')

const HELPS: Record<Subcommand, string> = {
  list: formatHelp({
    usage: 'seglog groups list DIR_OR_SERVER [--state] [--json]',
    description: 'List the consumer groups: those with committed offsets, and on a server those with members.',
    options: SPECS.list,
    examples: ['seglog groups list data', 'seglog groups list 127.0.0.1:9092 --state'],
    notes: TARGET_NOTE,
  }),
  describe: formatHelp({
    usage: 'seglog groups describe DIR_OR_SERVER (--group GROUP | --all-groups) [--offsets | --members [--verbose] | --state] [--json]',
    description: [
      "Describe groups as kafka-consumer-groups.sh --describe does: each partition's committed offset,",
      'log end offset and lag, and the member it is assigned to (--offsets, the default); the members',
      "(--members); or the group's state, coordinator and assignor (--state).",
    ].join('\n'),
    options: SPECS.describe,
    examples: ['seglog groups describe data --group billing', 'seglog groups describe 127.0.0.1:9092 --all-groups --members --verbose'],
    notes: TARGET_NOTE,
  }),
  'reset-offsets': formatHelp({
    usage: 'seglog groups reset-offsets DIR_OR_SERVER (--group GROUP | --all-groups) (--topic T[:P,...] | --all-topics) TARGET [--execute]',
    description: [
      "Move a group's committed offsets, as kafka-consumer-groups.sh --reset-offsets does. TARGET is",
      'one of --to-earliest, --to-latest, --to-current, --to-offset N, --shift-by N, --to-datetime TIME.',
      'Prints the new offsets; only --execute commits them (--dry-run, the default, changes nothing).',
      'A group with live members is refused, as Kafka refuses it: stop its consumers first.',
    ].join('\n'),
    options: SPECS['reset-offsets'],
    examples: [
      'seglog groups reset-offsets data --group billing --topic orders --to-earliest',
      'seglog groups reset-offsets data --group billing --topic orders:0,1 --shift-by -10 --execute',
      'seglog groups reset-offsets 127.0.0.1:9092 --group billing --all-topics --to-datetime 2024-05-01T00:00:00.000 --execute',
    ],
    notes: TARGET_NOTE,
  }),
  delete: formatHelp({
    usage: 'seglog groups delete DIR_OR_SERVER (--group GROUP | --all-groups) [--json]',
    description: 'Delete groups and their committed offsets. A group with live members is refused (NON_EMPTY_GROUP).',
    options: SPECS.delete,
    examples: ['seglog groups delete data --group billing', 'seglog groups delete 127.0.0.1:9092 --group old-1 --group old-2'],
    notes: TARGET_NOTE,
  }),
}

const HELP = formatHelp({
  usage: 'seglog groups list|describe|reset-offsets|delete DIR_OR_SERVER [options]',
  description: [
    'Consumer group admin, as kafka-consumer-groups.sh: list the groups, describe their offsets, lag',
    'and members, reset their offsets, delete them. Run `seglog groups SUBCOMMAND --help` for the',
    "subcommand's options.",
  ].join('\n'),
  options: TARGET,
  examples: [
    'seglog groups list data',
    'seglog groups describe 127.0.0.1:9092 --group billing',
    'seglog groups reset-offsets data --group billing --topic orders --to-latest --execute',
    'seglog groups delete data --group billing',
  ],
  notes: TARGET_NOTE,
})

export const groupsCommand: Command = {
  name: 'groups',
  summary: 'list, describe, reset and delete consumer groups (kafka-consumer-groups)',
  help: HELP,
  helpFor: (argv) => subcommandHelp(argv, HELPS, HELP),
  async run(argv) {
    const { subcommand, rest } = splitSubcommand('groups', argv, SUBCOMMANDS)
    const out = new Output()
    switch (subcommand) {
      case 'list': {
        const { values, positionals } = parseCommandArgs('groups list', rest, SPECS.list)
        const target = parseTarget('groups list', positionals, values['bootstrap-server'])
        const groups = await withBackend(target, (backend) => backend.listGroups())
        if (values.json) for (const group of groups) out.line(JSON.stringify(group))
        else printListing(groups, values.state, out)
        break
      }
      case 'describe':
        await describe(rest, out)
        break
      case 'reset-offsets':
        await resetOffsets(rest, out)
        break
      case 'delete':
        await deleteGroups(rest, out)
        break
    }
    await out.flush()
    return EXIT_OK
  },
}

function checkGroupChoice(command: string, values: { group: string[]; 'all-groups': boolean }): void {
  if (values.group.length === 0 && !values['all-groups']) throw new UsageError('give --group GROUP or --all-groups', command)
  if (values.group.length > 0 && values['all-groups']) throw new UsageError('give --group or --all-groups, not both', command)
}

async function chosenGroups(backend: AdminBackend, values: { group: string[]; 'all-groups': boolean }): Promise<string[]> {
  return values['all-groups'] ? (await backend.listGroups()).map((listing) => listing.group) : values.group
}

async function describe(argv: readonly string[], out: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('groups describe', argv, SPECS.describe)
  checkGroupChoice('groups describe', values)
  const views = [values.offsets, values.members, values.state].filter(Boolean).length
  if (views > 1) throw new UsageError('give one of --offsets, --members, --state', 'groups describe')
  if (values.verbose && !values.members) throw new UsageError('--verbose goes with --members', 'groups describe')
  const target = parseTarget('groups describe', positionals, values['bootstrap-server'])
  await withBackend(target, async (backend) => {
    for (const group of await chosenGroups(backend, values)) {
      const description = await backend.describeGroup(group)
      if (description === null) throw new CliError('UNKNOWN_GROUP', `Consumer group '${group}' does not exist.`)
      if (values.members || values.state) {
        if (values.json) out.line(JSON.stringify(description))
        else if (values.members) printMembers(description, values.verbose, out)
        else printState(description, out)
        continue
      }
      const committed = await backend.committedOffsets(group)
      const topics = new Set([
        ...committed.map((entry) => entry.topic),
        ...description.members.flatMap((member) => member.assignment.map((entry) => entry.topic)),
      ])
      const ends = new Map<string, ReadonlyMap<number, PartitionEnds> | null>()
      for (const topic of topics) ends.set(topic, await endsOrNull(backend, topic))
      const rows = offsetRows(description, committed, ends)
      if (values.json) out.line(JSON.stringify({ group, state: description.state, offsets: rows }))
      else printOffsets(description, rows, out)
    }
  })
}

/** A topic's ends by partition; null for a topic deleted since the group committed to it. */
async function endsOrNull(backend: AdminBackend, topic: string): Promise<ReadonlyMap<number, PartitionEnds> | null> {
  try {
    return new Map((await backend.partitionEnds(topic)).map((ends) => [ends.partition, ends]))
  } catch (error) {
    if (error instanceof CliError && error.code === 'UNKNOWN_TOPIC') return null
    throw error
  }
}

type ResetValues = OptionValues<(typeof SPECS)['reset-offsets']>

function resetSpecOf(values: ResetValues): ResetSpec {
  const specs: ResetSpec[] = []
  if (values['to-earliest']) specs.push({ kind: 'earliest' })
  if (values['to-latest']) specs.push({ kind: 'latest' })
  if (values['to-current']) specs.push({ kind: 'current' })
  if (values['to-offset'] !== undefined)
    specs.push({ kind: 'offset', offset: parseIntegerOption('groups reset-offsets', 'to-offset', values['to-offset']) })
  if (values['shift-by'] !== undefined)
    specs.push({ kind: 'shift', by: parseIntegerOption('groups reset-offsets', 'shift-by', values['shift-by'], Number.MIN_SAFE_INTEGER) })
  if (values['to-datetime'] !== undefined) {
    const timestamp = parseDatetime(values['to-datetime'])
    if (timestamp === null)
      throw new UsageError(`--to-datetime expects YYYY-MM-DDTHH:mm:SS.sss, got '${values['to-datetime']}'`, 'groups reset-offsets')
    specs.push({ kind: 'datetime', timestamp })
  }
  if (specs.length !== 1)
    throw new UsageError(
      'give exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime',
      'groups reset-offsets',
    )
  return specs[0]!
}

function topicSelections(values: ResetValues): TopicSelection[] | 'all' {
  if (values.topic.length === 0 && !values['all-topics']) throw new UsageError('give --topic TOPIC or --all-topics', 'groups reset-offsets')
  if (values.topic.length > 0 && values['all-topics'])
    throw new UsageError('give --topic or --all-topics, not both', 'groups reset-offsets')
  if (values['all-topics']) return 'all'
  return values.topic.map((text) => {
    const selection = parseTopicSelection(text)
    if (selection === null) throw new UsageError(`--topic expects TOPIC or TOPIC:P,P,..., got '${text}'`, 'groups reset-offsets')
    return selection
  })
}

async function resetOffsets(argv: readonly string[], out: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('groups reset-offsets', argv, SPECS['reset-offsets'])
  checkGroupChoice('groups reset-offsets', values)
  const spec = resetSpecOf(values)
  const selections = topicSelections(values)
  if (values['dry-run'] && values.execute) throw new UsageError('give --dry-run or --execute, not both', 'groups reset-offsets')
  const target = parseTarget('groups reset-offsets', positionals, values['bootstrap-server'])
  const planned: (PartitionOffset & { group: string })[] = []
  await withBackend(target, async (backend) => {
    for (const group of await chosenGroups(backend, values)) {
      const description = await backend.describeGroup(group)
      const state = description?.state ?? 'Dead'
      if (state !== 'Empty' && state !== 'Dead')
        throw new CliError(
          'GROUP_NOT_EMPTY',
          `Assignments can only be reset if the group '${group}' is inactive, but the current state is ${state}.`,
        )
      const committed = await backend.committedOffsets(group)
      const partitions = await partitionsToReset(backend, selections, committed)
      const topics = [...new Set(partitions.map((entry) => entry.topic))]
      const ends = new Map<string, Map<number, PartitionEnds>>()
      for (const topic of topics) ends.set(topic, new Map((await backend.partitionEnds(topic)).map((entry) => [entry.partition, entry])))
      const byTime = new Map<string, Map<number, number>>()
      if (spec.kind === 'datetime') {
        for (const topic of topics)
          byTime.set(
            topic,
            new Map((await backend.offsetsForTimestamp(topic, spec.timestamp)).map((entry) => [entry.partition, entry.offset])),
          )
      }
      const commits = new Map(committed.map((entry) => [partitionKey(entry.topic, entry.partition), entry.offset]))
      const offsets = planReset(partitions, spec, { committed: commits, ends, byTime })
      if (values.execute && offsets.length > 0) await backend.commitOffsets(group, offsets)
      planned.push(...offsets.map((entry) => ({ group, ...entry })))
    }
  })
  if (values.json) for (const row of planned) out.line(JSON.stringify({ ...row, executed: values.execute }))
  else printResetPlan(planned, out)
  if (!values.execute) out.notice('dry run: nothing was changed; add --execute to commit these offsets')
}

async function partitionsToReset(
  backend: AdminBackend,
  selections: TopicSelection[] | 'all',
  committed: readonly PartitionOffset[],
): Promise<TopicPartition[]> {
  // --all-topics means the partitions the group has offsets for, as in Kafka's tool.
  if (selections === 'all') return committed.map(({ topic, partition }) => ({ topic, partition }))
  const partitions: TopicPartition[] = []
  for (const { topic, partitions: chosen } of selections) {
    const existing = (await backend.partitionEnds(topic)).map((ends) => ends.partition)
    for (const partition of chosen ?? existing) {
      if (!existing.includes(partition)) throw new CliError('UNKNOWN_TOPIC', `partition ${partition} of topic '${topic}' does not exist`)
      partitions.push({ topic, partition })
    }
  }
  return partitions
}

async function deleteGroups(argv: readonly string[], out: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('groups delete', argv, SPECS.delete)
  checkGroupChoice('groups delete', values)
  const target = parseTarget('groups delete', positionals, values['bootstrap-server'])
  const deleted: string[] = []
  await withBackend(target, async (backend) => {
    for (const group of await chosenGroups(backend, values)) {
      const description = await backend.describeGroup(group)
      if (description === null) throw new CliError('UNKNOWN_GROUP', `Consumer group '${group}' does not exist.`)
      if (description.members.length > 0)
        throw new CliError(
          'GROUP_NOT_EMPTY',
          `Group '${group}' could not be deleted: it has ${description.members.length} active members (NON_EMPTY_GROUP).`,
        )
      await backend.deleteGroup(group)
      deleted.push(group)
    }
  })
  if (values.json) for (const group of deleted) out.line(JSON.stringify({ group, deleted: true }))
  else if (deleted.length > 0)
    out.line(`Deletion of requested consumer groups (${deleted.map((group) => `'${group}'`).join(', ')}) was successful.`)
  else out.line('No consumer groups to delete.')
}

import { formatHelp, type OptionSpecs } from '../args.js'

/** The options and help texts of `seglog groups` and its subcommands (groups.ts runs them). */

export const SUBCOMMANDS = ['list', 'describe', 'reset-offsets', 'delete', 'delete-offsets'] as const
export type Subcommand = (typeof SUBCOMMANDS)[number]

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

export const SPECS = {
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
  'delete-offsets': {
    ...TARGET,
    group: { type: 'string', valueName: 'GROUP', description: 'the group (required)' },
    topic: {
      type: 'string',
      valueName: 'TOPIC[:P,...]',
      multiple: true,
      description: 'the topic, or some of its partitions (may be repeated)',
    },
    ...JSON_OPTION,
  },
} as const satisfies Record<Subcommand, OptionSpecs>

const TARGET_NOTE = [
  'DIR_OR_SERVER is a data directory (opened through the engine, so no server may own it) or the',
  'HOST:PORT of a Kafka-protocol server: seglog serve, or a Kafka broker.',
  'Exit status: 0 done, 1 a problem (unknown group or topic, a group with live members, a server',
  'that cannot be reached), 2 usage error.',
].join('\n')

export const HELPS: Record<Subcommand, string> = {
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
  'delete-offsets': formatHelp({
    usage: 'seglog groups delete-offsets DIR_OR_SERVER --group GROUP --topic T[:P,...]... [--json]',
    description: [
      "Forget a group's committed offsets of some partitions (kafka-consumer-groups.sh --delete-offsets):",
      'every committed partition of the topic, or the ones listed. A server refuses the partitions of',
      'topics the group is consuming (GROUP_SUBSCRIBED_TO_TOPIC).',
    ].join('\n'),
    options: SPECS['delete-offsets'],
    examples: [
      'seglog groups delete-offsets data --group billing --topic orders',
      'seglog groups delete-offsets 127.0.0.1:9092 --group billing --topic orders:0,1',
    ],
    notes: TARGET_NOTE,
  }),
}

export const HELP = formatHelp({
  usage: 'seglog groups list|describe|reset-offsets|delete|delete-offsets DIR_OR_SERVER [options]',
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

import type { AdminBackend, PartitionEnds, PartitionOffset, TopicPartition } from '../admin/backend.js'
import { parseTarget, withBackend } from '../admin/open-backend.js'
import { parseDatetime, parseTopicSelection, partitionKey, planReset, type ResetSpec, type TopicSelection } from '../admin/reset-plan.js'
import { splitSubcommand, subcommandHelp } from '../admin/subcommands.js'
import { parseCommandArgs, parseIntegerOption, type OptionValues } from '../args.js'
import type { Command } from '../command.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'
import { formatTable } from '../table.js'
import { offsetRows, printListing, printMembers, printOffsets, printResetPlan, printState } from './groups-output.js'

/**
 * `seglog groups list|describe|reset-offsets|delete|delete-offsets DIR_OR_SERVER`: kafka-consumer-groups.sh for a
 * data directory or a Kafka-protocol server (src/cli/admin/). The backend fetches and commits; this
 * file checks the command line, picks the groups and partitions, and prints.
 */

import { HELP, HELPS, SPECS, SUBCOMMANDS } from './groups-options.js'

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
      case 'delete-offsets':
        await deleteOffsets(rest, out)
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

async function deleteOffsets(argv: readonly string[], out: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('groups delete-offsets', argv, SPECS['delete-offsets'])
  const group = values.group
  if (group === undefined) throw new UsageError('missing --group', 'groups delete-offsets')
  if (values.topic.length === 0) throw new UsageError('missing --topic', 'groups delete-offsets')
  const selections = values.topic.map((text) => {
    const selection = parseTopicSelection(text)
    if (selection === null) throw new UsageError(`--topic expects TOPIC or TOPIC:P,P,..., got '${text}'`, 'groups delete-offsets')
    return selection
  })
  const target = parseTarget('groups delete-offsets', positionals, values['bootstrap-server'])
  const partitions = await withBackend(target, async (backend) => {
    if ((await backend.describeGroup(group)) === null) throw new CliError('UNKNOWN_GROUP', `Consumer group '${group}' does not exist.`)
    const committed = await backend.committedOffsets(group)
    const chosen: TopicPartition[] = []
    for (const { topic, partitions: listed } of selections) {
      const all = committed.filter((entry) => entry.topic === topic).map((entry) => entry.partition)
      for (const partition of listed ?? all) chosen.push({ topic, partition })
    }
    if (chosen.length > 0) await backend.deleteOffsets(group, chosen)
    return chosen
  })
  if (values.json) {
    for (const entry of partitions) out.line(JSON.stringify({ group, ...entry, deleted: true }))
    return
  }
  if (partitions.length === 0) {
    out.line(`Consumer group '${group}' has no committed offsets for ${values.topic.join(', ')}; nothing deleted.`)
    return
  }
  out.line(`Request succeeded for deleting offsets of group '${group}'.`)
  out.line('')
  const rows = partitions.map((entry) => [entry.topic, String(entry.partition), 'Successful'])
  for (const line of formatTable([{ header: 'TOPIC' }, { header: 'PARTITION', isNumeric: true }, { header: 'STATUS' }], rows))
    out.line(line)
}

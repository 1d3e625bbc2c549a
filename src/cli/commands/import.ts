import fs from 'node:fs'
import { SeglogError } from '../../errors.js'
import { importKafkaLogDir, type ImportOptions } from '../../engine/import-kafka-dir.js'
import { parseProperties, serveConfigFrom } from '../../server/properties.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js'
import { Output, type Progress } from '../output.js'

/**
 * `seglog import KAFKA_LOG_DIR DEST_DIR`: prints what importKafkaLogDir (engine/import-kafka-dir.ts)
 * reports: notes on stderr, a progress bar while segments are copied, and a summary on stdout.
 */

const OPTIONS = {
  link: { type: 'boolean', description: 'hard-link closed segments instead of copying them (same file system)' },
  'server-properties': {
    type: 'string',
    valueName: 'FILE',
    description: "the broker's server.properties: its log.* settings become the topics' settings",
  },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog import [options] KAFKA_LOG_DIR DEST_DIR',
  description: [
    "Adopt a Kafka broker's log directory (its log.dirs) as a new seglog data directory. Topics and",
    'partition counts come from the partition directory names; every segment is copied byte for',
    'byte (hard-linked with --link, except the last of each partition, which seglog appends to);',
    'producer snapshots and leader-epoch checkpoints are carried over; every __consumer_offsets-N',
    "partition is replayed into seglog's offset store (the latest commit of each group, topic and",
    'partition wins; deleted commits stay deleted). The destination is then opened, which checks',
    'every batch and rebuilds the indexes, and verified. Nothing in KAFKA_LOG_DIR is changed.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog import /var/lib/kafka/data ./data',
    'seglog import --link --server-properties config/server.properties /var/lib/kafka/data ./data',
  ],
  notes: [
    'Stop the broker first: a directory a broker is writing to changes under the copy.',
    'DEST_DIR must not exist or be empty. Left out, with a note: __cluster_metadata (KRaft) and',
    '__transaction_state, and directories Kafka was deleting or moving. Topic-level overrides live',
    "in Kafka's metadata, not in the log directory: set them afterwards (seglog serve and any admin tool).",
    '',
    'Exit status: 0 imported and verified; 1 the import failed or verify found problems; 2 a usage error.',
  ].join('\n'),
})

export const importCommand: Command = {
  name: 'import',
  summary: "adopt a Kafka broker's log directory: topics, segments, consumer group offsets",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('import', argv, OPTIONS)
    checkPositionals('import', positionals, 'KAFKA_LOG_DIR DEST_DIR', 2, 2)
    const [source, dest] = positionals as [string, string]
    const out = new Output()
    const options: ImportOptions = { link: values.link, onNote: (message) => out.notice(`note: ${message}`) }
    const propertiesFile = values['server-properties']
    if (propertiesFile !== undefined) {
      const text = readText(propertiesFile)
      options.topicDefaults = serveConfigFrom(parseProperties(text)).topicDefaults
    }
    // The total is known once the source is scanned: the bar starts with the first copied segment.
    const bar: { progress: Progress | null } = { progress: null }
    options.onProgress = (done, total) => {
      bar.progress ??= out.progress('import', total)
      bar.progress.update(done)
    }
    try {
      const report = await importKafkaLogDir(source, dest, options)
      bar.progress?.finish()
      for (const problem of report.verify.problems) out.problem(problem.message)
      const topics = report.topics.map((topic) => `${topic.topic} (${topic.partitions})`).join(', ')
      out.line(`imported ${report.topics.length} topics: ${topics === '' ? 'none' : topics}`)
      out.line(
        `${report.segments} segments, ${report.bytes} bytes (${report.linked} hard-linked); ` +
          `${report.commits} committed offsets of ${report.groups} consumer groups`,
      )
      out.line(
        `verified ${report.verify.segments} segments, ${report.verify.batches} batches, ${report.verify.records} records: ` +
          `${report.verify.problems.length} problems`,
      )
      await out.flush()
      return report.verify.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS
    } finally {
      bar.progress?.finish()
      await out.flush()
    }
  },
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (cause) {
    throw new SeglogError('IO_FAILED', `cannot read ${file}: ${(cause as Error).message}`, { cause })
  }
}

import { LogEngine } from '../../engine/log-engine.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { mirrorIn } from '../mirror/mirror-in.js'
import { mirrorOut, type MirrorReport } from '../mirror/mirror-out.js'
import { Output, type Progress } from '../output.js'

/**
 * `seglog mirror DIR --to HOST:PORT` and `seglog mirror --from HOST:PORT DIR`: the way from one
 * seglog directory to a Kafka-protocol cluster and back (docs/scaling.md). The client is KafkaJS,
 * loaded only when a mirror runs: it is pure JavaScript and runs on every Node release seglog
 * supports (20 and later), where @platformatic/kafka needs Node 22.19 or later.
 */

const OPTIONS = {
  to: { type: 'string', valueName: 'HOST:PORT', description: 'copy DIR to the cluster at HOST:PORT' },
  from: { type: 'string', valueName: 'HOST:PORT', description: 'copy the cluster at HOST:PORT into DIR' },
  topics: { type: 'string', valueName: 'A,B', description: 'only these topics (default: every topic but internal ones)' },
  groups: { type: 'string', valueName: 'G1,G2', description: "only these consumer groups' offsets (default: every group)" },
  follow: { type: 'boolean', description: 'not supported yet (see the notes)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog mirror DIR --to HOST:PORT [options]\n       seglog mirror --from HOST:PORT DIR [options]',
  description: [
    'Copy topics between a seglog data directory and any Kafka-protocol cluster (Apache Kafka,',
    'Redpanda, seglog serve): keys, values, headers and timestamps; missing topics are created with',
    "the same partition counts (and, going out, retention and segment settings); every consumer group's",
    'committed offsets are translated to the offsets the records got on the other side, so a group',
    'resumes at the same record. Progress is kept in the local offset store (group',
    "'seglog-mirror:HOST:PORT'): an interrupted mirror run again continues where it stopped, without",
    'copying a record twice. Prints the count and a SHA-256 checksum of the records it copied.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog mirror data --to kafka-1:9092',
    'seglog mirror data --to kafka-1:9092 --topics orders --groups billing',
    'seglog mirror --from kafka-1:9092 data',
  ],
  notes: [
    'The mirror must be the only writer of the destination topics while it runs. Stop seglog serve',
    'first when mirroring out (the mirror opens DIR itself); consumer groups must be inactive on',
    'the destination for their offsets to be set. --follow (keep copying new records) is not',
    'supported yet: run the mirror again to copy what arrived since. See docs/scaling.md.',
    '',
    'Exit status: 0 copied; 1 a failure (the next run resumes); 2 a usage error.',
  ].join('\n'),
})

export const mirrorCommand: Command = {
  name: 'mirror',
  summary: 'copy topics and group offsets to or from a Kafka-protocol cluster',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('mirror', argv, OPTIONS)
    checkPositionals('mirror', positionals, 'DIR', 1, 1)
    if ((values.to === undefined) === (values.from === undefined))
      throw new UsageError('give exactly one of --to HOST:PORT and --from HOST:PORT', 'mirror')
    if (values.follow === true) throw new UsageError('--follow is not supported yet; run the mirror again to copy new records', 'mirror')
    const address = (values.to ?? values.from)!
    if (!/^[^:\s]+:\d+$/.test(address)) throw new UsageError(`'${address}' is not HOST:PORT`, 'mirror')
    const list = (value: string | undefined): string[] | undefined =>
      value === undefined ? undefined : value.split(',').filter((item) => item !== '')
    const out = new Output()
    const kafkajs = await import('kafkajs')
    const kafka = new kafkajs.Kafka({
      clientId: 'seglog-mirror',
      brokers: [address],
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 5 },
    })
    // Progress commits need no fsync each: a commit lost to a power cut only makes the next run
    // find more records on the destination than its progress says, and it skips exactly those.
    const engine = await LogEngine.open({ dir: positionals[0]!, flush: 'os', onWarning: (message) => out.notice(`warning: ${message}`) })
    const bar: { progress: Progress | null } = { progress: null }
    const common = {
      engine,
      kafka,
      topics: list(values.topics),
      groups: list(values.groups),
      onNote: (message: string) => out.notice(`note: ${message}`),
      onProgress: (copied: number, total: number) => {
        bar.progress ??= out.progress('mirror', total, 'records')
        bar.progress.update(copied)
      },
    }
    try {
      const report: MirrorReport =
        values.to !== undefined ? await mirrorOut({ ...common, target: address }) : await mirrorIn({ ...common, source: address })
      bar.progress?.finish()
      out.line(
        `mirrored ${report.records} records (${report.bytes} bytes of keys and values) of ${report.partitions} partitions of ${report.topics} topics` +
          (report.resumedSkips > 0 ? `; ${report.resumedSkips} delivered by an interrupted run were not sent again` : ''),
      )
      out.line(`offsets of ${report.groups} consumer groups translated`)
      out.line(`checksum sha256:${report.checksum}`)
      return EXIT_OK
    } finally {
      bar.progress?.finish()
      await engine.close()
      await out.flush()
    }
  },
}

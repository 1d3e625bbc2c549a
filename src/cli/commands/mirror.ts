import { LogEngine } from '../../engine/log-engine.js'
import { checkPositionals, formatHelp, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { describeDataDirProblem } from '../../engine/inspect/data-dir.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { mirrorIn } from '../mirror/mirror-in.js'
import { mirrorOut, type MirrorReport } from '../mirror/mirror-out.js'
import { Output, type Progress } from '../output.js'
import { onStopSignals } from '../signals.js'

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
  follow: { type: 'boolean', description: 'keep copying new records and group commits until SIGINT/SIGTERM' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog mirror DIR --to HOST:PORT [options]\n       seglog mirror --from HOST:PORT DIR [options]',
  description: [
    'Copy topics between a seglog data directory and any Kafka-protocol cluster (Apache Kafka,',
    'Redpanda, seglog serve): keys, values, headers and timestamps; missing topics are created with',
    "the same partition counts (and, going out, retention and segment settings); every consumer group's",
    'committed offsets are translated to the offsets the records got on the other side, so a group',
    'resumes at the same record. Going out, DIR is read without its lock, so the mirror runs beside',
    'seglog serve or an application that owns DIR; its progress is kept in DIR/.mirror-progress-HOST_PORT.json.',
    "Coming in, it is kept in the local offset store (group 'seglog-mirror:HOST:PORT'). An",
    'interrupted mirror run again continues where it stopped, without copying a record twice.',
    "With --follow it keeps copying what is appended, and the groups' new commits, until SIGINT or",
    'SIGTERM: it finishes the chunk in flight, saves its progress, carries the groups and exits 0.',
    'Prints the count and a SHA-256 checksum of the records it copied.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog mirror data --to kafka-1:9092',
    'seglog mirror data --to kafka-1:9092 --topics orders --groups billing',
    'seglog mirror data --to kafka-1:9092 --follow',
    'seglog mirror --from kafka-1:9092 data',
  ],
  notes: [
    'The mirror must be the only writer of the destination topics while it runs. Consumer groups',
    'must be inactive on the destination for their offsets to be set (a refused group is retried',
    'while following). Going out, the mirror copies what the files hold, written but perhaps not',
    'yet fsynced by their owner. See docs/scaling.md.',
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
    const address = (values.to ?? values.from)!
    if (!/^[^:\s]+:\d+$/.test(address)) throw new UsageError(`'${address}' is not HOST:PORT`, 'mirror')
    const list = (value: string | undefined): string[] | undefined =>
      value === undefined ? undefined : value.split(',').filter((item) => item !== '')
    const out = new Output()
    const dir = positionals[0]!
    if (values.to !== undefined) {
      const problem = describeDataDirProblem(dir, { mayCreate: false })
      if (problem !== null) {
        out.problem(problem)
        await out.flush()
        return EXIT_PROBLEMS
      }
    }
    const kafkajs = await import('kafkajs')
    const kafka = new kafkajs.Kafka({
      clientId: 'seglog-mirror',
      brokers: [address],
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 5 },
    })
    const bar: { progress: Progress | null } = { progress: null }
    const interrupt = new AbortController()
    const common = {
      kafka,
      follow: values.follow === true,
      signal: interrupt.signal,
      topics: list(values.topics),
      groups: list(values.groups),
      onNote: (message: string) => out.notice(`note: ${message}`),
      onProgress: (copied: number, total: number) => {
        bar.progress ??= out.progress('mirror', total, 'records')
        bar.progress.update(copied)
      },
    }
    const offSignals = onStopSignals(() => interrupt.abort())
    // Mirroring in, progress commits need no fsync each: a commit lost to a power cut only makes
    // the next run find more records locally than its progress says, and it skips exactly those.
    const engine =
      values.from === undefined
        ? null
        : await LogEngine.open({ dir, flush: 'os', onWarning: (message) => out.notice(`warning: ${message}`) })
    try {
      const report: MirrorReport =
        engine === null ? await mirrorOut({ ...common, dir, target: address }) : await mirrorIn({ ...common, engine, source: address })
      bar.progress?.finish()
      out.line(
        `mirrored ${report.records} records (${report.bytes} bytes of keys and values) of ${report.partitions} partitions of ${report.topics} topics` +
          (report.resumedSkips > 0 ? `; ${report.resumedSkips} delivered by an interrupted run were not sent again` : ''),
      )
      out.line(`offsets of ${report.groups} consumer groups translated`)
      out.line(`checksum sha256:${report.checksum}`)
      return EXIT_OK
    } finally {
      offSignals()
      bar.progress?.finish()
      await engine?.close()
      await out.flush()
    }
  },
}

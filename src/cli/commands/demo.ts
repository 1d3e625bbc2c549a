import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkPositionals, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import { runProduceConsume } from '../bench/produce-consume.js'
import { formatNumber } from '../bench/stats.js'
import type { Command } from '../command.js'
import { EXIT_OK } from '../errors.js'
import { Output } from '../output.js'
import { kafkaStyleLines, summarize, summaryTable } from './bench.js'
import { inspectCommand } from './inspect.js'

const OPTIONS = {
  records: { type: 'string', valueName: 'N', description: 'records to produce (default 1000000)' },
  keep: { type: 'boolean', description: 'keep the data directory and print where it is' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog demo [--records N] [--keep]',
  description: [
    'The end-to-end tour (what `npm start` runs): a fresh data directory, a topic with four',
    'partitions, a million 100-byte JSON records produced with batching and lz4, read back and',
    'verified by a consumer group that commits, then the `seglog inspect` summary of the',
    'directory and the benchmark table. The directory is removed afterwards unless --keep.',
  ].join('\n'),
  options: OPTIONS,
  examples: ['seglog demo', 'seglog demo --records 100000 --keep'],
})

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the end-to-end demo: produce, consume, inspect, benchmark table',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('demo', argv, OPTIONS)
    checkPositionals('demo', positionals, 'argument', 0, 0)
    const records = values.records === undefined ? 1_000_000 : parseIntegerOption('demo', 'records', values.records, 1)
    const out = new Output()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-demo-'))
    try {
      out.line(`seglog demo: data directory ${dir}`)
      out.line(
        `producing ${formatNumber(records)} JSON records of 100 bytes into topic demo-0 (4 partitions, lz4, 1 MiB batches), then consuming them with group demo-group…`,
      )
      out.line('')
      await out.flush()
      const result = await runProduceConsume({
        records,
        recordSize: 100,
        payload: 'json',
        batchBytes: 1024 * 1024,
        lingerMs: 0,
        compression: 'lz4',
        topics: 1,
        partitions: 4,
        producers: 4,
        sendRecords: 100,
        flush: 'os',
        consume: true,
        commitEvery: 100_000,
        dir,
        keep: true,
        topicPrefix: 'demo',
      })
      out.line(
        `read back and verified ${formatNumber(result.consume?.records ?? 0)} records (count and checksum), committed by group demo-group`,
      )
      out.line('')
      out.line('== seglog inspect')
      await out.flush()
      const inspectExit = await inspectCommand.run([dir])
      if (inspectExit !== EXIT_OK) return inspectExit
      out.line('')
      out.line('== benchmark (one run; `seglog bench --consume` takes the median of several)')
      const summary = summarize('demo', [result])
      out.line(kafkaStyleLines(summary))
      out.line('')
      out.line(summaryTable([summary], null))
      if (values.keep) out.line(`\nkept ${dir}`)
      await out.flush()
    } finally {
      if (!values.keep) fs.rmSync(dir, { recursive: true, force: true })
    }
    return EXIT_OK
  },
}

import fs from 'node:fs'
import path from 'node:path'
import { checkPositionals, formatHelp, parseByteSizeOption, parseCommandArgs, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js'
import { isDirectory } from '../../engine/inspect/data-dir.js'
import { Output } from '../output.js'
import { dumpOffsetIndexFile, dumpTimeIndexFile } from './dump-index.js'
import { dumpLogFile, dumpQuarantineFile, type DumpOptions, type FileDumper } from './dump-log.js'
import { dumpSnapshotFile } from './dump-snapshot.js'
import { dumpTxnIndexFile } from './dump-txn-index.js'
import { dumpKeyIndexFile } from './dump-key-index.js'
import { dumpLeaderEpochFile } from './dump-leader-epochs.js'

/**
 * `seglog dump FILE...`: prints segment files the way Kafka's kafka-dump-log.sh does. Files are
 * dispatched by suffix, as DumpLogSegments does; a suffix without a handler is skipped with Kafka's
 * `Ignoring unknown file <f>` on stderr.
 */
const DUMPERS: Readonly<Record<string, FileDumper>> = {
  '.log': dumpLogFile,
  '.index': dumpOffsetIndexFile,
  '.timeindex': dumpTimeIndexFile,
  '.snapshot': dumpSnapshotFile,
  '.quarantine': dumpQuarantineFile,
  '.txnindex': dumpTxnIndexFile,
  '.keyindex': dumpKeyIndexFile,
}

/** Files without a suffix, dispatched by name. */
const DUMPERS_BY_NAME: Readonly<Record<string, FileDumper>> = {
  'leader-epoch-checkpoint': dumpLeaderEpochFile,
}

const OPTIONS = {
  'deep-iteration': { type: 'boolean', description: 'print every record under its batch' },
  'print-data-log': { type: 'boolean', description: 'also print record keys and values as UTF-8 (implies --deep-iteration)' },
  'offsets-decoder': {
    type: 'boolean',
    description: "decode records as __consumer_offsets commits and group metadata, in Kafka's JSON (implies --print-data-log)",
  },
  'max-bytes': { type: 'string', valueName: 'N', description: 'read only the first N bytes of each file (64k, 1m also work)' },
  'index-sanity-check': { type: 'boolean', description: "index files: only run the engine's sanity checks and say whether they pass" },
  'verify-index-only': { type: 'boolean', description: 'index files: only report entries that disagree with the .log beside them' },
  json: { type: 'boolean', description: "one JSON object per line instead of Kafka's text lines" },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog dump [options] FILE...',
  description: [
    "Print segment files in the line format of Kafka's kafka-dump-log.sh, or as JSON lines with",
    '--json: the record batches of .log files (and of .quarantine files, the bytes recovery cut',
    'off), the entries of .index and .timeindex files checked against the .log beside them, and',
    "the producers of .snapshot files. Files are read, never written, so a running engine's files",
    'can be dumped. Batches whose CRC does not match print isvalid: false.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog dump data/orders-0/00000000000000000000.log',
    'seglog dump --print-data-log data/orders-0/*.log | less',
    'seglog dump --deep-iteration --max-bytes 1m data/orders-0/00000000000000000000.log',
    'seglog dump --offsets-decoder data/__consumer_offsets-0/*.log',
    'seglog dump --json data/orders-0/00000000000000000000.log | jq -c \'select(.type == "batch")\'',
    'seglog dump data/orders-0/00000000000000000000.index data/orders-0/00000000000000000000.timeindex',
    'seglog dump --verify-index-only data/orders-0/*.index data/orders-0/*.timeindex',
    'seglog dump data/orders-0/*.txnindex data/orders-0/leader-epoch-checkpoint data/orders-0/*.keyindex',
  ],
  notes: [
    'JSON lines: {"type":"file"} per file, {"type":"batch"} per batch, {"type":"record"} per record',
    '(with --deep-iteration; with --offsets-decoder also offsetKey, offsetCommit, groupMetadata and offsetsError),',
    '{"type":"trailing"} for a partial batch at the end of a file, {"type":"index-entry"} and',
    '{"type":"time-index-entry"} per index entry, {"type":"producer"} per producer of a snapshot,',
    '{"type":"sanity-check"} with --index-sanity-check, {"type":"aborted-txn"} per .txnindex entry,',
    '{"type":"leader-epochs"} then {"type":"leader-epoch"} per epoch, {"type":"key-index"} then',
    '{"type":"key-hash"} per key hash of a .keyindex.',
    '',
    "Exit status: 0 every file dumped cleanly (a partial batch at the very end of a partition's",
    'last segment is reported but is not a failure: it is what a crash mid-append leaves, and',
    'recovery cuts it); 1 a bad CRC, corrupt data, a partial batch that is not such a torn write',
    '(in a segment that other segments follow, below the recovery point or after a clean shutdown,',
    'or followed by a valid batch), an index entry that disagrees with its log, a failed sanity',
    'check, a record --offsets-decoder cannot decode, a corrupt or truncated .txnindex, .keyindex or',
    'leader-epoch-checkpoint, a missing or unreadable file; 2 a usage error',
    '(also: a directory given as FILE).',
  ].join('\n'),
})

export const dumpCommand: Command = {
  name: 'dump',
  summary: 'print the batches and records of segment files, like kafka-dump-log.sh',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('dump', argv, OPTIONS)
    checkPositionals('dump', positionals, 'FILE', 1)
    const options: DumpOptions = {
      deepIteration: values['deep-iteration'],
      printDataLog: values['print-data-log'] || values['offsets-decoder'],
      offsetsDecoder: values['offsets-decoder'],
      maxBytes: values['max-bytes'] === undefined ? undefined : parseByteSizeOption('dump', 'max-bytes', values['max-bytes']),
      json: values.json,
      indexSanityCheck: values['index-sanity-check'],
      verifyIndexOnly: values['verify-index-only'],
    }
    for (const file of positionals) {
      if (isDirectory(file))
        throw new UsageError(
          `${file} is a directory: seglog dump reads segment files (such as ${path.join(file, '*.log')}); seglog verify and seglog inspect read directories`,
          'dump',
        )
    }
    const out = new Output()
    let dumpedCount = 0
    let hasProblems = false
    for (const file of positionals) {
      if (!fs.existsSync(file)) {
        out.problem(`cannot read ${file}: no such file or directory`)
        dumpedCount++
        hasProblems = true
        continue
      }
      const dumper = DUMPERS_BY_NAME[path.basename(file)] ?? DUMPERS[path.extname(file)]
      if (dumper === undefined) {
        if (!options.json) out.line(`Dumping ${file}`)
        out.notice(`Ignoring unknown file ${file}`)
        continue
      }
      dumpedCount++
      if ((await dumper(file, options, out)) === 'problems') hasProblems = true
      await out.flush()
    }
    await out.flush()
    if (dumpedCount === 0) {
      out.problem(`nothing to dump: seglog dump reads ${[...Object.keys(DUMPERS), ...Object.keys(DUMPERS_BY_NAME)].join(', ')} files`)
      return EXIT_PROBLEMS
    }
    return hasProblems ? EXIT_PROBLEMS : EXIT_OK
  },
}

import fs from 'node:fs'
import readline from 'node:readline'
import { COMPRESSION_IDS, type CompressionName } from '../../compression/codec.js'
import { LogEngine } from '../../engine/log-engine.js'
import type { RecordHeader } from '../../record/record.js'
import type { ProducerRecord } from '../../producer/producer.js'
import { checkPositionals, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'

const OPTIONS = {
  topic: { type: 'string', short: 't', valueName: 'TOPIC', description: 'topic to write to (required)' },
  create: { type: 'boolean', description: 'create the topic if it does not exist' },
  partitions: { type: 'string', valueName: 'N', description: 'with --create, the number of partitions (default 1)' },
  'key-separator': { type: 'string', valueName: 'SEP', description: 'split each line into key SEP value at the first SEP' },
  compression: { type: 'string', valueName: 'CODEC', description: 'none, gzip, snappy, lz4 (default) or zstd' },
  headers: { type: 'boolean', description: "lines start with headers 'k1:v1,k2:v2' and a TAB" },
  binary: { type: 'boolean', description: 'read length-prefixed records instead of lines (see below)' },
  flush: { type: 'string', valueName: 'MODE', description: 'sync (default), interval or os' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog produce DIR --topic TOPIC [options] < input',
  description: [
    'Append records read from standard input to a topic of the data directory DIR, one record per',
    'line (like kafka-console-producer.sh), through seglog\'s producer: batched, compressed and',
    'partitioned like Kafka\'s (records with a key go to murmur2(key) % partitions). The engine',
    'takes the directory\'s lock, so this fails at once if another engine owns DIR.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'printf "hello\\nworld\\n" | seglog produce data --topic greetings --create',
    'seglog produce data --topic orders --key-separator : < orders.txt',
    'seglog produce data --topic events --headers --compression zstd < events.tsv',
    'seglog produce data --topic blobs --binary < records.bin',
  ],
  notes: [
    '--binary input: each record is int32 key length (-1 for none), key bytes, int32 value length',
    '(-1 for null), value bytes; big-endian, repeated until the end of input.',
    'Exit status: 0 all records appended, 1 a problem (locked directory, a record too large),',
    '2 usage error (also: unknown topic without --create, input that does not match the format).',
  ].join('\n'),
})

export const produceCommand: Command = {
  name: 'produce',
  summary: 'append records from standard input to a topic, like kafka-console-producer.sh',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('produce', argv, OPTIONS)
    checkPositionals('produce', positionals, 'DIR', 1, 1)
    const topic = values.topic
    if (topic === undefined) throw new UsageError('missing --topic', 'produce')
    const compression = values.compression ?? 'lz4'
    if (!(compression in COMPRESSION_IDS)) throw new UsageError(`--compression must be one of ${Object.keys(COMPRESSION_IDS).join(', ')}`, 'produce')
    const flush = values.flush ?? 'sync'
    if (flush !== 'sync' && flush !== 'interval' && flush !== 'os') throw new UsageError('--flush must be sync, interval or os', 'produce')
    if (values.binary && (values.headers || values['key-separator'] !== undefined)) throw new UsageError('--binary cannot be combined with --headers or --key-separator', 'produce')
    const partitions = values.partitions === undefined ? 1 : parseIntegerOption('produce', 'partitions', values.partitions, 1, 100_000)
    const out = new Output()
    const engine = await LogEngine.open({ dir: positionals[0]!, flush, onWarning: (message) => out.problem(message) })
    let count = 0
    try {
      if (!engine.hasTopic(topic)) {
        if (!values.create) throw new UsageError(`topic '${topic}' does not exist in ${positionals[0]} (add --create to create it)`, 'produce')
        await engine.createTopic(topic, { partitions })
      }
      const producer = engine.producer({ compression: compression as CompressionName, lingerMs: 5 })
      const pending: Promise<unknown>[] = []
      let chunk: ProducerRecord[] = []
      const sendChunk = async (): Promise<void> => {
        if (chunk.length === 0) return
        pending.push(producer.send(topic, chunk))
        count += chunk.length
        chunk = []
        if (pending.length >= 16) await pending.shift()
      }
      const source = values.binary ? readBinaryRecords(process.stdin) : readLineRecords(process.stdin, values['key-separator'], values.headers)
      // Bad input (a line without the separator, a partial --binary record) stops reading, but the
      // records before it are appended, as the error's "after record N" says, and counted.
      let inputError: unknown
      // Input redirected from a file has a known size: show how far it has got (on a terminal).
      const inputBytes = stdinFileSize()
      const progress = out.progress(`produce ${topic}`, inputBytes ?? 0)
      let readBytes = 0
      try {
        for await (const record of source) {
          if (inputBytes !== null) {
            readBytes += recordBytes(record)
            progress.update(readBytes)
          }
          chunk.push(record)
          if (chunk.length >= 500) await sendChunk()
        }
      } catch (error) {
        inputError = error
      }
      progress.finish()
      await sendChunk()
      await Promise.all(pending)
      await producer.close()
      if (inputError !== undefined) {
        if (count > 0) out.notice(`appended ${count} record${count === 1 ? '' : 's'} to ${topic} before the error`)
        throw inputError
      }
    } finally {
      await engine.close()
    }
    out.notice(`appended ${count} record${count === 1 ? '' : 's'} to ${topic}`)
    await out.flush()
    return EXIT_OK
  },
}

function stdinFileSize(): number | null {
  try {
    const stat = fs.fstatSync(0)
    return stat.isFile() ? stat.size : null
  } catch {
    return null
  }
}

/** Input bytes a record came from, near enough for a progress bar. */
function recordBytes(record: ProducerRecord): number {
  const size = (value: { length: number } | null | undefined): number => (value == null ? 0 : value.length)
  return size(record.key) + size(record.value) + 5
}

async function* readLineRecords(input: NodeJS.ReadableStream, keySeparator: string | undefined, hasHeaders: boolean): AsyncGenerator<ProducerRecord> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity })
  let lineNumber = 0
  for await (let line of lines) {
    lineNumber++
    let headers: RecordHeader[] | undefined
    if (hasHeaders) {
      const tab = line.indexOf('\t')
      if (tab < 0) throw new UsageError(`line ${lineNumber}: --headers expects 'k1:v1,k2:v2' then a TAB`, 'produce')
      headers = parseHeaders(line.slice(0, tab), lineNumber)
      line = line.slice(tab + 1)
    }
    let key: string | null = null
    if (keySeparator !== undefined) {
      const at = line.indexOf(keySeparator)
      if (at < 0) throw new UsageError(`line ${lineNumber} has no key separator '${keySeparator}'`, 'produce')
      key = line.slice(0, at)
      line = line.slice(at + keySeparator.length)
    }
    yield { key, value: line, ...(headers !== undefined && { headers }) }
  }
}

function parseHeaders(text: string, lineNumber: number): RecordHeader[] {
  if (text === '') return []
  return text.split(',').map((pair) => {
    const colon = pair.indexOf(':')
    if (colon <= 0) throw new UsageError(`line ${lineNumber}: header '${pair}' is not key:value`, 'produce')
    return { key: pair.slice(0, colon), value: Buffer.from(pair.slice(colon + 1), 'utf8') }
  })
}

/** int32 key length, key, int32 value length, value (big-endian; -1 means null). */
async function* readBinaryRecords(input: NodeJS.ReadableStream): AsyncGenerator<ProducerRecord> {
  let buffered = Buffer.alloc(0)
  let position = 0
  let records = 0
  for await (const chunk of input) {
    buffered = Buffer.concat([buffered.subarray(position), chunk as Buffer])
    position = 0
    for (;;) {
      const parsed = parseBinaryRecord(buffered, position)
      if (parsed === null) break
      position = parsed.next
      records++
      yield { key: parsed.key, value: parsed.value }
    }
  }
  if (position < buffered.length) throw new UsageError(`--binary input ends with ${buffered.length - position} bytes of a partial record after record ${records}`, 'produce')
}

function parseBinaryRecord(buf: Buffer, position: number): { key: Buffer | null; value: Buffer | null; next: number } | null {
  const key = readField(buf, position)
  if (key === null) return null
  const value = readField(buf, key.next)
  if (value === null) return null
  return { key: key.bytes, value: value.bytes, next: value.next }
}

function readField(buf: Buffer, position: number): { bytes: Buffer | null; next: number } | null {
  if (position + 4 > buf.length) return null
  const length = buf.readInt32BE(position)
  if (length < -1) throw new UsageError(`--binary input has a negative length ${length} at byte ${position}`, 'produce')
  if (length === -1) return { bytes: null, next: position + 4 }
  if (position + 4 + length > buf.length) return null
  return { bytes: Buffer.from(buf.subarray(position + 4, position + 4 + length)), next: position + 4 + length }
}

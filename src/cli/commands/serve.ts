import fs from 'node:fs'
import { createKafkaServer, InvalidArgumentError, LogEngine, type FlushPolicy, type KafkaServerSettings } from '../../index.js'
import { parseProperties, serveConfigFrom, type ServeConfig } from '../../server/properties.js'
import { checkPositionals, formatHelp, parseCommandArgs, parseIntegerOption, type OptionSpecs } from '../args.js'
import type { Command } from '../command.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { Output } from '../output.js'

const OPTIONS = {
  host: { type: 'string', valueName: 'HOST', description: 'interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)' },
  port: { type: 'string', short: 'p', valueName: 'PORT', description: 'port to listen on (default 9092; 0 lets the system choose)' },
  flush: { type: 'string', valueName: 'MODE', description: 'sync (default), interval, interval:MS or os: when appends are fsynced' },
  config: {
    type: 'string',
    short: 'c',
    valueName: 'FILE',
    description: 'a Kafka server.properties file (the keys seglog uses are in docs/server.md)',
  },
  override: { type: 'string', valueName: 'KEY=VALUE', multiple: true, description: 'set one config key, over the file (may be repeated)' },
} as const satisfies OptionSpecs

const HELP = formatHelp({
  usage: 'seglog serve DIR [options]',
  description: [
    'Serve the data directory DIR over the Kafka protocol, so Kafka clients and tools (KafkaJS,',
    'librdkafka and kcat, the Java client) can produce to it, fetch from it and manage its topics.',
    'Prints "seglog: listening on HOST:PORT (kafka), data DIR" once ready, then serves until',
    'SIGINT or SIGTERM: it stops accepting, answers the requests in flight, closes the data',
    'directory cleanly and exits 0 (a second signal exits at once). One line on stderr per',
    'notable event: a topic created or deleted, a connection closed for a malformed request.',
    'Not served yet: consumer groups, SASL/TLS, transactions.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog serve data',
    'seglog serve data --port 0 --flush interval:1000',
    'seglog serve --config server.properties --override num.partitions=3',
    'kcat -b 127.0.0.1:9092 -L',
  ],
  notes: [
    'Topics are created by clients (admin createTopics) or, as Kafka does by default, by the first',
    'metadata request that names them (auto.create.topics.enable=true, num.partitions=1).',
    'Exit status: 0 stopped by a signal, 1 a problem (locked directory, port in use), 2 usage error.',
  ].join('\n'),
})

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve a data directory to Kafka clients over the Kafka protocol',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('serve', argv, OPTIONS)
    checkPositionals('serve', positionals, 'DIR', 0, 1)
    const config = readConfig(values.config, values.override)
    const dir = positionals[0] ?? config.dir
    if (dir === undefined) throw new UsageError('missing DIR (or log.dirs in the --config file)', 'serve')
    const settings: Partial<KafkaServerSettings> = { ...config.settings }
    if (values.host !== undefined) settings.host = values.host
    if (values.port !== undefined) settings.port = parseIntegerOption('serve', 'port', values.port, 0, 65535)
    const flush = values.flush === undefined ? config.flush : parseFlush(values.flush)
    const out = new Output()
    const log = (message: string): void => out.notice(`seglog: ${message}`)
    const engine = await LogEngine.open({
      dir,
      ...(flush !== undefined && { flush }),
      topicDefaults: config.topicDefaults,
      ...(config.retentionCheckIntervalMs !== undefined && { retentionCheckIntervalMs: config.retentionCheckIntervalMs }),
      onWarning: log,
    })
    let server
    try {
      server = await createKafkaServer({ ...settings, engine, onLog: log })
    } catch (error) {
      await engine.close()
      throw error
    }
    if (config.ignored.length > 0) log(`config keys seglog does not use, ignored: ${config.ignored.join(', ')}`)
    out.line(`seglog: listening on ${server.address.host}:${server.address.port} (kafka), data ${dir}`)
    await out.flush()
    await untilSignal(() => log('stopping at once'))
    await server.close()
    await engine.close()
    return EXIT_OK
  },
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits the process at once. */
function untilSignal(onSecond: () => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      const force = (): void => {
        onSecond()
        process.exit(1)
      }
      process.once('SIGINT', force)
      process.once('SIGTERM', force)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

function parseFlush(value: string): FlushPolicy {
  if (value === 'sync' || value === 'os') return { mode: value }
  const match = /^interval(?::(\d+))?$/.exec(value)
  if (match === null) throw new UsageError(`--flush must be sync, interval, interval:MS or os, got '${value}'`, 'serve')
  return match[1] === undefined
    ? { mode: 'interval', ms: 1000 }
    : { mode: 'interval', ms: parseIntegerOption('serve', 'flush', match[1], 1) }
}

/** The config file and the --override entries (which win), read as Kafka broker configs. */
function readConfig(file: string | undefined, overrides: readonly string[]): ServeConfig {
  let properties = new Map<string, string>()
  try {
    if (file !== undefined) properties = parseProperties(readText(file))
    for (const override of overrides) {
      const equals = override.indexOf('=')
      if (equals <= 0) throw new UsageError(`--override expects KEY=VALUE, got '${override}'`, 'serve')
      properties.set(override.slice(0, equals).trim(), override.slice(equals + 1).trim())
    }
    return serveConfigFrom(properties)
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new UsageError(file === undefined ? error.message : `${file}: ${error.message}`, 'serve')
    throw error
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read --config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'serve')
  }
}

import fs from 'node:fs'
import path from 'node:path'
import {
  createKafkaServer,
  InvalidArgumentError,
  LogEngine,
  type FlushPolicy,
  type KafkaServerOptions,
  type KafkaServerSettings,
} from '../../index.js'
import { USERS_FILE_NAME } from '../../server/auth/users-file.js'
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
  users: {
    type: 'string',
    valueName: 'FILE',
    description: 'SASL users file (seglog users add); default DIR/users.json when it exists. Clients must authenticate',
  },
  'tls-cert': { type: 'string', valueName: 'FILE', description: 'serve over TLS with this certificate (PEM); needs --tls-key' },
  'tls-key': { type: 'string', valueName: 'FILE', description: 'the private key of --tls-cert (PEM)' },
  'tls-ca': { type: 'string', valueName: 'FILE', description: 'CA certificates (PEM) client certificates are checked against' },
  'tls-client-auth': {
    type: 'string',
    valueName: 'MODE',
    description: 'none (default), requested or required: ask clients for a certificate',
  },
  'acl-file': { type: 'string', valueName: 'FILE', description: 'ACLs (docs/format/acl-file.md); without it every request is allowed' },
  'super-users': {
    type: 'string',
    valueName: 'User:NAME',
    multiple: true,
    description: 'principals allowed everything (may be repeated, or ;-separated)',
  },
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
    'Security: --users turns on SASL (PLAIN, SCRAM-SHA-256/512), --tls-cert/--tls-key TLS,',
    '--acl-file per-user permissions (docs/server.md "Security"). Transactions: docs/server.md.',
  ].join('\n'),
  options: OPTIONS,
  examples: [
    'seglog serve data',
    'seglog serve data --port 0 --flush interval:1000',
    'seglog serve data --users data/users.json --tls-cert server.pem --tls-key server.key --acl-file acls.json',
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
    const security = readSecurityOptions(values, dir)
    if (config.superUsers !== undefined && security.superUsers === undefined) security.superUsers = config.superUsers
    checkListenerProtocol(config.listenerProtocol, security)
    const engine = await LogEngine.open({
      dir,
      ...(flush !== undefined && { flush }),
      topicDefaults: config.topicDefaults,
      ...(config.retentionCheckIntervalMs !== undefined && { retentionCheckIntervalMs: config.retentionCheckIntervalMs }),
      onWarning: log,
    })
    let server
    try {
      server = await createKafkaServer({ ...settings, ...security, engine, onLog: log })
    } catch (error) {
      await engine.close()
      throw error
    }
    if (config.ignored.length > 0) log(`config keys seglog does not use, ignored: ${config.ignored.join(', ')}`)
    const protocol = server.securityProtocol === 'PLAINTEXT' ? '' : `, ${server.securityProtocol}`
    out.line(`seglog: listening on ${server.address.host}:${server.address.port} (kafka${protocol}), data ${dir}`)
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

type SecurityOptions = Pick<KafkaServerOptions, 'usersFile' | 'tls' | 'aclFile' | 'superUsers'>

interface SecurityValues {
  users: string | undefined
  'tls-cert': string | undefined
  'tls-key': string | undefined
  'tls-ca': string | undefined
  'tls-client-auth': string | undefined
  'acl-file': string | undefined
  'super-users': string[]
}

/** The security options: files named on the command line are read here, so a missing one is a usage error. */
function readSecurityOptions(values: SecurityValues, dir: string): SecurityOptions {
  const options: SecurityOptions = {}
  const defaultUsers = path.join(dir, USERS_FILE_NAME)
  if (values.users !== undefined) options.usersFile = values.users
  else if (fs.existsSync(defaultUsers)) options.usersFile = defaultUsers
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together', 'serve')
  const clientAuth = values['tls-client-auth'] ?? 'none'
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required')
    throw new UsageError(`--tls-client-auth must be none, requested or required, got '${clientAuth}'`, 'serve')
  if (clientAuth !== 'none' && values['tls-ca'] === undefined) throw new UsageError('--tls-client-auth needs --tls-ca', 'serve')
  if (values['tls-cert'] !== undefined) {
    options.tls = {
      cert: readFileOption('tls-cert', values['tls-cert']),
      key: readFileOption('tls-key', values['tls-key']!),
      ...(values['tls-ca'] !== undefined && { ca: readFileOption('tls-ca', values['tls-ca']) }),
      clientAuth,
    }
  } else if (values['tls-ca'] !== undefined) {
    throw new UsageError('--tls-ca needs --tls-cert and --tls-key', 'serve')
  }
  if (values['acl-file'] !== undefined) options.aclFile = values['acl-file']
  const superUsers = values['super-users']
    .flatMap((value) => value.split(';'))
    .map((value) => value.trim())
    .filter((value) => value !== '')
  for (const principal of superUsers) {
    if (!principal.startsWith('User:') || principal.length === 5)
      throw new UsageError(`--super-users takes User:NAME, got '${principal}'`, 'serve')
  }
  if (superUsers.length > 0) options.superUsers = superUsers
  return options
}

function readFileOption(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (error) {
    throw new UsageError(`cannot read --${option} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'serve')
  }
}

/**
 * A `listeners` entry that names SASL or SSL must be matched by the options that turn them on:
 * serving PLAINTEXT where the config file asks for SASL_SSL would be a silent downgrade.
 */
function checkListenerProtocol(protocol: string | undefined, security: SecurityOptions): void {
  if (protocol === undefined) return
  const isSasl = security.usersFile !== undefined
  const isTls = security.tls !== undefined
  const actual = isSasl ? (isTls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : isTls ? 'SSL' : 'PLAINTEXT'
  if (actual !== protocol) {
    throw new UsageError(
      `listeners asks for ${protocol}, but the options give ${actual} (SASL needs --users or DIR/users.json, SSL needs --tls-cert and --tls-key)`,
      'serve',
    )
  }
}

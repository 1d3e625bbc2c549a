import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import tls from 'node:tls'
import os from 'node:os'
import path from 'node:path'
import {
  InvalidArgumentError,
  IoError,
  LogEngine,
  SeglogError,
  type KafkaServer,
  type KafkaServerOptions,
  type KafkaServerSettings,
} from '../index.js'
import type { Broker } from './broker.js'
import { KafkaConnection } from './connection.js'
import { systemClock } from './groups/clock.js'
import { GroupCoordinator } from './groups/coordinator.js'
import { TransactionCoordinator } from './txn/txn-coordinator.js'
import { resolveSettings } from './settings.js'
import { parseAclFile } from './auth/acls.js'
import { DEFAULT_FAILED_AUTH_LIMITS, FailedAuthLimiter } from './auth/failed-auth-limiter.js'
import { ReloadingFile } from './auth/reloading-file.js'
import { ANONYMOUS, securityProtocolOf, type ServerSecurity } from './auth/security.js'
import { parseUsersFile } from './auth/users-file.js'

/** createKafkaServer (src/index.ts loads this module on first use and documents the function). */
export async function createKafkaServer(options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const {
    engine: given,
    ephemeral = false,
    engineOptions,
    onLog,
    usersFile,
    tls: tlsOptions,
    aclFile,
    superUsers,
    failedAuthLimits,
    ...rest
  } = options
  if (given !== undefined && ephemeral)
    throw new InvalidArgumentError('createKafkaServer takes either an engine or ephemeral: true, not both')
  if (given === undefined && !ephemeral)
    throw new InvalidArgumentError('createKafkaServer needs an engine (or ephemeral: true for a temporary one)')
  const settings = resolveSettings({ ...rest, port: rest.port ?? (ephemeral ? 0 : undefined) })
  const log = onLog ?? ((message: string) => console.warn(`seglog: ${message}`))
  const security = await openSecurity({ usersFile, tls: tlsOptions, aclFile, superUsers, failedAuthLimits }, log)
  let tmpDir: string | null = null
  let engine = given
  if (engine === undefined) {
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'seglog-kafka-'))
    try {
      engine = await LogEngine.open({ flush: 'os', onWarning: (message) => log(message), ...engineOptions, dir: tmpDir })
    } catch (error) {
      await rm(tmpDir, { recursive: true, force: true })
      throw error
    }
  }
  const ownedEngine = tmpDir === null ? null : engine
  try {
    return await listen(engine, settings, security, tlsOptions, log, async () => {
      if (ownedEngine !== null) await ownedEngine.close()
      if (tmpDir !== null) await rm(tmpDir, { recursive: true, force: true })
    })
  } catch (error) {
    if (ownedEngine !== null) await ownedEngine.close().catch(() => undefined)
    if (tmpDir !== null) await rm(tmpDir, { recursive: true, force: true })
    throw error
  }
}

type SecurityOptions = Pick<KafkaServerOptions, 'usersFile' | 'tls' | 'aclFile' | 'superUsers' | 'failedAuthLimits'>

/** Reads the users and ACL files (a bad one stops the server from starting) and checks the options. */
async function openSecurity(options: SecurityOptions, log: (message: string) => void): Promise<ServerSecurity> {
  for (const principal of options.superUsers ?? []) {
    if (!/^User:.+$/s.test(principal)) throw new InvalidArgumentError(`super user must be written User:NAME, got '${principal}'`)
  }
  const clientAuth = options.tls?.clientAuth ?? 'none'
  if (!['none', 'requested', 'required'].includes(clientAuth))
    throw new InvalidArgumentError(`tls.clientAuth must be none, requested or required, got '${clientAuth}'`)
  if (clientAuth !== 'none' && options.tls?.ca === undefined)
    throw new InvalidArgumentError('tls.clientAuth needs tls.ca: the CA client certificates are checked against')
  const limits = { ...DEFAULT_FAILED_AUTH_LIMITS, ...options.failedAuthLimits }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(`failedAuthLimits.${name} must be an integer >= 0`)
  }
  const open = async <T>(file: string, parse: (text: string, file: string) => T): Promise<ReloadingFile<T>> => {
    try {
      return await ReloadingFile.open(file, parse, log)
    } catch (error) {
      // A file that does not parse is already a CorruptMetadataError; a failing read becomes IO_FAILED.
      if (error instanceof SeglogError) throw error
      throw new IoError('read', file, error as NodeJS.ErrnoException)
    }
  }
  return {
    protocol: securityProtocolOf(options.tls !== undefined, options.usersFile !== undefined),
    users: options.usersFile === undefined ? null : await open(options.usersFile, parseUsersFile),
    acls: options.aclFile === undefined ? null : await open(options.aclFile, parseAclFile),
    superUsers: new Set(options.superUsers ?? []),
    limiter: new FailedAuthLimiter(limits),
  }
}

/** A verified client certificate names the connection (Kafka's default: `User:` and the subject's DN). */
function certificatePrincipal(socket: net.Socket): string {
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return ANONYMOUS
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined
  if (subject === undefined) return ANONYMOUS
  const parts = Object.entries(subject).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
  return `User:${parts.reverse().join(',')}`
}

async function listen(
  engine: LogEngine,
  settings: KafkaServerSettings,
  security: ServerSecurity,
  tlsOptions: KafkaServerOptions['tls'],
  log: (message: string) => void,
  afterClose: () => Promise<void>,
): Promise<KafkaServer> {
  const closing = new AbortController()
  const connections = new Set<KafkaConnection>()
  const clientAuth = tlsOptions?.clientAuth ?? 'none'
  const server =
    tlsOptions === undefined
      ? net.createServer()
      : tls.createServer({
          cert: tlsOptions.cert,
          key: tlsOptions.key,
          ...(tlsOptions.ca !== undefined && { ca: tlsOptions.ca }),
          requestCert: clientAuth !== 'none',
          rejectUnauthorized: clientAuth === 'required',
          minVersion: 'TLSv1.2',
        })
  // A client that fails the TLS handshake (no or a bad certificate, not TLS at all) is only logged.
  server.on('tlsClientError', (error, socket) => log(`TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${error.message}`))
  // Transactions a crash left in the middle are completed before the server listens.
  const transactions = await TransactionCoordinator.open({
    engine,
    clock: systemClock,
    log,
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new IoError('listen on', `${settings.host}:${settings.port}`, error)))
    server.listen({ host: settings.host, port: settings.port, exclusive: true }, () => resolve())
  }).catch(async (error: unknown) => {
    await transactions.close()
    throw error
  })
  server.on('error', (error) => log(`server error: ${error.message}`))
  const bound = server.address() as net.AddressInfo
  const groups = new GroupCoordinator(
    {
      initialRebalanceDelayMs: settings.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: settings.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: settings.groupMaxSessionTimeoutMs,
    },
    systemClock,
    {
      hasOffsets: (groupId) => engine.offsets.describeGroup(groupId).length > 0,
      groupsWithOffsets: () => engine.offsets.listGroups(),
      storedGroups: () =>
        engine.offsets.listGroupMetadata().map((groupId) => ({ groupId, metadata: engine.offsets.groupMetadata(groupId)! })),
      storeGroup: (groupId, metadata) => engine.offsets.storeGroupMetadata(groupId, metadata),
    },
  )
  // The offset store replayed its log when the engine opened: the groups load from memory, before
  // the first connection is taken.
  groups.load()
  const broker: Broker = {
    engine,
    settings,
    advertisedHost: settings.advertisedHost ?? advertisableHost(settings.host),
    advertisedPort: settings.advertisedPort ?? bound.port,
    clusterId: settings.clusterId ?? clusterIdFor(engine.dir),
    closing: closing.signal,
    groups,
    transactions,
    log,
    security,
  }
  // An address refused after too many failed authentications is cut off before TLS or anything else.
  server.on('connection', (socket: net.Socket) => {
    if (security.users !== null && security.limiter.isBlocked(socket.remoteAddress ?? '?')) socket.destroy()
  })
  server.on(tlsOptions === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => {
    if (closing.signal.aborted || socket.destroyed) {
      socket.destroy()
      return
    }
    const connection = new KafkaConnection(socket, broker, certificatePrincipal(socket))
    connections.add(connection)
    void connection.closed.then(() => connections.delete(connection))
  })
  let closed: Promise<void> | null = null
  return {
    address: { host: bound.address, port: bound.port },
    engine,
    securityProtocol: security.protocol,
    get connectionCount() {
      return connections.size
    },
    close() {
      closed ??= (async () => {
        closing.abort()
        // Waiting JoinGroup and SyncGroup calls are answered (NOT_COORDINATOR) so their connections can close.
        groups.shutdown()
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        const deadlineMs = Date.now() + settings.shutdownTimeoutMs
        await Promise.all([...connections].map((connection) => connection.shutdown(deadlineMs)))
        await stopped
        await transactions.close()
        await afterClose()
      })()
      return closed
    },
  }
}

/** A wildcard address cannot be connected to: tell clients the machine's name instead. */
function advertisableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? os.hostname() : host
}

/**
 * Kafka's cluster ids are 16 random bytes in unpadded base64url. This one is derived from the data
 * directory's path, so it stays the same across restarts without a file of its own.
 */
function clusterIdFor(dir: string): string {
  return createHash('sha256').update(path.resolve(dir)).digest().subarray(0, 16).toString('base64url')
}

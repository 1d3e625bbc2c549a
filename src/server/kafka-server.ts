import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { InvalidArgumentError, IoError, LogEngine, type KafkaServer, type KafkaServerOptions, type KafkaServerSettings } from '../index.js'
import type { Broker } from './broker.js'
import { KafkaConnection } from './connection.js'
import { systemClock } from './groups/clock.js'
import { GroupCoordinator } from './groups/coordinator.js'
import { resolveSettings } from './settings.js'

/** createKafkaServer (src/index.ts loads this module on first use and documents the function). */
export async function createKafkaServer(options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const { engine: given, ephemeral = false, engineOptions, onLog, ...rest } = options
  if (given !== undefined && ephemeral)
    throw new InvalidArgumentError('createKafkaServer takes either an engine or ephemeral: true, not both')
  if (given === undefined && !ephemeral)
    throw new InvalidArgumentError('createKafkaServer needs an engine (or ephemeral: true for a temporary one)')
  const settings = resolveSettings({ ...rest, port: rest.port ?? (ephemeral ? 0 : undefined) })
  const log = onLog ?? ((message: string) => console.warn(`seglog: ${message}`))
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
    return await listen(engine, settings, log, async () => {
      if (ownedEngine !== null) await ownedEngine.close()
      if (tmpDir !== null) await rm(tmpDir, { recursive: true, force: true })
    })
  } catch (error) {
    if (ownedEngine !== null) await ownedEngine.close().catch(() => undefined)
    if (tmpDir !== null) await rm(tmpDir, { recursive: true, force: true })
    throw error
  }
}

async function listen(
  engine: LogEngine,
  settings: KafkaServerSettings,
  log: (message: string) => void,
  afterClose: () => Promise<void>,
): Promise<KafkaServer> {
  const closing = new AbortController()
  const connections = new Set<KafkaConnection>()
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new IoError('listen on', `${settings.host}:${settings.port}`, error)))
    server.listen({ host: settings.host, port: settings.port, exclusive: true }, () => resolve())
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
    log,
  }
  server.on('connection', (socket) => {
    if (closing.signal.aborted) {
      socket.destroy()
      return
    }
    const connection = new KafkaConnection(socket, broker)
    connections.add(connection)
    void connection.closed.then(() => connections.delete(connection))
  })
  let closed: Promise<void> | null = null
  return {
    address: { host: bound.address, port: bound.port },
    engine,
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

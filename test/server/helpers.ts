import net from 'node:net'
import { createKafkaServer, LogEngine, type KafkaServer, type KafkaServerOptions } from '../../src/index.js'
import { decodeResponse, encodeRequest, type ApiName, type RequestInputOf, type ResponseOf } from '../../src/server/protocol/index.js'
import { makeTmpDir } from '../helpers/tmp-dir.js'

/**
 * Helpers for the server's tests: servers that are closed after each test, and a bare protocol
 * client built on seglog's own codec, which can send anything (pipelined, malformed, a version no
 * client uses) and sees every byte the server sends back.
 */

const servers: KafkaServer[] = []
const engines: LogEngine[] = []
const clients: ProtocolClient[] = []

/** Call from afterEach: closes every client, server and engine these helpers opened. */
export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.destroy()
  await Promise.all(servers.splice(0).map((server) => server.close()))
  await Promise.all(engines.splice(0).map((engine) => engine.close()))
}

export interface TestServer {
  server: KafkaServer
  port: number
  logs: string[]
}

/** An ephemeral server (closed by closeAll) whose log lines are collected. */
export async function startServer(options: KafkaServerOptions = {}): Promise<TestServer> {
  const logs: string[] = []
  const server = await createKafkaServer({ ephemeral: true, onLog: (line) => logs.push(line), ...options })
  servers.push(server)
  return { server, port: server.address.port, logs }
}

/** A server on an engine of a fresh temp directory, for tests that reopen the directory. */
export async function startServerOnDir(
  dir?: string,
  options: KafkaServerOptions = {},
): Promise<TestServer & { engine: LogEngine; dir: string }> {
  const dataDir = dir ?? (await makeTmpDir('seglog-server-'))
  const engine = await LogEngine.open({ dir: dataDir, flush: 'os', onWarning: () => undefined })
  engines.push(engine)
  const logs: string[] = []
  const server = await createKafkaServer({ engine, port: 0, onLog: (line) => logs.push(line), ...options })
  servers.push(server)
  return { server, port: server.address.port, logs, engine, dir: dataDir }
}

/** Closes one server (and its engine, if these helpers opened it) before the test ends. */
export async function stopServer(started: TestServer & { engine?: LogEngine }): Promise<void> {
  servers.splice(servers.indexOf(started.server), 1)
  await started.server.close()
  if (started.engine !== undefined) {
    engines.splice(engines.indexOf(started.engine), 1)
    await started.engine.close()
  }
}

interface Waiter {
  apiName: ApiName
  apiVersion: number
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** A protocol client over one socket: requests go out as given, responses are matched in order. */
export class ProtocolClient {
  readonly socket: net.Socket
  private buffered: Buffer = Buffer.alloc(0)
  private readonly waiting: Waiter[] = []
  private correlationId = 0
  /** Response frames that arrived with nobody waiting for them. */
  readonly unexpected: Buffer[] = []
  readonly closed: Promise<void>

  private constructor(socket: net.Socket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', () => undefined)
    socket.once('close', () => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('connection closed'))
    })
  }

  static connect(port: number): Promise<ProtocolClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        const client = new ProtocolClient(socket)
        clients.push(client)
        resolve(client)
      })
      socket.once('error', reject)
    })
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed'
  }

  /** Sends one request and resolves with its decoded response body. */
  request<N extends ApiName>(apiName: N, apiVersion: number, body: RequestInputOf<N>): Promise<ResponseOf<N>> {
    const promise = this.expect(apiName, apiVersion)
    this.send(apiName, apiVersion, body)
    return promise
  }

  /** Sends a request whose response is not awaited here (call `expect` for it, in order). */
  send<N extends ApiName>(apiName: N, apiVersion: number, body: RequestInputOf<N>): number {
    const correlationId = ++this.correlationId
    for (const chunk of encodeRequest(apiName, apiVersion, { correlationId, clientId: 'seglog-test' }, body)) this.socket.write(chunk)
    return correlationId
  }

  /** Registers for the next response, decoded as `apiName` at `apiVersion`. */
  expect<N extends ApiName>(apiName: N, apiVersion: number): Promise<ResponseOf<N>> {
    return new Promise((resolve, reject) =>
      this.waiting.push({ apiName, apiVersion, resolve: resolve as (value: unknown) => void, reject }),
    )
  }

  /** Raw bytes to the server, as they are. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  destroy(): void {
    this.socket.destroy()
  }

  /** Correlation ids of decoded responses, in arrival order (for ordering tests). */
  readonly correlationIds: number[] = []

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0)
      if (this.buffered.length < 4 + size) return
      const frame = this.buffered.subarray(4, 4 + size)
      this.buffered = this.buffered.subarray(4 + size)
      const waiter = this.waiting.shift()
      if (waiter === undefined) {
        this.unexpected.push(Buffer.from(frame))
        continue
      }
      try {
        const { correlationId, body } = decodeResponse(Buffer.from(frame), waiter.apiName, waiter.apiVersion)
        this.correlationIds.push(correlationId)
        waiter.resolve(body)
      } catch (error) {
        waiter.reject(error as Error)
      }
    }
  }
}

export async function connect(port: number): Promise<ProtocolClient> {
  return ProtocolClient.connect(port)
}

/** Resolves when `condition` holds, polling; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

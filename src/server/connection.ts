import type { Socket } from 'node:net'
import { handlerForKey } from './api-table.js'
import { handleAuthorized } from './auth/authorize.js'
import { ANONYMOUS, ConnectionSession } from './auth/security.js'
import { CLOSE_CONNECTION, type AnyApiHandler, type Broker, type RequestContext } from './broker.js'
import { KafkaErrorCode } from './error-codes.js'
import { APIS, decodeRequest, encodeResponse, ProtocolDecodeError, type ApiName, type DecodedRequest } from './protocol/index.js'

/**
 * One client connection: frames requests off the socket, hands them to their handlers and writes
 * the responses back in request order (Kafka clients match responses by order as well as by
 * correlation id).
 *
 * Requests are handled as they arrive, several at a time (pipelining), except exclusive ones
 * (topic administration), which wait for everything before them and hold back everything after.
 * Reading stops while `maxInFlightRequests` requests are unanswered or the responses the client has
 * not taken yet exceed `maxUnsentBytes`, so a slow reader makes its own socket wait, not the
 * server's memory grow. A frame larger than `maxRequestBytes` or one that does not decode closes
 * the connection with one log line; no other connection notices.
 */

interface InFlight {
  /** The response frame, null for none (acks=0); set once the handler is done. */
  chunks: Buffer[] | null
  isDone: boolean
  done: Promise<void>
  markDone: () => void
  /** Run once `chunks` have been written (RequestContext.afterResponse). */
  afterWrite: (() => void)[]
}

const SIZE_PREFIX = 4
const API_VERSIONS_KEY = APIS.ApiVersions.apiKey
/**
 * The largest frame a connection that has not authenticated may send (Kafka's
 * sasl.server.max.receive.size): nobody without a password makes the server buffer 100 MB.
 */
const UNAUTHENTICATED_MAX_REQUEST_BYTES = 512 * 1024
/** What a connection may send before it has authenticated, when the listener asks for SASL (as Kafka). */
const BEFORE_AUTHENTICATION = new Set<number>([API_VERSIONS_KEY, APIS.SaslHandshake.apiKey, APIS.SaslAuthenticate.apiKey])

export class KafkaConnection {
  readonly peer: string
  /** Who is on the other end: its principal and where its SASL exchange stands. */
  readonly session: ConnectionSession
  private readonly socket: Socket
  private readonly broker: Broker
  private readonly received: Buffer[] = []
  private receivedBytes = 0
  private readonly queue: InFlight[] = []
  /** Completion of the exclusive request now running or waiting, if any. */
  private barrier: Promise<void> | null = null
  /** Resolves once every request received so far has been handled. */
  private allHandled: Promise<void> = Promise.resolve()
  private isPaused = false
  private isCorked = false
  private readonly uncork = (): void => {
    this.isCorked = false
    this.socket.uncork()
  }
  private isClosing = false
  private isClosed = false
  private readonly abort = new AbortController()
  private readonly signal: AbortSignal
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>

  constructor(socket: Socket, broker: Broker, transportPrincipal: string = ANONYMOUS) {
    this.socket = socket
    this.broker = broker
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    this.session = new ConnectionSession(socket.remoteAddress ?? '?', broker.security.users !== null, transportPrincipal)
    this.signal = AbortSignal.any([broker.closing, this.abort.signal])
    socket.setNoDelay(true)
    socket.setTimeout(broker.settings.idleTimeoutMs)
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true
        this.abort.abort()
        resolve()
      })
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('drain', () => this.updateFlow())
    // A reset or a broken pipe ends only this connection; 'close' follows.
    socket.on('error', () => undefined)
    socket.on('timeout', () => {
      if (this.queue.length === 0) socket.destroy()
    })
  }

  /** Requests received and not yet answered. */
  get inFlightCount(): number {
    return this.queue.length
  }

  /**
   * Stops reading, lets the requests in flight finish (long polls answer at once: the broker's
   * closing signal has fired) and ends the connection; destroys it if that takes past `deadlineMs`.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    this.isClosing = true
    this.socket.pause()
    if (this.queue.length === 0) this.socket.end()
    const timer = setTimeout(() => this.socket.destroy(), Math.max(0, deadlineMs - Date.now()))
    await this.closed
    clearTimeout(timer)
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk)
    this.receivedBytes += chunk.length
    this.readFrames()
  }

  private readFrames(): void {
    while (!this.isPaused && !this.isClosing && !this.isClosed && this.receivedBytes >= SIZE_PREFIX) {
      const size = this.peekSize()
      if (size < 0 || size > this.broker.settings.maxRequestBytes) {
        this.fail(
          size < 0
            ? `negative request size ${size}`
            : `request of ${size} bytes is over socket.request.max.bytes (${this.broker.settings.maxRequestBytes})`,
        )
        return
      }
      if (!this.session.isAuthenticated && size > UNAUTHENTICATED_MAX_REQUEST_BYTES) {
        this.fail(`request of ${size} bytes before authenticating (at most ${UNAUTHENTICATED_MAX_REQUEST_BYTES})`)
        return
      }
      if (this.receivedBytes < SIZE_PREFIX + size) return
      this.dispatch(this.take(SIZE_PREFIX + size).subarray(SIZE_PREFIX))
      this.updateFlow()
    }
  }

  private peekSize(): number {
    if (this.received[0]!.length < SIZE_PREFIX) {
      const joined = Buffer.concat(this.received)
      this.received.length = 0
      this.received.push(joined)
    }
    return this.received[0]!.readInt32BE(0)
  }

  /** The next `size` received bytes: a view when one chunk holds them, else one copy. */
  private take(size: number): Buffer {
    this.receivedBytes -= size
    const first = this.received[0]!
    if (first.length >= size) {
      if (first.length === size) this.received.shift()
      else this.received[0] = first.subarray(size)
      return first.subarray(0, size)
    }
    const frame = Buffer.allocUnsafe(size)
    let position = 0
    while (position < size) {
      const chunk = this.received[0]!
      const needed = size - position
      if (chunk.length <= needed) {
        chunk.copy(frame, position)
        position += chunk.length
        this.received.shift()
      } else {
        chunk.copy(frame, position, 0, needed)
        this.received[0] = chunk.subarray(needed)
        position += needed
      }
    }
    return frame
  }

  private dispatch(frame: Buffer): void {
    let request: DecodedRequest
    try {
      request = decodeRequest(frame)
    } catch (error) {
      if (!(error instanceof ProtocolDecodeError)) throw error
      // A client that tries a newer ApiVersions than the server speaks learns the versions it does
      // speak from a v0 answer (KIP-511); any other frame that does not decode ends the connection.
      if (error.reason === 'unsupported-version' && error.apiKey === API_VERSIONS_KEY) {
        this.enqueueDone(
          encodeResponse(
            'ApiVersions',
            0,
            error.correlationId,
            handlerForKey(API_VERSIONS_KEY)!.errorResponse(
              {} as never,
              KafkaErrorCode.UNSUPPORTED_VERSION,
              this.contextFor(0, null),
            ) as never,
          ),
        )
        return
      }
      const where = error.field === '' ? '' : ` in ${error.field}`
      this.fail(
        `malformed request (api key ${error.apiKey}, version ${error.apiVersion}): ${error.reason} at byte ${error.position}${where}`,
      )
      return
    }
    const handler = handlerForKey(request.apiKey)
    const isSaslApi = request.apiKey !== API_VERSIONS_KEY && BEFORE_AUTHENTICATION.has(request.apiKey)
    if (handler === undefined || (isSaslApi && !this.session.isSaslRequired)) {
      this.fail(`${request.apiName} requests (api key ${request.apiKey}) are not supported`)
      return
    }
    if (!this.session.isAuthenticated && !BEFORE_AUTHENTICATION.has(request.apiKey)) {
      this.fail(`${request.apiName} request before authenticating (only ApiVersions and SASL are allowed)`)
      return
    }
    const context = this.contextFor(request.apiVersion, request.header.clientId)
    const correlationId = request.header.correlationId
    if (request.apiVersion < handler.minVersion || request.apiVersion > handler.maxVersion) {
      const isApiVersions = request.apiKey === API_VERSIONS_KEY
      try {
        this.enqueueDone(
          this.encode(
            handler.apiName,
            isApiVersions ? 0 : request.apiVersion,
            correlationId,
            handler.errorResponse(request.body as never, KafkaErrorCode.UNSUPPORTED_VERSION, context),
          ),
        )
      } catch (error) {
        this.fail(`cannot encode the ${handler.apiName} v${request.apiVersion} error response: ${(error as Error).message}`)
      }
      return
    }
    const entry = this.enqueue()
    const run = (): Promise<void> => {
      this.run(entry, handler, request, context)
      return entry.done
    }
    if (handler.isExclusive) {
      const done = this.allHandled.then(run)
      this.barrier = done
      void done.then(() => {
        if (this.barrier === done) this.barrier = null
      })
    } else if (this.barrier !== null) {
      void this.barrier.then(run)
    } else {
      run()
    }
    const before = this.allHandled
    this.allHandled = entry.done.then(() => before)
  }

  private contextFor(apiVersion: number, clientId: string | null): RequestContext {
    return { broker: this.broker, apiVersion, clientId, signal: this.signal, peer: this.peer, session: this.session }
  }

  private enqueue(): InFlight {
    let markDone!: () => void
    const done = new Promise<void>((resolve) => {
      markDone = resolve
    })
    const entry: InFlight = { chunks: null, isDone: false, done, markDone, afterWrite: [] }
    this.queue.push(entry)
    return entry
  }

  private enqueueDone(chunks: Buffer[] | null): void {
    this.complete(this.enqueue(), chunks)
  }

  /** Calls the handler now: its synchronous part (a produce's appends) runs in arrival order. */
  private run(entry: InFlight, handler: AnyApiHandler, request: DecodedRequest, context: RequestContext): void {
    const apiName = handler.apiName
    const correlationId = request.header.correlationId
    let result: unknown
    try {
      const afterResponse = (callback: () => void): void => void entry.afterWrite.push(callback)
      result = handleAuthorized(handler, request.body, { ...context, afterResponse })
    } catch (error) {
      result = Promise.reject(error)
    }
    const answerWithError = (error: unknown): void => {
      // A handler failed or built a response its version cannot carry: a bug, but only this
      // request's. The client gets UNKNOWN_SERVER_ERROR; if even that cannot be encoded, it is cut off.
      this.broker.log(`${apiName} v${request.apiVersion} from ${this.peer} failed: ${(error as Error)?.message ?? String(error)}`)
      try {
        this.complete(
          entry,
          this.encode(
            apiName,
            request.apiVersion,
            correlationId,
            handler.errorResponse(request.body as never, KafkaErrorCode.UNKNOWN_SERVER_ERROR, context),
          ),
        )
      } catch (encodeError) {
        this.fail(`cannot encode the ${apiName} v${request.apiVersion} error response: ${(encodeError as Error).message}`)
      }
    }
    Promise.resolve(result)
      .then((body) => {
        if (body === CLOSE_CONNECTION) {
          this.complete(entry, null)
          this.fail(`closing after a failed ${apiName} request that asked for no response (acks=0)`, false)
          return
        }
        // A failed authentication is answered, then the connection ends (as Kafka's does).
        if (this.session.hasFailed) this.isClosing = true
        this.complete(entry, body === null ? null : this.encode(apiName, request.apiVersion, correlationId, body))
      })
      .catch(answerWithError)
  }

  private encode(apiName: ApiName, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
    return encodeResponse(apiName, apiVersion, correlationId, body as never)
  }

  private complete(entry: InFlight, chunks: Buffer[] | null): void {
    entry.chunks = chunks
    entry.isDone = true
    entry.markDone()
    this.writeReady()
  }

  /**
   * Writes the responses at the head of the queue that are ready, in order. The socket stays corked
   * until the current tick ends, so responses finished together go out in one writev.
   */
  private writeReady(): void {
    if (this.isClosed) {
      // Responses that will never be written: what their handlers lent them is free again.
      while (this.queue[0]?.isDone) runEach(this.queue.shift()!.afterWrite)
      return
    }
    if (this.queue[0]?.isDone) {
      if (!this.isCorked) {
        this.isCorked = true
        this.socket.cork()
        process.nextTick(this.uncork)
      }
      while (this.queue[0]?.isDone) {
        const { chunks, afterWrite } = this.queue.shift()!
        const last = chunks === null ? -1 : chunks.length - 1
        for (let slot = 0; slot < last; slot++) this.socket.write(chunks![slot]!)
        // The last chunk's callback runs once the whole response is written (or failed to be).
        if (afterWrite.length === 0) {
          if (last >= 0) this.socket.write(chunks![last]!)
        } else if (last >= 0) this.socket.write(chunks![last]!, () => runEach(afterWrite))
        else runEach(afterWrite)
      }
    }
    if (this.isClosing && this.queue.length === 0) this.socket.end()
    this.updateFlow()
  }

  /** Pauses reading while too much is unanswered or unsent, and resumes when it drops. */
  private updateFlow(): void {
    if (this.isClosed || this.isClosing) return
    const settings = this.broker.settings
    const shouldPause = this.queue.length >= settings.maxInFlightRequests || this.socket.writableLength > settings.maxUnsentBytes
    if (shouldPause && !this.isPaused) {
      this.isPaused = true
      this.socket.pause()
    } else if (!shouldPause && this.isPaused) {
      this.isPaused = false
      this.socket.resume()
      this.readFrames()
    }
  }

  /** Ends this connection at once (logging why, unless it is routine). */
  private fail(reason: string, shouldLog = true): void {
    if (this.isClosed) return
    if (shouldLog) this.broker.log(`closing connection from ${this.peer}: ${reason}`)
    this.isClosing = true
    this.received.length = 0
    this.receivedBytes = 0
    this.socket.destroy()
  }
}

function runEach(callbacks: readonly (() => void)[]): void {
  for (const callback of callbacks) callback()
}

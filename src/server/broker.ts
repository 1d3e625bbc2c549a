import type { KafkaServerSettings, LogEngine } from '../index.js'
import type { ConnectionSession, ServerSecurity } from './auth/security.js'
import type { GroupCoordinator } from './groups/coordinator.js'
import type { ApiName, RequestOf, ResponseInputOf } from './protocol/index.js'
import type { TransactionCoordinator } from './txn/txn-coordinator.js'

/**
 * What every handler shares: the engine, the server's settings, where clients reach it, and a
 * signal that fires when the server starts closing (long polls answer at once then).
 */
export interface Broker {
  readonly engine: LogEngine
  readonly settings: KafkaServerSettings
  /** The host and port metadata responses tell clients to connect to. */
  readonly advertisedHost: string
  readonly advertisedPort: number
  readonly clusterId: string
  readonly closing: AbortSignal
  /** Consumer groups: membership, rebalances, and whether commits are allowed. */
  readonly groups: GroupCoordinator
  /** Transactional ids and their transactions (src/server/txn/). */
  readonly transactions: TransactionCoordinator
  /** One line for the operator (the CLI prints it on stderr as `seglog: <line>`). */
  log(message: string): void
  /** SASL, TLS and ACLs (src/server/auth/). */
  readonly security: ServerSecurity
}

/** One request as a handler sees it. */
export interface RequestContext {
  readonly broker: Broker
  readonly apiVersion: number
  readonly clientId: string | null
  /** Fires when the server closes or the client goes away: waiting handlers answer or give up. */
  readonly signal: AbortSignal
  /** Where the request came from, for log lines. */
  readonly peer: string
  /** Who the connection is (its principal) and where its SASL exchange stands. */
  readonly session: ConnectionSession
  /**
   * Runs `callback` once the response to this request has been written to the socket (or the
   * write failed), or will never be because the connection has closed: when nothing reads the
   * response's buffers any more. A handler lends buffers the response points into (Fetch's read
   * buffers) and takes them back here. Absent where nothing writes a response (tests calling a
   * handler directly): the handler then lends nothing.
   */
  readonly afterResponse?: (callback: () => void) => void
}

/** Returned by a handler whose client must learn of an error but gets no response (acks=0). */
export const CLOSE_CONNECTION = Symbol('close connection')

export type HandlerResult<N extends ApiName> = ResponseInputOf<N> | null | typeof CLOSE_CONNECTION

/**
 * One API: the versions the server speaks (advertised in ApiVersions as they are), how to answer a
 * request, and how to answer it with one error code everywhere (for a version the server does not
 * speak, or a handler that failed unexpectedly), as Kafka's AbstractRequest.getErrorResponse does.
 */
export interface ApiHandler<N extends ApiName> {
  readonly apiName: N
  readonly minVersion: number
  readonly maxVersion: number
  /**
   * Runs alone on its connection: after every earlier request of the connection has finished and
   * before any later one starts. Topic administration is exclusive; produce and fetch are not, but
   * they start in arrival order, and a produce handler issues its appends before it first waits.
   */
  readonly isExclusive: boolean
  /** null: no response at all (a produce with acks=0). */
  handle(request: RequestOf<N>, context: RequestContext): HandlerResult<N> | Promise<HandlerResult<N>>
  errorResponse(request: RequestOf<N>, errorCode: number, context: RequestContext): ResponseInputOf<N>
}

export type AnyApiHandler = { [N in ApiName]: ApiHandler<N> }[ApiName]

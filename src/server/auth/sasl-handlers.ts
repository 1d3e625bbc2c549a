import { createHmac, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiHandler, RequestContext } from '../broker.js'
import { KafkaErrorCode } from '../error-codes.js'
import type { RequestOf, ResponseInputOf } from '../protocol/index.js'
import {
  MIN_ITERATIONS,
  parseClientFirst,
  ScramError,
  ScramServerExchange,
  verifyPassword,
  type ScramCredential,
  type ScramMechanism,
} from './scram.js'
import { SASL_MECHANISMS, type SaslMechanism } from './security.js'

/**
 * SaslHandshake (17, v0-1) and SaslAuthenticate (36, v0-2): the client names a mechanism, then
 * sends its SASL tokens framed as SaslAuthenticate requests (KIP-152), as KafkaJS and librdkafka
 * do against a broker that lists SaslAuthenticate. PLAIN takes one token; SCRAM two (client-first,
 * client-final). A failure is answered with SASL_AUTHENTICATION_FAILED (or ILLEGAL_SASL_STATE),
 * held back by the failed-authentication delay, and the connection is closed after it.
 */

type AuthenticateResponse = ResponseInputOf<'SaslAuthenticate'>

const INVALID_CREDENTIALS = 'Authentication failed: Invalid username or password'

/** A per-process secret: decoy salts are stable for a name (as a real one is) but not predictable. */
const DECOY_SECRET = randomBytes(32)

/** A credential nobody's password matches, with the salt and rounds a real user would have. */
function decoyCredential(mechanism: ScramMechanism, user: string): ScramCredential {
  const length = mechanism === 'SCRAM-SHA-256' ? 32 : 64
  const salt = createHmac('sha256', DECOY_SECRET).update(user).digest()
  return { salt, iterations: MIN_ITERATIONS, storedKey: randomBytes(length), serverKey: randomBytes(length) }
}

export const saslHandshakeHandler: ApiHandler<'SaslHandshake'> = {
  apiName: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  isExclusive: true,
  handle: (request, context) => {
    const session = context.session
    if (session.isAuthenticated || session.mechanism !== null) {
      session.hasFailed = true
      return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms: [...SASL_MECHANISMS] }
    }
    if (!SASL_MECHANISMS.includes(request.mechanism as SaslMechanism))
      return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] }
    session.mechanism = request.mechanism as SaslMechanism
    return { errorCode: KafkaErrorCode.NONE, mechanisms: [...SASL_MECHANISMS] }
  },
  errorResponse: (_request, errorCode) => ({ errorCode, mechanisms: [...SASL_MECHANISMS] }),
}

export const saslAuthenticateHandler: ApiHandler<'SaslAuthenticate'> = {
  apiName: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  isExclusive: true,
  handle: authenticate,
  errorResponse: (_request, errorCode) => ({ errorCode, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }),
}

async function authenticate(request: RequestOf<'SaslAuthenticate'>, context: RequestContext): Promise<AuthenticateResponse> {
  const session = context.session
  const mechanism = session.mechanism
  if (mechanism === null || session.isAuthenticated) {
    session.hasFailed = true
    return failure(KafkaErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate before a SaslHandshake')
  }
  const token = request.authBytes.toString('utf8')
  try {
    if (mechanism === 'PLAIN') return await authenticatePlain(token, context)
    return await authenticateScram(mechanism, token, context)
  } catch (error) {
    if (!(error instanceof ScramError)) throw error
    return await refuse(context, session.scramUser ?? '?', session.isScramDecoy ? 'unknown-user' : error.reason)
  }
}

function success(authBytes: Buffer, context: RequestContext, user: string): AuthenticateResponse {
  const session = context.session
  session.principal = `User:${user}`
  session.isAuthenticated = true
  session.scram = null
  return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes, sessionLifetimeMs: 0 }
}

function failure(errorCode: number, message: string): AuthenticateResponse {
  return { errorCode, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }
}

/** One log line, one count against the peer, the delay, then the failure the connection closes after. */
async function refuse(context: RequestContext, user: string, reason: string): Promise<AuthenticateResponse> {
  const { session, broker } = context
  session.hasFailed = true
  const security = broker.security
  const isNewBlock = security.limiter.recordFailure(session.host)
  broker.log(
    `${new Date().toISOString()} authentication failed: peer ${context.peer} user ${JSON.stringify(user)} mechanism ${session.mechanism} (${reason})`,
  )
  if (isNewBlock)
    broker.log(
      `refusing ${session.host} for ${security.limiter.limits.blockMs} ms after ${security.limiter.limits.maxFailures} failed authentications`,
    )
  await sleep(security.limiter.limits.delayMs, undefined, { signal: context.signal }).catch(() => undefined)
  return failure(KafkaErrorCode.SASL_AUTHENTICATION_FAILED, INVALID_CREDENTIALS)
}

/** `[authzid] NUL user NUL password` (RFC 4616); the authorization id, if given, must be the user. */
async function authenticatePlain(token: string, context: RequestContext): Promise<AuthenticateResponse> {
  const parts = token.split('\0')
  if (parts.length !== 3 || parts[1] === '' || (parts[0] !== '' && parts[0] !== parts[1]))
    return await refuse(context, parts[1] ?? '?', 'malformed-message')
  const [, user, password] = parts as [string, string, string]
  const security = context.broker.security
  if (security.limiter.isBlocked(context.session.host)) return await refuse(context, user, 'peer-blocked')
  const credentials = (await security.users!.fresh()).get(user)
  // PLAIN is checked against the SCRAM hash: derive with the stored salt and rounds, compare StoredKey.
  const [mechanism, credential] = credentials?.entries().next().value ?? []
  if (mechanism === undefined || credential === undefined) return await refuse(context, user, 'unknown-user')
  if (!(await verifyPassword(mechanism, credential, password))) return await refuse(context, user, 'bad-password')
  return success(Buffer.alloc(0), context, user)
}

async function authenticateScram(mechanism: ScramMechanism, token: string, context: RequestContext): Promise<AuthenticateResponse> {
  const session = context.session
  const security = context.broker.security
  if (session.scram === null) {
    const first = parseClientFirst(token)
    session.scramUser = first.user
    if (security.limiter.isBlocked(session.host)) return await refuse(context, first.user, 'peer-blocked')
    const credential = (await security.users!.fresh()).get(first.user)?.get(mechanism)
    // An unknown user gets a server-first message like anyone's and fails only at the proof, so
    // the exchange does not tell a guesser which user names exist.
    session.scram = new ScramServerExchange(mechanism, credential ?? decoyCredential(mechanism, first.user), first)
    session.isScramDecoy = credential === undefined
    return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: Buffer.from(session.scram.serverFirst), sessionLifetimeMs: 0 }
  }
  const serverFinal = session.scram.finish(token)
  if (session.isScramDecoy) return await refuse(context, session.scramUser!, 'unknown-user')
  return success(Buffer.from(serverFinal), context, session.scramUser!)
}

import type { ScramServerExchange } from './scram.js'
import type { FailedAuthLimiter } from './failed-auth-limiter.js'
import type { ReloadingFile } from './reloading-file.js'
import type { UserCredentials } from './users-file.js'
import type { AclRule } from './acls.js'

/**
 * What the server knows about security: whether its listener asks for SASL, where the users and
 * the ACLs come from, and the failed-authentication limiter; and per connection, who is on the
 * other end (the session). docs/server.md "Security" describes the behaviour.
 */

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

/** Kafka's names for a listener's security protocol. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'

export function securityProtocolOf(isTls: boolean, isSasl: boolean): SecurityProtocol {
  return isSasl ? (isTls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : isTls ? 'SSL' : 'PLAINTEXT'
}

/** The principal of a connection nobody authenticated (Kafka's KafkaPrincipal.ANONYMOUS). */
export const ANONYMOUS = 'User:ANONYMOUS'

export interface ServerSecurity {
  readonly protocol: SecurityProtocol
  /** null: SASL is off (PLAINTEXT and SSL listeners). */
  readonly users: ReloadingFile<UserCredentials> | null
  /** null: no ACL file, every request is allowed (as before access control existed). */
  readonly acls: ReloadingFile<readonly AclRule[]> | null
  /** Principals (`User:admin`) allowed everything, whatever the ACLs say. */
  readonly superUsers: ReadonlySet<string>
  readonly limiter: FailedAuthLimiter
}

/** Per connection: who it is, and where its SASL exchange stands. */
export class ConnectionSession {
  principal: string
  isAuthenticated: boolean
  /** Chosen by SaslHandshake; the next SaslAuthenticate uses it. */
  mechanism: SaslMechanism | null = null
  /** A SCRAM exchange between its first and final message. */
  scram: ScramServerExchange | null = null
  scramUser: string | null = null
  /** The SCRAM exchange runs against a decoy credential: the user does not exist. */
  isScramDecoy = false
  /** Set when authentication failed: the connection closes once the answer is written. */
  hasFailed = false

  constructor(
    /** The client's IP address (ACL host matching, the failed-authentication limiter). */
    readonly host: string,
    readonly isSaslRequired: boolean,
    /** From a verified TLS client certificate, or ANONYMOUS. */
    transportPrincipal: string,
  ) {
    this.principal = transportPrincipal
    this.isAuthenticated = !isSaslRequired
  }
}

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * SCRAM (RFC 5802, with SHA-256 and SHA-512 as RFC 7677 and Kafka's KIP-84 use them): the salted
 * credential kept on disk, and the server's side of the three-message exchange.
 *
 *   SaltedPassword = PBKDF2-HMAC-H(password, salt, iterations)
 *   ClientKey      = HMAC(SaltedPassword, "Client Key")     StoredKey = H(ClientKey)
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage    = client-first-bare "," server-first "," client-final-without-proof
 *   ClientProof    = ClientKey XOR HMAC(StoredKey, AuthMessage)     (sent by the client)
 *   ServerProof    = HMAC(ServerKey, AuthMessage)                   (sent back as v=...)
 *
 * The server keeps only salt, iterations, StoredKey and ServerKey: it can check a proof (recover
 * ClientKey by XOR, hash it, compare with StoredKey) without ever holding the password, and a
 * stolen file does not let anyone log in (StoredKey is a hash of what the client must prove).
 */

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']
/** Kafka's minimum (ScramMechanism.minIterations); also what `seglog users add` uses by default. */
export const MIN_ITERATIONS = 4096
const SALT_BYTES = 32
const SERVER_NONCE_BYTES = 24

export interface ScramCredential {
  readonly salt: Buffer
  readonly iterations: number
  readonly storedKey: Buffer
  readonly serverKey: Buffer
}

function hashName(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512'
}

function keyBytes(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 32 : 64
}

function hmac(mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(hashName(mechanism), key).update(text).digest()
}

/** PBKDF2 off the event loop: 4096 rounds take milliseconds, which a busy server must not block on. */
function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password.normalize('NFKC'), salt, iterations, keyBytes(mechanism), hashName(mechanism), (error, key) =>
      error === null ? resolve(key) : reject(error),
    )
  })
}

function keysFrom(mechanism: ScramMechanism, salted: Buffer): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(mechanism, salted, 'Client Key')
  const storedKey = createHash(hashName(mechanism)).update(clientKey).digest()
  return { clientKey, storedKey, serverKey: hmac(mechanism, salted, 'Server Key') }
}

/** A new credential for a password: a fresh random salt, then the two keys. */
export async function deriveCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations: number = MIN_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<ScramCredential> {
  const { storedKey, serverKey } = keysFrom(mechanism, await saltedPassword(mechanism, password, salt, iterations))
  return { salt, iterations, storedKey, serverKey }
}

/** Whether `password` is the one the credential was made from (SASL/PLAIN checks passwords this way). */
export async function verifyPassword(mechanism: ScramMechanism, credential: ScramCredential, password: string): Promise<boolean> {
  const { storedKey } = keysFrom(mechanism, await saltedPassword(mechanism, password, credential.salt, credential.iterations))
  return timingSafeEqual(storedKey, credential.storedKey)
}

/** Why an exchange failed: the log line and the client's error message say which. */
export type ScramFailure = 'malformed-message' | 'unknown-user' | 'bad-proof' | 'nonce-mismatch' | 'unsupported-extension'

export class ScramError extends Error {
  constructor(
    readonly reason: ScramFailure,
    detail: string,
  ) {
    super(`${reason}: ${detail}`)
    this.name = 'ScramError'
  }
}

/** `=2C` and `=3D` stand for ',' and '=' in SCRAM user names (RFC 5802 5.1). */
function unescapeName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramError('malformed-message', 'bad escape in user name')
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

/** `a=1,b=2` into its attributes, in order; values may contain '='. */
function attributes(text: string): Map<string, string> {
  const result = new Map<string, string>()
  for (const part of text.split(',')) {
    // One-letter attributes of RFC 5802, and Kafka's named extensions (`tokenauth=true`).
    const equals = part.indexOf('=')
    if (!/^[a-zA-Z][a-zA-Z0-9]*=/.test(part)) throw new ScramError('malformed-message', `attribute '${part.slice(0, 20)}'`)
    result.set(part.slice(0, equals), part.slice(equals + 1))
  }
  return result
}

export interface ClientFirst {
  readonly user: string
  readonly clientNonce: string
  /** `n=...,r=...` and any extensions: part of the AuthMessage. */
  readonly bare: string
  /** `n,,` or `n,a=...,`: echoed (base64) in the client's final message. */
  readonly gs2Header: string
}

/** Parses `n,,n=user,r=nonce[,ext]`. Channel binding (`p=`) is refused; `y` and `n` are both fine without TLS binding. */
export function parseClientFirst(message: string): ClientFirst {
  const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message)
  if (match === null) throw new ScramError('malformed-message', 'client-first message has no gs2 header (or asks for channel binding)')
  const bare = match[3]!
  const attrs = attributes(bare)
  const user = attrs.get('n')
  const clientNonce = attrs.get('r')
  if (user === undefined || clientNonce === undefined || clientNonce === '' || bare.indexOf('n=') !== 0)
    throw new ScramError('malformed-message', 'client-first message lacks n= or r=')
  if (attrs.has('m')) throw new ScramError('unsupported-extension', 'mandatory extension m=')
  // Kafka's token-authentication extension would ask for delegation tokens, which seglog has not.
  if (attrs.get('tokenauth') !== undefined) throw new ScramError('unsupported-extension', 'tokenauth')
  return { user: unescapeName(user), clientNonce, bare, gs2Header: message.slice(0, message.length - bare.length) }
}

/**
 * The server's half of one exchange, after the client's first message named a user the server
 * knows: `serverFirst` to send, then `finish` with the client's final message.
 */
export class ScramServerExchange {
  readonly serverFirst: string
  private readonly nonce: string

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly credential: ScramCredential,
    private readonly clientFirst: ClientFirst,
    // Letters and digits only, as Kafka's own nonces.
    serverNonce: string = randomBytes(SERVER_NONCE_BYTES).toString('hex'),
  ) {
    this.nonce = clientFirst.clientNonce + serverNonce
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`
  }

  /** Checks `c=...,r=...,p=...`; returns the server-final message `v=...` or throws ScramError. */
  finish(clientFinal: string): string {
    const proofAt = clientFinal.lastIndexOf(',p=')
    if (proofAt < 0) throw new ScramError('malformed-message', 'client-final message lacks p=')
    const withoutProof = clientFinal.slice(0, proofAt)
    const attrs = attributes(withoutProof)
    // Kafka accepts a nonce that ends with the one it sent, not only an equal one: librdkafka 2.0
    // sends its own nonce once more in front. The proof covers the message as sent either way.
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw new ScramError('nonce-mismatch', 'the nonce is not the one the server sent')
    if (attrs.get('c') !== Buffer.from(this.clientFirst.gs2Header).toString('base64'))
      throw new ScramError('malformed-message', 'channel binding c= does not repeat the gs2 header')
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64')
    const authMessage = `${this.clientFirst.bare},${this.serverFirst},${withoutProof}`
    const signature = hmac(this.mechanism, this.credential.storedKey, authMessage)
    if (proof.length !== signature.length) throw new ScramError('bad-proof', 'proof of the wrong length')
    const clientKey = Buffer.alloc(signature.length)
    for (let slot = 0; slot < signature.length; slot++) clientKey[slot] = proof[slot]! ^ signature[slot]!
    const storedKey = createHash(hashName(this.mechanism)).update(clientKey).digest()
    if (!timingSafeEqual(storedKey, this.credential.storedKey)) throw new ScramError('bad-proof', 'wrong password')
    return `v=${hmac(this.mechanism, this.credential.serverKey, authMessage).toString('base64')}`
  }
}

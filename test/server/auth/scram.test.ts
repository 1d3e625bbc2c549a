import { describe, expect, it } from 'vitest'
import { deriveCredential, parseClientFirst, ScramError, ScramServerExchange, verifyPassword } from '../../../src/server/auth/scram.js'

/** The worked example of RFC 7677 section 3 (SCRAM-SHA-256), byte for byte, then failures. */
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO'
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0'
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

function scramFailure(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (error instanceof ScramError) return error.reason
    throw error
  }
  throw new Error('expected a ScramError')
}

describe('SCRAM-SHA-256 (RFC 7677 example)', () => {
  it('derives the keys and answers the client exactly as the RFC does', async () => {
    const credential = await deriveCredential('SCRAM-SHA-256', 'pencil', 4096, SALT)
    const exchange = new ScramServerExchange('SCRAM-SHA-256', credential, parseClientFirst(CLIENT_FIRST), SERVER_NONCE)
    expect(exchange.serverFirst).toBe(SERVER_FIRST)
    expect(exchange.finish(CLIENT_FINAL)).toBe(SERVER_FINAL)
  })

  it('refuses a proof made with another password, a changed nonce and a missing proof', async () => {
    const other = await deriveCredential('SCRAM-SHA-256', 'pencil2', 4096, SALT)
    const wrong = new ScramServerExchange('SCRAM-SHA-256', other, parseClientFirst(CLIENT_FIRST), SERVER_NONCE)
    expect(scramFailure(() => wrong.finish(CLIENT_FINAL))).toBe('bad-proof')
    const right = await deriveCredential('SCRAM-SHA-256', 'pencil', 4096, SALT)
    const exchange = new ScramServerExchange('SCRAM-SHA-256', right, parseClientFirst(CLIENT_FIRST), 'another-nonce')
    expect(scramFailure(() => exchange.finish(CLIENT_FINAL))).toBe('nonce-mismatch')
    expect(scramFailure(() => exchange.finish('c=biws,r=x'))).toBe('malformed-message')
  })

  it('checks a PLAIN password against the stored keys', async () => {
    const credential = await deriveCredential('SCRAM-SHA-512', 'pencil')
    expect(await verifyPassword('SCRAM-SHA-512', credential, 'pencil')).toBe(true)
    expect(await verifyPassword('SCRAM-SHA-512', credential, 'pencil ')).toBe(false)
    expect(credential.storedKey).toHaveLength(64)
    expect(credential.iterations).toBe(4096)
  })
})

describe('client-first message', () => {
  it('reads escaped names and refuses channel binding, bad escapes and extensions it cannot honour', () => {
    expect(parseClientFirst('n,,n=a=2Cb=3Dc,r=xyz')).toMatchObject({ user: 'a,b=c', clientNonce: 'xyz', gs2Header: 'n,,' })
    expect(parseClientFirst('n,a=bob,n=bob,r=1').gs2Header).toBe('n,a=bob,')
    expect(scramFailure(() => parseClientFirst('p=tls-unique,,n=a,r=1'))).toBe('malformed-message')
    expect(scramFailure(() => parseClientFirst('n,,n=a=XX,r=1'))).toBe('malformed-message')
    expect(scramFailure(() => parseClientFirst('n,,n=a'))).toBe('malformed-message')
    expect(scramFailure(() => parseClientFirst('n,,n=a,r=1,tokenauth=true'))).toBe('unsupported-extension')
  })
})

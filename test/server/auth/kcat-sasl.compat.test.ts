import { execFileSync, spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { removeTmpDirs } from '../../helpers/tmp-dir.js'
import { closeAll, startServer } from '../helpers.js'
import { hasOpenssl, makeCertificates } from './certs.js'
import { TEST_LIMITS, writeUsers } from './helpers.js'

/**
 * kcat (librdkafka 2.0) with SASL PLAIN and SCRAM, over plaintext and TLS. Skipped with a message
 * when kcat is not installed or was built without SASL.
 */

function kcatFeatures(): string | null {
  try {
    return execFileSync('kcat', ['-V'], { encoding: 'utf8', timeout: 5000 })
  } catch {
    return null
  }
}

const features = kcatFeatures()
const hasSasl = features !== null && /sasl_scram/.test(features) && /sasl_plain/.test(features)
if (!hasSasl) console.warn('kcat with SASL (sasl_plain, sasl_scram) is not installed: skipping the kcat SASL tests')

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

function kcat(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

const saslArgs = (protocol: string, mechanism: string, password: string) => [
  '-X',
  `security.protocol=${protocol}`,
  '-X',
  `sasl.mechanisms=${mechanism}`,
  '-X',
  'sasl.username=alice',
  '-X',
  `sasl.password=${password}`,
]

describe.skipIf(!hasSasl)('kcat with SASL', () => {
  it.each(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])(
    '%s: produces and consumes with the right password, fails with a wrong one',
    async (mechanism) => {
      const usersFile = await writeUsers({ alice: 'alice-secret' })
      const { port, server, logs } = await startServer({ usersFile, failedAuthLimits: TEST_LIMITS })
      const broker = ['-b', `127.0.0.1:${port}`]
      const good = saslArgs('SASL_PLAINTEXT', mechanism, 'alice-secret')
      const produced = await kcat([...broker, ...good, '-t', 'greetings', '-P'], 'one\ntwo\n')
      expect(produced.code, produced.stderr).toBe(0)
      const consumed = await kcat([...broker, ...good, '-t', 'greetings', '-C', '-o', 'beginning', '-e', '-q'])
      expect(consumed.stdout.split('\n').filter(Boolean)).toEqual(['one', 'two'])

      const bad = await kcat([...broker, ...saslArgs('SASL_PLAINTEXT', mechanism, 'wrong'), '-L', '-m', '3'])
      expect(bad.code).not.toBe(0)
      expect(bad.stderr).toMatch(/Authentication failed|SASL authentication error/i)
      expect(logs.some((line) => line.includes(`authentication failed: peer 127.0.0.1`) && line.includes(mechanism))).toBe(true)
      expect(server.engine.partition('greetings', 0).logEndOffset).toBe(2)
    },
  )

  it.skipIf(!hasOpenssl)('SCRAM-SHA-256 over TLS (SASL_SSL)', async () => {
    const certs = await makeCertificates()
    const usersFile = await writeUsers({ alice: 'alice-secret' })
    const { port, server } = await startServer({
      usersFile,
      failedAuthLimits: TEST_LIMITS,
      tls: { cert: certs.serverCert, key: certs.serverKey },
    })
    const args = [
      '-b',
      `127.0.0.1:${port}`,
      ...saslArgs('SASL_SSL', 'SCRAM-SHA-256', 'alice-secret'),
      '-X',
      `ssl.ca.location=${certs.files.ca}`,
    ]
    const produced = await kcat([...args, '-t', 'secure', '-P'], 'tls\n')
    expect(produced.code, produced.stderr).toBe(0)
    expect(server.engine.partition('secure', 0).logEndOffset).toBe(1)
  })
})

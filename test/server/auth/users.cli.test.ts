import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assertCliBuilt, CLI_PATH, REPO_ROOT, runCli } from '../../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../../helpers/tmp-dir.js'
import { kafkaFor } from '../kafkajs-client.js'

/** `seglog users` as an operator runs it, and `seglog serve` picking the file up from the data directory. */

beforeAll(() => assertCliBuilt())

const cleanups: (() => unknown)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await removeTmpDirs()
})

const PASSWORD = 'correct horse battery staple'

describe('seglog users', () => {
  it('adds, lists and removes users; the file holds SCRAM keys only, mode 0600', async () => {
    const dir = await makeTmpDir('seglog-users-')
    const added = await runCli(['users', 'add', dir, '--user', 'alice', '--password-stdin'], { input: `${PASSWORD}\n` })
    expect(added.code, added.stderr).toBe(0)
    const file = path.join(dir, 'users.json')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const text = fs.readFileSync(file, 'utf8')
    for (const form of [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(PASSWORD).toString('hex')])
      expect(text).not.toContain(form)
    const alice = JSON.parse(text).users.alice
    expect(Object.keys(alice).sort()).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512'])
    expect(alice['SCRAM-SHA-256']).toEqual({
      salt: expect.any(String),
      iterations: 4096,
      storedKey: expect.any(String),
      serverKey: expect.any(String),
    })
    expect(Buffer.from(alice['SCRAM-SHA-512'].storedKey, 'base64')).toHaveLength(64)

    expect(
      (await runCli(['users', 'add', file, '-u', 'bob', '--password', 'pw', '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192'])).code,
    ).toBe(0)
    const listed = await runCli(['users', 'list', dir])
    expect(listed.stdout).toBe(
      'alice\tSCRAM-SHA-256 (4096 iterations), SCRAM-SHA-512 (4096 iterations)\nbob\tSCRAM-SHA-512 (8192 iterations)\n',
    )
    expect((await runCli(['users', 'remove', dir, '--user', 'bob'])).code).toBe(0)
    expect((await runCli(['users', 'list', dir])).stdout).not.toContain('bob')
    expect((await runCli(['users', 'remove', dir, '--user', 'bob'])).code).toBe(1)
    // No temporary files left beside it.
    expect(fs.readdirSync(dir)).toEqual(['users.json'])
  })

  it('keeps every change when several run at once', async () => {
    const dir = await makeTmpDir('seglog-users-')
    const names = ['u1', 'u2', 'u3', 'u4', 'u5']
    const results = await Promise.all(names.map((name) => runCli(['users', 'add', dir, '--user', name, '--password', name])))
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0, 0])
    const listed = await runCli(['users', 'list', dir])
    expect(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')[0]),
    ).toEqual(names)
  })

  it('refuses bad command lines with exit 2 and a damaged file with exit 1', async () => {
    const dir = await makeTmpDir('seglog-users-')
    expect((await runCli(['users', 'add', dir, '--password', 'x'])).code).toBe(2)
    expect((await runCli(['users', 'add', dir, '--user', 'a'])).code).toBe(2)
    expect((await runCli(['users', 'add', dir, '--user', 'a', '--password', 'x', '--mechanism', 'MD5'])).code).toBe(2)
    expect((await runCli(['users', 'add', dir, '--user', 'a', '--password', 'x', '--iterations', '1000'])).code).toBe(2)
    expect((await runCli(['users', 'add', dir, '--user', 'a,b', '--password', 'x'])).code).toBe(2)
    expect((await runCli(['users', 'rename', dir])).code).toBe(2)
    expect((await runCli(['users', '--help'])).code).toBe(0)
    fs.writeFileSync(path.join(dir, 'users.json'), '{"version": 1, "users": {"a": {"SCRAM-SHA-256": {"iterations": 10}}}}')
    const damaged = await runCli(['users', 'list', dir])
    expect(damaged.code).toBe(1)
    expect(damaged.stderr).toMatch(/users\.json: users\.a\.SCRAM-SHA-256\.iterations/)
  })
})

describe('seglog serve with users', () => {
  it('turns SASL on when the data directory has users.json, and KafkaJS logs in with the password', async () => {
    const dir = await makeTmpDir('seglog-users-')
    expect((await runCli(['users', 'add', dir, '--user', 'alice', '--password-stdin'], { input: PASSWORD })).code).toBe(0)
    const child = spawn(process.execPath, [CLI_PATH, 'serve', dir, '--port', '0', '--flush', 'os'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    })
    cleanups.push(() => child.kill('SIGKILL'))
    const readyLine = await new Promise<string>((resolve, reject) => {
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!)
      })
      child.once('exit', () => reject(new Error('seglog serve exited')))
    })
    const match = /^seglog: listening on 127\.0\.0\.1:(\d+) \(kafka, SASL_PLAINTEXT\), data /.exec(readyLine)
    expect(match, readyLine).not.toBeNull()
    const port = Number(match![1])
    const producer = kafkaFor(port, { sasl: { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORD } }).producer()
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    await producer.send({ topic: 'cli', messages: [{ value: 'ok' }] })
    const wrong = kafkaFor(port, { sasl: { mechanism: 'plain', username: 'alice', password: 'nope' }, retry: { retries: 0 } }).producer()
    await expect(wrong.connect()).rejects.toThrow(/SASL/)
  })
})

describe('seglog serve security options', () => {
  it('refuses a listeners protocol the options do not give, and options that do not go together (exit 2)', async () => {
    const dir = await makeTmpDir('seglog-users-')
    const downgrade = await runCli(['serve', dir, '--port', '0', '--override', 'listeners=SASL_SSL://127.0.0.1:0'])
    expect(downgrade.code).toBe(2)
    expect(downgrade.stderr).toContain('listeners asks for SASL_SSL, but the options give PLAINTEXT')
    expect((await runCli(['serve', dir, '--port', '0', '--tls-cert', path.join(dir, 'none.pem')])).code).toBe(2)
    expect((await runCli(['serve', dir, '--port', '0', '--super-users', 'admin'])).code).toBe(2)
    const missingUsers = await runCli(['serve', dir, '--port', '0', '--users', path.join(dir, 'missing.json')])
    expect(missingUsers.code).toBe(1)
  })
})

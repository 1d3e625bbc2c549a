import { execFileSync, spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, startServer } from './helpers.js'

/**
 * kcat's balanced consumer (`kcat -G`, librdkafka 2.0's consumer group) against the server.
 * Skipped with a message when kcat is not installed.
 */

function hasKcat(): boolean {
  try {
    execFileSync('kcat', ['-V'], { timeout: 5000 })
    return true
  } catch {
    return false
  }
}

const isInstalled = hasKcat()
if (!isInstalled) console.warn('kcat is not installed: skipping the kcat consumer group tests (apt-get install -y kcat)')

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

function kcat(args: string[], input = '', timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '')

describe.skipIf(!isInstalled)('kcat balanced consumer (-G)', () => {
  it('consumes every record, commits its offsets, and a second run of the group resumes from them', async () => {
    const { port, server } = await startServer({ groupInitialRebalanceDelayMs: 100 })
    const broker = `127.0.0.1:${port}`
    await server.engine.createTopic('work', { partitions: 3 })
    const values = Array.from({ length: 150 }, (_, slot) => `v${slot}`)
    const produced = await kcat(
      ['-P', '-b', broker, '-t', 'work', '-K', ':'],
      values.map((value, slot) => `k${slot}:${value}`).join('\n') + '\n',
    )
    expect(produced.code, produced.stderr).toBe(0)

    const group = ['-b', broker, '-G', 'kgroup', 'work', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%p:%o:%s\\n']
    // Two members at once: between them, every record; kcat -e exits when its partitions are at the end.
    const [first, second] = await Promise.all([kcat(group), kcat(group)])
    expect(first.code, first.stderr).toBe(0)
    expect(second.code, second.stderr).toBe(0)
    const consumed = [...lines(first.stdout), ...lines(second.stdout)]
    expect(new Set(consumed.map((line) => line.split(':')[2])).size).toBe(150)
    for (let partition = 0; partition < 3; partition++) {
      const end = server.engine.partition('work', partition).highWatermark
      expect(server.engine.offsets.fetch('kgroup', 'work', partition)?.offset).toBe(end)
    }

    // More records, then the group again: only the new ones.
    await kcat(['-P', '-b', broker, '-t', 'work'], 'late-1\nlate-2\n')
    const again = await kcat(group)
    expect(again.code, again.stderr).toBe(0)
    expect(
      lines(again.stdout)
        .map((line) => line.split(':')[2])
        .sort(),
    ).toEqual(['late-1', 'late-2'])
  }, 90_000)
})

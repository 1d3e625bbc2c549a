import { spawn, type ChildProcessByStdio } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { expect } from 'vitest'
import { BatchScanner } from '../../src/index.js'
import { CLI_PATH, outputLines, REPO_ROOT, type CliResult } from '../helpers/cli.js'

/**
 * A `seglog` child process the test talks to while it runs: write to its stdin and keep it open,
 * watch its output grow, send it signals. (runCli in test/helpers/cli.ts is for commands that run
 * to their end.) Not a test file itself.
 */
export interface CliChild {
  process: ChildProcessByStdio<Writable, Readable, Readable>
  /** Everything written to stdout so far, as bytes (a test may pause reading it). */
  stdout(): Buffer
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `seglog ...args` with a stdin pipe that stays open until the test ends it. */
export function spawnCli(args: readonly string[]): CliChild {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SEGLOG_DEBUG: '', NO_COLOR: '1', CI: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdin.on('error', () => {}) // a child that exits without reading all of it
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  )
  return { process: child, stdout: () => Buffer.concat(stdout), stderr: () => stderr, exited }
}

/** Polls `predicate` every 20 ms; fails with `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * The values of every whole batch in a partition's segment files, read straight from the files:
 * a second, read-only look while the child's engine holds the directory's lock.
 */
export function valuesOnDisk(partitionDir: string): string[] {
  if (!fs.existsSync(partitionDir)) return []
  const values: string[] = []
  for (const name of fs
    .readdirSync(partitionDir)
    .filter((file) => file.endsWith('.log'))
    .sort()) {
    const scanner = new BatchScanner(fs.readFileSync(path.join(partitionDir, name)))
    for (let batch = scanner.next(); batch !== null; batch = scanner.next()) {
      for (const record of batch.records()) values.push(record.value?.toString('utf8') ?? 'null')
    }
  }
  return values
}

/** Complete lines of a byte stream (a partial last line, cut by a kill, is left out). */
export function wholeLines(bytes: Buffer): string[] {
  const text = bytes.toString('utf8')
  const end = text.lastIndexOf('\n')
  return end < 0 ? [] : text.slice(0, end).split('\n')
}

/**
 * A command that failed with exactly one `seglog:` line on stderr (plus the --help hint for a
 * usage error), nothing on stdout and no stack trace. Asserts the exit code, not the wording.
 */
export function expectOneLineError(result: CliResult, code: 1 | 2): string {
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe('')
  const lines = outputLines(result.stderr)
  expect(lines[0]).toMatch(/^seglog: \S/)
  expect(lines.slice(1)).toEqual(code === 2 ? [expect.stringMatching(/^Try 'seglog [a-z]+ --help'$/)] : [])
  return lines[0]!
}

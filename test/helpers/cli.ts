import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { DIST_DIR, REPO_ROOT } from './paths.js'

/**
 * Runs the BUILT `seglog` command (dist/cli/main.js) as a child process, the way a user does.
 * `npm test` builds first; a CLI test file should call `assertCliBuilt()` in beforeAll so a
 * missing build fails with a clear message instead of a spawn error per test.
 */
export { REPO_ROOT }
export const CLI_PATH = path.join(DIST_DIR, 'cli', 'main.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer
  /** Added to (and overriding) the environment the child inherits. */
  env?: NodeJS.ProcessEnv
  cwd?: string
  timeoutMs?: number
}

export function assertCliBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first (npm test does)`)
}

/** `seglog ...args` from the repo root; resolves with the exit code and everything printed. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI_PATH, ...args], options)
}

/** A shell command line (`sh -c`), for pipelines such as `... | head -n 1`. */
export function runShell(script: string, options: RunOptions = {}): Promise<CliResult> {
  return runProcess('sh', ['-c', script], options)
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      // Deterministic output: no debug stacks, no colour, no progress bar.
      env: { ...process.env, SEGLOG_DEBUG: '', NO_COLOR: '1', CI: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') })
    })
    child.stdin.on('error', () => {}) // a child that exits without reading its stdin
    child.stdin.end(options.input)
  })
}

/** The non-empty lines of a command's output. */
export function outputLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

/** Content hash, size and modification time of one file, for "nothing changed" checks. */
export interface FileState {
  sha256: string
  size: number
  mtimeMs: number
}

/**
 * Every file and directory under `dir` (relative paths, sorted) with its state: a read-only
 * command must leave this exactly as it was, including no new files (a lock, a temp file).
 */
export function fileStates(dir: string): Record<string, FileState | 'dir'> {
  const states: Record<string, FileState | 'dir'> = {}
  const names = (readdirSync(dir, { recursive: true }) as string[]).sort()
  for (const name of names) {
    const file = path.join(dir, name)
    const stats = statSync(file)
    states[name] = stats.isDirectory()
      ? 'dir'
      : { sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), size: stats.size, mtimeMs: stats.mtimeMs }
  }
  return states
}

import { EXIT_OK, EXIT_PROBLEMS } from './errors.js'

/**
 * Where command output goes. stdout carries the data (dump lines, JSON lines) and is buffered and
 * written in chunks, waiting for 'drain' when the reader is slower than we are. stderr carries
 * problems, one line each, and the progress bar. A command creates one Output and flushes it before
 * returning; nothing else in the CLI writes to process.stdout directly.
 */

/** A writable stream that may be a terminal (process.stdout and process.stderr are). */
export interface TerminalStream extends NodeJS.WritableStream {
  isTTY?: boolean
  columns?: number
  writableNeedDrain?: boolean
}

export interface OutputOptions {
  stdout?: TerminalStream
  stderr?: TerminalStream
  env?: NodeJS.ProcessEnv
  /** Buffered characters that make `isFull` true. */
  flushChars?: number
}

const DEFAULT_FLUSH_CHARS = 64 * 1024

/** Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org) or TERM=dumb. */
export function isColorEnabled(stream: TerminalStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb'
}

/** A progress bar only on an interactive terminal: not in CI, not when stderr is a file or pipe. */
export function isProgressEnabled(stream: TerminalStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.CI ?? '') === '' && env.TERM !== 'dumb' && (env.SEGLOG_NO_PROGRESS ?? '') === ''
}

export class Output {
  readonly stdout: TerminalStream
  readonly stderr: TerminalStream
  private readonly env: NodeJS.ProcessEnv
  private readonly flushChars: number
  private readonly isStderrColor: boolean
  private pending: string[] = []
  private pendingChars = 0
  private activeProgress: Progress | null = null
  private lastWrite: Promise<boolean> = Promise.resolve(true)

  constructor(options: OutputOptions = {}) {
    this.stdout = options.stdout ?? process.stdout
    this.stderr = options.stderr ?? process.stderr
    this.env = options.env ?? process.env
    this.flushChars = options.flushChars ?? DEFAULT_FLUSH_CHARS
    this.isStderrColor = isColorEnabled(this.stderr, this.env)
  }

  /** Queues one line for stdout (the newline is added). Call `flush()` when `isFull`. */
  line(text: string): void {
    this.pending.push(text, '\n')
    this.pendingChars += text.length + 1
  }

  /** True once enough is buffered that the caller should `await flush()`. */
  get isFull(): boolean {
    return this.pendingChars >= this.flushChars
  }

  /**
   * Writes what is buffered and waits while stdout's own buffer is over its high-water mark (or
   * until `signal` aborts: a reader that stopped reading must not keep Ctrl-C waiting).
   */
  async flush(signal?: AbortSignal): Promise<void> {
    this.writePending()
    if (this.stdout.writableNeedDrain === true) await waitForDrain(this.stdout, signal)
    // Let pending I/O events run: a pipe closed by the reader reports EPIPE as an 'error' event,
    // and a command that never yields would otherwise read a whole file for nobody.
    else await new Promise<void>((resolve) => setImmediate(resolve))
  }

  /**
   * Settles once everything handed to stdout so far has reached it (the write callback, not just
   * the stream's buffer): true if it did, false if stdout failed or closed first. What `consume`
   * commits is bounded by this, so a record is never committed before it has been written.
   */
  written(): Promise<boolean> {
    return this.lastWrite
  }

  /** Characters handed to stdout that it has not written yet (a reader that stopped reading). */
  get unwrittenChars(): number {
    return (this.stdout as { writableLength?: number }).writableLength ?? 0
  }

  /** A line on stderr exactly as given (Kafka-shaped notices such as `Ignoring unknown file f`). */
  notice(text: string): void {
    this.writePending()
    this.activeProgress?.clear()
    this.stderr.write(text + '\n')
  }

  /** `seglog: <message>` on stderr: one line per problem, after the stdout lines before it. */
  problem(message: string): void {
    const prefix = this.isStderrColor ? '\x1b[1;31mseglog:\x1b[0m' : 'seglog:'
    this.notice(`${prefix} ${message}`)
  }

  /**
   * A progress bar for work of `totalBytes`; a no-op unless stderr is an interactive terminal.
   * Call `update` as often as you like (it redraws at most ten times a second) and `finish` at the end.
   */
  progress(label: string, totalBytes: number, unit: ProgressUnit = 'MiB'): Progress {
    const progress = new Progress(this.stderr, label, totalBytes, isProgressEnabled(this.stderr, this.env), this.isStderrColor, unit)
    this.activeProgress = progress
    return progress
  }

  private writePending(): void {
    if (this.pendingChars === 0) return
    // stdout and the bar share the screen when both are the terminal: erase the bar first.
    if (this.stdout.isTTY === true) this.activeProgress?.clear()
    const chunk = this.pending.join('')
    this.pending = []
    this.pendingChars = 0
    if ((isStdoutClosed && this.stdout === process.stdout) || (this.stdout as { destroyed?: boolean }).destroyed === true) {
      this.lastWrite = Promise.resolve(false)
      return
    }
    this.lastWrite = new Promise((resolve) => this.stdout.write(chunk, (error) => resolve(error == null)))
  }
}

function waitForDrain(stream: TerminalStream, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      stream.off('error', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
    stream.on('error', done)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Redraws wait this long between frames. */
const FRAME_MS = 100
/** Work that finishes sooner than this never shows a bar at all. */
const FIRST_FRAME_MS = 400
const BAR_WIDTH_MAX = 40

/** One line on stderr, redrawn in place: `label [#####-----]  45%  123.4/274.0 MiB`. */
/** What a bar counts: bytes (shown in MiB) or records. */
export type ProgressUnit = 'MiB' | 'records'

export class Progress {
  readonly isEnabled: boolean
  private readonly stream: TerminalStream
  private readonly label: string
  private readonly totalBytes: number
  private readonly isColor: boolean
  private readonly unit: ProgressUnit
  private readonly startMs: number
  private lastFrameMs = 0
  private isDrawn = false

  constructor(stream: TerminalStream, label: string, totalBytes: number, isEnabled: boolean, isColor: boolean, unit: ProgressUnit = 'MiB') {
    this.unit = unit
    this.stream = stream
    this.label = label
    this.totalBytes = totalBytes
    this.isEnabled = isEnabled
    this.isColor = isColor
    this.startMs = Date.now()
  }

  update(doneBytes: number): void {
    if (!this.isEnabled) return
    const now = Date.now()
    if (now - this.startMs < FIRST_FRAME_MS || now - this.lastFrameMs < FRAME_MS) return
    this.lastFrameMs = now
    this.stream.write(`\r${this.frame(doneBytes)}\x1b[K`)
    this.isDrawn = true
  }

  /** Erases the bar so other output can use the line; the next update draws it again. */
  clear(): void {
    if (!this.isDrawn) return
    this.stream.write('\r\x1b[K')
    this.isDrawn = false
  }

  finish(): void {
    this.clear()
  }

  private frame(doneBytes: number): string {
    const fraction = this.totalBytes > 0 ? Math.min(1, doneBytes / this.totalBytes) : 1
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
    const amounts =
      this.unit === 'MiB'
        ? `${formatMiB(doneBytes)}/${formatMiB(this.totalBytes)} MiB`
        : `${doneBytes.toLocaleString('en-US')}/${this.totalBytes.toLocaleString('en-US')} records`
    const columns = this.stream.columns || 80
    const barWidth = Math.max(0, Math.min(BAR_WIDTH_MAX, columns - this.label.length - amounts.length - percent.length - 8))
    const filled = Math.round(fraction * barWidth)
    const fill = '#'.repeat(filled)
    const bar = (this.isColor ? `\x1b[36m${fill}\x1b[0m` : fill) + '-'.repeat(barWidth - filled)
    const line = barWidth > 0 ? `${this.label} [${bar}] ${percent}  ${amounts}` : `${this.label} ${percent}`
    return line
  }
}

function formatMiB(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1)
}

let isStdoutClosed = false
let stdoutClosedHandler: (() => void) | null = null

/**
 * Lets a command finish its work when the reader of stdout goes away (`seglog consume … | head`):
 * instead of exiting at once, `handler` is called and later output is dropped, so the command can
 * stop, commit what was written and close the directory cleanly. Returns the unregister function.
 */
export function onStdoutClosed(handler: () => void): () => void {
  stdoutClosedHandler = handler
  return () => {
    if (stdoutClosedHandler === handler) stdoutClosedHandler = null
  }
}

/**
 * Makes a closed stdout a quiet, successful end: `seglog dump big.log | head -n 1` closes the pipe
 * after one line, the next write fails with EPIPE, and the right answer is to stop with exit 0
 * rather than print a stack trace (after the command's onStdoutClosed handler, if it set one).
 * Any other stdout failure is one line on stderr and exit 1.
 */
export function guardStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      if (isStdoutClosed) return
      isStdoutClosed = true
      if (stdoutClosedHandler === null) process.exit(EXIT_OK)
      stdoutClosedHandler()
      return
    }
    process.stderr.write(`seglog: cannot write to stdout: ${error.message}\n`)
    process.exit(EXIT_PROBLEMS)
  })
  // Nowhere is left to report a broken stderr; keep going and let the exit code speak.
  process.stderr.on('error', () => {})
}

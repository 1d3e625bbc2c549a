import readline from 'node:readline'
import type { ProducerRecord, RecordHeader } from '../index.js'
import { UsageError } from './errors.js'

/**
 * The two input formats of `seglog produce`: text lines (optionally `key SEP value`, optionally
 * headers and a TAB first) and length-prefixed binary records. Both end quietly when `signal`
 * aborts, after the records already read from the input: Ctrl-C loses nothing that was read.
 */

export interface LineFormat {
  keySeparator: string | undefined
  hasHeaders: boolean
}

export async function* readLineRecords(
  input: NodeJS.ReadableStream,
  format: LineFormat,
  signal: AbortSignal,
): AsyncGenerator<ProducerRecord> {
  // terminal: false keeps an interactive terminal in its normal mode, where Ctrl-C is a real
  // SIGINT (readline's own terminal mode would turn it into a 'pause') and Ctrl-D ends the input.
  const lines = readline.createInterface({ input, crlfDelay: Infinity, terminal: false })
  const stop = (): void => lines.close()
  if (signal.aborted) stop()
  signal.addEventListener('abort', stop, { once: true })
  try {
    let lineNumber = 0
    for await (const line of lines) {
      lineNumber++
      yield parseLine(line, lineNumber, format)
    }
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

function parseLine(text: string, lineNumber: number, format: LineFormat): ProducerRecord {
  let line = text
  let headers: RecordHeader[] | undefined
  if (format.hasHeaders) {
    const tab = line.indexOf('\t')
    if (tab < 0) throw new UsageError(`line ${lineNumber}: --headers expects 'k1:v1,k2:v2' then a TAB`, 'produce')
    headers = parseHeaders(line.slice(0, tab), lineNumber)
    line = line.slice(tab + 1)
  }
  let key: string | null = null
  const separator = format.keySeparator
  if (separator !== undefined) {
    const at = line.indexOf(separator)
    if (at < 0) throw new UsageError(`line ${lineNumber} has no key separator '${separator}'`, 'produce')
    key = line.slice(0, at)
    line = line.slice(at + separator.length)
  }
  return { key, value: line, ...(headers !== undefined && { headers }) }
}

function parseHeaders(text: string, lineNumber: number): RecordHeader[] {
  if (text === '') return []
  return text.split(',').map((pair) => {
    const colon = pair.indexOf(':')
    if (colon <= 0) throw new UsageError(`line ${lineNumber}: header '${pair}' is not key:value`, 'produce')
    return { key: pair.slice(0, colon), value: Buffer.from(pair.slice(colon + 1), 'utf8') }
  })
}

/** int32 key length, key, int32 value length, value (big-endian; -1 means null). */
export async function* readBinaryRecords(input: NodeJS.ReadableStream, signal: AbortSignal): AsyncGenerator<ProducerRecord> {
  let buffered = Buffer.alloc(0)
  let position = 0
  let records = 0
  for await (const chunk of chunksUntil(input, signal)) {
    buffered = Buffer.concat([buffered.subarray(position), chunk])
    position = 0
    for (;;) {
      const parsed = parseBinaryRecord(buffered, position)
      if (parsed === null) break
      position = parsed.next
      records++
      yield { key: parsed.key, value: parsed.value }
    }
  }
  // Stopped by a signal, a partial record is input that was cut off, not malformed input.
  if (position < buffered.length && !signal.aborted)
    throw new UsageError(
      `--binary input ends with ${buffered.length - position} bytes of a partial record after record ${records}`,
      'produce',
    )
}

/** The input's chunks until its end, or until `signal` aborts (then the chunks already read). */
async function* chunksUntil(input: NodeJS.ReadableStream, signal: AbortSignal): AsyncGenerator<Buffer> {
  const queue: Buffer[] = []
  let isEnded = false
  let failure: unknown = null
  let wake: (() => void) | null = null
  const notify = (): void => {
    const resolve = wake
    wake = null
    resolve?.()
  }
  const onData = (chunk: Buffer | string): void => {
    queue.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    // Backpressure: the producer is slower than a file can be read.
    if (queue.length >= 4) input.pause()
    notify()
  }
  const onEnd = (): void => {
    isEnded = true
    notify()
  }
  const onError = (error: unknown): void => {
    failure = error
    notify()
  }
  input.on('data', onData)
  input.on('end', onEnd)
  input.on('error', onError)
  signal.addEventListener('abort', onEnd, { once: true })
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!
      if (failure !== null) throw failure
      if (isEnded || signal.aborted) return
      input.resume()
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    input.off('data', onData)
    input.off('end', onEnd)
    input.off('error', onError)
    signal.removeEventListener('abort', onEnd)
    input.pause()
  }
}

function parseBinaryRecord(buf: Buffer, position: number): { key: Buffer | null; value: Buffer | null; next: number } | null {
  const key = readField(buf, position)
  if (key === null) return null
  const value = readField(buf, key.next)
  if (value === null) return null
  return { key: key.bytes, value: value.bytes, next: value.next }
}

function readField(buf: Buffer, position: number): { bytes: Buffer | null; next: number } | null {
  if (position + 4 > buf.length) return null
  const length = buf.readInt32BE(position)
  if (length < -1) throw new UsageError(`--binary input has a negative length ${length} at byte ${position}`, 'produce')
  if (length === -1) return { bytes: null, next: position + 4 }
  if (position + 4 + length > buf.length) return null
  return { bytes: Buffer.from(buf.subarray(position + 4, position + 4 + length)), next: position + 4 + length }
}

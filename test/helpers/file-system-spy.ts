import { nodeFileSystem, type LogFileSystem, type OpenMode, type SegmentFile } from '../../src/log/file-system.js'

/**
 * A wrapper around the log's file-system seam (src/log/file-system.ts) for tests: it counts every
 * call by kind and file, and runs hooks before each call that may fail it (throw an errno error)
 * or hold an asynchronous one (return a promise), as Hypercore's failing-storage tests do. Pass
 * `spy.fileSystem` as the `fileSystem` option of a PartitionLog or LogEngine.
 */

export type FileCall = keyof SegmentFile | keyof LogFileSystem

export interface FileCallInfo {
  call: FileCall
  /** The file the call is about (the file opened, for calls on an open file). */
  file: string
  /** 1 for the first call of this kind, 2 for the second, ... */
  nth: number
  /** The call's arguments (after the file, for calls on a path). */
  args: readonly unknown[]
}

/** Runs before a call: throw to fail it; return a promise to hold an asynchronous call until it settles. */
export type FileCallHook = (info: FileCallInfo) => void | Promise<void>

export interface FileSystemSpy {
  readonly fileSystem: LogFileSystem
  /** Calls made so far of the given kinds, on every file or on `file`. */
  count(calls: FileCall | readonly FileCall[], file?: string): number
  /** Adds a hook; the returned function removes it. */
  hook(hook: FileCallHook): () => void
}

const FILE_CALLS = [
  'read',
  'readSync',
  'writev',
  'writeSync',
  'truncateSync',
  'datasync',
  'datasyncSync',
  'sync',
  'syncSync',
  'statSync',
  'closeSync',
] as const
const ASYNC_CALLS: ReadonlySet<FileCall> = new Set<FileCall>(['read', 'writev', 'datasync', 'sync'])

/** The fsync calls of every kind (file data, whole file, directory). */
export const FSYNC_CALLS: readonly FileCall[] = ['datasync', 'datasyncSync', 'sync', 'syncSync']

export function spyFileSystem(base: LogFileSystem = nodeFileSystem): FileSystemSpy {
  const hooks: FileCallHook[] = []
  const counts = new Map<string, number>()
  const bump = (key: string): number => {
    const next = (counts.get(key) ?? 0) + 1
    counts.set(key, next)
    return next
  }
  /** Counts the call and runs the hooks; a promise when one of them holds the call. */
  const before = (call: FileCall, file: string, args: readonly unknown[]): Promise<unknown> | null => {
    const nth = bump(call)
    bump(`${call} ${file}`)
    const held: Promise<void>[] = []
    for (const hook of hooks) {
      const result = hook({ call, file, nth, args })
      if (result !== undefined) held.push(result)
    }
    return held.length > 0 ? Promise.all(held) : null
  }
  const wrapFile = (handle: SegmentFile, file: string): SegmentFile => {
    const wrapped: Record<string, unknown> = {}
    for (const call of FILE_CALLS) {
      const method = (handle[call] as (...args: unknown[]) => unknown).bind(handle)
      wrapped[call] = ASYNC_CALLS.has(call)
        ? async (...args: unknown[]) => {
            const held = before(call, file, args)
            if (held !== null) await held
            return method(...args)
          }
        : (...args: unknown[]) => {
            before(call, file, args)
            return method(...args)
          }
    }
    return wrapped as unknown as SegmentFile
  }
  const fileSystem: LogFileSystem = {
    openSync: (file: string, mode: OpenMode) => {
      before('openSync', file, [mode])
      return wrapFile(base.openSync(file, mode), file)
    },
    readdirSync: (dir) => (before('readdirSync', dir, []), base.readdirSync(dir)),
    existsSync: (file) => (before('existsSync', file, []), base.existsSync(file)),
    renameSync: (from, to) => (before('renameSync', from, [to]), base.renameSync(from, to)),
    unlinkSync: (file) => (before('unlinkSync', file, []), base.unlinkSync(file)),
    mkdirSync: (dir) => (before('mkdirSync', dir, []), base.mkdirSync(dir)),
    readFileSync: (file) => (before('readFileSync', file, []), base.readFileSync(file)),
  }
  return {
    fileSystem,
    count: (calls, file) => {
      let total = 0
      for (const call of typeof calls === 'string' ? [calls] : calls)
        total += counts.get(file === undefined ? call : `${call} ${file}`) ?? 0
      return total
    },
    hook: (hook) => {
      hooks.push(hook)
      return () => {
        const at = hooks.indexOf(hook)
        if (at >= 0) hooks.splice(at, 1)
      }
    },
  }
}

/** An error as `node:fs` throws it, with its errno code. */
export function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure`), { code })
}

/** A hook failing the `nth` call of kind `call` (counting only calls on `file`, if given) with `code`. */
export function failNth(call: FileCall, nth: number, code = 'EIO', file?: string): FileCallHook {
  let seen = 0
  return (info) => {
    if (info.call !== call || (file !== undefined && info.file !== file)) return
    seen++
    if (seen === nth) throw errnoError(code)
  }
}

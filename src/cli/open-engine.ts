import { LogEngine, LogLockedError, SeglogError, type LogEngineOptions } from '../index.js'
import { readLockState } from '../engine/inspect/data-dir.js'

/**
 * LogEngine.open for the commands that write (produce, consume): the same engine, with the one
 * difference that a locked directory is reported with the process that holds it, which is what
 * the user needs to go and stop it.
 */
export async function openEngine(options: LogEngineOptions): Promise<LogEngine> {
  try {
    return await LogEngine.open(options)
  } catch (error) {
    if (error instanceof LogLockedError)
      throw new SeglogError('LOG_LOCKED', describeLocked(options.dir, holderPid(error, options.dir)), { cause: error })
    throw error
  }
}

/** `DIR is locked by process 1234 …`: one line naming the holder when the system can tell. */
export function describeLocked(dir: string, pid: number | null): string {
  if (pid === null)
    return `${dir} is locked by another seglog engine (flock on .lock; this system cannot tell which process holds it); close it first`
  return `${dir} is locked by process ${pid}, another seglog engine (flock on .lock); stop it or wait for it to finish`
}

/** The holder's pid: from the error when the engine records it, else from /proc/locks. */
function holderPid(error: LogLockedError, dir: string): number | null {
  const recorded = (error as { pid?: unknown }).pid
  if (typeof recorded === 'number' && Number.isSafeInteger(recorded) && recorded > 0) return recorded
  const { holderPid: found } = readLockState(dir)
  return typeof found === 'number' ? found : null
}

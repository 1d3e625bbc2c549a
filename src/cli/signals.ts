import os from 'node:os'

/**
 * SIGINT (Ctrl-C) and SIGTERM for commands that must finish their work before they stop: produce
 * appends what it read, consume commits what it printed. The first signal calls `handler`; the
 * handlers are then gone, so a second Ctrl-C ends the process the default way if the tidying up
 * hangs. Returns the function that removes the handlers.
 */
export function onStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
  const remove = (): void => {
    for (const signal of signals) process.off(signal, listener)
  }
  const listener = (signal: NodeJS.Signals): void => {
    remove()
    handler(signal)
  }
  for (const signal of signals) process.on(signal, listener)
  return remove
}

/** The shell's convention for a process ended by a signal: 128 + its number (SIGINT 130, SIGTERM 143). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0)
}

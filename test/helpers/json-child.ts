import { spawn, type ChildProcess } from 'node:child_process'

/**
 * A child process for crash tests: `node SCRIPT '<json config>'`, which reports on stdout one JSON
 * object per line. `onMessage` gets each as it arrives (and may kill the child); `exited` settles
 * when the child is gone, with how it ended and what it wrote to stderr.
 */
export interface JsonChild {
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

export function spawnJsonChild<M>(script: string, config: object, onMessage: (message: M, child: ChildProcess) => void): JsonChild {
  const env = { ...process.env }
  // vitest's loader options are not for a plain ESM child.
  delete env.NODE_OPTIONS
  const child = spawn(process.execPath, [script, JSON.stringify(config)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    for (let newline = stdout.indexOf('\n'); newline >= 0; newline = stdout.indexOf('\n')) {
      const line = stdout.slice(0, newline)
      stdout = stdout.slice(newline + 1)
      onMessage(JSON.parse(line) as M, child)
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stderr }))
  })
  return { child, exited }
}

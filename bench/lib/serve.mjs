// Shared by the benchmarks that talk to a server: `seglog serve` in a child process on an
// ephemeral loopback port, ready once it prints the port it listens on.
import { spawn } from 'node:child_process'

/**
 * Starts `node CLI serve DIR --port 0 ...args` and resolves with the child and its port; rejects
 * if the server exits first. stdout is read for the port, stderr is left to the caller's `stdio`.
 */
export function startServe(cli, dir, args = [], stdio = ['ignore', 'pipe', 'inherit']) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', dir, '--port', '0', ...args], { stdio })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /listening on \S+:(\d+)/.exec(out)
      if (match !== null) resolve({ child, port: Number(match[1]) })
    })
    child.on('close', (code) => reject(new Error(`seglog serve exited with ${code}`)))
  })
}

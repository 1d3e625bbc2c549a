// The clean open of a data directory of many partitions (one small segment each, closed cleanly),
// two builds alternated (A B, B A, ...), each open in a fresh process. Prints per build the
// median (min-max) of the open's wall-clock and CPU time (process.cpuUsage: the thread pool's
// work counts too) and, with --strace, the system calls per partition of one more open of each
// under `strace -f -y`: those naming a partition's files, and all of the process's (Node's
// start-up and module loading included, so only the difference between builds says much).
//
//   npm run build && cp -r dist tmp/seglog-before   (then make the change and build again)
//   node bench/open-partitions.mjs --a tmp/seglog-before --b dist [--partitions 1000] [--runs 5] [--strace] [--close]
//
// --close: each child closes the engine right after its open, with nothing written in between, and
// times the close too (the opens then follow a close, whose writeback may still run).
//
// The directory is written once, by build A, and closed cleanly. Each child opens it and exits
// without closing (the process's exit releases the lock), so no close's writeback competes with
// the next open; the parent then puts back the clean-shutdown marker the open removed. A clean
// open writes only the engine's checkpoint files (the same content), so every run opens the
// same directory.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { option } from './lib/options.mjs'

const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'
/** --close: each child also closes the engine right after the open (nothing written in between) and times that. */
const closes = process.argv.includes('--close')
const quiet = { flush: 'os', onWarning: () => undefined }

async function importEngine(dist) {
  return (await import(pathToFileURL(path.join(path.resolve(dist), 'index.js')).href)).LogEngine
}

/** In the child: one timed open, its figures on stdout as one JSON line. */
async function child(dist, dir) {
  const LogEngine = await importEngine(dist)
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  const engine = await LogEngine.open({ dir, ...quiet })
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  const partitions = engine.partitions('s').length
  let closeSeconds = null
  if (process.argv.includes('--close')) {
    const closeStarted = process.hrtime.bigint()
    await engine.close()
    closeSeconds = Number(process.hrtime.bigint() - closeStarted) / 1e9
  }
  process.stdout.write(JSON.stringify({ wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, partitions, closeSeconds }) + '\n')
  process.exit(0)
}

async function writeDirectory(dist, dir, partitions) {
  const LogEngine = await importEngine(dist)
  const engine = await LogEngine.open({ dir, ...quiet })
  await engine.createTopic('s', { partitions })
  for (const log of engine.partitions('s')) await log.appendRecords([{ value: Buffer.alloc(100, 0x61) }])
  await engine.close()
}

function runChild(dist, dir, stracePath) {
  const script = new URL(import.meta.url).pathname
  const nodeArgs = [script, '--child', '--dist', dist, '--dir', dir, ...(closes && stracePath === null ? ['--close'] : [])]
  const result =
    stracePath === null
      ? spawnSync(process.execPath, nodeArgs, { encoding: 'utf8' })
      : spawnSync('strace', ['-f', '-y', '-o', stracePath, process.execPath, ...nodeArgs], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`open with ${dist} failed: ${result.stderr}`)
  // The open removed the marker (a close writes it back); nothing else it changed differs from the closed state.
  if (!closes || stracePath !== null)
    fs.writeFileSync(path.join(dir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, closedAt: Date.now() }) + '\n')
  return JSON.parse(result.stdout.trim().split('\n').pop())
}

/**
 * Calls per name in a full `strace -f -y` trace: all of them, and those naming a file or directory
 * of a partition (`/s-<n>`; -y prints a descriptor's path), which leaves out Node's start-up and
 * the engine's own files.
 */
function readTrace(file) {
  const all = {}
  const partition = {}
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^\d+\s+([a-z0-9_]+)\(/.exec(line)
    if (match === null) continue
    const name = match[1]
    all[name] = (all[name] ?? 0) + 1
    if (/\/s-\d+[/>"]/.test(line)) partition[name] = (partition[name] ?? 0) + 1
  }
  return { all, partition }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function spread(values, digits) {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
}

async function main() {
  if (process.argv.includes('--child')) return child(option('dist'), option('dir'))
  const builds = { a: option('a', 'dist'), b: option('b', 'dist') }
  const partitions = Number(option('partitions', 1000))
  const runs = Number(option('runs', 5))
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-bench-open-'))
  const dir = path.join(root, 'data')
  try {
    await writeDirectory(builds.a, dir, partitions)
    execFileSync('sync')
    const figures = { a: { wall: [], cpu: [], close: [] }, b: { wall: [], cpu: [], close: [] } }
    for (let run = 0; run < runs; run++) {
      for (const side of run % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
        const result = runChild(builds[side], dir, null)
        if (result.partitions !== partitions) throw new Error(`${builds[side]} opened ${result.partitions} partitions`)
        figures[side].wall.push(result.wallSeconds)
        figures[side].cpu.push(result.cpuSeconds)
        if (result.closeSeconds !== null) figures[side].close.push(result.closeSeconds)
      }
    }
    console.log(`clean open of ${partitions} partitions, ${runs} runs each, median (min–max)`)
    for (const side of ['a', 'b']) {
      const close = closes ? `; then close, wall ${spread(figures[side].close, 3)} s` : ''
      console.log(`${side} ${builds[side]}: wall ${spread(figures[side].wall, 3)} s, CPU ${spread(figures[side].cpu, 3)} s${close}`)
    }
    if (process.argv.includes('--strace')) {
      const traces = {}
      for (const side of ['a', 'b']) {
        const file = path.join(root, `strace-${side}.txt`)
        runChild(builds[side], dir, file)
        traces[side] = readTrace(file)
      }
      for (const kind of ['partition', 'all']) {
        const counts = { a: traces.a[kind], b: traces.b[kind] }
        const names = [...new Set([...Object.keys(counts.a), ...Object.keys(counts.b)])]
        const rows = names
          .map((name) => ({ name, a: counts.a[name] ?? 0, b: counts.b[name] ?? 0 }))
          .filter((row) => Math.max(row.a, row.b) >= partitions / 2)
          .sort((x, y) => y.a - x.a || y.b - x.b)
        const total = (side) => Object.values(counts[side]).reduce((sum, count) => sum + count, 0)
        const what = kind === 'partition' ? "naming a partition's files" : 'of the whole process (start-up included)'
        console.log(`system calls per partition ${what}, one open under strace -f: a ${builds.a} / b ${builds.b}`)
        for (const row of rows)
          console.log(`  ${row.name.padEnd(16)} ${(row.a / partitions).toFixed(2)} / ${(row.b / partitions).toFixed(2)}`)
        console.log(`  ${'total'.padEnd(16)} ${(total('a') / partitions).toFixed(2)} / ${(total('b') / partitions).toFixed(2)}`)
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

await main()

// Writing many one-record segments into one partition (every append after the first rolls, flush
// `os`), then closing right after: wall-clock and CPU seconds (process.cpuUsage, thread pool
// included) of each step, one run per process so each build starts fresh. Alternate builds from
// the shell:
//
//   for run in 1 2 3 4 5; do for build in tmp/seglog-before dist; do
//     node bench/roll-write.mjs --dist $build --segments 10000; done; done
//
// Prints one JSON line: { dist, segments, writeWall, writeCpu, writeSystem, closeWall, closeCpu, closeSystem }
// (CPU: user and system time; system: the kernel's part of it).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { option } from './lib/options.mjs'

const dist = path.resolve(option('dist', 'dist'))
const segments = Number(option('segments', 2000))
const { LogEngine } = await import(path.join(dist, 'index.js'))

function cpuSeconds() {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

function systemSeconds() {
  return process.cpuUsage().system / 1e6
}

async function timed(work) {
  const wall = performance.now()
  const cpu = cpuSeconds()
  const system = systemSeconds()
  await work()
  return { wall: (performance.now() - wall) / 1000, cpu: cpuSeconds() - cpu, system: systemSeconds() - system }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'roll-write-'))
try {
  const engine = await LogEngine.open({ dir: root, flush: 'os', onWarning: () => undefined })
  await engine.createTopic('s', { partitions: 1, segmentBytes: 100 })
  const log = engine.partition('s', 0)
  const record = { value: Buffer.alloc(100, 7) }
  const write = await timed(async () => {
    for (let count = 0; count < segments; count++) await log.appendRecords([record])
  })
  const close = await timed(() => engine.close())
  const round = (value) => Math.round(value * 1000) / 1000
  console.log(
    JSON.stringify({
      dist: path.basename(dist),
      segments,
      writeWall: round(write.wall),
      writeCpu: round(write.cpu),
      writeSystem: round(write.system),
      closeWall: round(close.wall),
      closeCpu: round(close.cpu),
      closeSystem: round(close.system),
    }),
  )
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}

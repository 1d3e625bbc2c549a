// appendBatch of one pre-encoded 1000-record batch, over and over: a broker's produce path (CRC
// check, offsets assigned in place, one write per append) with nothing else in the loop.
//   node bench/append-batch.mjs [DIST_DIR] [--segment-bytes N] [--appends N]
// DIST_DIR (default ./dist) lets two builds be compared in one run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  return at < 0 ? fallback : Number(args[at + 1])
}
const distDir = path.resolve(args[0] !== undefined && !args[0].startsWith('--') ? args[0] : 'dist')
const segmentBytes = option('--segment-bytes', 1024 * 1024 * 1024)
const appends = option('--appends', 2000)

const { LogEngine, encodeBatch } = await import(pathToFileURL(path.join(distDir, 'index.js')).href)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-append-batch-'))
try {
  const engine = await LogEngine.open({ dir, flush: 'os' })
  await engine.createTopic('t', { partitions: 1, segmentBytes })
  const log = engine.partition('t', 0)
  const encoded = encodeBatch(Array.from({ length: 1000 }, (_, slot) => ({ value: Buffer.alloc(100, slot) })))
  for (let warm = 0; warm < 200; warm++) await log.appendBatch(encoded)
  const start = process.hrtime.bigint()
  for (let append = 0; append < appends; append++) await log.appendBatch(encoded)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(
    `${distDir}: ${((appends * encoded.length) / seconds / 1e6).toFixed(0)} MB/s, ${((seconds / appends) * 1e6).toFixed(1)} µs per append of ${encoded.length} bytes (segmentBytes ${segmentBytes})`,
  )
  await engine.close()
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

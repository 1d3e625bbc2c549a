import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { LogEngine, type LogEngineOptions } from '../../src/engine/log-engine.js'
import type { PartitionLog } from '../../src/log/partition-log.js'
import { BatchScanner } from '../../src/record/batch-scanner.js'
export { seededRandom as prng } from '../../src/cli/bench/seeded-random.js'

/** Shared pieces of the consumer tests: a seeded PRNG, engine openers, and a batch counter. */

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const DIST_INDEX = path.join(REPO_ROOT, 'dist', 'index.js')

/** Child processes import dist/: fail clearly when it is missing, warn when it looks older than src/consumer. */
export function assertBuilt(): void {
  if (!fs.existsSync(DIST_INDEX)) {
    throw new Error(`${DIST_INDEX} is missing: these tests run the BUILT engine in child processes; run \`npm run build\` first (npm test does)`)
  }
  const stale: string[] = []
  for (const folder of ['consumer', 'engine', 'log']) {
    for (const name of fs.readdirSync(path.join(REPO_ROOT, 'src', folder))) {
      if (!name.endsWith('.ts')) continue
      const built = path.join(REPO_ROOT, 'dist', folder, name.replace(/\.ts$/, '.js'))
      if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(REPO_ROOT, 'src', folder, name)).mtimeMs) stale.push(`src/${folder}/${name}`)
    }
  }
  if (stale.length > 0) console.warn(`dist/ looks older than ${stale.join(', ')}; the child processes run dist/, so run \`npm run build\``)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Opens an engine that collects its warnings instead of printing them. */
export async function openEngine(dir: string, options: Omit<LogEngineOptions, 'dir'> = {}): Promise<{ engine: LogEngine; warnings: string[] }> {
  const warnings: string[] = []
  const engine = await LogEngine.open({ dir, onWarning: (message) => warnings.push(message), ...options })
  return { engine, warnings }
}

/** Appends `count` records with values `${prefix}${n}` to one partition, in batches of `perBatch`. */
export async function fill(log: PartitionLog, count: number, options: { perBatch?: number; timestamp?: (n: number) => number; prefix?: string } = {}): Promise<void> {
  const perBatch = options.perBatch ?? 100
  const start = log.logEndOffset
  for (let done = 0; done < count; done += perBatch) {
    const records = []
    for (let n = done; n < Math.min(count, done + perBatch); n++) {
      records.push({ key: null, value: Buffer.from(`${options.prefix ?? 'v'}${start + n}`), timestamp: options.timestamp?.(start + n) ?? Date.now() })
    }
    await log.appendRecords(records)
  }
}

/** Every batch of a partition as (baseOffset, record count), read straight from the log. */
export async function batchesOf(log: PartitionLog): Promise<{ baseOffset: number; count: number }[]> {
  const batches: { baseOffset: number; count: number }[] = []
  for await (const batch of log.batches({ from: log.logStartOffset, to: log.logEndOffset })) {
    batches.push({ baseOffset: batch.baseOffset, count: batch.lastOffset - batch.baseOffset + 1 })
  }
  return batches
}

/** Raw batch count of a buffer (for logs read with readRaw). */
export function countBatches(bytes: Buffer): number {
  const scanner = new BatchScanner(bytes)
  let count = 0
  while (scanner.next() !== null) count++
  return count
}

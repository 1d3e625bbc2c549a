import { createRequire } from 'node:module'
import { Bench } from 'tinybench'
import { codecForName, type Codec, type CompressionName } from '../../src/compression/index.js'
import { seededRandom } from '../../src/seeded-random.js'

/**
 * Compress and decompress throughput of every codec on two seeded inputs, like Kafka's
 * BaseRecordBatchBenchmark: (a) JSON-like records, 1000 objects of about 100 bytes concatenated,
 * and (b) random bytes of the same size. MB/s counts uncompressed bytes (10^6 per MB) in both
 * directions. ops/s and MB/s come from the median latency, "best MB/s" from the fastest sample,
 * which is the steadier figure on a shared machine. One extra row runs the lz4 package's raw block encoder over the same 64 KiB blocks
 * with no framing: the ceiling our LZ4 frame writer can reach.
 *
 *   npm run bench:micro -- compression        SEGLOG_BENCH_MS=2000 for longer runs per task
 */

const CODECS: CompressionName[] = ['gzip', 'snappy', 'lz4', 'zstd']
const RECORD_COUNT = 1000
const TIME_MS = Number(process.env['SEGLOG_BENCH_MS'] ?? 500)

interface Row {
  readonly name: string
  readonly opsPerSecond: number
  readonly megabytesPerSecond: number
  readonly bestMegabytesPerSecond: number
  readonly ratio: string
}

export async function run(): Promise<void> {
  const payloads: Record<string, Buffer> = { json: jsonRecords(RECORD_COUNT, 42) }
  payloads['random'] = randomBytes(payloads['json']!.length, 43)

  const bench = new Bench({ time: TIME_MS, warmupTime: Math.min(200, TIME_MS) })
  const inputBytes = new Map<string, number>()
  const ratios = new Map<string, string>()
  for (const [payloadName, payload] of Object.entries(payloads)) {
    for (const name of CODECS) {
      const codec = codecForName(name)
      const compressed = codec.compress(payload)
      const ratio = (payload.length / compressed.length).toFixed(2)
      addTask(bench, `${name} compress ${payloadName}`, payload.length, ratio, () => codec.compress(payload), inputBytes, ratios)
      addTask(
        bench,
        `${name} decompress ${payloadName}`,
        payload.length,
        ratio,
        () => decompress(codec, compressed, payload.length),
        inputBytes,
        ratios,
      )
    }
    addTask(bench, `lz4 raw blocks, no frame (ceiling) ${payloadName}`, payload.length, '', rawLz4Blocks(payload), inputBytes, ratios)
  }

  console.log(`compression: ${payloads['json']!.length} bytes per op (${RECORD_COUNT} JSON records, or random), ${TIME_MS} ms per task`)
  await bench.run()

  const rows: Row[] = []
  for (const task of bench.tasks) {
    const result = task.result
    if (result.state !== 'completed')
      throw new Error(`${task.name}: ${result.state}`, { cause: 'error' in result ? result.error : undefined })
    const bytes = inputBytes.get(task.name)!
    const opsPerSecond = 1000 / result.latency.p50
    rows.push({
      name: task.name,
      opsPerSecond,
      megabytesPerSecond: (opsPerSecond * bytes) / 1e6,
      bestMegabytesPerSecond: ((1000 / result.latency.min) * bytes) / 1e6,
      ratio: ratios.get(task.name)!,
    })
  }
  printTable(rows)
}

function addTask(
  bench: Bench,
  name: string,
  size: number,
  ratio: string,
  fn: () => unknown,
  inputBytes: Map<string, number>,
  ratios: Map<string, string>,
): void {
  bench.add(name, fn)
  inputBytes.set(name, size)
  ratios.set(name, ratio)
}

function decompress(codec: Codec, compressed: Buffer, size: number): Buffer {
  return codec.decompress(compressed, size)
}

/** The lz4 package's encodeBlock over 64 KiB blocks into a reused buffer: no header, no copy out. */
function rawLz4Blocks(payload: Buffer): () => number {
  const lz4 = createRequire(import.meta.url)('lz4') as typeof import('lz4')
  const out = Buffer.allocUnsafe(lz4.encodeBound(64 * 1024))
  return () => {
    let written = 0
    for (let start = 0; start < payload.length; start += 64 * 1024) {
      written += lz4.encodeBlock(payload.subarray(start, Math.min(start + 64 * 1024, payload.length)), out)
    }
    return written
  }
}

function printTable(rows: Row[]): void {
  const nameWidth = Math.max(...rows.map((row) => row.name.length))
  console.log(
    `${'task'.padEnd(nameWidth)}  ${'ops/s'.padStart(8)}  ${'MB/s'.padStart(8)}  ${'best MB/s'.padStart(9)}  ${'ratio'.padStart(5)}`,
  )
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(nameWidth)}  ${row.opsPerSecond.toFixed(0).padStart(8)}  ${row.megabytesPerSecond.toFixed(0).padStart(8)}  ` +
        `${row.bestMegabytesPerSecond.toFixed(0).padStart(9)}  ${row.ratio.padStart(5)}`,
    )
  }
}

/** `count` JSON objects of about 100 bytes each, concatenated, the shape of a typical event stream. */
function jsonRecords(count: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const events = ['page_view', 'click', 'add_to_cart', 'purchase', 'signup', 'logout']
  const countries = ['DE', 'US', 'FR', 'BR', 'IN', 'JP', 'GB']
  const records: string[] = []
  for (let slot = 0; slot < count; slot++) {
    records.push(
      JSON.stringify({
        id: 1_000_000 + slot,
        user: `u${Math.floor(random() * 100_000)}`,
        event: events[Math.floor(random() * events.length)],
        country: countries[Math.floor(random() * countries.length)],
        ts: 1_700_000_000_000 + slot * 37 + Math.floor(random() * 30),
        amount: Math.round(random() * 100_000) / 100,
      }),
    )
  }
  return Buffer.from(records.join(''))
}

function randomBytes(size: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const out = Buffer.allocUnsafe(size)
  for (let position = 0; position < size; position++) out[position] = Math.floor(random() * 256)
  return out
}

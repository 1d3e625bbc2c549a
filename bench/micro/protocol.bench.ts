import { Bench } from 'tinybench'
import { seededRandom } from '../../src/seeded-random.js'
import { decodeRequest, encodeRequest, encodeResponse } from '../../src/server/protocol/index.js'

/**
 * Kafka protocol codec hot paths: decoding a Produce request and encoding a Fetch response that
 * carry 1 MiB of record batches, in one partition and spread over 64. Record sets are slices on
 * decode and pass-through chunks on encode, so the figures should not depend on their size; the
 * MB/s column counts the record bytes. Inputs are seeded and built outside the timed functions.
 */

const RECORDS_SIZE = 1024 * 1024
const PARTITIONS = 64
const TIME_MS = Number(process.env.SEGLOG_BENCH_MS ?? 1000)

function produceFrame(version: number, sets: Buffer[]): Buffer {
  const partitionData = sets.map((records, index) => ({ index, records }))
  const chunks = encodeRequest(
    'Produce',
    version,
    { correlationId: 1, clientId: 'bench' },
    { acks: -1, timeoutMs: 30_000, topicData: [{ name: 'orders', partitionData }] },
  )
  return Buffer.concat(chunks).subarray(4)
}

function fetchBody(sets: Buffer[]) {
  const partitions = sets.map((records, partitionIndex) => ({
    partitionIndex,
    highWatermark: 1_000_000,
    lastStableOffset: 1_000_000,
    logStartOffset: 0,
    records,
  }))
  return { responses: [{ topic: 'orders', partitions }] }
}

export async function run(): Promise<void> {
  const random = seededRandom(0x9a0c01)
  const whole = Buffer.allocUnsafe(RECORDS_SIZE)
  for (let position = 0; position < RECORDS_SIZE; position++) whole[position] = Math.floor(random() * 256)
  const split: Buffer[] = []
  for (let slot = 0; slot < PARTITIONS; slot++)
    split.push(whole.subarray(slot * (RECORDS_SIZE / PARTITIONS), (slot + 1) * (RECORDS_SIZE / PARTITIONS)))

  const produceV7 = produceFrame(7, [whole])
  const produceV9 = produceFrame(9, [whole])
  const produceV9Split = produceFrame(9, split)
  const fetchWhole = fetchBody([whole])
  const fetchSplit = fetchBody(split)
  // Results go somewhere the optimiser cannot see through.
  let sink = 0

  const bench = new Bench({ time: TIME_MS, warmup: true })
  bench.add('decode Produce v7, 1 partition x 1 MiB', () => {
    sink += decodeRequest(produceV7).apiVersion
  })
  bench.add('decode Produce v9, 1 partition x 1 MiB', () => {
    sink += decodeRequest(produceV9).apiVersion
  })
  bench.add('decode Produce v9, 64 partitions x 16 KiB', () => {
    sink += decodeRequest(produceV9Split).apiVersion
  })
  bench.add('encode Fetch v11, 1 partition x 1 MiB', () => {
    sink += encodeResponse('Fetch', 11, 1, fetchWhole).length
  })
  bench.add('encode Fetch v12, 1 partition x 1 MiB', () => {
    sink += encodeResponse('Fetch', 12, 1, fetchWhole).length
  })
  bench.add('encode Fetch v12, 64 partitions x 16 KiB', () => {
    sink += encodeResponse('Fetch', 12, 1, fetchSplit).length
  })

  await bench.run()

  const rows = bench.tasks.map((task) => {
    const result = task.result
    if (result.state !== 'completed') return { case: task.name, 'ops/s': result.state, 'mean µs': '', 'record MB/s': '' }
    const opsPerSecond = result.throughput.mean
    return {
      case: task.name,
      'ops/s': opsPerSecond >= 1e3 ? `${(opsPerSecond / 1e3).toFixed(1)} k` : opsPerSecond.toFixed(0),
      'mean µs': (1e6 / opsPerSecond).toFixed(2),
      'record MB/s': ((opsPerSecond * RECORDS_SIZE) / 1e6).toFixed(0),
      'rme %': result.throughput.rme.toFixed(1),
    }
  })
  console.log(`protocol codec (record sets of ${RECORDS_SIZE} B, passed through; sink ${sink % 10})`)
  console.table(rows)
}

import { Bench } from 'tinybench'
import { crc32c, crc32cImplementation, crc32cJs } from '../../src/record/crc32c.js'
import { RecordBatch } from '../../src/record/record-batch.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { RecordView, visitRecords } from '../../src/record/batch-visitor.js'
import type { RecordInput } from '../../src/record/record.js'
import { readVarint, writeVarint } from '../../src/record/varint.js'
import { seededRandom } from '../../src/seeded-random.js'

/**
 * Record codec hot paths: encode and decode-and-iterate of 1000-record batches (100-byte values),
 * uncompressed and lz4; CRC-32C over 1 MiB and 4 KiB, native and JavaScript; zigzag varint encode and decode. Inputs are seeded, so
 * runs compare. Setup stays outside the timed functions.
 *
 * Targets: encode ≥ 3 M records/s uncompressed, decode-and-iterate ≥ 5 M records/s.
 */

const RECORDS_PER_BATCH = 1000
const VALUE_SIZE = 100
const CRC_INPUT_SIZE = 1024 * 1024
const VARINTS_PER_OP = 1000
const TIME_MS = Number(process.env.SEGLOG_BENCH_MS ?? 1000)
const NOW = 1_700_000_000_000

const WORDS = [
  'order',
  'id',
  'customer',
  'status',
  'shipped',
  'pending',
  'total',
  'eur',
  'usd',
  'item',
  'sku',
  'qty',
  'warehouse',
  'berlin',
  'lisbon',
  'osaka',
  'true',
  'false',
  'null',
  'created',
  'updated',
  'at',
  'price',
  'tax',
]

/** Text-like values: seeded words from a small vocabulary, so lz4 finds matches as it would in JSON payloads. */
function buildRecords(random: () => number): RecordInput[] {
  const records: RecordInput[] = []
  for (let slot = 0; slot < RECORDS_PER_BATCH; slot++) {
    let text = ''
    while (text.length < VALUE_SIZE) text += `${WORDS[Math.floor(random() * WORDS.length)]}${Math.floor(random() * 1000)} `
    records.push({ key: null, value: Buffer.from(text.slice(0, VALUE_SIZE)), timestamp: NOW + slot })
  }
  return records
}

/** Mixed sizes: mostly 1-2 byte lengths and deltas, some 3-5 byte values and negatives. */
function buildVarints(random: () => number): Int32Array {
  const values = new Int32Array(VARINTS_PER_OP)
  for (let slot = 0; slot < VARINTS_PER_OP; slot++) {
    const roll = random()
    values[slot] =
      roll < 0.6 ? Math.floor(random() * 64) : roll < 0.9 ? Math.floor(random() * 8192) : Math.floor((random() - 0.5) * 2 ** 31)
  }
  return values
}

interface CaseInfo {
  /** Records handled by one call, for records/s. */
  records: number
  /** Bytes handled by one call (uncompressed record bytes for batch cases), for MB/s. */
  bytes: number
}

export async function run(): Promise<void> {
  const random = seededRandom(0x5e6106)
  const records = buildRecords(random)
  const plain = encodeBatch(records, { now: NOW })
  const lz4 = encodeBatch(records, { compression: 'lz4', now: NOW })
  const crcInput = Buffer.allocUnsafe(CRC_INPUT_SIZE)
  for (let position = 0; position < CRC_INPUT_SIZE; position++) crcInput[position] = Math.floor(random() * 256)
  const varints = buildVarints(random)
  const varintBuffer = Buffer.alloc(VARINTS_PER_OP * 5)
  let varintBytes = 0
  for (let slot = 0; slot < VARINTS_PER_OP; slot++) varintBytes = writeVarint(varintBuffer, varints[slot]!, varintBytes)
  const cursor = { position: 0 }

  const batchInfo: CaseInfo = { records: RECORDS_PER_BATCH, bytes: plain.length }
  const info = new Map<string, CaseInfo>()
  // Results go somewhere the optimiser cannot see through.
  let sink = 0

  const bench = new Bench({ time: TIME_MS, warmup: true })
  const add = (name: string, caseInfo: CaseInfo, fn: () => void): void => {
    info.set(name, caseInfo)
    bench.add(name, fn)
  }

  add('encode 1000 x 100 B, none', batchInfo, () => {
    sink += encodeBatch(records, { now: NOW }).length
  })
  add('encode 1000 x 100 B, lz4', batchInfo, () => {
    sink += encodeBatch(records, { compression: 'lz4', now: NOW }).length
  })
  add('decode + iterate 1000 x 100 B, none', batchInfo, () => {
    for (const record of new RecordBatch(plain).records()) sink += record.value === null ? 0 : record.value.length
  })
  add('decode + iterate 1000 x 100 B, lz4', batchInfo, () => {
    for (const record of new RecordBatch(lz4).records()) sink += record.value === null ? 0 : record.value.length
  })
  // The consumer's path: one pass into an array, no iterator result per record.
  add('decode into an array 1000 x 100 B, none', batchInfo, () => {
    for (const record of new RecordBatch(plain).toArray()) sink += record.value === null ? 0 : record.value.length
  })
  // Positions only, no object or Buffer per record.
  const view = new RecordView()
  const visit = (record: RecordView): void => {
    sink += record.valueLength
  }
  add('visit 1000 x 100 B, none', batchInfo, () => {
    visitRecords(new RecordBatch(plain), visit, undefined, view)
  })
  // The dispatching crc32c (native above a threshold) against the JavaScript table alone.
  add(`crc32c 1 MiB (crc32c, ${crc32cImplementation})`, { records: 0, bytes: CRC_INPUT_SIZE }, () => {
    sink += crc32c(crcInput)
  })
  add('crc32c 1 MiB (js)', { records: 0, bytes: CRC_INPUT_SIZE }, () => {
    sink += crc32cJs(crcInput)
  })
  const smallCrcInput = crcInput.subarray(0, 4096)
  add(`crc32c 4 KiB (crc32c, ${crc32cImplementation})`, { records: 0, bytes: smallCrcInput.length }, () => {
    sink += crc32c(smallCrcInput)
  })
  add('crc32c 4 KiB (js)', { records: 0, bytes: smallCrcInput.length }, () => {
    sink += crc32cJs(smallCrcInput)
  })
  add('varint encode x 1000', { records: 0, bytes: varintBytes }, () => {
    let position = 0
    for (let slot = 0; slot < VARINTS_PER_OP; slot++) position = writeVarint(varintBuffer, varints[slot]!, position)
    sink += position
  })
  add('varint decode x 1000', { records: 0, bytes: varintBytes }, () => {
    cursor.position = 0
    for (let slot = 0; slot < VARINTS_PER_OP; slot++) sink += readVarint(varintBuffer, cursor, varintBytes)
  })

  await bench.run()

  const rows = bench.tasks.map((task) => {
    const result = task.result
    const caseInfo = info.get(task.name)!
    if (result.state !== 'completed') return { case: task.name, 'ops/s': result.state, 'records/s': '', 'MB/s': '' }
    const opsPerSecond = result.throughput.mean
    return {
      case: task.name,
      'ops/s': format(opsPerSecond),
      'records/s': caseInfo.records === 0 ? '' : format(opsPerSecond * caseInfo.records),
      'MB/s': ((opsPerSecond * caseInfo.bytes) / 1e6).toFixed(1),
      'rme %': result.throughput.rme.toFixed(1),
    }
  })
  console.log(`record codec (batch ${plain.length} B uncompressed, ${lz4.length} B lz4; MB/s counts uncompressed bytes; sink ${sink % 10})`)
  console.table(rows)
}

function format(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`
  return value.toFixed(0)
}

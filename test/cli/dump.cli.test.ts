import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeTransactionMarker } from '../../src/record/control-record.js'
import { encodeBatch, writeBatchCrc, type EncodeBatchOptions } from '../../src/record/batch-encoder.js'
import type { RecordInput } from '../../src/record/record.js'
import { assertCliBuilt, CLI_PATH, REPO_ROOT, runCli, runShell } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { buildClosedPartition, buildCrashedPartition } from './damaged-data.js'
import { batchPositions, segmentFile } from './engine-data.js'

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

const T0 = 1_700_000_000_000

interface WrittenBatch {
  records: RecordInput[]
  options: EncodeBatchOptions
  bytes: Buffer
  position: number
}

/**
 * The known segment: the spec's worked 'hello' batch, batches with headers and every codec, a
 * transactional batch and a COMMIT marker (the spec's example, moved to offset 9: the CRC does not
 * cover the base offset, so it stays 0xfc84b034).
 */
function knownBatches(): WrittenBatch[] {
  const specs: { records: RecordInput[]; options: EncodeBatchOptions }[] = [
    { records: [{ key: null, value: Buffer.from('hello'), timestamp: T0 }], options: { baseOffset: 0, partitionLeaderEpoch: 0 } },
    {
      records: [
        {
          key: Buffer.from('k1'),
          value: Buffer.from('v1'),
          timestamp: T0 + 1,
          headers: [
            { key: 'trace', value: Buffer.from('abc') },
            { key: 'empty', value: null },
          ],
        },
        { key: Buffer.from('k2'), value: null, timestamp: T0 + 2 },
      ],
      options: { baseOffset: 1, partitionLeaderEpoch: 4 },
    },
    {
      records: [0, 1, 2].map((slot) => ({
        key: Buffer.from(`g${slot}`),
        value: Buffer.from(`gzip value ${slot}`.repeat(5)),
        timestamp: T0 + 10 + slot,
      })),
      options: { baseOffset: 3, compression: 'gzip', producerId: 1000, producerEpoch: 2, baseSequence: 7, isTransactional: true },
    },
    {
      records: [{ key: Buffer.from('s'), value: Buffer.from('snappy snappy snappy'), timestamp: T0 + 20 }],
      options: { baseOffset: 6, compression: 'snappy' },
    },
    {
      records: [{ key: Buffer.from('l'), value: Buffer.from('lz4 lz4 lz4 lz4'), timestamp: T0 + 21 }],
      options: { baseOffset: 7, compression: 'lz4' },
    },
    {
      records: [{ key: Buffer.from('z'), value: Buffer.from('zstd zstd zstd'), timestamp: T0 + 22 }],
      options: { baseOffset: 8, compression: 'zstd' },
    },
    {
      records: [{ ...encodeTransactionMarker('COMMIT', 5), timestamp: T0 }],
      options: { baseOffset: 9, partitionLeaderEpoch: 3, producerId: 1000, producerEpoch: 0, isTransactional: true, isControl: true },
    },
  ]
  let position = 0
  return specs.map(({ records, options }) => {
    const bytes = encodeBatch(records, options)
    const written = { records, options, bytes, position }
    position += bytes.length
    return written
  })
}

async function writeFile(name: string, contents: Buffer): Promise<string> {
  const dir = await makeTmpDir('seglog-cli-')
  const file = path.join(dir, name)
  fs.writeFileSync(file, contents)
  return file
}

const SEGMENT = '00000000000000000000.log'

async function writeKnownSegment(extra: Buffer = Buffer.alloc(0)): Promise<{ file: string; batches: WrittenBatch[] }> {
  const batches = knownBatches()
  const file = await writeFile(SEGMENT, Buffer.concat([...batches.map((batch) => batch.bytes), extra]))
  return { file, batches }
}

const HELLO_LINE =
  'baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 ' +
  'partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 ' +
  'CreateTime: 1700000000000 size: 73 magic: 2 compresscodec: none crc: 3863061579 isvalid: true'

function commitLine(position: number): string {
  return (
    'baseOffset: 9 lastOffset: 9 count: 1 baseSequence: -1 lastSequence: -1 producerId: 1000 producerEpoch: 0 ' +
    'partitionLeaderEpoch: 3 isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty ' +
    `position: ${position} CreateTime: 1700000000000 size: 78 magic: 2 compresscodec: none crc: ${0xfc84b034} isvalid: true`
  )
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

function jsonLines(text: string): Record<string, unknown>[] {
  return lines(text).map((line) => JSON.parse(line) as Record<string, unknown>)
}

function base64(bytes: Buffer | null | undefined): string | null {
  return bytes == null ? null : bytes.toString('base64')
}

describe('seglog dump (text)', () => {
  it("prints Kafka's header and batch lines", async () => {
    const { file, batches } = await writeKnownSegment()
    const result = await runCli(['dump', file])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const out = lines(result.stdout)
    expect(out[0]).toBe(`Dumping ${file}`)
    expect(out[1]).toBe('Log starting offset: 0')
    expect(out[2]).toBe(HELLO_LINE)
    expect(out[8]).toBe(commitLine(batches[6]!.position))
    expect(out).toHaveLength(2 + batches.length)
    const codecs = out.slice(2).map((line) => /compresscodec: (\w+)/.exec(line)?.[1])
    expect(codecs).toEqual(['none', 'none', 'gzip', 'snappy', 'lz4', 'zstd', 'none'])
    const positions = out.slice(2).map((line) => Number(/ position: (\d+)/.exec(line)?.[1]))
    expect(positions).toEqual(batches.map((batch) => batch.position))
    expect(out[4]).toContain(
      'baseSequence: 7 lastSequence: 9 producerId: 1000 producerEpoch: 2 partitionLeaderEpoch: -1 isTransactional: true',
    )
  })

  it('takes the log starting offset from a 20-digit file name, and says so when there is none', async () => {
    const bytes = knownBatches()[0]!.bytes
    const named = await writeFile('00000000000000524288.log', bytes)
    expect(lines((await runCli(['dump', named])).stdout)[1]).toBe('Log starting offset: 524288')
    const unnamed = await writeFile('orders.log', bytes)
    const result = await runCli(['dump', unnamed])
    expect(lines(result.stdout)[1]).toMatch(/^Log starting offset: 0 \(.*20-digit/)
    expect(result.code).toBe(0)
  })

  it('prints record lines with --deep-iteration, without keys or payloads', async () => {
    const { file } = await writeKnownSegment()
    const result = await runCli(['dump', '--deep-iteration', file])
    expect(result.code).toBe(0)
    const out = lines(result.stdout)
    expect(out[2]).toBe(HELLO_LINE)
    expect(out[3]).toBe('| offset: 0 CreateTime: 1700000000000 keySize: -1 valueSize: 5 sequence: -1 headerKeys: []')
    expect(out[5]).toBe('| offset: 1 CreateTime: 1700000000001 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [trace,empty]')
    expect(out[6]).toBe('| offset: 2 CreateTime: 1700000000002 keySize: 2 valueSize: -1 sequence: -1 headerKeys: []')
    expect(out[8]).toBe('| offset: 3 CreateTime: 1700000000010 keySize: 2 valueSize: 60 sequence: 7 headerKeys: []')
    expect(out.at(-1)).toBe(
      '| offset: 9 CreateTime: 1700000000000 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 5',
    )
    expect(out.filter((line) => line.startsWith('| '))).toHaveLength(10)
    expect(result.stdout).not.toContain(' key: ')
    expect(result.stdout).not.toContain(' payload: ')
  })

  it('prints keys and payloads as UTF-8 with --print-data-log', async () => {
    const { file } = await writeKnownSegment()
    const result = await runCli(['dump', '--print-data-log', file])
    expect(result.code).toBe(0)
    const out = lines(result.stdout)
    expect(out[3]).toBe('| offset: 0 CreateTime: 1700000000000 keySize: -1 valueSize: 5 sequence: -1 headerKeys: [] payload: hello')
    expect(out[5]).toBe(
      '| offset: 1 CreateTime: 1700000000001 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [trace,empty] key: k1 payload: v1',
    )
    expect(out[6]).toBe('| offset: 2 CreateTime: 1700000000002 keySize: 2 valueSize: -1 sequence: -1 headerKeys: [] key: k2')
    expect(out).toContain(
      '| offset: 6 CreateTime: 1700000000020 keySize: 1 valueSize: 20 sequence: -1 headerKeys: [] key: s payload: snappy snappy snappy',
    )
    expect(out).toContain(
      '| offset: 7 CreateTime: 1700000000021 keySize: 1 valueSize: 15 sequence: -1 headerKeys: [] key: l payload: lz4 lz4 lz4 lz4',
    )
    expect(out).toContain(
      '| offset: 8 CreateTime: 1700000000022 keySize: 1 valueSize: 14 sequence: -1 headerKeys: [] key: z payload: zstd zstd zstd',
    )
    // Control records never print key/payload, as in Kafka.
    expect(out.at(-1)).toMatch(/endTxnMarker: COMMIT coordinatorEpoch: 5$/)
  })

  it("reports a partial batch at the end with Kafka's line and exits 0", async () => {
    const tail = knownBatches()[1]!.bytes.subarray(0, 50)
    const { file, batches } = await writeKnownSegment(tail)
    const result = await runCli(['dump', file])
    expect(result.code).toBe(0)
    const out = lines(result.stdout)
    expect(out).toHaveLength(2 + batches.length + 1)
    expect(out.at(-1)).toBe(`Found 50 invalid bytes at the end of ${SEGMENT}`)
    expect(result.stderr).toBe('')
  })

  it('reads only --max-bytes, without reporting the cut', async () => {
    const { file, batches } = await writeKnownSegment()
    const result = await runCli(['dump', '--max-bytes', String(batches[2]!.position + 30), file])
    expect(result.code).toBe(0)
    const out = lines(result.stdout)
    expect(out.slice(2)).toHaveLength(2)
    expect(out[2]).toBe(HELLO_LINE)
    expect(result.stdout).not.toContain('invalid bytes')
    const all = await runCli(['dump', '--max-bytes=1m', file])
    expect(lines(all.stdout)).toHaveLength(2 + batches.length)
  })

  it('still reports a torn tail when --max-bytes reaches past the end of the file', async () => {
    const { file } = await writeKnownSegment(Buffer.alloc(10, 1))
    const result = await runCli(['dump', '--max-bytes', '100000', file])
    expect(lines(result.stdout).at(-1)).toBe(`Found 10 invalid bytes at the end of ${SEGMENT}`)
  })

  it('prints isvalid: false for a batch with a flipped byte and exits 1', async () => {
    const { file, batches } = await writeKnownSegment()
    const bytes = fs.readFileSync(file)
    const target = batches[1]!.position + batches[1]!.bytes.length - 5 // inside the last record
    bytes[target] = bytes[target]! ^ 0x01
    fs.writeFileSync(file, bytes)
    const result = await runCli(['dump', file])
    expect(result.code).toBe(1)
    const valid = lines(result.stdout)
      .slice(2)
      .map((line) => line.endsWith('isvalid: true'))
    expect(valid).toEqual([true, false, true, true, true, true, true])
    const stderr = lines(result.stderr)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^seglog: /)
    expect(stderr[0]).toContain(file)
    expect(stderr[0]).toContain(`byte ${batches[1]!.position}`)
  })

  it('reports a garbage file with its name and byte position on one line, exit 1', async () => {
    const file = await writeFile(SEGMENT, Buffer.alloc(1000, 0xab))
    const result = await runCli(['dump', file])
    expect(result.code).toBe(1)
    expect(lines(result.stdout)).toEqual([`Dumping ${file}`, 'Log starting offset: 0'])
    const stderr = lines(result.stderr)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(new RegExp(`^seglog: ${escape(file)} at byte 8: bad-length`))
  })

  it('stops at a length overwritten with 5, prints what came before, and goes on to the next file', async () => {
    const { file, batches } = await writeKnownSegment()
    const bytes = fs.readFileSync(file)
    bytes.writeInt32BE(5, batches[2]!.position + 8)
    fs.writeFileSync(file, bytes)
    const good = await writeFile('00000000000000000100.log', batches[0]!.bytes)
    const result = await runCli(['dump', file, good])
    expect(result.code).toBe(1)
    const out = lines(result.stdout)
    expect(out.slice(0, 4)).toEqual([`Dumping ${file}`, 'Log starting offset: 0', HELLO_LINE, expect.stringContaining('position: 73')])
    expect(out.slice(4)).toEqual([`Dumping ${good}`, 'Log starting offset: 100', HELLO_LINE])
    const stderr = lines(result.stderr)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toContain(`${file} at byte ${batches[2]!.position + 8}: bad-length`)
    expect(stderr[0]).toContain(`batch at byte ${batches[2]!.position}`)
  })

  it('reports records that fail to decode under --deep-iteration with file, batch position and reason', async () => {
    const batches = knownBatches()
    const broken = Buffer.from(batches[1]!.bytes)
    broken.writeInt32BE(3, 57) // claims 3 records, holds 2
    writeBatchCrc(broken)
    const file = await writeFile(SEGMENT, Buffer.concat([batches[0]!.bytes, broken, batches[2]!.bytes]))
    const shallow = await runCli(['dump', file])
    expect(shallow.code).toBe(0)
    const deep = await runCli(['dump', '--deep-iteration', file])
    expect(deep.code).toBe(1)
    const stderr = lines(deep.stderr)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^seglog: /)
    expect(stderr[0]).toContain(file)
    expect(stderr[0]).toContain('in the batch at byte 73')
    expect(stderr[0]).toMatch(/truncated-record|varint|bad-length/)
    // The batch after it is still dumped, records included.
    expect(deep.stdout).toContain('| offset: 5 CreateTime: 1700000000012')
  })

  it('lists non-consecutive offsets on stderr under --deep-iteration, as Kafka does, without failing', async () => {
    const first = encodeBatch(
      [
        { value: Buffer.from('a'), timestamp: T0 },
        { value: Buffer.from('b'), timestamp: T0 },
      ],
      { baseOffset: 0 },
    )
    const second = encodeBatch([{ value: Buffer.from('c'), timestamp: T0 }], { baseOffset: 5 })
    const file = await writeFile(SEGMENT, Buffer.concat([first, second]))
    const result = await runCli(['dump', '--deep-iteration', file])
    expect(result.code).toBe(0)
    expect(lines(result.stderr)).toEqual([`Non-consecutive offsets in ${path.resolve(file)}`, '  1 is followed by 5'])
    expect((await runCli(['dump', file])).stderr).toBe('')
  })

  it('reports a missing file on one line, exit 1, and refuses a directory as a usage error, exit 2', async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const missing = path.join(dir, '00000000000000000000.log')
    const result = await runCli(['dump', missing])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(lines(result.stderr)).toEqual([`seglog: cannot read ${missing}: no such file or directory`])
    const { file } = await writeKnownSegment()
    for (const asDir of [path.join(dir, '00000000000000000001.log'), dir]) {
      fs.mkdirSync(asDir, { recursive: true })
      const refused = await runCli(['dump', file, asDir])
      expect(refused.code).toBe(2)
      expect(refused.stdout).toBe('')
      const stderr = lines(refused.stderr)
      expect(stderr).toEqual([expect.stringMatching(/^seglog: /), "Try 'seglog dump --help'"])
      expect(stderr[0]).toContain(`${asDir} is a directory`)
    }
  })

  it('ignores files of unknown suffix as Kafka does, failing only when nothing was dumped', async () => {
    const { file } = await writeKnownSegment()
    const other = path.join(path.dirname(file), 'notes.txt')
    fs.writeFileSync(other, 'hi')
    const mixed = await runCli(['dump', other, file])
    expect(mixed.code).toBe(0)
    expect(lines(mixed.stderr)).toEqual([`Ignoring unknown file ${other}`])
    const alone = await runCli(['dump', other])
    expect(alone.code).toBe(1)
    expect(lines(alone.stderr)[0]).toBe(`Ignoring unknown file ${other}`)
  })

  it('exits quietly with 0 when its output is piped into head', async () => {
    // Enough output to overflow the pipe long after head has gone.
    const parts: Buffer[] = []
    for (let slot = 0; slot < 2000; slot++) {
      parts.push(
        encodeBatch([{ key: Buffer.from(`key-${slot}`), value: Buffer.alloc(200, 0x61), timestamp: T0 + slot }], { baseOffset: slot }),
      )
    }
    const file = await writeFile(SEGMENT, Buffer.concat(parts))
    const result = await runShell(`(node '${CLI_PATH}' dump --print-data-log '${file}'; echo "seglog exit $?" >&2) | head -n 1`, {
      cwd: REPO_ROOT,
    })
    expect(result.stdout).toBe(`Dumping ${file}\n`)
    expect(result.stderr).toBe('seglog exit 0\n')
  })
})

describe('seglog dump: damage that is not a torn tail', () => {
  it('reports a damaged length in the first of four segments with file and byte position, exit 1', async () => {
    const built = await buildClosedPartition()
    const first = segmentFile(built.partitionDir, built.segmentBaseOffsets[0]!, '.log')
    const bytes = fs.readFileSync(first)
    bytes[9] = bytes[9]! ^ 0xff // the batch length of the first batch
    fs.writeFileSync(first, bytes)
    const result = await runCli(['dump', first])
    expect(result.code).toBe(1)
    expect(lines(result.stdout).at(-1)).toBe(`Found ${bytes.length} invalid bytes at the end of 00000000000000000000.log`)
    const stderr = lines(result.stderr)
    expect(stderr).toEqual([expect.stringMatching(new RegExp(`^seglog: ${escape(first)} at byte 0: ${bytes.length} bytes `))])
    // Four segments of a cleanly closed directory: the engine will not cut it.
    expect(stderr[0]).toContain('seglog repair')
  })

  it('reports it in a lone copy of the segment too, naming the valid batch that follows, exit 1', async () => {
    const built = await buildClosedPartition()
    const original = built.original.get(0)!
    const damaged = Buffer.from(original)
    damaged[9] = damaged[9]! ^ 0xff
    for (const name of [SEGMENT, 'copy.log']) {
      const file = await writeFile(name, damaged)
      const result = await runCli(['dump', file])
      expect(result.code, name).toBe(1)
      const second = batchPositions(segmentFile(built.partitionDir, 0, '.log'))[1]!
      expect(lines(result.stderr)).toEqual([
        expect.stringMatching(new RegExp(`^seglog: ${escape(file)} at byte 0: .* a valid batch follows at byte ${second}$`)),
      ])
    }
    // Without the damage the lone copy's torn tail stays a note (exit 0), as in Kafka.
    const torn = await writeFile(SEGMENT, original.subarray(0, original.length - 10))
    const clean = await runCli(['dump', torn])
    expect(clean.code).toBe(0)
    expect(clean.stderr).toBe('')
  })

  it('reports a cut below the recovery point (exit 1) but not a torn write past it (exit 0)', async () => {
    const closed = await buildClosedPartition()
    const closedLast = segmentFile(closed.partitionDir, closed.segmentBaseOffsets.at(-1)!, '.log')
    const lastBatch = batchPositions(closedLast).at(-1)!
    fs.truncateSync(closedLast, fs.statSync(closedLast).size - 10)
    const below = await runCli(['dump', closedLast])
    expect(below.code).toBe(1)
    expect(lines(below.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^seglog: ${escape(closedLast)} at byte ${lastBatch}: .*seglog repair`)),
    ])

    const crashed = await buildCrashedPartition()
    const crashedLast = segmentFile(crashed.partitionDir, crashed.segmentBaseOffsets.at(-1)!, '.log')
    fs.appendFileSync(crashedLast, crashed.original.get(0)!.subarray(0, 40))
    const past = await runCli(['dump', crashedLast])
    expect(past.stderr).toBe('')
    expect(past.code).toBe(0)
    expect(lines(past.stdout).at(-1)).toBe(`Found 40 invalid bytes at the end of ${path.basename(crashedLast)}`)
  })
})

describe('seglog dump --json', () => {
  it('writes one object per batch, field by field as written', async () => {
    const tail = knownBatches()[2]!.bytes.subarray(0, 20)
    const { file, batches } = await writeKnownSegment(tail)
    const result = await runCli(['dump', '--json', file])
    expect(result.code).toBe(0)
    const objects = jsonLines(result.stdout)
    expect(objects[0]).toEqual({ type: 'file', file, logStartOffset: 0 })
    const batchObjects = objects.filter((object) => object.type === 'batch')
    expect(batchObjects).toHaveLength(batches.length)
    for (let slot = 0; slot < batches.length; slot++) {
      const { records, options, bytes, position } = batches[slot]!
      const timestamps = records.map((record) => record.timestamp!)
      expect(batchObjects[slot]).toEqual({
        type: 'batch',
        baseOffset: options.baseOffset,
        lastOffset: options.baseOffset! + records.length - 1,
        count: records.length,
        position,
        size: bytes.length,
        magic: 2,
        compression: typeof options.compression === 'string' ? options.compression : 'none',
        crc: bytes.readUInt32BE(17),
        isValid: true,
        baseTimestamp: timestamps[0],
        maxTimestamp: Math.max(...timestamps),
        timestampType: 'CreateTime',
        producerId: options.producerId ?? -1,
        producerEpoch: options.producerEpoch ?? -1,
        baseSequence: options.baseSequence ?? -1,
        lastSequence: options.baseSequence === undefined ? -1 : options.baseSequence + records.length - 1,
        partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
        isTransactional: options.isTransactional ?? false,
        isControl: options.isControl ?? false,
        deleteHorizonMs: null,
      })
    }
    expect(objects.at(-1)).toEqual({ type: 'trailing', position: fs.statSync(file).size - 20, bytes: 20 })
    expect(objects.some((object) => object.type === 'record')).toBe(false)
  })

  it('adds one object per record with --deep-iteration: base64 keys, values and headers', async () => {
    const { file, batches } = await writeKnownSegment()
    const result = await runCli(['dump', '--json', '--deep-iteration', file])
    expect(result.code).toBe(0)
    const records = jsonLines(result.stdout).filter((object) => object.type === 'record')
    const expected = batches.flatMap(({ records: written, options }) =>
      written.map((record, slot) => ({
        type: 'record',
        offset: options.baseOffset! + slot,
        timestamp: record.timestamp,
        key: base64(record.key),
        value: base64(record.value),
        headers: (record.headers ?? []).map((header) => [header.key, base64(header.value)]),
        ...(options.isControl ? { control: { type: 'COMMIT', typeId: 1, coordinatorEpoch: 5 } } : {}),
      })),
    )
    expect(records).toEqual(expected)
    // --print-data-log implies the same records in JSON.
    const printed = await runCli(['dump', '--json', '--print-data-log', file])
    expect(jsonLines(printed.stdout).filter((object) => object.type === 'record')).toEqual(expected)
  })
})

describe('seglog command line', () => {
  it('rejects an unknown flag with exit 2 and a hint', async () => {
    const result = await runCli(['dump', '--bogus', 'x.log'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(lines(result.stderr)).toEqual(["seglog: unknown option '--bogus'", "Try 'seglog dump --help'"])
  })

  it('rejects a missing FILE, a missing value and a bad value with exit 2', async () => {
    for (const args of [['dump'], ['dump', '--max-bytes'], ['dump', '--max-bytes', 'lots', 'x.log'], ['dump', '--json=yes', 'x.log']]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(lines(result.stderr)).toEqual([expect.stringMatching(/^seglog: /), "Try 'seglog dump --help'"])
    }
  })

  it('rejects an unknown command with exit 2', async () => {
    const result = await runCli(['frobnicate'])
    expect(result.code).toBe(2)
    expect(lines(result.stderr)).toEqual(["seglog: unknown command 'frobnicate'", "Try 'seglog --help'"])
  })

  it('prints help for seglog and for dump, with exit 0', async () => {
    const top = await runCli(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toMatch(/^Usage: seglog <command>/)
    expect(top.stdout).toMatch(/^ {2}dump {2}/m)
    const dump = await runCli(['dump', '--help'])
    expect(dump.code).toBe(0)
    expect(dump.stdout).toMatch(/^Usage: seglog dump \[options\] FILE\.\.\./)
    for (const option of ['--deep-iteration', '--print-data-log', '--max-bytes N', '--json', '--help', 'Examples:']) {
      expect(dump.stdout).toContain(option)
    }
    expect((await runCli(['help', 'dump'])).stdout).toBe(dump.stdout)
    expect((await runCli(['dump', 'x.log', '-h'])).stdout).toBe(dump.stdout)
  })

  it('prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    const result = await runCli(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`seglog ${version}\n`)
  })

  it('prints the help on stderr with exit 2 when no command is given', async () => {
    const result = await runCli([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^Usage: seglog/)
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { COMPRESSION_IDS, partitionForKey } from '../../src/index.js'
import { encodeTransactionMarker } from '../../src/record/control-record.js'
import { assertCliBuilt, CLI_PATH, outputLines, REPO_ROOT, runCli, runShell, type CliResult } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { openQuietEngine } from '../helpers/engine.js'

/**
 * `seglog produce` and `seglog consume` as a user runs them: the built CLI in a child process,
 * stdin in, stdout and exit code out. What produce wrote is checked with consume, and where bytes
 * matter (binary keys and values, the codec of each batch) by opening the directory with the
 * engine after the CLI has exited.
 */

beforeAll(assertCliBuilt)
afterEach(removeTmpDirs)

interface JsonRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: [string, string | null][]
}

async function dataDir(): Promise<string> {
  return path.join(await makeTmpDir('seglog-cli-pc-'), 'data')
}

function produce(dir: string, args: readonly string[], input: string | Buffer): Promise<CliResult> {
  return runCli(['produce', dir, ...args], { input })
}

/** Runs produce and fails the test, with its stderr, unless it exits 0. */
async function produceOk(dir: string, args: readonly string[], input: string | Buffer): Promise<CliResult> {
  const result = await produce(dir, args, input)
  expect(result.code, result.stderr).toBe(0)
  return result
}

function consume(dir: string, args: readonly string[]): Promise<CliResult> {
  return runCli(['consume', dir, ...args])
}

/** Runs consume and returns its stdout lines; fails the test on a non-zero exit. */
async function consumeLines(dir: string, args: readonly string[]): Promise<string[]> {
  const result = await consume(dir, args)
  expect(result.code, result.stderr).toBe(0)
  expect(result.stderr).toBe('')
  return outputLines(result.stdout)
}

async function consumeJson(dir: string, args: readonly string[]): Promise<JsonRecord[]> {
  return (await consumeLines(dir, [...args, '--json'])).map((line) => JSON.parse(line) as JsonRecord)
}

/** One --binary record: int32 key length (-1: null), key, int32 value length (-1: null), value. */
function binaryRecord(key: Buffer | null, value: Buffer | null): Buffer {
  const parts: Buffer[] = []
  for (const field of [key, value]) {
    const length = Buffer.alloc(4)
    length.writeInt32BE(field === null ? -1 : field.length)
    parts.push(length)
    if (field !== null) parts.push(field)
  }
  return Buffer.concat(parts)
}

/** Every record of a topic, read with the engine in this process (the CLI must have exited). */
async function readTopic(
  dir: string,
  topic: string,
): Promise<{ partition: number; offset: number; key: Buffer | null; value: Buffer | null; compressionId: number }[]> {
  const engine = await openQuietEngine(dir)
  try {
    const records = []
    for (const log of engine.partitions(topic)) {
      for await (const batch of log.batches({ from: 0 })) {
        for (const record of batch.records())
          records.push({
            partition: log.partition,
            offset: record.offset,
            key: record.key,
            value: record.value,
            compressionId: batch.compressionId,
          })
      }
    }
    return records
  } finally {
    await engine.close()
  }
}

function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code)
  expect(result.stdout).toBe('')
  const lines = outputLines(result.stderr)
  expect(lines[0]).toMatch(/^seglog: /)
  expect(lines[0]).toMatch(pattern)
  // A usage error adds the hint to the command's --help; nothing else (no stack trace).
  expect(lines.slice(1)).toEqual(code === 2 ? [expect.stringMatching(/^Try 'seglog (produce|consume) --help'$/)] : [])
  expect(result.stderr).not.toMatch(/\n\s+at /)
}

describe('seglog produce', () => {
  it('appends stdin lines to a new topic, one record per line, and consume prints them back', async () => {
    const dir = await dataDir()
    const lines = Array.from({ length: 30 }, (_, slot) => `line ${slot}`)
    const produced = await produce(dir, ['--topic', 'greetings', '--create', '--partitions', '3'], lines.join('\n') + '\n')
    expect(produced.code, produced.stderr).toBe(0)
    expect(produced.stdout).toBe('')
    expect(produced.stderr).toBe('appended 30 records to greetings\n')

    const records = await consumeJson(dir, ['--topic', 'greetings', '--from-beginning'])
    expect(records.map((record) => record.value).sort()).toEqual([...lines].sort())
    expect(new Set(records.map((record) => record.topic))).toEqual(new Set(['greetings']))
    // Per partition: offsets 0, 1, 2, … and the values in the order they were read from stdin.
    for (const partition of [0, 1, 2]) {
      const mine = records.filter((record) => record.partition === partition)
      expect(mine.map((record) => record.offset)).toEqual(mine.map((_, slot) => slot))
      const values = mine.map((record) => record.value)
      expect(values).toEqual(lines.filter((line) => values.includes(line)))
    }
    for (const record of records) {
      expect(record.key).toBeNull()
      expect(record.headers).toEqual([])
      expect(Number.isSafeInteger(record.timestamp)).toBe(true)
    }
    // Plain output: just the values, every one of them.
    const plain = await consumeLines(dir, ['--topic', 'greetings', '--from-beginning'])
    expect([...plain].sort()).toEqual([...lines].sort())
  })

  it('--key-separator puts each keyed record on murmur2(key) % partitions', async () => {
    const dir = await dataDir()
    const keys = Array.from({ length: 40 }, (_, slot) => `customer-${slot}`)
    const input = keys.map((key, slot) => `${key}:order ${slot}:with a colon`).join('\n') + '\n'
    const produced = await produce(dir, ['--topic', 'orders', '--create', '--partitions', '4', '--key-separator', ':'], input)
    expect(produced.code, produced.stderr).toBe(0)
    expect(produced.stderr).toBe('appended 40 records to orders\n')

    const seen: string[] = []
    for (const partition of [0, 1, 2, 3]) {
      const lines = await consumeLines(dir, ['--topic', 'orders', '--partition', String(partition), '--from-beginning', '--print-key'])
      const expected = keys.flatMap((key, slot) =>
        partitionForKey(Buffer.from(key), 4) === partition ? [`${key}\torder ${slot}:with a colon`] : [],
      )
      expect(lines).toEqual(expected)
      seen.push(...lines)
    }
    expect(seen).toHaveLength(40)
    // The keys spread: murmur2 of these 40 keys does not land them all on one partition.
    expect(new Set(keys.map((key) => partitionForKey(Buffer.from(key), 4))).size).toBeGreaterThan(1)
  })

  it('--headers reads k1:v1,k2:v2 and a TAB before the value; --compression zstd writes zstd batches', async () => {
    const dir = await dataDir()
    const input = 'trace:abc,source:test\tfirst\n\tno headers\nempty:\tthird\n'
    const produced = await produce(dir, ['--topic', 'events', '--create', '--headers', '--compression', 'zstd'], input)
    expect(produced.code, produced.stderr).toBe(0)
    const records = await consumeJson(dir, ['--topic', 'events', '--from-beginning'])
    expect(records.map(({ partition, offset, key, value, headers }) => ({ partition, offset, key, value, headers }))).toEqual([
      {
        partition: 0,
        offset: 0,
        key: null,
        value: 'first',
        headers: [
          ['trace', 'abc'],
          ['source', 'test'],
        ],
      },
      { partition: 0, offset: 1, key: null, value: 'no headers', headers: [] },
      { partition: 0, offset: 2, key: null, value: 'third', headers: [['empty', '']] },
    ])
    const stored = await readTopic(dir, 'events')
    expect(stored).toHaveLength(3)
    for (const record of stored) expect(record.compressionId).toBe(COMPRESSION_IDS.zstd)
  })

  it('--headers without a TAB, or a line without the key separator, is a usage error naming the line', async () => {
    const dir = await dataDir()
    expectOneLineError(
      await produce(dir, ['--topic', 't', '--create', '--headers'], 'no tab here\n'),
      2,
      /line 1: --headers expects 'k1:v1,k2:v2' then a TAB/,
    )
    expectOneLineError(
      await produce(dir, ['--topic', 't', '--create', '--headers'], 'novalue\tx\n'),
      2,
      /line 1: header 'novalue' is not key:value/,
    )
    // The lines before the bad one are appended, and the count says so.
    const result = await produce(dir, ['--topic', 't', '--create', '--key-separator', '='], 'k=v\nno separator\nk=never\n')
    expect(result.code).toBe(2)
    expect(outputLines(result.stderr)).toEqual([
      'appended 1 record to t before the error',
      "seglog: line 2 has no key separator '='",
      "Try 'seglog produce --help'",
    ])
    expect(await consumeLines(dir, ['--topic', 't', '--from-beginning', '--print-key'])).toEqual(['k\tv'])
  })

  it('--binary reads length-prefixed records, with null keys and null values', async () => {
    const dir = await dataDir()
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, at) => at))
    const records: { key: Buffer | null; value: Buffer | null }[] = [
      { key: Buffer.from('k1'), value: Buffer.from('v1') },
      { key: null, value: Buffer.from('no key') },
      { key: Buffer.from('tombstone'), value: null },
      { key: Buffer.alloc(0), value: Buffer.alloc(0) },
      { key: null, value: null },
      { key: allBytes, value: Buffer.concat([allBytes, allBytes]) },
    ]
    const produced = await produce(
      dir,
      ['--topic', 'blobs', '--create', '--binary'],
      Buffer.concat(records.map(({ key, value }) => binaryRecord(key, value))),
    )
    expect(produced.stderr).toBe('appended 6 records to blobs\n')
    expect(produced.code, produced.stderr).toBe(0)
    const stored = await readTopic(dir, 'blobs')
    expect(stored.map(({ offset, key, value }) => ({ offset, key, value }))).toEqual(
      records.map((record, offset) => ({ offset, ...record })),
    )
    // The default codec is lz4.
    expect(new Set(stored.map((record) => record.compressionId))).toEqual(new Set([COMPRESSION_IDS.lz4]))

    const json = await consumeJson(dir, ['--topic', 'blobs', '--from-beginning', '--max', '5'])
    expect(json.map(({ key, value }) => [key, value])).toEqual([
      ['k1', 'v1'],
      [null, 'no key'],
      ['tombstone', null],
      ['', ''],
      [null, null],
    ])
  })

  it('--binary input that ends inside a record is an error naming how far it got; the whole records before it are appended', async () => {
    const dir = await dataDir()
    const whole = Array.from({ length: 1200 }, (_, slot) => binaryRecord(null, Buffer.from(`value ${slot}`)))
    const partial = binaryRecord(Buffer.from('key'), Buffer.from('cut short')).subarray(0, 10)
    const result = await produce(dir, ['--topic', 'blobs', '--create', '--binary'], Buffer.concat([...whole, partial]))
    expect(result.code).toBe(2)
    expect(outputLines(result.stderr)).toEqual([
      'appended 1200 records to blobs before the error',
      'seglog: --binary input ends with 10 bytes of a partial record after record 1200',
      "Try 'seglog produce --help'",
    ])
    const values = await consumeLines(dir, ['--topic', 'blobs', '--from-beginning'])
    expect(values).toEqual(whole.map((_, slot) => `value ${slot}`))

    // A partial length prefix alone (fewer than 4 bytes) is just as clear.
    const short = await produce(dir, ['--topic', 'blobs', '--binary'], Buffer.from([0, 0]))
    expectOneLineError(short, 2, /ends with 2 bytes of a partial record after record 0/)
  })

  it('a topic that does not exist without --create is a usage error, and nothing is created', async () => {
    const dir = await dataDir()
    await produceOk(dir, ['--topic', 'exists', '--create'], 'x\n')
    const result = await produce(dir, ['--topic', 'missing'], 'x\n')
    expectOneLineError(result, 2, /topic 'missing' does not exist in .*\(add --create to create it\)/)
    const engine = await openQuietEngine(dir)
    try {
      expect(engine.hasTopic('missing')).toBe(false)
    } finally {
      await engine.close()
    }
  })

  it('rejects bad options with exit 2 before the directory is created', async () => {
    const dir = await dataDir()
    const cases: [string[], RegExp][] = [
      [[dir], /missing --topic/],
      [[dir, '--topic', 't', '--compression', 'brotli'], /--compression must be one of none, gzip, snappy, lz4, zstd/],
      [[dir, '--topic', 't', '--flush', 'never'], /--flush must be sync, interval or os/],
      [[dir, '--topic', 't', '--binary', '--headers'], /--binary cannot be combined/],
      [[dir, '--topic', 't', '--partitions', '0', '--create'], /option '--partitions' expects a whole number from 1/],
      [[dir, '--topic', 't', '--bogus'], /unknown option '--bogus'/],
      [['--topic', 't'], /missing DIR/],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(['produce', ...args], { input: 'x\n' })))
    results.forEach((result, slot) => expectOneLineError(result, 2, cases[slot]![1]))
    expect(fs.existsSync(dir)).toBe(false)
  })

  it('--help prints the usage and the --binary format, exit 0', async () => {
    const result = await runCli(['produce', '--help'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^Usage: seglog produce DIR --topic TOPIC/)
    for (const option of ['--topic', '--create', '--partitions', '--key-separator', '--compression', '--headers', '--binary', '--flush'])
      expect(result.stdout).toContain(option)
    expect(result.stdout).toContain('int32 key length (-1 for none)')
  })
})

describe('seglog consume', () => {
  /** `numbers`: 2 partitions; 1..10 keyed n:n, so both partitions have records. */
  async function numbersDir(): Promise<string> {
    const dir = await dataDir()
    const input = Array.from({ length: 10 }, (_, slot) => `k${slot + 1}:${slot + 1}`).join('\n') + '\n'
    await produceOk(dir, ['--topic', 'numbers', '--create', '--partitions', '2', '--key-separator', ':'], input)
    return dir
  }

  function partitionOf(value: number): number {
    return partitionForKey(Buffer.from(`k${value}`), 2)
  }

  it('--max N stops after N records; --offset N --partition P starts there and reads only P', async () => {
    const dir = await numbersDir()
    expect(await consumeLines(dir, ['--topic', 'numbers', '--from-beginning', '--max', '3'])).toHaveLength(3)
    expect(await consumeLines(dir, ['--topic', 'numbers', '--from-beginning', '--max', '100'])).toHaveLength(10)

    for (const partition of [0, 1]) {
      const values = Array.from({ length: 10 }, (_, slot) => slot + 1).filter((value) => partitionOf(value) === partition)
      expect(values.length).toBeGreaterThan(1)
      const records = await consumeJson(dir, ['--topic', 'numbers', '--partition', String(partition), '--offset', '1'])
      expect(records.map((record) => [record.partition, record.offset, record.value])).toEqual(
        values.slice(1).map((value, slot) => [partition, slot + 1, String(value)]),
      )
    }
  })

  it('--timestamp MS starts at the first record stamped at or after MS', async () => {
    const dir = await numbersDir()
    const before = await consumeJson(dir, ['--topic', 'numbers', '--from-beginning'])
    const after = Math.max(...before.map((record) => record.timestamp)) + 1
    // A second produce run, later: its records carry later timestamps.
    await new Promise((resolve) => setTimeout(resolve, 20))
    await produceOk(dir, ['--topic', 'numbers', '--key-separator', ':'], 'k1:later-1\nk2:later-2\nk3:later-3\n')
    const later = await consumeJson(dir, ['--topic', 'numbers', '--timestamp', String(after)])
    expect(later.map((record) => record.value).sort()).toEqual(['later-1', 'later-2', 'later-3'])
    for (const record of later) expect(record.timestamp).toBeGreaterThanOrEqual(after)
    // Before every record: everything. After every record: nothing, exit 0.
    expect(await consumeLines(dir, ['--topic', 'numbers', '--timestamp', '0'])).toHaveLength(13)
    expect(await consumeLines(dir, ['--topic', 'numbers', '--timestamp', String(Date.now() + 86_400_000)])).toEqual([])
  })

  it('--from latest starts a new group at the end: nothing printed, exit 0, and that start is committed', async () => {
    const dir = await numbersDir()
    expect(await consumeLines(dir, ['--topic', 'numbers', '--from', 'latest'])).toEqual([])
    expect(await consumeLines(dir, ['--topic', 'numbers', '--group', 'fresh', '--from', 'latest'])).toEqual([])
    // The new group's start was committed at the end: what comes after is what it prints next.
    await produceOk(dir, ['--topic', 'numbers', '--key-separator', ':'], 'k1:new\n')
    expect(await consumeLines(dir, ['--topic', 'numbers', '--group', 'fresh'])).toEqual(['new'])
  })

  it('--group commits as it prints: a second run prints nothing, and after more records only those', async () => {
    const dir = await numbersDir()
    const first = await consumeLines(dir, ['--topic', 'numbers', '--group', 'billing', '--from-beginning'])
    expect(first.map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(await consumeLines(dir, ['--topic', 'numbers', '--group', 'billing', '--from-beginning'])).toEqual([])
    await produceOk(dir, ['--topic', 'numbers', '--key-separator', ':'], 'k4:11\nk5:12\nk6:13\n')
    const third = await consumeLines(dir, ['--topic', 'numbers', '--group', 'billing'])
    expect(third.sort()).toEqual(['11', '12', '13'])
    expect(await consumeLines(dir, ['--topic', 'numbers', '--group', 'billing'])).toEqual([])
    // Another group is independent of billing's commits.
    expect(await consumeLines(dir, ['--topic', 'numbers', '--group', 'audit', '--from-beginning'])).toHaveLength(13)
  })

  it('--group with --max commits exactly what was printed, so runs continue where the last stopped', async () => {
    const dir = await numbersDir()
    const runs: string[][] = []
    for (let run = 0; run < 5; run++)
      runs.push(await consumeLines(dir, ['--topic', 'numbers', '--group', 'paged', '--from-beginning', '--max', '3']))
    // 3 + 3 + 3 + 1 + 0: every record exactly once.
    expect(runs.map((lines) => lines.length)).toEqual([3, 3, 3, 1, 0])
    expect(
      runs
        .flat()
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('stops at the end of a partition whose last batch is a transaction marker', async () => {
    const dir = await dataDir()
    const engine = await openQuietEngine(dir)
    try {
      await engine.createTopic('tx', { partitions: 1 })
      const log = engine.partition('tx', 0)
      const producer = { producerId: 7, producerEpoch: 0, isTransactional: true }
      await log.appendRecords([{ value: Buffer.from('in-tx-1') }, { value: Buffer.from('in-tx-2') }], producer)
      await log.appendRecords([encodeTransactionMarker('COMMIT', 0)], { ...producer, isControl: true })
    } finally {
      await engine.close()
    }
    expect(await consumeLines(dir, ['--topic', 'tx', '--from-beginning'])).toEqual(['in-tx-1', 'in-tx-2'])
    expect(await consumeLines(dir, ['--topic', 'tx', '--group', 'g', '--from-beginning'])).toEqual(['in-tx-1', 'in-tx-2'])
    expect(await consumeLines(dir, ['--topic', 'tx', '--group', 'g', '--from-beginning'])).toEqual([])
  })

  it('--follow prints what is there, keeps waiting, and exits 0 on SIGINT or SIGTERM', async () => {
    const dir = await numbersDir()
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const group = `follower-${signal}`
      const child = spawn(
        process.execPath,
        [CLI_PATH, 'consume', dir, '--topic', 'numbers', '--group', group, '--from-beginning', '--follow'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, SEGLOG_DEBUG: '', NO_COLOR: '1', CI: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      )
      try {
        // Following, the lines are written as they are read, not held until the buffer fills.
        const deadline = Date.now() + 20_000
        while (outputLines(stdout).length < 10 && child.exitCode === null && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 25))
        expect(
          outputLines(stdout)
            .map(Number)
            .sort((a, b) => a - b),
        ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        await new Promise((resolve) => setTimeout(resolve, 500))
        expect(child.exitCode).toBeNull() // still waiting for more
        child.kill(signal)
        expect(await exited).toEqual({ code: 0, signal: null })
        expect(stderr).toBe('')
      } finally {
        child.kill('SIGKILL')
      }
      // It committed what it printed before it stopped, and closed the directory cleanly.
      expect(await consumeLines(dir, ['--topic', 'numbers', '--group', group])).toEqual([])
    }
  })

  it('a topic that does not exist, or a partition it does not have, is a usage error', async () => {
    const dir = await numbersDir()
    expectOneLineError(await consume(dir, ['--topic', 'missing', '--from-beginning']), 2, /topic 'missing' does not exist/)
    expectOneLineError(
      await consume(dir, ['--topic', 'numbers', '--partition', '2', '--from-beginning']),
      2,
      /topic 'numbers' has no partition 2 \(it has 2\)/,
    )
  })

  it('rejects wrong flags with exit 2 before the directory is created', async () => {
    const dir = await dataDir()
    const cases: [string[], RegExp][] = [
      [[dir, '--topic', 'numbers', '--offset', '1'], /--offset needs --partition/],
      [
        [dir, '--topic', 'numbers', '--from-beginning', '--offset', '1', '--partition', '0'],
        /use only one of --from, --from-beginning, --offset and --timestamp/,
      ],
      [[dir, '--topic', 'numbers', '--from', 'latest', '--from-beginning'], /use only one of/],
      [[dir, '--topic', 'numbers', '--from', 'middle'], /--from must be earliest or latest, got 'middle'/],
      [[dir, '--topic', 'numbers', '--from-beginning', '--timestamp', '5'], /use only one of/],
      [[dir, '--topic', 'numbers', '--colour'], /unknown option '--colour'/],
      [[dir, '--from-beginning'], /missing --topic/],
      [[dir, '--topic', 'numbers', '--max', '0'], /option '--max' expects a whole number >= 1, got '0'/],
      [[dir, '--topic', 'numbers', '--partition', 'one'], /option '--partition' expects a whole number/],
      [[dir, '--topic', 'numbers', '--print-key=yes'], /option '--print-key' takes no value/],
      [['--topic', 'numbers'], /missing DIR/],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(['consume', ...args])))
    results.forEach((result, slot) => expectOneLineError(result, 2, cases[slot]![1]))
    // Checked before the engine opens: the directory was not even created.
    expect(fs.existsSync(dir)).toBe(false)
  })

  it('piped into head -n 1 it stops quietly with exit 0 (no EPIPE stack trace)', async () => {
    const dir = await dataDir()
    const lines = Array.from({ length: 20_000 }, (_, slot) => `${slot}`.padStart(100, '.'))
    await produceOk(dir, ['--topic', 'big', '--create', '--compression', 'none'], lines.join('\n') + '\n')
    // The exit status of seglog itself, not of head, goes to stderr.
    const script = `{ "${process.execPath}" "${CLI_PATH}" consume "${dir}" --topic big --from-beginning; echo "seglog exit $?" >&2; } | head -n 1`
    const result = await runShell(script)
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${lines[0]}\n`)
    expect(result.stderr).toBe('seglog exit 0\n')
  })

  it('--help prints the usage and every option, exit 0', async () => {
    const result = await runCli(['consume', '--help'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^Usage: seglog consume DIR --topic TOPIC/)
    for (const option of [
      '--topic',
      '--group',
      '--from-beginning',
      '--offset',
      '--timestamp',
      '--partition',
      '--max',
      '--follow',
      '--print-key',
      '--json',
    ])
      expect(result.stdout).toContain(option)
  })
})

describe('the directory lock', () => {
  it('while an engine owns the directory, produce exits 1 with one line naming the process that holds it; consume reads read-only', async () => {
    const dir = await dataDir()
    await produceOk(dir, ['--topic', 'locked', '--create'], 'before\n')
    // The engine is this test's process: the line must name its pid.
    const engine = await openQuietEngine(dir)
    const holder = new RegExp(`\\b${process.pid}\\b`)
    try {
      const produced = await produce(dir, ['--topic', 'locked'], 'during\n')
      expectOneLineError(produced, 1, holder)
      // consume reads the owner's files read-only (test/cli/consume-live.cli.test.ts), saying so in one line.
      const consumed = await consume(dir, ['--topic', 'locked', '--from-beginning'])
      expect(consumed.code, consumed.stderr).toBe(0)
      expect(outputLines(consumed.stdout)).toEqual(['before'])
      expect(outputLines(consumed.stderr)).toEqual([expect.stringMatching(holder)])
    } finally {
      await engine.close()
    }
    // Nothing was appended while locked, and both work again once the engine is gone.
    expect(await consumeLines(dir, ['--topic', 'locked', '--from-beginning'])).toEqual(['before'])
  })
})

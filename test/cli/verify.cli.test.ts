import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LogEngine } from '../../src/engine/log-engine.js'
import { encodeBatch, writeBatchCrc } from '../../src/record/batch-encoder.js'
import { assertCliBuilt, fileStates, outputLines, runCli } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { buildClosedPartition, buildCrashedPartition, expectOpenRefused, type SegmentedDir } from './damaged-data.js'
import { batchPositions, buildDataDir, quarantineGarbage, segmentFile, T0, type BuiltDataDir } from './engine-data.js'
import { flipByte } from '../helpers/files.js'
import { openIdleEngine } from '../helpers/engine.js'

beforeAll(assertCliBuilt)

const opened: LogEngine[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()))
  await removeTmpDirs()
})

/** The summary line for the whole built directory (every .log file under it counts). */
function expectedSummary(data: BuiltDataDir, problems: number): string {
  let segments = 0
  let bytes = 0
  for (const name of fs.readdirSync(data.dir, { recursive: true }) as string[]) {
    if (!name.endsWith('.log')) continue
    segments++
    bytes += fs.statSync(path.join(data.dir, name)).size
  }
  let batches = 0
  let records = 0
  for (const built of data.partitions.values()) {
    batches += built.batches.length
    records += built.batches.reduce((total, batch) => total + batch.records, 0)
  }
  return `verified ${segments} segments, ${batches} batches, ${records} records, ${bytes} bytes: ${problems} problems`
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('seglog verify', () => {
  it('passes a clean data directory with exit 0 and one summary line', async () => {
    const data = await buildDataDir()
    for (const flags of [[], ['--deep']]) {
      const result = await runCli(['verify', ...flags, data.dir])
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(expectedSummary(data, 0) + '\n')
    }
  })

  it('verifies partition directories and .log files named directly', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const partition = await runCli(['verify', built.dir])
    expect(partition.code).toBe(0)
    expect(partition.stdout).toMatch(new RegExp(`^verified ${built.segmentBaseOffsets.length} segments, ${built.batches.length} batches, `))
    const log = segmentFile(built.dir, built.segmentBaseOffsets[0]!, '.log')
    const single = await runCli(['verify', log])
    expect(single.stderr).toBe('')
    expect(single.code).toBe(0)
    expect(single.stdout).toBe(
      `verified 1 segments, ${batchPositions(log).length} batches, ${2 * batchPositions(log).length} records, ${fs.statSync(log).size} bytes: 0 problems\n`,
    )
  })

  it('names the file and byte position of a batch with a flipped byte, exit 1', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const log = segmentFile(built.dir, 0, '.log')
    const position = batchPositions(log)[5]!
    flipByte(log, position + 70) // inside the records area, covered by the CRC
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    const stderr = outputLines(result.stderr)
    expect(stderr).toEqual([expect.stringMatching(new RegExp(`^seglog: ${escape(log)} at byte ${position}: bad-crc `))])
    expect(result.stdout).toBe(expectedSummary(data, 1) + '\n')
  })

  it('reports records that do not decode only with --deep', async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const broken = encodeBatch(
      [
        { value: Buffer.from('a'), timestamp: T0 },
        { value: Buffer.from('b'), timestamp: T0 },
      ],
      { baseOffset: 0 },
    )
    broken.writeInt32BE(1, 57) // claims 1 record, holds 2 (lastOffsetDelta still 1)
    writeBatchCrc(broken)
    const log = path.join(dir, '00000000000000000000.log')
    fs.writeFileSync(log, broken)
    expect((await runCli(['verify', log])).code).toBe(0)
    const deep = await runCli(['verify', '--deep', log])
    expect(deep.code).toBe(1)
    expect(outputLines(deep.stderr).filter((line) => line.startsWith('seglog:'))).toEqual([
      expect.stringMatching(new RegExp(`^seglog: ${escape(log)} at byte \\d+: bad-length .*in the batch at byte 0$`)),
    ])
  })

  it('reports a truncated segment tail at the byte where the partial batch starts', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-1')!
    const log = segmentFile(built.dir, built.segmentBaseOffsets.at(-1)!, '.log')
    const last = batchPositions(log).at(-1)!
    fs.truncateSync(log, fs.statSync(log).size - 10)
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    const stderr = outputLines(result.stderr)
    expect(stderr[0]).toMatch(new RegExp(`^seglog: ${escape(log)} at byte ${last}: \\d+ bytes of a partial batch at the end of the file`))
    // The cut batch was the one the engine recorded as the log end in its checkpoint.
    expect(stderr.some((line) => line.includes('recovery-point-offset-checkpoint') && line.includes('past the log end offset'))).toBe(true)
  })

  it('reports a deleted index and a deleted time index', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const index = segmentFile(built.dir, 0, '.index')
    const timeIndex = segmentFile(built.dir, built.segmentBaseOffsets[1]!, '.timeindex')
    fs.rmSync(index)
    fs.rmSync(timeIndex)
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      `seglog: ${index}: missing (the engine rebuilds it from the log on open)`,
      `seglog: ${timeIndex}: missing (the engine rebuilds it from the log on open)`,
    ])
    expect(result.stdout).toBe(expectedSummary(data, 2) + '\n')
  })

  it('reports a garbage index entry pointing past the log, as dump --verify-index-only does', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const index = segmentFile(built.dir, 0, '.index')
    const bytes = fs.readFileSync(index)
    const slot = 2
    const relativeOffset = bytes.readInt32BE(slot * 8)
    bytes.writeInt32BE(9_999_999, slot * 8 + 4)
    fs.writeFileSync(index, bytes)
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    const stderr = outputLines(result.stderr)
    expect(stderr).toContainEqual(
      `seglog: ${index} at byte ${slot * 8}: entry ${slot} (offset ${relativeOffset}, position 9999999) points at byte 9999999, past the end of the ${fs.statSync(segmentFile(built.dir, 0, '.log')).size}-byte log`,
    )
    const dumped = await runCli(['dump', '--verify-index-only', index])
    expect(dumped.code).toBe(1)
    expect(outputLines(dumped.stderr)).toContainEqual(
      expect.stringMatching(new RegExp(`^ {2}Index offset: ${relativeOffset}, log offset: -1 `)),
    )
  })

  it('reports a closed segment whose time index lacks its closing entry', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const timeIndex = segmentFile(built.dir, 0, '.timeindex')
    fs.truncateSync(timeIndex, fs.statSync(timeIndex).size - 12)
    const result = await runCli(['verify', built.dir])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^seglog: ${escape(timeIndex)} at byte \\d+: last entry .* is not the segment's largest timestamp`)),
    ])
  })

  it('checks the checkpoints against the partitions they name', async () => {
    const data = await buildDataDir()
    const end = data.partitions.get('orders-0')!.logEndOffset
    const recoveryFile = path.join(data.dir, 'recovery-point-offset-checkpoint')
    const text = fs.readFileSync(recoveryFile, 'utf8')
    fs.writeFileSync(
      recoveryFile,
      text.replace(`orders 0 ${end}`, `orders 0 ${end + 5}`).replace(/^0\n(\d+)\n/, (_, count: string) => `0\n${Number(count) + 1}\n`) +
        'ghost 0 3\n',
    )
    fs.writeFileSync(
      path.join(data.dir, 'log-start-offset-checkpoint'),
      `0\n1\norders 1 ${data.partitions.get('orders-1')!.logEndOffset + 1}\n`,
    )
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    const stderr = outputLines(result.stderr)
    const line = text.split('\n').indexOf(`orders 0 ${end}`) + 1
    expect(stderr).toContain(`seglog: ${recoveryFile} line ${line} (orders 0): recovery point ${end + 5} is past the log end offset ${end}`)
    expect(stderr).toContainEqual(
      expect.stringMatching(/recovery-point-offset-checkpoint line \d+ \(ghost 0\): names a partition that has no directory$/),
    )
    expect(stderr).toContainEqual(
      expect.stringMatching(
        /log-start-offset-checkpoint line 3 \(orders 1\): log start offset \d+ is outside the partition's offsets \[0, \d+\]/,
      ),
    )
    expect(stderr).toHaveLength(3)
  })

  it('reports an unparsable checkpoint with its line', async () => {
    const data = await buildDataDir()
    fs.writeFileSync(path.join(data.dir, 'log-start-offset-checkpoint'), '0\n2\norders 0 1\n')
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([expect.stringMatching(/log-start-offset-checkpoint line 2: declares 2 entries but has 1$/)])
  })

  it('checks topics.json against the partition directories', async () => {
    const data = await buildDataDir()
    const topicsFile = path.join(data.dir, 'topics.json')
    const topics = JSON.parse(fs.readFileSync(topicsFile, 'utf8')) as { topics: Record<string, { partitions: number }> }
    topics.topics.audit!.partitions = 2
    fs.writeFileSync(topicsFile, JSON.stringify(topics))
    fs.cpSync(data.partitions.get('orders-1')!.dir, path.join(data.dir, 'orders-7'), { recursive: true })
    fs.cpSync(data.partitions.get('orders-1')!.dir, path.join(data.dir, 'stray-0'), { recursive: true })
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([
      `seglog: ${path.join(data.dir, 'audit-1')}: missing: topics.json gives topic 'audit' 2 partitions`,
      `seglog: ${path.join(data.dir, 'orders-7')}: topics.json gives topic 'orders' only 2 partitions (the engine leaves this directory alone)`,
      `seglog: ${path.join(data.dir, 'stray-0')}: topics.json has no topic 'stray' (the engine leaves this directory alone)`,
    ])
  })

  it('mentions quarantine files as notes without failing', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    const quarantine = await quarantineGarbage(data.dir, built.dir, built.segmentBaseOffsets.at(-1)!, Buffer.alloc(100, 0xee))
    const result = await runCli(['verify', data.dir])
    expect(result.code).toBe(0)
    expect(outputLines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^note: ${escape(quarantine)}: 100 bytes recovery cut from `)),
    ])
    expect(result.stdout).toMatch(/: 0 problems\n$/)
  })

  it('works while a running engine owns the directory, and changes nothing', async () => {
    const data = await buildDataDir()
    const engine = await openIdleEngine(data.dir)
    opened.push(engine)
    const before = fileStates(data.dir)
    const result = await runCli(['verify', '--deep', data.dir])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(expectedSummary(data, 0) + '\n')
    const files = await runCli([
      'verify',
      ...data.partitions.get('orders-0')!.segmentBaseOffsets.map((base) => segmentFile(data.partitions.get('orders-0')!.dir, base, '.log')),
    ])
    expect(files.code).toBe(0)
    expect(fileStates(data.dir)).toEqual(before)
  })

  it('changes nothing in a damaged directory either', async () => {
    const data = await buildDataDir()
    const built = data.partitions.get('orders-0')!
    flipByte(segmentFile(built.dir, 0, '.log'), 100)
    fs.rmSync(segmentFile(built.dir, 0, '.index'))
    fs.rmSync(path.join(data.dir, '.lock'))
    const before = fileStates(data.dir)
    expect((await runCli(['verify', '--deep', data.dir])).code).toBe(1)
    expect(fileStates(data.dir)).toEqual(before)
  })
})

describe('seglog verify: damage away from the tail', () => {
  it('reports a deleted middle segment: the offsets between two segments are missing', async () => {
    const built = await buildClosedPartition()
    const [first, second, third] = built.segmentBaseOffsets as [number, number, number]
    for (const suffix of ['.log', '.index', '.timeindex'] as const) fs.rmSync(segmentFile(built.partitionDir, second, suffix))
    const result = await runCli(['verify', '--deep', built.dir])
    expect(result.code).toBe(1)
    const before = segmentFile(built.partitionDir, first, '.log')
    const after = segmentFile(built.partitionDir, third, '.log')
    expect(outputLines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^seglog: ${escape(after)}: base offset ${third} .*${escape(before)}.* ${second - 1}: offsets ${second}\\.\\.${third - 1} `,
        ),
      ),
    ])
    expect(result.stdout).toMatch(/: 1 problems\n$/)
  })

  /** verify's line about the first damage of orders-0, and what the engine does on open. */
  async function verdicts(built: SegmentedDir, damaged: string): Promise<{ line: string; code: number | null }> {
    const result = await runCli(['verify', built.dir])
    const line = outputLines(result.stderr).find((text) => text.startsWith(`seglog: ${damaged} at byte `))
    expect(line, result.stderr).toBeDefined()
    return { line: line!, code: result.code }
  }

  it('says a cut below the recovery point needs seglog repair, as the engine refuses to open it', async () => {
    for (const build of [buildClosedPartition, buildCrashedPartition]) {
      const built = await build()
      const last = segmentFile(built.partitionDir, built.segmentBaseOffsets.at(-1)!, '.log')
      const lastBatch = batchPositions(last).at(-1)!
      fs.truncateSync(last, fs.statSync(last).size - 10)
      const { line, code } = await verdicts(built, last)
      expect(code).toBe(1)
      expect(line).toMatch(new RegExp(`^seglog: ${escape(last)} at byte ${lastBatch}: `))
      expect(line).toContain('seglog repair')
      expect(line).not.toContain('recovery cuts')
      const refused = await expectOpenRefused(built.dir)
      expect(refused.file).toBe(last)
    }
  })

  it('says damage in a middle segment below the recovery point needs seglog repair, as the engine refuses', async () => {
    const built = await buildCrashedPartition()
    const middle = segmentFile(built.partitionDir, built.segmentBaseOffsets[1]!, '.log')
    const position = batchPositions(middle)[10]!
    flipByte(middle, position + 70)
    const { line, code } = await verdicts(built, middle)
    expect(code).toBe(1)
    expect(line).toMatch(new RegExp(`^seglog: ${escape(middle)} at byte ${position}: bad-crc `))
    expect(line).toContain('seglog repair')
    const refused = await expectOpenRefused(built.dir)
    expect([refused.file, refused.position, refused.reason]).toEqual([middle, position, 'bad-crc'])
  })

  it('says a partial batch past the recovery point is a torn write that recovery cuts, as the engine does', async () => {
    const built = await buildCrashedPartition()
    const last = segmentFile(built.partitionDir, built.segmentBaseOffsets.at(-1)!, '.log')
    const size = fs.statSync(last).size
    fs.appendFileSync(last, built.original.get(built.segmentBaseOffsets[0]!)!.subarray(0, 40))
    const { line, code } = await verdicts(built, last)
    expect(code).toBe(1)
    expect(line).toMatch(
      new RegExp(`^seglog: ${escape(last)} at byte ${size}: 40 bytes of a partial batch at the end of the file; .*recovery cuts`),
    )
    expect(line).not.toContain('seglog repair')
    const engine = await openIdleEngine(built.dir)
    expect(engine.partition('orders', 0).logEndOffset).toBe(built.logEndOffset)
    await engine.close()
    expect(fs.statSync(last).size).toBe(size)
    expect(fs.readFileSync(`${last}.${size}.quarantine`)).toHaveLength(40)
  })
})

describe('seglog verify: bad arguments', () => {
  it('rejects an unknown flag and a missing argument with exit 2', async () => {
    for (const args of [['verify', '--bogus', '.'], ['verify'], ['verify', '--deep=yes', '.']]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      expect(outputLines(result.stderr)).toEqual([expect.stringMatching(/^seglog: /), "Try 'seglog verify --help'"])
    }
  })

  it('reports a missing directory on one line, exit 1', async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const missing = path.join(dir, 'nope')
    const result = await runCli(['verify', missing])
    expect(result.code).toBe(1)
    expect(outputLines(result.stderr)).toEqual([`seglog: cannot read ${missing}: no such file or directory`])
    expect(result.stdout).toBe('verified 0 segments, 0 batches, 0 records, 0 bytes: 1 problems\n')
  })

  it("reports a directory that is not seglog's and a file it cannot verify, exit 1", async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const notes = path.join(dir, 'notes.txt')
    fs.writeFileSync(notes, 'hi')
    const result = await runCli(['verify', dir, notes])
    expect(result.code).toBe(1)
    const stderr = outputLines(result.stderr)
    expect(stderr).toHaveLength(2)
    expect(stderr[0]).toContain(`${dir} is neither a seglog data directory`)
    expect(stderr[1]).toContain(`${notes}: seglog verify reads`)
  })

  it('prints its help', async () => {
    const result = await runCli(['help', 'verify'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: seglog verify \[options\] DIR\|FILE\.\.\./)
    expect(result.stdout).toContain('--deep')
  })
})

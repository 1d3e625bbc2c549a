import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PartitionLog } from '../../src/log/partition-log.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import {
  appendBatches,
  buildLog,
  caught,
  fileSystemWithoutFsyncs,
  markUnclean,
  openEngineWithLog,
  partitionDir,
  readAll,
  TOPIC,
  type BuiltRecord,
} from './fixtures.js'
import { prng, randomInt, scanSegment, segmentLogs, type ScannedBatch } from './helpers.js'
import { flipByte } from '../helpers/files.js'

/**
 * Damage on disk (docs/testing.md T4, T5, T7, T14; docs/durability.md): a flipped byte past and
 * below the recovery point, after clean and unclean shutdowns; damaged index files; leftovers of
 * interrupted operations; and the truncation sweep. Files are damaged with real writes, then the
 * directory is reopened through the engine.
 */

afterEach(removeTmpDirs)

/** Each segment of the partition with its batches (positions, offsets) from an independent scan. */
function layout(dir: string): { name: string; file: string; base: number; size: number; batches: ScannedBatch[] }[] {
  return segmentLogs(partitionDir(dir)).map((segment) => {
    const bytes = fs.readFileSync(segment.file)
    const scan = scanSegment(bytes, segment.base)
    expect(scan.stop).toBeNull()
    return { ...segment, size: bytes.length, batches: scan.batches }
  })
}

/** A log of about six 4 KiB segments with one index entry per batch. */
async function buildSmallLog(dir: string): Promise<BuiltRecord[]> {
  const records = await buildLog(dir, { batches: 80 })
  expect(segmentLogs(partitionDir(dir)).length).toBeGreaterThanOrEqual(5)
  return records
}

/** Records in [from, to), one batch per read, so a damaged batch at `to` is never fetched. */
async function readRange(log: PartitionLog, from: number, to: number): Promise<BuiltRecord[]> {
  const records: BuiltRecord[] = []
  for await (const batch of log.batches({ from, to, maxBytes: 1 })) {
    for (const record of batch.records()) {
      if (record.offset >= from && record.offset < to)
        records.push({ offset: record.offset, timestamp: record.timestamp, value: Buffer.from(record.value!) })
    }
  }
  return records
}

/** Same offsets, timestamps and values (one assertion, so sweeps of thousands of reopens stay fast). */
function expectRecords(actual: readonly BuiltRecord[], expected: readonly BuiltRecord[], label = ''): void {
  const differences: string[] = []
  if (actual.length !== expected.length) differences.push(`${actual.length} records, expected ${expected.length}`)
  for (let slot = 0; slot < Math.min(actual.length, expected.length) && differences.length < 5; slot++) {
    const [got, want] = [actual[slot]!, expected[slot]!]
    if (got.offset !== want.offset || got.timestamp !== want.timestamp || !got.value.equals(want.value)) {
      differences.push(
        `record ${slot}: offset ${got.offset} at ${got.timestamp}, expected offset ${want.offset} at ${want.timestamp}${got.value.equals(want.value) ? '' : ' (value differs)'}`,
      )
    }
  }
  expect(differences, label).toEqual([])
}

describe('a damaged batch past the recovery point (unclean shutdown)', () => {
  it('is cut with everything after it, quarantined byte for byte, reported, and appends continue at the new end', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const target = segments[1]!
    const batch = target.batches[Math.floor(target.batches.length / 2)]!
    // A byte inside the records area, which the CRC covers.
    flipByte(target.file, batch.position + 70)
    const before = new Map(segments.map((segment) => [segment.name, fs.readFileSync(segment.file)]))
    markUnclean(dir, target.base)

    const { engine, log, warnings, events } = await openEngineWithLog(dir)
    try {
      expect(log.logEndOffset).toBe(batch.baseOffset)
      expectRecords(
        await readAll(log),
        records.filter((record) => record.offset < batch.baseOffset),
      )

      // One event for the cut, then one per later segment, each with its quarantine copy.
      expect(events.map((event) => [path.basename(event.file), event.position, event.bytes])).toEqual([
        [target.name, batch.position, target.size - batch.position],
        ...segments.slice(2).map((segment) => [segment.name, 0, segment.size]),
      ])
      const cutFile = path.join(partitionDir(dir), `${target.name}.${batch.position}.quarantine`)
      expect(events[0]!.quarantineFile).toBe(cutFile)
      expect(fs.readFileSync(cutFile).equals(before.get(target.name)!.subarray(batch.position))).toBe(true)
      for (const segment of segments.slice(2)) {
        const whole = path.join(partitionDir(dir), `${segment.name}.0.quarantine`)
        expect(fs.readFileSync(whole).equals(before.get(segment.name)!)).toBe(true)
        for (const suffix of ['.log', '.index', '.timeindex']) expect(fs.existsSync(segment.file.replace(/\.log$/, suffix))).toBe(false)
      }
      expect(fs.statSync(target.file).size).toBe(batch.position)
      expect(warnings[0]).toContain(target.file)
      expect(warnings[0]).toContain(`at byte ${batch.position}`)
      expect(warnings[0]).toContain(cutFile)

      const info = await log.appendRecords([{ value: Buffer.from('after recovery') }])
      expect(info.baseOffset).toBe(batch.baseOffset)
      const [last] = await readAll(log, info.baseOffset)
      expect(last!.value.toString()).toBe('after recovery')
    } finally {
      await engine.close()
    }
    // And the result is stable: a clean reopen sees the same log and reports nothing.
    const again = await openEngineWithLog(dir)
    try {
      expect(again.log.logEndOffset).toBe(batch.baseOffset + 1)
      expect(again.warnings).toEqual([])
    } finally {
      await again.engine.close()
    }
  })
})

describe('a damaged batch below the recovery point (durable data)', () => {
  it('in a segment recovery does not scan: the open succeeds and a read of it throws CORRUPT_RECORD with file and position', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const target = segments[0]!
    const batch = target.batches[3]!
    flipByte(target.file, batch.position + 65)
    // Unclean, but the checkpoint (written by close) says everything is durable.
    markUnclean(dir)

    const { engine, log, warnings } = await openEngineWithLog(dir)
    try {
      expect(warnings).toEqual([])
      expect(log.logEndOffset).toBe(records.length)
      const error = await caught(() => readAll(log))
      expect(error.code).toBe('CORRUPT_RECORD')
      expect(error.file).toBe(target.file)
      expect(error.position).toBe(batch.position)
      expect(error.message).toContain(target.file)
      expect(error.message).toContain(`at byte ${batch.position}`)
      // Everything before it, and everything after it, is still readable.
      expectRecords(
        await readAll(log, segments[1]!.base),
        records.filter((record) => record.offset >= segments[1]!.base),
      )
      expectRecords(
        await readRange(log, 0, batch.baseOffset),
        records.filter((record) => record.offset < batch.baseOffset),
      )
      // The damage does not stop appends, and nothing was cut.
      await log.appendRecords([{ value: Buffer.from('x') }])
      expect(fs.statSync(target.file).size).toBe(target.size)
    } finally {
      await engine.close()
    }
  })

  it('in the segment recovery scans: the open fails with CORRUPT_RECORD naming file and position, and cuts nothing', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const target = segments[segments.length - 1]!
    expect(target.batches.length).toBeGreaterThanOrEqual(3)
    const batch = target.batches[1]!
    flipByte(target.file, batch.position + 65)
    const bytesBefore = fs.readFileSync(target.file)
    markUnclean(dir)

    const error = await caught(() => openEngineWithLog(dir))
    expect(error.code).toBe('CORRUPT_RECORD')
    expect(error.file).toBe(target.file)
    expect(error.position).toBe(batch.position)
    expect(fs.readFileSync(target.file).equals(bytesBefore)).toBe(true)
    expect(fs.readdirSync(partitionDir(dir)).filter((name) => name.endsWith('.quarantine'))).toEqual([])
    // The lock was released: the directory can be opened again (and fails the same way).
    expect((await caught(() => openEngineWithLog(dir))).code).toBe('CORRUPT_RECORD')

    // The manual repair docs/durability.md describes: a recovery point at or below the damaged
    // batch makes the next open cut there, keeping the cut bytes in a quarantine file.
    markUnclean(dir, batch.baseOffset)
    const { engine, log, events } = await openEngineWithLog(dir)
    try {
      expect(events.map((event) => [path.basename(event.file), event.position, event.bytes])).toEqual([
        [target.name, batch.position, target.size - batch.position],
      ])
      expect(fs.readFileSync(events[0]!.quarantineFile!).equals(bytesBefore.subarray(batch.position))).toBe(true)
      expect(log.logEndOffset).toBe(batch.baseOffset)
      expectRecords(
        await readAll(log),
        records.filter((record) => record.offset < batch.baseOffset),
      )
    } finally {
      await engine.close()
    }
  })
})

describe('a damaged batch in a cleanly closed log', () => {
  it('is detected on the first read after open, wherever the flipped byte lies in the CRC-covered bytes', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const random = prng(7)
    const cases: { segment: (typeof segments)[number]; batch: ScannedBatch; at: number }[] = []
    for (const segment of [segments[1]!, segments[segments.length - 1]!]) {
      for (let round = 0; round < 12; round++) {
        // Not the last batch of the active segment: a clean open reads its header to find the end.
        const usable = segment === segments[segments.length - 1] ? segment.batches.slice(0, -1) : segment.batches
        const batch = usable[randomInt(random, 0, usable.length - 1)]!
        // 17..20 is the CRC itself; 21..end is what it covers.
        cases.push({ segment, batch, at: batch.position + randomInt(random, 17, batch.size - 1) })
      }
    }
    for (const { segment, batch, at } of cases) {
      const mask = 1 << randomInt(random, 0, 7)
      flipByte(segment.file, at, mask)
      const { engine, log, warnings } = await openEngineWithLog(dir)
      try {
        expect(engine.wasCleanShutdown).toBe(true)
        expect(warnings).toEqual([])
        const error = await caught(() => readAll(log, segment.base))
        expect(error.code, `flip at byte ${at} of ${segment.name}`).toBe('CORRUPT_RECORD')
        expect(error.file).toBe(segment.file)
        expect(error.position).toBe(batch.position)
        expectRecords(
          await readRange(log, segment.base, batch.baseOffset),
          records.filter((record) => record.offset >= segment.base && record.offset < batch.baseOffset),
        )
      } finally {
        await engine.close()
      }
      flipByte(segment.file, at, mask)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// (d) Index files are derived data

const TIME_BASE = 1_700_000_000_000

/** Timestamps mostly ascending, with some batches going back in time (out-of-order producers). */
function skewedTimestamp(batch: number, slot: number): number {
  const step = batch % 7 === 3 ? batch - 5 : batch
  return TIME_BASE + step * 1000 + slot
}

/** Every answer an index feeds: batch lookup per offset, time lookups, segment max timestamps. */
async function lookupAnswers(log: PartitionLog, records: readonly BuiltRecord[]): Promise<string[]> {
  const answers: string[] = []
  for (let offset = log.logStartOffset; offset < log.logEndOffset; offset++) {
    const { firstOffset, nextOffset } = await log.readRaw(offset, { maxBytes: 1 })
    answers.push(`offset ${offset}: batch ${firstOffset}..${nextOffset - 1}`)
  }
  const probes = new Set<number>()
  for (const record of records) for (const delta of [-1, 0, 1]) probes.add(record.timestamp + delta)
  probes.add(TIME_BASE - 10_000)
  probes.add(TIME_BASE + 10_000_000)
  for (const timestamp of [...probes].sort((a, b) => a - b)) {
    const found = await log.offsetForTimestamp(timestamp)
    answers.push(`time ${timestamp}: ${found === null ? 'none' : `${found.offset}@${found.timestamp}`}`)
  }
  const max = await log.offsetForTimestamp(-3)
  answers.push(`max timestamp: ${JSON.stringify(max)}`)
  for (const segment of log.segmentList) answers.push(`segment ${segment.baseOffset}: largest timestamp ${segment.largestTimestamp}`)
  return answers
}

type IndexDamage = 'deleted' | 'truncated mid-entry' | 'truncated to empty' | 'zero-filled' | 'garbage' | 'garbage appended'

function damageIndex(file: string, damage: IndexDamage, random: () => number): void {
  const size = fs.statSync(file).size
  const noise = (length: number): Buffer => Buffer.from(Array.from({ length }, () => randomInt(random, 0, 255)))
  switch (damage) {
    case 'deleted':
      fs.rmSync(file)
      break
    case 'truncated mid-entry':
      fs.truncateSync(file, size - 3)
      break
    case 'truncated to empty':
      fs.truncateSync(file, 0)
      break
    case 'zero-filled':
      fs.writeFileSync(file, Buffer.alloc(size))
      break
    case 'garbage':
      fs.writeFileSync(file, noise(size))
      break
    case 'garbage appended':
      fs.appendFileSync(file, noise(randomInt(random, 1, 100)))
      break
  }
}

describe('damaged .index and .timeindex files', () => {
  const damages: IndexDamage[] = ['deleted', 'truncated mid-entry', 'truncated to empty', 'zero-filled', 'garbage', 'garbage appended']
  it.each(['clean', 'unclean'] as const)('are rebuilt after a %s shutdown with identical lookup answers', async (shutdown) => {
    const source = await makeTmpDir()
    const records = await buildLog(source, { batches: 80, timestamp: skewedTimestamp })
    const segments = layout(source)
    const reference = await (async () => {
      const { engine, log } = await openEngineWithLog(source)
      try {
        return await lookupAnswers(log, records)
      } finally {
        await engine.close()
      }
    })()
    const random = prng(11)
    for (const segment of [segments[1]!, segments[segments.length - 1]!]) {
      for (const suffix of ['.index', '.timeindex']) {
        const indexName = segment.name.replace(/\.log$/, suffix)
        expect(
          fs.statSync(path.join(partitionDir(source), indexName)).size,
          `${indexName} should hold several entries`,
        ).toBeGreaterThanOrEqual(suffix === '.index' ? 24 : 36)
        for (const damage of damages) {
          const dir = await makeTmpDir()
          fs.cpSync(source, dir, { recursive: true })
          damageIndex(path.join(partitionDir(dir), indexName), damage, random)
          if (shutdown === 'unclean') markUnclean(dir)
          const label = `${indexName} ${damage}, ${shutdown} shutdown`
          const { engine, log } = await openEngineWithLog(dir)
          try {
            expect(await lookupAnswers(log, records), label).toEqual(reference)
            expectRecords(await readAll(log), records)
          } finally {
            await engine.close()
          }
          // Whatever was rebuilt is whole again: a second open gives the same answers.
          const again = await openEngineWithLog(dir)
          try {
            expect(await lookupAnswers(again.log, records), `${label}, reopened`).toEqual(reference)
          } finally {
            await again.engine.close()
          }
        }
      }
    }
  })

  it('a zero-filled one-entry time index does not make live data look expired (KAFKA-10207)', async () => {
    const dir = await makeTmpDir()
    const now = Date.now()
    // Two batches per segment: one time-index entry each (the closing one).
    const records = await buildLog(dir, {
      batches: 6,
      recordsPerBatch: () => 1,
      valueBytes: () => 1500,
      timestamp: (batch) => now - 60_000 + batch,
      topic: { segmentBytes: 3300, retentionMs: 3_600_000 },
    })
    const segments = layout(dir)
    expect(segments.length).toBeGreaterThanOrEqual(3)
    const timeIndex = segments[0]!.file.replace(/\.log$/, '.timeindex')
    expect(fs.statSync(timeIndex).size).toBe(12)
    fs.writeFileSync(timeIndex, Buffer.alloc(12))
    const { engine, log } = await openEngineWithLog(dir)
    try {
      expect(log.segmentList[0]!.largestTimestamp).toBe(records.filter((record) => record.offset < segments[1]!.base).at(-1)!.timestamp)
      const result = await engine.applyRetention(now)
      expect(result.size).toBe(0)
      expect(log.logStartOffset).toBe(0)
    } finally {
      await engine.close()
    }
  })
})

// ---------------------------------------------------------------------------------------------
// (e) Leftovers of interrupted operations

/** Builds the files of one segment holding `bytes` (log + rebuilt indexes) in a scratch directory. */
async function segmentFilesFor(base: number, bytes: Buffer): Promise<Record<'.log' | '.index' | '.timeindex', Buffer>> {
  const scratch = await makeTmpDir()
  const name = String(base).padStart(20, '0')
  fs.writeFileSync(path.join(scratch, `${name}.log`), bytes)
  const config = {
    segmentBytes: 1 << 30,
    segmentMs: 1 << 30,
    segmentIndexBytes: 1 << 20,
    indexIntervalBytes: 256,
    maxBatchBytes: 1 << 24,
    retentionMs: -1,
    retentionBytes: -1,
  }
  const log = await PartitionLog.open(scratch, TOPIC, 0, config, { isClean: false, recoveryPoint: base, logStartOffset: base })
  await log.close()
  const read = (suffix: string): Buffer => fs.readFileSync(path.join(scratch, `${name}${suffix}`))
  return { '.log': read('.log'), '.index': read('.index'), '.timeindex': read('.timeindex') }
}

describe('leftovers of interrupted operations, handled as Kafka does', () => {
  it('.deleted files are removed and the log starts after them', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    for (const segment of segments.slice(0, 2)) {
      for (const suffix of ['.log', '.index', '.timeindex']) {
        const file = segment.file.replace(/\.log$/, suffix)
        fs.renameSync(file, `${file}.deleted`)
      }
    }
    const { engine, log } = await openEngineWithLog(dir)
    try {
      expect(fs.readdirSync(partitionDir(dir)).filter((name) => name.endsWith('.deleted'))).toEqual([])
      expect(log.logStartOffset).toBe(segments[2]!.base)
      expectRecords(
        await readAll(log),
        records.filter((record) => record.offset >= segments[2]!.base),
      )
      expect((await caught(() => log.readRaw(0))).code).toBe('OFFSET_OUT_OF_RANGE')
    } finally {
      await engine.close()
    }
  })

  it('.cleaned and .tmp files are removed and change nothing', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const garbage = Buffer.from('half-written cleaner output')
    const leftovers = [
      `${segments[1]!.name}.cleaned`,
      segments[1]!.name.replace('.log', '.index.cleaned'),
      `${segments[2]!.name}.tmp`,
      '00000000000000000999.snapshot.tmp',
    ]
    for (const name of leftovers) fs.writeFileSync(path.join(partitionDir(dir), name), garbage)
    const { engine, log } = await openEngineWithLog(dir)
    try {
      for (const name of leftovers) expect(fs.existsSync(path.join(partitionDir(dir), name)), name).toBe(false)
      expectRecords(await readAll(log), records)
    } finally {
      await engine.close()
    }
  })

  it.each(['clean', 'unclean'] as const)('a complete .swap set replaces its segment (%s shutdown)', async (shutdown) => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const target = segments[2]!
    // What a cleaner would write: the segment without its second batch (offsets keep their gap).
    const original = fs.readFileSync(target.file)
    const dropped = target.batches[1]!
    const cleaned = Buffer.concat([original.subarray(0, dropped.position), original.subarray(dropped.position + dropped.size)])
    const files = await segmentFilesFor(target.base, cleaned)
    for (const [suffix, bytes] of Object.entries(files)) fs.writeFileSync(target.file.replace(/\.log$/, `${suffix}.swap`), bytes)
    if (shutdown === 'unclean') markUnclean(dir)
    const { engine, log } = await openEngineWithLog(dir)
    try {
      expect(fs.readdirSync(partitionDir(dir)).filter((name) => name.endsWith('.swap'))).toEqual([])
      expect(fs.readFileSync(target.file).equals(cleaned)).toBe(true)
      const expected = records.filter((record) => record.offset < dropped.baseOffset || record.offset > dropped.lastOffset)
      expectRecords(await readAll(log), expected)
    } finally {
      await engine.close()
    }
  })

  it('a .swap at or above the smallest .cleaned offset belongs to an unfinished clean and is deleted', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const bogus = await segmentFilesFor(
      segments[2]!.base,
      fs.readFileSync(segments[2]!.file).subarray(0, segments[2]!.batches[1]!.position),
    )
    fs.writeFileSync(`${segments[1]!.file}.cleaned`, Buffer.from('cleaner output in progress'))
    for (const [suffix, bytes] of Object.entries(bogus)) fs.writeFileSync(segments[2]!.file.replace(/\.log$/, `${suffix}.swap`), bytes)
    const { engine, log } = await openEngineWithLog(dir)
    try {
      expect(fs.readdirSync(partitionDir(dir)).filter((name) => name.endsWith('.swap') || name.endsWith('.cleaned'))).toEqual([])
      expectRecords(await readAll(log), records)
    } finally {
      await engine.close()
    }
  })

  it('a .swap that merged several segments replaces all of them', async () => {
    const dir = await makeTmpDir()
    const records = await buildSmallLog(dir)
    const segments = layout(dir)
    const [first, second] = [segments[1]!, segments[2]!]
    // A cleaner merged two segments into one (dropping one batch of each).
    const keep = (segment: typeof first): Buffer => {
      const bytes = fs.readFileSync(segment.file)
      const dropped = segment.batches[0]!
      return bytes.subarray(dropped.size)
    }
    const merged = Buffer.concat([keep(first), keep(second)])
    const files = await segmentFilesFor(first.base, merged)
    for (const [suffix, bytes] of Object.entries(files)) fs.writeFileSync(first.file.replace(/\.log$/, `${suffix}.swap`), bytes)
    const droppedOffsets = [first, second].map((segment) => segment.batches[0]!)
    const { engine, log } = await openEngineWithLog(dir)
    try {
      expect(fs.readdirSync(partitionDir(dir)).filter((name) => name.endsWith('.swap'))).toEqual([])
      expect(fs.existsSync(second.file)).toBe(false)
      const expected = records.filter(
        (record) => !droppedOffsets.some((batch) => record.offset >= batch.baseOffset && record.offset <= batch.lastOffset),
      )
      expectRecords(await readAll(log), expected)
    } finally {
      await engine.close()
    }
  })
})

// ---------------------------------------------------------------------------------------------
// (f) T4: the truncation sweep

describe('truncation sweep (T4)', () => {
  it('cutting the last segment at every byte length reopens to exactly the whole batches before the cut', async () => {
    const dir = await makeTmpDir()
    // Thousands of opens: on a tmpfs (when this user may mount one) they cost no disk metadata work.
    const onTmpfs = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir]).status === 0
    try {
      await truncationSweep(dir)
    } finally {
      if (onTmpfs) spawnSync('umount', [dir])
    }
  }, 120_000)
})

interface SweepEvent {
  position: number
  bytes: number
  quarantineFile: string | null
}

async function truncationSweep(dir: string): Promise<void> {
  // Two small segments, then a ~16 KiB last one (each reopen replays the log to rebuild producer
  // state, so small early segments keep the sweep fast).
  const { engine } = await openEngineWithLog(dir)
  await engine.createTopic(TOPIC, { segmentBytes: 2048, indexIntervalBytes: 512 })
  const config = { ...engine.topicConfig(TOPIC), segmentBytes: 16 * 1024 }
  let records: BuiltRecord[] = []
  for (let round = 0; engine.partition(TOPIC, 0).segmentCount < 3; round++)
    records = records.concat(await appendOneBatch(engine.partition(TOPIC, 0), round))
  await engine.close()
  const log = await PartitionLog.open(partitionDir(dir), TOPIC, 0, config, { isClean: true, recoveryPoint: 0, logStartOffset: 0 })
  for (let round = 0; log.segmentList.at(-1)!.size < 15 * 1024; round++) records = records.concat(await appendOneBatch(log, round))
  await log.close()

  const segments = layout(dir)
  const last = segments[segments.length - 1]!
  const original = fs.readFileSync(last.file)
  expect(segments.length).toBe(3)
  expect(last.batches.length).toBeGreaterThanOrEqual(40)
  const random = prng(5)

  /** Writes `content` as the last segment, reopens unclean, checks what recovery kept and cut. */
  const check = async (content: Buffer, validEnd: number, label: string, readEverything: boolean): Promise<void> => {
    fs.writeFileSync(last.file, content)
    for (const name of fs.readdirSync(partitionDir(dir))) if (name.endsWith('.quarantine')) fs.rmSync(path.join(partitionDir(dir), name))
    const whole = last.batches.filter((batch) => batch.position + batch.size <= validEnd)
    const end = whole.length > 0 ? whole.at(-1)!.lastOffset + 1 : last.base
    const events: SweepEvent[] = []
    const reopened = await PartitionLog.open(partitionDir(dir), TOPIC, 0, config, {
      isClean: false,
      recoveryPoint: last.base,
      logStartOffset: 0,
      onRecovery: (event) => events.push(event),
      fileSystem: fileSystemWithoutFsyncs,
    })
    try {
      expect(reopened.logEndOffset, label).toBe(end)
      if (content.length > validEnd) {
        expect(
          events.map((event) => [event.position, event.bytes]),
          label,
        ).toEqual([[validEnd, content.length - validEnd]])
        expect(fs.readFileSync(events[0]!.quarantineFile!).equals(content.subarray(validEnd)), label).toBe(true)
      } else {
        expect(events, label).toEqual([])
      }
      expect(fs.statSync(last.file).size, label).toBe(validEnd)
      if (readEverything)
        expectRecords(
          await readAll(reopened, 0),
          records.filter((record) => record.offset < end),
          label,
        )
      // Nothing past the cut is served.
      expect((await reopened.readRaw(end)).bytes.length, label).toBe(0)
    } finally {
      // Only reads happened: closing the files is enough (a full close() seals and checkpoints,
      // which would dominate a sweep of thousands of opens).
      for (const segment of reopened.segmentList) segment.close()
    }
  }

  const boundaries = [0, ...last.batches.map((batch) => batch.position + batch.size)]
  for (let cut = 0; cut <= original.length; cut++) {
    const validEnd = boundaries.filter((boundary) => boundary <= cut).at(-1)!
    // Every record is read back at each batch boundary and every 64th cut.
    await check(original.subarray(0, cut), validEnd, `cut at ${cut} of ${original.length}`, cut === validEnd || cut % 64 === 0)
  }
  // A size update whose data never landed: zeros or garbage after a whole batch.
  for (const boundary of boundaries) {
    const extra = randomInt(random, 1, 8192)
    const tail = random() < 0.5 ? Buffer.alloc(extra) : Buffer.from(Array.from({ length: extra }, () => randomInt(random, 0, 255)))
    await check(
      Buffer.concat([original.subarray(0, boundary), tail]),
      boundary,
      `${extra} ${tail[0] === 0 ? 'zero' : 'garbage'} bytes after ${boundary}`,
      true,
    )
  }
  await check(original, original.length, 'the original', true)
}

function appendOneBatch(log: PartitionLog, round: number): Promise<BuiltRecord[]> {
  return appendBatches(log, { batches: 1, recordsPerBatch: () => 1 + (round % 4), compression: () => (round % 5 === 2 ? 'gzip' : 'none') })
}

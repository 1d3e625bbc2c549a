import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import type { LogEngine } from '../../src/engine/log-engine.js'
import { repairDirectory, type RepairReport } from '../../src/engine/repair-directory.js'
import { assertCliBuilt, CLI_PATH, fileStates, outputLines, runCli, runShell } from '../helpers/cli.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { buildClosedPartition, buildCrashedPartition, expectOpenRefused, expectRecordsIntact, recordAt } from './damaged-data.js'
import { batchPositions, segmentFile } from './engine-data.js'
import { flipByte } from '../helpers/files.js'
import { openIdleEngine } from '../helpers/engine.js'

beforeAll(assertCliBuilt)

const opened: LogEngine[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()))
  await removeTmpDirs()
})

async function repairJson(dir: string, ...flags: string[]): Promise<RepairReport> {
  const result = await runCli(['repair', '--yes', '--json', ...flags, dir])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout) as RepairReport
}

function recoveryPointInCheckpoint(dir: string, key: string): number | undefined {
  const line = fs
    .readFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8')
    .split('\n')
    .find((text) => text.startsWith(`${key} `))
  return line === undefined ? undefined : Number(line.split(' ')[2])
}

describe('seglog repair', () => {
  it('quarantines a cut below the recovery point; the engine opens again with every record before it', async () => {
    const built = await buildClosedPartition()
    const lastBase = built.segmentBaseOffsets.at(-1)!
    const last = segmentFile(built.partitionDir, lastBase, '.log')
    const cutAt = batchPositions(last).at(-1)!
    const damaged = built.original.get(lastBase)!.subarray(0, built.original.get(lastBase)!.length - 10)
    fs.writeFileSync(last, damaged)
    expect((await repairDirectory(built.dir, { dryRun: true })).repairs.map((repair) => repair.cause)).toEqual(['clean-shutdown'])
    // The refused open has removed the clean-shutdown marker already: what is left is below the recovery point.
    await expectOpenRefused(built.dir)

    const report = await repairJson(built.dir)
    expect(report.applied).toBe(true)
    expect(report.repairs).toHaveLength(1)
    const [repair] = report.repairs
    expect(repair).toMatchObject({
      topic: 'orders',
      partition: 0,
      damage: { file: last, position: cutAt, reason: 'truncated-record' },
      cause: 'below-recovery-point',
      recoveryPoint: built.logEndOffset,
      newLogEndOffset: built.logEndOffset - 1,
      offsetsLost: { from: built.logEndOffset - 1, to: built.logEndOffset },
    })
    expect(repair!.quarantined).toEqual([
      {
        file: last,
        position: cutAt,
        bytes: damaged.length - cutAt,
        quarantineFile: `${last}.${cutAt}.quarantine`,
        isWholeSegment: false,
        firstOffset: built.logEndOffset - 1,
        endOffset: built.logEndOffset - 1,
      },
    ])
    expect(fs.readFileSync(last)).toEqual(damaged.subarray(0, cutAt))
    expect(fs.readFileSync(`${last}.${cutAt}.quarantine`)).toEqual(damaged.subarray(cutAt))
    expect(recoveryPointInCheckpoint(built.dir, 'orders 0')).toBe(built.logEndOffset - 1)
    for (const base of built.segmentBaseOffsets.slice(0, -1))
      expect(fs.readFileSync(segmentFile(built.partitionDir, base, '.log'))).toEqual(built.original.get(base))

    await expectRecordsIntact(built.dir, built.logEndOffset - 1)
    const verified = await runCli(['verify', built.dir])
    expect(verified.code).toBe(0)
  })

  it('quarantines a flipped byte in a middle segment and every later segment, byte for byte', async () => {
    const built = await buildCrashedPartition()
    const [, middleBase, ...laterBases] = built.segmentBaseOffsets as [number, number, ...number[]]
    const middle = segmentFile(built.partitionDir, middleBase, '.log')
    const cutAt = batchPositions(middle)[10]!
    flipByte(middle, cutAt + 70)
    const damaged = fs.readFileSync(middle)
    const refused = await expectOpenRefused(built.dir)
    expect([refused.file, refused.position]).toEqual([middle, cutAt])

    const report = await repairJson(built.dir)
    const [repair] = report.repairs
    expect(repair).toMatchObject({
      damage: { file: middle, position: cutAt, reason: 'bad-crc' },
      cause: 'below-recovery-point',
      newLogEndOffset: middleBase + 10,
    })
    expect(repair!.offsetsLost).toEqual({ from: middleBase + 10, to: built.logEndOffset })
    expect(repair!.quarantined.map((move) => [move.file, move.position, move.bytes, move.isWholeSegment])).toEqual([
      [middle, cutAt, damaged.length - cutAt, false],
      ...laterBases.map((base) => [segmentFile(built.partitionDir, base, '.log'), 0, built.original.get(base)!.length, true]),
    ])
    expect(fs.readFileSync(middle)).toEqual(damaged.subarray(0, cutAt))
    expect(fs.readFileSync(repair!.quarantined[0]!.quarantineFile)).toEqual(damaged.subarray(cutAt))
    for (const [slot, base] of laterBases.entries()) {
      const move = repair!.quarantined[slot + 1]!
      expect(move.quarantineFile).toBe(`${segmentFile(built.partitionDir, base, '.log')}.0.quarantine`)
      expect(fs.readFileSync(move.quarantineFile)).toEqual(built.original.get(base))
      expect(move.firstOffset).toBe(base)
      for (const suffix of ['.log', '.index', '.timeindex'] as const)
        expect(fs.existsSync(segmentFile(built.partitionDir, base, suffix))).toBe(false)
    }
    expect(recoveryPointInCheckpoint(built.dir, 'orders 0')).toBe(middleBase + 10)

    await expectRecordsIntact(built.dir, middleBase + 10)
  })

  it('gives the offsets log the same treatment: commits before the damage survive', async () => {
    const dir = await makeTmpDir('seglog-cli-repair-')
    const engine = await openIdleEngine(dir)
    await engine.createTopic('orders', { partitions: 1, retentionMs: -1 })
    for (let offset = 0; offset < 50; offset++) await engine.partition('orders', 0).appendRecords([recordAt(offset)])
    for (let commit = 1; commit <= 40; commit++) await engine.offsets.commit('billing', 'orders', 0, commit)
    await engine.close()
    const offsetsLog = segmentFile(path.join(dir, '__consumer_offsets-0'), 0, '.log')
    const cutAt = batchPositions(offsetsLog)[20]!
    flipByte(offsetsLog, cutAt + 70)
    const damaged = fs.readFileSync(offsetsLog)
    const refused = await expectOpenRefused(dir)
    expect([refused.file, refused.position]).toEqual([offsetsLog, cutAt])

    const report = await repairJson(dir)
    expect(report.repairs.map((repair) => [repair.topic, repair.partition, repair.damage.position, repair.newLogEndOffset])).toEqual([
      ['__consumer_offsets', 0, cutAt, 20],
    ])
    expect(fs.readFileSync(`${offsetsLog}.${cutAt}.quarantine`)).toEqual(damaged.subarray(cutAt))
    expect(fs.readFileSync(offsetsLog)).toEqual(damaged.subarray(0, cutAt))

    const reopened = await openIdleEngine(dir)
    opened.push(reopened)
    // The commit of batch 19 (offset 20) is the last one kept.
    expect(reopened.offsets.fetch('billing', 'orders', 0)?.offset).toBe(20)
    expect(reopened.partition('orders', 0).logEndOffset).toBe(50)
  })

  it('changes nothing and exits 0 on a healthy directory', async () => {
    const built = await buildClosedPartition()
    const before = fileStates(built.dir)
    const result = await runCli(['repair', '--yes', built.dir])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('nothing to repair in 2 partitions\n')
    expect(fileStates(built.dir)).toEqual(before)
  })

  it("leaves a torn write past the recovery point to the engine's recovery, with a note", async () => {
    const built = await buildCrashedPartition()
    const last = segmentFile(built.partitionDir, built.segmentBaseOffsets.at(-1)!, '.log')
    const size = fs.statSync(last).size
    fs.appendFileSync(last, built.original.get(0)!.subarray(0, 40))
    const before = fileStates(built.dir)
    const result = await runCli(['repair', '--yes', built.dir])
    expect(result.code).toBe(0)
    expect(outputLines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^note: orders-0: ${path.basename(last)} at byte ${size}: 40 bytes `)),
    ])
    expect(fileStates(built.dir)).toEqual(before)
  })

  it('refuses with the locked error while an engine owns the directory, changing nothing', async () => {
    const built = await buildClosedPartition()
    // After a clean shutdown the engine opens over a damaged closed segment (its reads fail).
    const first = segmentFile(built.partitionDir, built.segmentBaseOffsets[0]!, '.log')
    flipByte(first, batchPositions(first)[2]! + 70)
    const engine = await openIdleEngine(built.dir)
    opened.push(engine)
    const before = fileStates(built.dir)
    const result = await runCli(['repair', '--yes', built.dir])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(outputLines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^seglog: ${built.dir} is locked`))])
    let failure: unknown = null
    try {
      await repairDirectory(built.dir, { dryRun: true })
    } catch (error) {
      failure = error
    }
    expect((failure as SeglogError).code).toBe('LOG_LOCKED')
    expect(fileStates(built.dir)).toEqual(before)
  })

  it('prints the plan with --dry-run, and without a terminal needs --yes; neither changes anything', async () => {
    const built = await buildCrashedPartition()
    const middle = segmentFile(built.partitionDir, built.segmentBaseOffsets[1]!, '.log')
    const cutAt = batchPositions(middle)[3]!
    flipByte(middle, cutAt + 70)
    const before = fileStates(built.dir)
    const unconfirmed = await runCli(['repair', built.dir])
    expect(unconfirmed.code).toBe(2)
    expect(outputLines(unconfirmed.stderr)).toEqual([expect.stringMatching(/^seglog: .*--yes/), "Try 'seglog repair --help'"])
    const dry = await runCli(['repair', '--dry-run', built.dir])
    expect(dry.stderr).toBe('')
    expect(dry.code).toBe(0)
    const out = outputLines(dry.stdout)
    expect(out[0]).toMatch(new RegExp(`^orders-0: ${path.basename(middle)} at byte ${cutAt}: bad-crc `))
    expect(out.filter((line) => line.startsWith('  move '))).toHaveLength(built.segmentBaseOffsets.length - 1)
    expect(out.at(-1)).toMatch(/^dry run: would repair 1 partition, moving \d+ bytes into 3 quarantine files; nothing was changed$/)
    expect(fileStates(built.dir)).toEqual(before)
  })
})

/** util-linux `script` gives the command a terminal; without it the prompt cannot be tested. */
const hasScript = ((): boolean => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!hasScript)('seglog repair on a terminal', () => {
  it('asks before it changes anything: no leaves the directory as it was (exit 1), yes repairs it', async () => {
    const built = await buildClosedPartition()
    const first = segmentFile(built.partitionDir, built.segmentBaseOffsets[0]!, '.log')
    flipByte(first, 9)
    const before = fileStates(built.dir)
    const ask = (answer: string): Promise<{ code: number | null; stdout: string }> =>
      runShell(`printf '${answer}\\n' | script -qec "node '${CLI_PATH}' repair '${built.dir}'" /dev/null`)
    const declined = await ask('n')
    expect(declined.stdout).toContain('[y/N]')
    expect(declined.code).toBe(1)
    expect(fileStates(built.dir)).toEqual(before)
    const confirmed = await ask('y')
    expect(confirmed.code).toBe(0)
    expect(fs.readFileSync(`${first}.0.quarantine`)).toHaveLength(built.original.get(0)!.length)
    await expectRecordsIntact(built.dir, 0)
  })
})

describe('repairDirectory', () => {
  it('reports as its plan exactly what it then does, and does nothing when the confirmation says no', async () => {
    // After a clean shutdown the engine opens over this damage, and fails the reads that reach it.
    const built = await buildClosedPartition()
    const middle = segmentFile(built.partitionDir, built.segmentBaseOffsets[1]!, '.log')
    flipByte(middle, batchPositions(middle)[5]! + 70)
    const before = fileStates(built.dir)
    const plans: RepairReport[] = []
    const declined = await repairDirectory(built.dir, {
      confirm: (shown) => {
        plans.push(structuredClone(shown))
        return false
      },
    })
    expect(declined.applied).toBe(false)
    expect(plans).toHaveLength(1)
    expect(fileStates(built.dir)).toEqual(before)
    const dryRun = await repairDirectory(built.dir, { dryRun: true })
    expect(dryRun.repairs).toEqual(plans[0]!.repairs)
    const done = await repairDirectory(built.dir, { topic: 'orders', partition: 0 })
    expect(done.applied).toBe(true)
    expect(done.repairs).toEqual(plans[0]!.repairs)
    expect((await repairDirectory(built.dir)).repairs).toEqual([])
    // The directory still counts as cleanly shut down: the open trusts the repaired files.
    expect(fs.existsSync(path.join(built.dir, '.clean-shutdown'))).toBe(true)
    await expectRecordsIntact(built.dir, built.segmentBaseOffsets[1]! + 5)
  })
})

describe('seglog repair: bad arguments', () => {
  it('rejects --partition without --topic, and a file for DIR, with exit 2; a missing DIR or unknown topic is exit 1', async () => {
    const dir = await makeTmpDir('seglog-cli-')
    const file = path.join(dir, 'notes.txt')
    fs.writeFileSync(file, 'hi')
    for (const args of [
      ['repair', '--yes', '--partition', '0', dir],
      ['repair', '--yes', file],
      ['repair'],
      ['repair', '--yes', '--partition', 'x', '--topic', 't', dir],
    ]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(outputLines(result.stderr)).toEqual([expect.stringMatching(/^seglog: /), "Try 'seglog repair --help'"])
    }
    const missing = await runCli(['repair', '--yes', path.join(dir, 'nope')])
    expect(missing.code).toBe(1)
    expect(outputLines(missing.stderr)).toEqual([`seglog: cannot read ${path.join(dir, 'nope')}: no such file or directory`])
    const built = await buildClosedPartition()
    const unknown = await runCli(['repair', '--yes', '--topic', 'ghost', built.dir])
    expect(unknown.code).toBe(1)
    expect(outputLines(unknown.stderr)).toEqual([expect.stringMatching(/^seglog: .*'ghost'/)])
  })
})

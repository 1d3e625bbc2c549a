import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LogEngine, verifyDirectory, verifyFiles, type VerifyProblem } from '../../src/index.js'
import { scanBatches } from '../helpers/build-log.js'
import { flipByte } from '../helpers/files.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

afterEach(removeTmpDirs)

const LOG_NAME = '00000000000000000000.log'

/** A data directory with topic `orders` (one partition) holding two batches of 1 and 2 records, shut down cleanly. */
async function dataDir(): Promise<string> {
  const dir = await makeTmpDir()
  const engine = await LogEngine.open({ dir })
  await engine.createTopic('orders', { partitions: 1 })
  await engine.partition('orders', 0).appendRecords([{ value: Buffer.from('one') }])
  await engine.partition('orders', 0).appendRecords([{ value: Buffer.from('two') }, { value: Buffer.from('three') }])
  await engine.close()
  return dir
}

describe('verifyDirectory', () => {
  it('finds nothing wrong in a directory an engine wrote, and counts its segments, batches, records and bytes', async () => {
    const dir = await dataDir()
    const logFile = path.join(dir, 'orders-0', LOG_NAME)
    const report = await verifyDirectory(dir)
    expect(report.problems).toEqual([])
    // The second segment is __consumer_offsets-0's, empty: the engine creates it on open.
    expect(report).toMatchObject({ segments: 2, batches: 2, records: 3, bytes: fs.statSync(logFile).size })
  })

  it('reports a flipped byte in a batch with the log file and the batch position, through onProblem too', async () => {
    const dir = await dataDir()
    const logFile = path.join(dir, 'orders-0', LOG_NAME)
    const second = scanBatches(fs.readFileSync(logFile))[0]!.bytes.length
    flipByte(logFile, second + 70)
    const seen: VerifyProblem[] = []
    const progress: number[] = []
    const report = await verifyDirectory(dir, {
      onProblem: (problem) => seen.push(problem),
      onProgress: (doneBytes) => progress.push(doneBytes),
    })
    expect(report.problems.length).toBeGreaterThan(0)
    expect(seen).toEqual(report.problems)
    expect(report.problems[0]).toMatchObject({ file: logFile, position: second })
    expect(progress.length).toBeGreaterThan(0)
  })

  it('verifies a partition directory, and files named one by one', async () => {
    const dir = await dataDir()
    const partitionDir = path.join(dir, 'orders-0')
    expect(await verifyDirectory(partitionDir)).toMatchObject({ segments: 1, records: 3, problems: [] })
    const report = await verifyFiles([path.join(partitionDir, LOG_NAME), path.join(partitionDir, 'missing.txt')])
    expect(report).toMatchObject({ segments: 1, records: 3 })
    expect(report.problems.map((problem) => problem.file)).toEqual([path.join(partitionDir, 'missing.txt')])
  })

  it('rejects a path that is not a seglog directory with INVALID_ARGUMENT', async () => {
    const dir = await makeTmpDir()
    await expect(verifyDirectory(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(verifyDirectory(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

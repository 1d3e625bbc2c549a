import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLEAN_SHUTDOWN_FILE } from '../../src/engine/log-engine.js'
import { openQuietEngine } from '../helpers/engine.js'
import { spyFileSystem } from '../helpers/file-system-spy.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * LogEngine.close closes partitions concurrently, a bounded number at a time: their fsyncs overlap
 * in the thread pool instead of running one partition after another.
 */

afterEach(removeTmpDirs)

describe('engine close', () => {
  it('closes partitions concurrently, at most 32 at a time, and only then writes the clean marker', async () => {
    const dir = await makeTmpDir()
    const spy = spyFileSystem()
    const engine = await openQuietEngine(dir, { fileSystem: spy.fileSystem })
    await engine.createTopic('t', { partitions: 48 })
    for (const log of engine.partitions('t')) await log.appendRecords([{ value: Buffer.from('x') }])
    let inFlight = 0
    let peak = 0
    let markerSeenDuringClose = false
    spy.hook(({ call, file }) => {
      if (call !== 'datasync' || !file.endsWith('.log')) return undefined
      inFlight++
      peak = Math.max(peak, inFlight)
      markerSeenDuringClose ||= fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))
      // Held long enough that closes started meanwhile overlap it.
      return new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => void inFlight--)
    })
    await engine.close()
    expect(peak).toBeGreaterThan(1)
    expect(peak).toBeLessThanOrEqual(32)
    expect(markerSeenDuringClose).toBe(false)
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true)
  })
})

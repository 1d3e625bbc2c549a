import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../src/engine/checkpoint-file.js'
import { LogEngine } from '../../src/engine/log-engine.js'
import { TOPICS_FILE } from '../../src/engine/topics-file.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'

afterEach(removeTmpDirs)

async function openError(dir: string): Promise<unknown> {
  try {
    const engine = await LogEngine.open({ dir })
    await engine.close()
  } catch (error) {
    return error
  }
  return null
}

async function closedDirWithTopic(): Promise<string> {
  const dir = await makeTmpDir()
  const engine = await LogEngine.open({ dir })
  await engine.createTopic('orders', { partitions: 2 })
  await engine.close()
  return dir
}

describe('damaged metadata files', () => {
  it('a topics.json that is not JSON fails the open with CORRUPT_METADATA naming the file', async () => {
    const dir = await closedDirWithTopic()
    const file = path.join(dir, TOPICS_FILE)
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 20))
    expect(await openError(dir)).toMatchObject({ code: 'CORRUPT_METADATA', file })
  })

  it('a checkpoint with a broken line fails the open with CORRUPT_METADATA naming the file and line', async () => {
    const dir = await closedDirWithTopic()
    for (const name of [RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT]) {
      const file = path.join(dir, name)
      const original = fs.readFileSync(file, 'utf8')
      fs.writeFileSync(file, '0\n2\norders 0 0\norders one 0\n')
      expect(await openError(dir)).toMatchObject({ code: 'CORRUPT_METADATA', file, line: 4 })
      fs.writeFileSync(file, original)
    }
  })
})

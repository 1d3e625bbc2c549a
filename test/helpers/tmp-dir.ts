import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/**
 * Temporary directories for `.fs.test.ts` and CLI tests: one per test, under the OS temp dir.
 * Register cleanup once per file with `afterEach(removeTmpDirs)`. Set SEGLOG_KEEP_TMP=1 to keep
 * them for a look after a failure (their paths are printed).
 */
const created = new Set<string>()

export async function makeTmpDir(prefix = 'seglog-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  created.add(dir)
  return dir
}

/** Removes one directory made by makeTmpDir (and everything in it). */
export async function removeTmpDir(dir: string): Promise<void> {
  created.delete(dir)
  if (process.env.SEGLOG_KEEP_TMP === '1') {
    console.log(`kept ${dir}`)
    return
  }
  await rm(dir, { recursive: true, force: true })
}

/** Removes every directory makeTmpDir made and that is still there. */
export async function removeTmpDirs(): Promise<void> {
  await Promise.all([...created].map((dir) => removeTmpDir(dir)))
}

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where the repository and the built package sit, for tests that read docs or start child processes. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const DIST_DIR = path.join(REPO_ROOT, 'dist')
export const DIST_INDEX = path.join(DIST_DIR, 'index.js')
export const DIST_ENGINE = path.join(DIST_DIR, 'engine', 'log-engine.js')

/**
 * Child processes import dist/, not src/: fails clearly when `entry` is missing, and warns when a
 * file of `srcFolders` is newer than its build (the child would run yesterday's code).
 */
export function assertDistBuilt(entry: string, srcFolders: readonly string[]): void {
  if (!fs.existsSync(entry)) {
    throw new Error(`${entry} is missing: these tests run the BUILT engine in child processes; run \`npm run build\` first (npm test does)`)
  }
  const stale: string[] = []
  for (const folder of srcFolders) {
    const srcDir = path.join(REPO_ROOT, 'src', folder)
    for (const name of fs.readdirSync(srcDir)) {
      if (!name.endsWith('.ts')) continue
      const built = path.join(DIST_DIR, folder, name.replace(/\.ts$/, '.js'))
      if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(srcDir, name)).mtimeMs)
        stale.push(`src/${folder}/${name}`)
    }
  }
  if (stale.length > 0) console.warn(`dist/ looks older than ${stale.join(', ')}; the child processes run dist/, so run \`npm run build\``)
}

import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'

/**
 * Runs every bench/micro/*.bench.ts, or those whose file name contains the first argument:
 *   npm run bench:micro               all of them
 *   npm run bench:micro -- compression
 * Each file exports `async function run(): Promise<void>` that prints its own table.
 */
const directory = fileURLToPath(new URL('.', import.meta.url))
const filter = process.argv[2] ?? ''
const files = readdirSync(directory)
  .filter((file) => file.endsWith('.bench.ts') && file.includes(filter))
  .sort()
if (files.length === 0) {
  console.error(`no bench/micro/*.bench.ts matches '${filter}'`)
  process.exitCode = 1
}
for (const file of files) {
  const module = (await import(pathToFileURL(join(directory, file)).href)) as { run?: () => Promise<void> }
  if (typeof module.run !== 'function') throw new Error(`${file} does not export run()`)
  console.log(`\n# ${file}`)
  await module.run()
}

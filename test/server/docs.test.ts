import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { servedApis } from '../../src/server/index.js'
import { SERVE_CONFIG_KEYS } from '../../src/server/properties.js'
import { TOPIC_CONFIG_NAMES } from '../../src/server/topic-configs.js'

/** docs/server.md stays true: its tables and its test-suite example are checked against the code. */

const DOC = fs.readFileSync(new URL('../../docs/server.md', import.meta.url), 'utf8')

/** The rows of the markdown table whose header row starts with `| header`. */
function tableRows(header: string): string[][] {
  const lines = DOC.split('\n')
  const start = lines.findIndex((line) => line.startsWith(`| ${header}`))
  expect(start, `a table headed '${header}'`).toBeGreaterThanOrEqual(0)
  const rows: string[][] = []
  for (let slot = start + 2; slot < lines.length && lines[slot]!.startsWith('|'); slot++) {
    rows.push(
      lines[slot]!.split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
  }
  return rows
}

describe('docs/server.md', () => {
  it('lists exactly the APIs and versions the server serves', () => {
    const documented = tableRows('key | API |').map(([key, name, versions]) => ({ apiKey: Number(key), apiName: name, versions }))
    expect(documented).toEqual(
      servedApis().map((api) => ({ apiKey: api.apiKey, apiName: api.apiName, versions: `${api.minVersion}-${api.maxVersion}` })),
    )
  })

  it('lists exactly the topic configs the server knows', () => {
    expect(tableRows('topic config').map(([name]) => name!.replace(/`/g, ''))).toEqual(TOPIC_CONFIG_NAMES.map((entry) => entry.name))
  })

  it('lists exactly the config file keys seglog serve uses', () => {
    const documented = tableRows('config key |').flatMap(([keys]) => keys!.split(',').map((key) => key.trim().replace(/`/g, '')))
    expect([...documented].sort()).toEqual([...SERVE_CONFIG_KEYS].sort())
  })

  it('shows the test-suite example exactly as test/server/docs-example.compat.test.ts runs it', () => {
    const example = fs
      .readFileSync(new URL('./docs-example.compat.test.ts', import.meta.url), 'utf8')
      .replace("from '../../src/index.js'", "from 'seglog'")
    const block = /```ts\n(import \{ Kafka, logLevel \} from 'kafkajs'[\s\S]*?)```/.exec(DOC)
    expect(block, 'the vitest example block').not.toBeNull()
    expect(block![1]).toBe(example)
  })
})

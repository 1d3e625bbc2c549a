import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { allApis } from '../../../src/server/protocol/index.js'

/** docs/protocol.md lists every API with its versions: the table must say what the definitions say. */
it('docs/protocol.md lists exactly the APIs and versions the codec defines', () => {
  const text = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
  const section = text.slice(text.indexOf('## APIs and versions defined'), text.indexOf('## Errors'))
  const rows = [...section.matchAll(/^\| (\d+) \| (\w+) \| ([\d+-]+) \| ([\w+]+) \| ([\d-]*) ?\|$/gm)].map((match) =>
    match.slice(1, 6).join(' '),
  )
  const expected = allApis().map((api) =>
    [api.apiKey, api.name, api.request.validVersions, api.request.flexibleVersions, api.request.deprecatedVersions ?? ''].join(' '),
  )
  expect(rows).toEqual(expected)
})

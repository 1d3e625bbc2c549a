import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { REPO_ROOT } from '../helpers/paths.js'

/**
 * Every ```ts block of docs/embedding.md is a complete program, and this test runs each one: the
 * block is written to a temp file under the repo's tmp/ with its `'seglog'` import pointed at
 * src/index.ts and `'./data'` pointed at a fresh temp directory, then imported. The blocks are
 * also type-checked together with the project's compiler options, so a misspelled option name
 * (which would run without complaint) fails here.
 */

const DOC_FILE = path.join(REPO_ROOT, 'docs', 'embedding.md')
const ENTRY = path.join(REPO_ROOT, 'src', 'index.js')
const SNIPPET_ROOT = path.join(REPO_ROOT, 'tmp', `docs-embedding-${process.pid}`)

interface Snippet {
  /** 1-based line of the opening fence in the doc. */
  line: number
  code: string
}

function extractSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = []
  const lines = markdown.split('\n')
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]!.trim() !== '```ts') continue
    const start = index
    const body: string[] = []
    for (index++; index < lines.length && lines[index]!.trim() !== '```'; index++) body.push(lines[index]!)
    if (index >= lines.length) throw new Error(`docs/embedding.md: the \`\`\`ts block at line ${start + 1} is not closed`)
    snippets.push({ line: start + 1, code: body.join('\n') + '\n' })
  }
  return snippets
}

/** The snippet as it runs here: the package import and the data directory rewritten. */
function prepare(snippet: Snippet, dataRoot: string): string {
  return snippet.code
    .replace(/from 'seglog'/g, `from ${JSON.stringify(ENTRY)}`)
    .replace(/'\.\/(data[\w-]*)'/g, (_, name: string) => JSON.stringify(path.join(dataRoot, name)))
}

function writeSnippet(snippet: Snippet, code: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `embedding-line-${snippet.line}.ts`)
  fs.writeFileSync(file, code)
  return file
}

const SNIPPETS = extractSnippets(fs.readFileSync(DOC_FILE, 'utf8'))

afterAll(async () => {
  fs.rmSync(SNIPPET_ROOT, { recursive: true, force: true })
  await removeTmpDirs()
})

describe('docs/embedding.md', () => {
  it('has runnable snippets that import only from seglog and keep their data under ./data', () => {
    expect(SNIPPETS.length).toBeGreaterThanOrEqual(8)
    for (const snippet of SNIPPETS) {
      const imports = [...snippet.code.matchAll(/from '([^']+)'/g)].map((match) => match[1])
      expect(
        imports.every((name) => name === 'seglog' || name!.startsWith('node:')),
        `imports of the block at line ${snippet.line}`,
      ).toBe(true)
      expect(snippet.code, `the block at line ${snippet.line} opens an engine on './data'`).toMatch(/dir: '\.\/data'/)
    }
  })

  it('type-checks every snippet with the project compiler options', () => {
    const dir = path.join(SNIPPET_ROOT, 'typecheck')
    const files = SNIPPETS.map((snippet) => writeSnippet(snippet, prepare(snippet, '/nonexistent'), dir))
    const configFile = ts.readConfigFile(path.join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile)
    const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, REPO_ROOT)
    const program = ts.createProgram(files, { ...options, noEmit: true, skipLibCheck: true })
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file === undefined || files.includes(path.resolve(diagnostic.file.fileName)))
      .map((diagnostic) => {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
        if (diagnostic.file === undefined || diagnostic.start === undefined) return message
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
        const docLine = Number(/embedding-line-(\d+)\.ts$/.exec(diagnostic.file.fileName)![1]) + 1 + line
        return `docs/embedding.md:${docLine}: ${message}`
      })
    expect(problems).toEqual([])
  })

  it.each(SNIPPETS.map((snippet) => [snippet.line, snippet] as const))('runs the block at line %i', async (_, snippet) => {
    const dataRoot = await makeTmpDir('seglog-docs-')
    const file = writeSnippet(snippet, prepare(snippet, dataRoot), path.join(SNIPPET_ROOT, path.basename(dataRoot)))
    await import(pathToFileURL(file).href)
  })
})
